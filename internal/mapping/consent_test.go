package mapping

import (
	"slices"
	"testing"
)

var consentFields = []Field{
	{Property: "email", Attribute: AttrEmail, PropertyType: "string", FieldType: "text"},
	{Property: "phone", Attribute: AttrSMS, PropertyType: "string", FieldType: "phonenumber"},
}

func TestConsentPropertiesAreReadWhenSet(t *testing.T) {
	off := Spec{Fields: consentFields}
	if got := off.Properties(); slices.Contains(got, PropEmailOptOut) || slices.Contains(got, PropMarketableStatus) {
		t.Fatalf("options off read %v", got)
	}
	on := Spec{Fields: consentFields, Consent: Consent{SyncOptOuts: true, OnlyMarketingContacts: true}}
	want := []string{"email", "phone", PropEmailOptOut, PropMarketableStatus}
	if got := on.Properties(); !slices.Equal(got, want) {
		t.Fatalf("Properties() = %v, want %v", got, want)
	}
	// A consent property also mapped is read once.
	both := Spec{Fields: append(slices.Clone(consentFields), Field{Property: PropEmailOptOut, Attribute: "OPTOUT"}),
		Consent: Consent{SyncOptOuts: true}}
	if got := both.Properties(); len(got) != 3 {
		t.Fatalf("Properties() = %v, want each once", got)
	}
}

func TestSyncOptOutsMarksContactsToBlocklist(t *testing.T) {
	spec := Spec{Fields: consentFields, Consent: Consent{SyncOptOuts: true}}
	cases := []struct {
		name  string
		props map[string]string
		want  bool
	}{
		{"opted out", map[string]string{"email": "a@example.com", PropEmailOptOut: "true"}, true},
		{"opted out, HubSpot spelling varies", map[string]string{"email": "a@example.com", PropEmailOptOut: " TRUE "}, true},
		{"not opted out", map[string]string{"email": "a@example.com", PropEmailOptOut: "false"}, false},
		{"never set", map[string]string{"email": "a@example.com"}, false},
		// An email address is what a blocklisting blocks.
		{"opted out without email", map[string]string{"phone": "+491511234567", PropEmailOptOut: "true"}, false},
	}
	for _, c := range cases {
		got, skip := Map(spec, Record{ID: "1", Properties: c.props})
		if skip != nil || got.Blocklist != c.want {
			t.Errorf("%s: Blocklist = %v, skip %v; want %v", c.name, got.Blocklist, skip, c.want)
		}
	}
	// The option off: an opt-out changes nothing.
	got, _ := Map(Spec{Fields: consentFields}, Record{ID: "1", Properties: map[string]string{"email": "a@example.com", PropEmailOptOut: "true"}})
	if got.Blocklist {
		t.Error("blocklisted without --sync-opt-outs")
	}
}

func TestOnlyMarketingContactsSkipsNonMarketing(t *testing.T) {
	spec := Spec{Fields: consentFields, Consent: Consent{OnlyMarketingContacts: true}}
	cases := []struct {
		status string
		set    bool
		skip   bool
	}{
		{"false", true, true},
		{"FALSE", true, true},
		{"true", true, false},
		{"", true, false},  // empty: nothing says it is not
		{"", false, false}, // an account without marketing contacts
	}
	for _, c := range cases {
		props := map[string]string{"email": "a@example.com"}
		if c.set {
			props[PropMarketableStatus] = c.status
		}
		_, skip := Map(spec, Record{ID: "1", Properties: props})
		if (skip != nil) != c.skip || (skip != nil && skip.Reason != ReasonNotMarketingContact) {
			t.Errorf("hs_marketable_status %q (set %v): skip %v, want skipped %v", c.status, c.set, skip, c.skip)
		}
	}
	// Skipped even without an identifier: the stronger reason wins.
	_, skip := Map(spec, Record{ID: "1", Properties: map[string]string{PropMarketableStatus: "false"}})
	if skip == nil || skip.Reason != ReasonNotMarketingContact {
		t.Errorf("skip = %v, want %s", skip, ReasonNotMarketingContact)
	}
	// The option off: non-marketing contacts are written.
	if _, skip := Map(Spec{Fields: consentFields}, Record{ID: "1", Properties: map[string]string{"email": "a@example.com", PropMarketableStatus: "false"}}); skip != nil {
		t.Errorf("skipped without --only-marketing-contacts: %v", skip)
	}
}

func TestConsentDescribe(t *testing.T) {
	if got := (Consent{}).Describe(); got != nil {
		t.Errorf("no option: %v", got)
	}
	if got := (Consent{SyncOptOuts: true, OnlyMarketingContacts: true}).Describe(); len(got) != 2 {
		t.Errorf("two options: %v", got)
	}
}
