package manage_test

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"hubspot-brevo-sync/internal/integration"
	"hubspot-brevo-sync/internal/manage"
	"hubspot-brevo-sync/internal/mapping"
	"hubspot-brevo-sync/internal/sandbox"
)

// fmExpect maps the first n members of HubSpot list 1 straight from the
// sandbox's state (not through the API client the preview uses).
func fmExpect(t *testing.T, sb *sandbox.Server, spec integration.Spec, n int) (written []mapping.Contact, skipped map[string]string) {
	t.Helper()
	ids, err := sb.HubSpot().ListMembers("1")
	if err != nil {
		t.Fatal(err)
	}
	skipped = map[string]string{}
	for _, id := range ids[:min(n, len(ids))] {
		hc, ok := sb.HubSpot().Contact(id)
		if !ok {
			t.Fatalf("member %s missing", id)
		}
		c, skip := mapping.Map(spec.Mapping, mapping.Record{ID: id, Properties: hc.Properties})
		if skip != nil {
			skipped[id] = skip.Reason
			continue
		}
		written = append(written, c)
	}
	return written, skipped
}

// TestDryRunWritesNothing runs create --dry-run with --create-attributes
// on a seeded account: it reports what a sync of the first list members
// would write, skip and leave out, and which attributes it would create,
// and Brevo is exactly as before (no contact, attribute, list or folder,
// and no write request at all).
func TestDryRunWritesNothing(t *testing.T) {
	e := fmNewEnv(t, sandbox.BrevoOptions{}, 300)
	ctx := context.Background()
	cases := []struct {
		name     string
		maps     []string
		sample   int
		read     int
		missing  []string
		skips    bool // the sample holds skipped contacts
		notes    bool // and values left out
		skipText string
	}{
		{"email only, full page", []string{"email=EMAIL", "firstname=FIRSTNAME", "lifecyclestage=STAGE", "interests=INTERESTS"},
			250, 250, []string{"STAGE", "INTERESTS"}, true, false, "is not an email address"},
		{"every type, default sample", []string{"email=EMAIL", "phone=SMS", "lastname=LASTNAME", "hs_lead_status=LEAD_STATUS:text",
			"newsletter_opt_in=NEWSLETTER", "date_of_birth=DOB", "annual_revenue=REVENUE"},
			0, manage.DefaultSample, []string{"LEAD_STATUS", "NEWSLETTER", "DOB", "REVENUE"}, false, true, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := fmRequest(c.maps...)
			req.CreateAttributes = true
			before := fmSnap(e.sb)
			p, err := e.mgr.DryRun(ctx, req, c.sample)
			if err != nil {
				t.Fatal(err)
			}
			fmSameBrevo(t, before, fmSnap(e.sb))
			if n := e.sb.Brevo().Stats().Endpoints["POST /v3/contacts/attributes/{category}/{name}"]; n != 0 {
				t.Fatalf("%d attribute creations", n)
			}

			if p.Read != c.read || p.ListSize != 300 || p.HubSpotListID != "1" {
				t.Fatalf("read %d of %d members of list %s, want %d of 300 of list 1", p.Read, p.ListSize, p.HubSpotListID, c.read)
			}
			var missing []string
			for _, a := range p.MissingAttributes {
				missing = append(missing, a.Name)
			}
			if !reflect.DeepEqual(missing, c.missing) {
				t.Errorf("attributes that would be created %v, want %v", missing, c.missing)
			}
			if len(p.Contacts)+len(p.Skipped) != c.read {
				t.Fatalf("%d written + %d skipped != %d read", len(p.Contacts), len(p.Skipped), c.read)
			}

			spec, err := e.mgr.Validate(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			wantWritten, wantSkipped := fmExpect(t, e.sb, spec, c.read)
			if !reflect.DeepEqual(p.Contacts, wantWritten) {
				t.Errorf("contacts differ from the independent mapping:\n got %+v\nwant %+v", p.Contacts, wantWritten)
			}
			gotSkipped := map[string]string{}
			for _, s := range p.Skipped {
				gotSkipped[s.HubSpotID] = s.Reason
				if s.Kind != mapping.OutcomeSkipped || s.Text == "" {
					t.Errorf("skip %+v: want kind skipped and a text", s)
				}
				if c.skipText != "" && s.Reason == mapping.ReasonNoIdentifier && s.Text == "" {
					t.Errorf("skip %+v says not why", s)
				}
			}
			if !reflect.DeepEqual(gotSkipped, wantSkipped) {
				t.Errorf("skipped %v, want %v", gotSkipped, wantSkipped)
			}
			if c.skips && len(p.Skipped) == 0 {
				t.Error("the seeded list's first members include contacts without a valid email; none skipped")
			}
			if c.skipText != "" {
				found := false
				for _, s := range p.Skipped {
					found = found || strings.Contains(s.Text, c.skipText)
				}
				if !found {
					t.Errorf("no skip says %q: %+v", c.skipText, p.Skipped)
				}
			}
			if c.notes && p.Notes() == 0 {
				t.Error("the seeded phones include invalid ones; no value left out")
			}
		})
	}
}

// TestDryRunRefusesLikeCreate: a dry run validates as create does, so a
// missing attribute without --create-attributes is refused, and reads no
// contact.
func TestDryRunRefusesLikeCreate(t *testing.T) {
	e := fmNewEnv(t, sandbox.BrevoOptions{}, 20)
	e.sb.HubSpot().ResetStats()
	_, err := e.mgr.DryRun(context.Background(), fmRequest("email=EMAIL", "lifecyclestage=STAGE"), 0)
	if err == nil || !strings.Contains(err.Error(), "--create-attributes") {
		t.Fatalf("dry run with a missing attribute: %v", err)
	}
	if st := e.sb.HubSpot().Stats(); st.ByFamily["contacts.batchRead"] != 0 {
		t.Errorf("a refused dry run read contacts: %v", st.ByFamily)
	}
}

func TestCheckSample(t *testing.T) {
	for in, want := range map[int]int{0: 25, 1: 1, 250: 250} {
		if got, err := manage.CheckSample(in); err != nil || got != want {
			t.Errorf("CheckSample(%d) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []int{-1, 251, 1000} {
		if _, err := manage.CheckSample(bad); err == nil {
			t.Errorf("CheckSample(%d) accepted", bad)
		}
	}
}

// TestNewReport: newest first, counted by kind and reason, lifetime
// totals next to them.
func TestNewReport(t *testing.T) {
	st := integration.Status{
		Name: "r", State: integration.StateIdle, ContactsSynced: 7, ContactsSkipped: 3, ContactsFailed: 1,
		SkippedByReason: map[string]int64{mapping.ReasonNoIdentifier: 2, mapping.ReasonNotInList: 1},
		RecentProblems: []mapping.Outcome{
			{HubSpotID: "1", Kind: mapping.OutcomeSkipped, Reason: mapping.ReasonNoIdentifier, Text: "no email"},
			{HubSpotID: "2", Email: "b@example.com", Kind: mapping.OutcomeCreated, Reason: mapping.ReasonInvalidPhone, Text: "phone"},
			{HubSpotID: "3", Email: "c@example.com", Kind: mapping.OutcomeFailed, Reason: mapping.ReasonRejected, Text: "refused"},
			{HubSpotID: "4", Kind: mapping.OutcomeSkipped, Reason: mapping.ReasonNoIdentifier, Text: "no email"},
		},
	}
	r := manage.NewReport(st)
	var order []string
	for _, o := range r.Problems {
		order = append(order, o.HubSpotID)
	}
	if !reflect.DeepEqual(order, []string{"4", "3", "2", "1"}) {
		t.Errorf("order %v, want newest first", order)
	}
	if !reflect.DeepEqual(r.ByKind, map[string]int{"skipped": 2, "created": 1, "failed": 1}) {
		t.Errorf("by kind %v", r.ByKind)
	}
	if !reflect.DeepEqual(r.ByReason, map[string]int{"no_identifier": 2, "invalid_phone": 1, "rejected": 1}) {
		t.Errorf("by reason %v", r.ByReason)
	}
	if r.ContactsSkipped != 3 || r.ContactsFailed != 1 || r.ContactsSynced != 7 || r.SkippedByReason[mapping.ReasonNotInList] != 1 {
		t.Errorf("totals %+v", r)
	}
	empty := manage.NewReport(integration.Status{Name: "e"})
	if empty.Problems == nil || empty.ByKind == nil || empty.ByReason == nil || empty.SkippedByReason == nil {
		t.Error("an empty report should hold empty lists and maps, not null, for scripts")
	}
}

// TestDryRunFlagsNationalNumbers: a national SMS number (no country code)
// is what Brevo refuses at write time; the preview names those contacts,
// and --default-country-code makes the list empty.
func TestDryRunFlagsNationalNumbers(t *testing.T) {
	e := fmNewEnv(t, sandbox.BrevoOptions{}, 250)
	ctx := context.Background()
	req := fmRequest("email=EMAIL", "phone=SMS")
	p, err := e.mgr.DryRun(ctx, req, 250)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.NoCountryCode) == 0 {
		t.Fatal("the seeded phones include national numbers; none flagged")
	}
	bySMS := map[string]string{}
	for _, c := range p.Contacts {
		bySMS[c.ExtID] = c.SMS()
	}
	for _, id := range p.NoCountryCode {
		if sms := bySMS[id]; sms == "" || strings.HasPrefix(sms, "+") {
			t.Errorf("contact %s flagged with SMS %q", id, sms)
		}
	}
	req.DefaultCountryCode = "49"
	if p, err = e.mgr.DryRun(ctx, req, 250); err != nil || len(p.NoCountryCode) != 0 {
		t.Fatalf("with --default-country-code 49: %v flagged (%v)", p.NoCountryCode, err)
	}
}
