package integration

import (
	"strings"
	"testing"

	"hubspot-brevo-sync/internal/mapping"
)

func TestConsentChoices(t *testing.T) {
	tests := []struct {
		spec Spec
		want []string // prefixes of the lines, in order
	}{
		{Spec{}, nil},
		{Spec{OnDelete: OnDeleteUnlink}, nil},
		{Spec{OnDelete: OnDeleteDelete}, []string{"on-delete delete:"}},
		{Spec{OnDelete: OnDeleteKeep, ReportUnsubscribes: true, HubSpotSubscriptionID: "77"},
			[]string{"on-delete keep:", "Brevo unsubscribes reported to HubSpot"}},
		{Spec{Mapping: mapping.Spec{Consent: mapping.Consent{SyncOptOuts: true}}, ReportUnsubscribes: true},
			[]string{"sync opt-outs:", "Brevo unsubscribes reported to HubSpot"}},
	}
	for _, tc := range tests {
		got := tc.spec.ConsentChoices()
		if len(got) != len(tc.want) {
			t.Fatalf("%+v: %q, want lines starting %q", tc.spec, got, tc.want)
		}
		for i := range got {
			if !strings.HasPrefix(got[i], tc.want[i]) {
				t.Errorf("%+v: line %d %q, want it to start %q", tc.spec, i, got[i], tc.want[i])
			}
		}
	}
	if got := (Spec{ReportUnsubscribes: true, HubSpotSubscriptionID: "77"}).ConsentChoices(); !strings.Contains(got[0], "subscription type 77") {
		t.Errorf("the subscription type is named: %q", got)
	}
}
