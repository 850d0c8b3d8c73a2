package e2e

import (
	"context"
	"strings"

	"testing"
	"time"

	"hubspot-brevo-sync/internal/integration"
	"hubspot-brevo-sync/internal/manage"
	"hubspot-brevo-sync/internal/mapping"
	"hubspot-brevo-sync/internal/store"
)

// setProps sets HubSpot properties on contacts.
func setProps(t *testing.T, s *stack, props map[string]string, ids ...string) {
	t.Helper()
	for _, id := range ids {
		if err := s.sb.HubSpot().UpdateContact(id, props); err != nil {
			t.Fatal(err)
		}
	}
}

// pollOnce asks for a pass now and waits until it has ended.
func pollOnce(t *testing.T, s *stack, name string, before integration.Status) integration.Status {
	t.Helper()
	time.Sleep(10 * time.Millisecond) // the changes are modified after the last window
	if err := s.mgr.Signal(context.Background(), name, integration.SignalSyncNow); err != nil {
		t.Fatal(err)
	}
	return s.waitFor(t, name, time.Minute, func(st integration.Status) bool {
		return st.State == integration.StateIdle && st.Cursor.Pass > before.Cursor.Pass
	})
}

// blocklisted reports, per HubSpot id, whether Brevo blocklists its
// contact; a missing contact fails the test.
func blocklisted(t *testing.T, s *stack, ids []string) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	for _, id := range ids {
		c, ok := s.sb.Brevo().ContactByExtID(id)
		if !ok {
			t.Fatalf("contact %s missing in Brevo", id)
		}
		out[id] = c.EmailBlacklisted
	}
	return out
}

// TestOptOutsBlocklistAndNeverUnblocklist: with --sync-opt-outs, HubSpot
// opt-outs become Brevo blocklistings on creation (imported list of 120,
// the opted-out created one by one) and on a later change (60 at once:
// one import whose read-back sets the flag); an opted-out contact whose
// email changes stays blocklisted; lifting opt-outs sends nothing. The
// store stamps every blocklisting, status and report show the option.
func TestOptOutsBlocklistAndNeverUnblocklist(t *testing.T) {
	s := newStack(t, fastLimits())
	listID := validList(t, s.sb, "optout", 120)
	ids, err := s.sb.HubSpot().ListMembers(listID)
	if err != nil {
		t.Fatal(err)
	}
	optOut := map[string]string{mapping.PropEmailOptOut: "true"}
	setProps(t, s, optOut, ids[:10]...)
	ctx := context.Background()
	if _, err := s.mgr.Create(ctx, manage.CreateRequest{Name: "optout", HubSpotListID: listID, BrevoListID: 1,
		Map: nameMap, OptInConfirmed: true, SyncOptOuts: true}); err != nil {
		t.Fatal(err)
	}
	st := s.waitFor(t, "optout", time.Minute, func(st integration.Status) bool { return st.State == integration.StateIdle })
	if st.ContactsSynced != 120 || st.Spec == nil || !st.Spec.Mapping.Consent.SyncOptOuts {
		t.Fatalf("synced %d (want 120), spec %+v", st.ContactsSynced, st.Spec)
	}
	if s.sb.Brevo().Stats().Endpoints["POST /v3/contacts/import"] == 0 {
		t.Fatal("the first pass should import the list")
	}
	// The Web UI's details name the option.
	desc, err := s.temporal.DescribeWorkflowExecution(ctx, integration.ID("optout"), "")
	if err != nil {
		t.Fatal(err)
	}
	if details := string(desc.GetExecutionConfig().GetUserMetadata().GetDetails().GetData()); !strings.Contains(details, "sync opt-outs") {
		t.Errorf("the workflow's details do not show the option:\n%s", details)
	}
	got := blocklisted(t, s, ids)
	for i, id := range ids {
		if got[id] != (i < 10) {
			t.Errorf("member %d (%s): blocklisted %v, want %v", i, id, got[id], i < 10)
		}
	}

	// 60 opt out at once; 5 of the first lift their opt-out; one of the
	// first moves to a new email.
	setProps(t, s, optOut, ids[20:80]...)
	setProps(t, s, map[string]string{mapping.PropEmailOptOut: "false"}, ids[:5]...)
	setProps(t, s, map[string]string{"email": "moved-optout@example.com"}, ids[7])
	batches := s.sb.Brevo().Stats().Endpoints["POST /v3/contacts/batch"]
	st = pollOnce(t, s, "optout", st)
	if s.sb.Brevo().Stats().Endpoints["POST /v3/contacts/batch"] == batches {
		t.Error("the later opt-outs should be imported and blocklisted in batches after the read-back")
	}
	got = blocklisted(t, s, ids)
	for i, id := range ids {
		want := i < 10 || i >= 20 && i < 80
		if got[id] != want {
			t.Errorf("after the poll, member %d (%s): blocklisted %v, want %v", i, id, got[id], want)
		}
	}
	if moved, _ := s.sb.Brevo().ContactByExtID(ids[7]); moved.Email != "moved-optout@example.com" || !moved.EmailBlacklisted {
		t.Errorf("the opted-out contact with a new email: %s blocklisted %v", moved.Email, moved.EmailBlacklisted)
	}
	if n := len(s.sb.Brevo().Contacts()); n != 120 {
		t.Errorf("Brevo holds %d contacts, want 120", n)
	}

	// One more opts out: a batch too small for an import, one by one.
	setProps(t, s, optOut, ids[100])
	upserts := s.sb.Brevo().Stats().Endpoints["POST /v3/contacts"]
	imports := s.sb.Brevo().Stats().Endpoints["POST /v3/contacts/import"]
	pollOnce(t, s, "optout", st)
	if s.sb.Brevo().Stats().Endpoints["POST /v3/contacts"] == upserts || s.sb.Brevo().Stats().Endpoints["POST /v3/contacts/import"] != imports {
		t.Error("a single opt-out should be written one by one")
	}
	if !blocklisted(t, s, ids[100:101])[ids[100]] {
		t.Error("the opt-out written one by one did not blocklist")
	}
	blocked := func(i int) bool { return i < 10 || i >= 20 && i < 80 || i == 100 }

	// The store stamps exactly the contacts the sync blocklisted.
	stamps, err := s.store.Consents(ctx, "optout", ids)
	if err != nil {
		t.Fatal(err)
	}
	for i, id := range ids {
		if want := blocked(i); stamps[id].BlocklistedAt.IsZero() == want {
			t.Errorf("member %d: blocklisted_at %v, want stamped %v", i, stamps[id].BlocklistedAt, want)
		}
	}

	r, err := s.mgr.Report(ctx, "optout")
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Consent) != 1 || r.ByReason[mapping.ReasonBlocklisted] == 0 {
		t.Errorf("report: consent %v, by reason %v", r.Consent, r.ByReason)
	}
	replay(t, s.temporal, integration.ID("optout"), false)
}

// TestNonMarketingContactsAreSkippedAndUnlinked: with
// --only-marketing-contacts, non-marketing contacts are never written;
// written ones that stop being marketing contacts leave the Brevo list
// (kept in Brevo, marked unlinked in the store) and come back when they
// are marketing contacts again.
func TestNonMarketingContactsAreSkippedAndUnlinked(t *testing.T) {
	s := newStack(t, fastLimits())
	listID := validList(t, s.sb, "marketing", 60)
	ids, err := s.sb.HubSpot().ListMembers(listID)
	if err != nil {
		t.Fatal(err)
	}
	notMarketing := map[string]string{mapping.PropMarketableStatus: "false"}
	setProps(t, s, map[string]string{mapping.PropMarketableStatus: "true"}, ids[5:]...)
	setProps(t, s, notMarketing, ids[:5]...)
	ctx := context.Background()
	if _, err := s.mgr.Create(ctx, manage.CreateRequest{Name: "mkt", HubSpotListID: listID, BrevoListID: 1,
		Map: nameMap, OptInConfirmed: true, OnlyMarketingContacts: true}); err != nil {
		t.Fatal(err)
	}
	st := s.waitFor(t, "mkt", time.Minute, func(st integration.Status) bool { return st.State == integration.StateIdle })
	if st.ContactsSynced != 55 || st.SkippedByReason[mapping.ReasonNotMarketingContact] != 5 {
		t.Fatalf("synced %d (want 55), skipped %v", st.ContactsSynced, st.SkippedByReason)
	}
	for _, id := range ids[:5] {
		if _, ok := s.sb.Brevo().ContactByExtID(id); ok {
			t.Errorf("non-marketing contact %s was written", id)
		}
	}

	setProps(t, s, notMarketing, ids[10:13]...)
	st = pollOnce(t, s, "mkt", st)
	inList := map[string]bool{}
	for _, c := range s.sb.Brevo().ListMembers(1) {
		inList[c.ExtID] = true
	}
	recs, err := s.store.Records(ctx, "mkt", ids[10:13])
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids[10:13] {
		if _, ok := s.sb.Brevo().ContactByExtID(id); !ok {
			t.Errorf("contact %s was deleted from Brevo; it should only be unlinked", id)
		}
		if inList[id] {
			t.Errorf("contact %s is no marketing contact any more but still in the Brevo list", id)
		}
		if recs[id].Hash != store.HashUnlinked {
			t.Errorf("contact %s: store hash %q, want unlinked", id, recs[id].Hash)
		}
		outcomes, err := s.store.FindOutcome(ctx, "mkt", id)
		if err != nil || len(outcomes) != 1 || outcomes[0].Reason != mapping.ReasonNotMarketingContact {
			t.Errorf("contact %s: outcome %+v (%v)", id, outcomes, err)
		}
	}
	if len(inList) != 52 {
		t.Errorf("Brevo list holds %d contacts, want 52", len(inList))
	}
	if st.Unlinked != 3 {
		t.Errorf("status counts %d unlinked, want 3", st.Unlinked)
	}

	setProps(t, s, map[string]string{mapping.PropMarketableStatus: "true"}, ids[10])
	pollOnce(t, s, "mkt", st)
	if c, ok := s.sb.Brevo().ContactByExtID(ids[10]); !ok || !containsList(c.ListIDs, 1) {
		t.Errorf("contact %s is a marketing contact again but not back in the list", ids[10])
	}
	replay(t, s.temporal, integration.ID("mkt"), false)
}

func containsList(ids []int64, id int64) bool {
	for _, l := range ids {
		if l == id {
			return true
		}
	}
	return false
}
