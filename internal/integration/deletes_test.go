package integration

import (
	"slices"
	"testing"
)

func TestDeleteAndUnsubscribeChoices(t *testing.T) {
	tests := []struct {
		spec Spec
		want []string
	}{
		{Spec{}, nil},
		{Spec{OnDelete: OnDeleteUnlink}, nil},
		{Spec{OnDelete: OnDeleteDelete}, []string{"on-delete delete"}},
		{Spec{OnDelete: OnDeleteKeep, ReportUnsubscribes: true, HubSpotSubscriptionID: "77"},
			[]string{"on-delete keep", "Brevo unsubscribes reported to HubSpot (and subscription type 77)"}},
	}
	for _, tc := range tests {
		if got := tc.spec.DeleteAndUnsubscribeChoices(); !slices.Equal(got, tc.want) {
			t.Errorf("%+v: %q, want %q", tc.spec, got, tc.want)
		}
	}
}
