package e2e

import (
	"context"
	"testing"
	"time"

	"hubspot-brevo-sync/internal/manage"
	"hubspot-brevo-sync/internal/mapping"
	"hubspot-brevo-sync/internal/sandbox"
	"hubspot-brevo-sync/workflows"
)

// TestBulkSyncMatchesHubSpot runs the initial pass in chunks written as
// Brevo imports and compares Brevo with the HubSpot list contact by
// contact, as TestSyncOf2000ContactsMatchesHubSpot does for the page path.
func TestBulkSyncMatchesHubSpot(t *testing.T) {
	defer setBulk(1, 2, 100)()
	s := newStack(t, fastLimits())
	seed := s.sb.HubSpot().Seed(sandbox.SeedOptions{Contacts: 3000, Seed: 5})
	ctx := context.Background()
	spec, err := s.mgr.Create(ctx, manage.CreateRequest{
		Name: "bulk", HubSpotListID: seed.ListID, BrevoListID: 1, Map: demoMap, OptInConfirmed: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	st := s.waitFor(t, "bulk", 3*time.Minute, func(st workflows.Status) bool { return st.State == workflows.StateIdle })

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
	if bs.Endpoints["POST /v3/contacts/import"] == 0 || bs.Endpoints["POST /v3/contacts"] > int64(seed.ListSize)/100 {
		var rejected []string
		for _, o := range st.RecentProblems {
			if o.Reason == "import_rejected" {
				rejected = append(rejected, o.Text)
			}
		}
		t.Fatalf("want the contacts imported: %d imports, %d POST /contacts (hint %d; rejected imports: %q)",
			bs.Endpoints["POST /v3/contacts/import"], bs.Endpoints["POST /v3/contacts"], spec.ListSizeHint, rejected)
	}
	if bs.ContactsCreated != st.ContactsCreated {
		t.Fatalf("Brevo created %d contacts, status says %d", bs.ContactsCreated, st.ContactsCreated)
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
	replay(t, s.temporal, workflows.IntegrationID("bulk"), false)
}

// setBulk makes full passes go in chunks of pages pages from lists of
// minMembers, importing from importMin contacts; the returned func
// restores the defaults.
func setBulk(minMembers, pages, importMin int) func() {
	oldMin, oldPages, oldImport := workflows.BulkMinMembers, workflows.ChunkPages, workflows.ImportMinContacts
	workflows.BulkMinMembers, workflows.ChunkPages, workflows.ImportMinContacts = minMembers, pages, importMin
	return func() {
		workflows.BulkMinMembers, workflows.ChunkPages, workflows.ImportMinContacts = oldMin, oldPages, oldImport
	}
}
