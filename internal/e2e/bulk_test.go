package e2e

import (
	"context"
	"os"
	"regexp"
	"testing"
	"time"

	"hubspot-brevo-sync/internal/integration"
	"hubspot-brevo-sync/internal/manage"
	"hubspot-brevo-sync/internal/mapping"
	"hubspot-brevo-sync/internal/sandbox"
)

// TestBulkSyncMatchesHubSpot runs the initial pass through Brevo imports
// under every variant of Brevo's undocumented import behaviour, with two
// hand-made Brevo contacts in the way: one holds a member's SMS, one a
// member's email without an ext_id. Brevo must end up matching the HubSpot
// list contact by contact, with ext_id = HubSpot id, and both hand-made
// contacts must still exist (an import never merged or deleted them).
func TestBulkSyncMatchesHubSpot(t *testing.T) {
	if os.Getenv("SYNC_TEST_BREVO_VARIANT") != "" {
		t.Skip("runs under every Brevo variant by itself")
	}
	for _, v := range sandbox.BrevoVariants() {
		t.Run(v.Name, func(t *testing.T) {
			t.Setenv("SYNC_TEST_BREVO_VARIANT", "")
			opts := fastLimits()
			opts.Brevo = v.Apply(opts.Brevo)
			opts.Brevo.ImportDelay = 300 * time.Millisecond
			bulkSync(t, opts)
		})
	}
}

func bulkSync(t *testing.T, opts sandbox.Options) {
	s := newStack(t, opts)
	s.mgr.Tuning = &integration.Tuning{PagesPerBatch: 2, ImportMin: 50, ImportTimeout: 20 * time.Second}
	seed := s.sb.HubSpot().Seed(sandbox.SeedOptions{Contacts: 3000, Seed: 5})
	handSMS, handEmail := handMade(t, s, seed)
	ctx := context.Background()
	spec, err := s.mgr.Create(ctx, manage.CreateRequest{
		Name: "bulk", HubSpotListID: seed.ListID, BrevoListID: 1, Map: demoMap, OptInConfirmed: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	st := s.waitFor(t, "bulk", 3*time.Minute, func(st integration.Status) bool { return st.State == integration.StateIdle })
	for _, h := range []sandbox.BrevoContact{handSMS, handEmail} {
		if _, ok := s.sb.Brevo().ContactByEmail(h.Email); !ok {
			t.Errorf("hand-made Brevo contact %d (%s) is gone", h.ID, h.Email)
		}
	}
	if c, ok := s.sb.Brevo().ContactByEmail(handSMS.Email); ok && (c.ID != handSMS.ID || c.ExtID != "") {
		t.Errorf("hand-made contact holding an SMS became %+v", c)
	}

	members := map[int64]bool{}
	for _, c := range s.sb.Brevo().ListMembers(1) {
		members[c.ID] = true
	}
	var synced, skipped, failed int64
	for _, id := range seed.ContactIDs {
		hc, _ := s.sb.HubSpot().Contact(id)
		want, skip := mapping.Map(spec.Mapping, mapping.Record{ID: id, Properties: hc.Properties})
		got, inBrevo := s.sb.Brevo().ContactByExtID(id)
		switch {
		case skip != nil:
			skipped++
			if inBrevo {
				t.Errorf("contact %s should be skipped (%s) but is in Brevo", id, skip.Reason)
			}
			continue
		case !inBrevo:
			// Without email, a number Brevo refuses or another contact
			// holds leaves nothing to write.
			if want.Email == "" {
				failed++
				continue
			}
			t.Errorf("contact %s (%s, SMS %s) missing in Brevo", id, want.Email, want.SMS())
			continue
		}
		synced++
		if got.Email != want.Email {
			t.Errorf("contact %s: Brevo email %q, want %q", id, got.Email, want.Email)
		}
		for _, attr := range []string{"FIRSTNAME", "LASTNAME"} {
			if got.Attributes[attr] != want.Attributes[attr] && !(got.Attributes[attr] == nil && want.Attributes[attr] == nil) {
				t.Errorf("contact %s: %s = %v, want %v", id, attr, got.Attributes[attr], want.Attributes[attr])
			}
		}
		if wantSMS := digits(want.SMS()); digits(got.SMS) != wantSMS && (got.SMS != "" || wantSMS == "") {
			t.Errorf("contact %s: SMS %q, want %q", id, got.SMS, want.SMS())
		}
		if !members[got.ID] {
			t.Errorf("contact %s is not in Brevo list 1", id)
		}
	}
	if synced+skipped+failed != int64(seed.ListSize) {
		t.Fatalf("synced %d + skipped %d + failed %d != list size %d", synced, skipped, failed, seed.ListSize)
	}
	if st.ContactsSynced != synced || st.ContactsSkipped != skipped || st.ContactsFailed != failed || st.TasksThisMonth != synced {
		t.Fatalf("status synced=%d skipped=%d failed=%d tasks=%d, Brevo has synced=%d skipped=%d failed=%d",
			st.ContactsSynced, st.ContactsSkipped, st.ContactsFailed, st.TasksThisMonth, synced, skipped, failed)
	}
	bs := s.sb.Brevo().Stats()
	if bs.Endpoints["POST /v3/contacts/import"] == 0 {
		t.Fatalf("want the contacts imported: %d imports, %d POST /contacts", bs.Endpoints["POST /v3/contacts/import"], bs.Endpoints["POST /v3/contacts"])
	}
	if got := bs.ContactsCreated - 2; got != st.ContactsCreated { // less the two made by hand
		t.Fatalf("Brevo created %d contacts for the sync, status says %d", got, st.ContactsCreated)
	}
	if c, _ := s.sb.Brevo().ContactByEmail(handEmail.Email); c.ID != handEmail.ID || c.ExtID == "" {
		t.Fatalf("the hand-made contact with a member's email was not adopted (same contact, now with ext_id): %+v", c)
	}
	if st.PendingImports != 0 {
		t.Fatalf("%d contacts still pending at idle", st.PendingImports)
	}
	// The store knows them as written: nothing changes on a second full
	// pass.
	r, err := s.store.Records(ctx, "bulk", seed.ContactIDs)
	if err != nil {
		t.Fatal(err)
	}
	hashed := 0
	for _, rec := range r {
		if rec.Hash != "" {
			hashed++
		}
	}
	if int64(hashed) != synced {
		t.Fatalf("%d contacts have a stored hash, want %d", hashed, synced)
	}
	replay(t, s.temporal, integration.ID("bulk"), false)
}

var plainPhone = regexp.MustCompile(`^\+[1-9][0-9]{7,14}$`)

// handMade puts two contacts into Brevo by hand: one with the SMS of a
// list member, one with the email of another member and no ext_id.
func handMade(t *testing.T, s *stack, seed sandbox.SeedResult) (withSMS, withEmail sandbox.BrevoContact) {
	t.Helper()
	for _, id := range seed.ContactIDs {
		hc, _ := s.sb.HubSpot().Contact(id)
		email, phone := hc.Properties["email"], hc.Properties["phone"]
		switch {
		case withSMS.ID == 0 && plainPhone.MatchString(phone) && email != "":
			withSMS = sandbox.BrevoContact{Email: "hand-made-sms@example.org", SMS: phone}
			var err error
			if withSMS.ID, err = s.sb.Brevo().AddContact(withSMS); err != nil {
				t.Fatal(err)
			}
		case withEmail.ID == 0 && email != "" && phone == "":
			withEmail = sandbox.BrevoContact{Email: email}
			var err error
			if withEmail.ID, err = s.sb.Brevo().AddContact(withEmail); err != nil {
				t.Fatal(err)
			}
		}
	}
	if withSMS.ID == 0 || withEmail.ID == 0 {
		t.Fatal("the seed has no member to share an SMS or an email with")
	}
	return withSMS, withEmail
}
