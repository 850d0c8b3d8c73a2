package e2e

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"hubspot-brevo-sync/activities"
	"hubspot-brevo-sync/internal/integration"
	"hubspot-brevo-sync/internal/manage"
	"hubspot-brevo-sync/internal/sandbox"
)

// syncNow asks for a poll and waits until it ended (the pass after the
// current one is idle).
func (s *stack) syncNow(t *testing.T, name string, pass int) integration.Status {
	t.Helper()
	if err := s.mgr.Signal(context.Background(), name, integration.SignalSyncNow); err != nil {
		t.Fatal(err)
	}
	return s.waitFor(t, name, time.Minute, func(st integration.Status) bool {
		return st.State == integration.StateIdle && st.Cursor.Pass == pass
	})
}

// TestOnDeleteDeletesOnlyLinkedContacts: with --on-delete delete, a contact
// archived and one GDPR-deleted in HubSpot are deleted in Brevo within one
// poll; the record merged away keeps its Brevo contact (unlinked) and the
// merged record keeps the re-keyed one; a hand-made Brevo contact in the
// list and a contact the sync never wrote are untouched. Then a mass
// deletion trips the guard, deleting nothing, until resume --allow-leaves.
func TestOnDeleteDeletesOnlyLinkedContacts(t *testing.T) {
	s := newStack(t, fastLimits())
	h, b := s.sb.HubSpot(), s.sb.Brevo()
	listID := validList(t, s.sb, "del", 60)
	unwritten, err := h.CreateContact(map[string]string{"firstname": "No email"}) // skipped: nothing to identify it in Brevo
	if err != nil {
		t.Fatal(err)
	}
	if err := h.AddToList(listID, unwritten); err != nil {
		t.Fatal(err)
	}
	handMade, err := b.AddContact(sandbox.BrevoContact{Email: "by-hand@example.com", ListIDs: []int64{1}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := s.mgr.Create(ctx, manage.CreateRequest{Name: "del", HubSpotListID: listID, BrevoListID: 1, Map: nameMap,
		OptInConfirmed: true, OnDelete: integration.OnDeleteDelete}); err != nil {
		t.Fatal(err)
	}
	s.waitFor(t, "del", time.Minute, func(st integration.Status) bool { return st.State == integration.StateIdle })
	members, err := h.ListMembers(listID)
	if err != nil {
		t.Fatal(err)
	}
	var at []string
	for _, id := range members {
		if id != unwritten {
			at = append(at, id)
		}
	}
	if err := h.ArchiveContact(at[0]); err != nil {
		t.Fatal(err)
	}
	if err := h.GDPRDeleteContact(at[1]); err != nil {
		t.Fatal(err)
	}
	survivor, err := h.MergeContacts(at[2], at[3])
	if err != nil {
		t.Fatal(err)
	}
	if err := h.ArchiveContact(unwritten); err != nil {
		t.Fatal(err)
	}

	st := s.syncNow(t, "del", 3)
	if st.DeletedInHubSpot != 2 {
		t.Errorf("status counts %d deleted in HubSpot, want 2", st.DeletedInHubSpot)
	}
	for _, id := range at[:2] {
		if _, ok := b.ContactByExtID(id); ok {
			t.Errorf("contact %s deleted in HubSpot is still in Brevo", id)
		}
	}
	if c, ok := b.ContactByExtID(survivor); !ok || !slices.Contains(c.ListIDs, 1) {
		t.Errorf("the merged record %s lost its Brevo contact (found %v)", survivor, ok)
	}
	if c, ok := b.ContactByExtID(at[3]); !ok || slices.Contains(c.ListIDs, 1) {
		t.Errorf("the record merged away %s: in Brevo %v, want kept and unlinked", at[3], ok)
	}
	if c, ok := b.ContactByID(handMade); !ok || !slices.Contains(c.ListIDs, 1) {
		t.Error("the hand-made Brevo contact was touched")
	}
	outcomes, err := s.store.FindOutcome(ctx, "del", at[0])
	if err != nil || len(outcomes) == 0 || outcomes[0].Reason != activities.ReasonDeletedInHubSpot {
		t.Errorf("outcome of %s: %+v (%v), want reason %s", at[0], outcomes, err, activities.ReasonDeletedInHubSpot)
	}

	// A mass deletion: 20 of the 57 members at once.
	contacts := len(b.Contacts())
	mass := at[4:24]
	for _, id := range mass {
		if err := h.ArchiveContact(id); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.mgr.Signal(ctx, "del", integration.SignalSyncNow); err != nil {
		t.Fatal(err)
	}
	failed := s.waitFor(t, "del", time.Minute, func(st integration.Status) bool { return st.State == integration.StateFailed })
	if !strings.Contains(failed.LastError, "unlink guard") {
		t.Errorf("failed with %q, want the unlink guard", failed.LastError)
	}
	if n := len(b.Contacts()); n != contacts {
		t.Errorf("the guard let %d contacts be deleted", contacts-n)
	}
	if _, err := s.mgr.Control(ctx, "del", integration.UpdateResume, integration.ResumeRequest{AllowLeaves: true}); err != nil {
		t.Fatal(err)
	}
	st = s.waitFor(t, "del", time.Minute, func(st integration.Status) bool {
		return st.State == integration.StateIdle && st.DeletedInHubSpot == 22
	})
	for _, id := range mass {
		if _, ok := b.ContactByExtID(id); ok {
			t.Errorf("contact %s still in Brevo after resume --allow-leaves", id)
		}
	}
	if n := len(b.Contacts()); n != contacts-len(mass) {
		t.Errorf("Brevo holds %d contacts, want %d", n, contacts-len(mass))
	}
	replayAs(t, s.temporal, integration.ID("del"), "on_delete_history.json")
}

// TestBrevoUnsubscribeReachesHubSpotWithinOnePoll: a person unsubscribes in
// Brevo; after the next poll the HubSpot contact carries
// brevo_email_blacklisted and its date and is unsubscribed from the
// subscription type. The sync's own blocklisting (MarkBlocklisted, as
// --sync-opt-outs records it) is not echoed back, and nobody is reported
// twice.
func TestBrevoUnsubscribeReachesHubSpotWithinOnePoll(t *testing.T) {
	s := newStack(t, fastLimits())
	h, b := s.sb.HubSpot(), s.sb.Brevo()
	listID := validList(t, s.sb, "unsub", 80) // more than ImportMin: written by a Brevo import
	ctx := context.Background()
	if _, err := s.mgr.Create(ctx, manage.CreateRequest{Name: "unsub", HubSpotListID: listID, BrevoListID: 1, Map: nameMap,
		OptInConfirmed: true, ReportUnsubscribes: true, HubSpotSubscriptionID: "1234"}); err != nil {
		t.Fatal(err)
	}
	s.waitFor(t, "unsub", time.Minute, func(st integration.Status) bool { return st.State == integration.StateIdle })
	members, err := h.ListMembers(listID)
	if err != nil {
		t.Fatal(err)
	}
	email := func(id string) string {
		c, _ := h.Contact(id)
		return c.Properties["email"]
	}
	person, own := members[0], members[1]
	if err := s.store.MarkBlocklisted(ctx, "unsub", []string{own}, time.Now()); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{person, own} {
		if !b.Unsubscribe(email(id)) {
			t.Fatalf("no Brevo contact for %s", id)
		}
	}

	st := s.syncNow(t, "unsub", 3)
	if st.UnsubscribesReported != 1 {
		t.Errorf("status counts %d unsubscribes reported, want 1", st.UnsubscribesReported)
	}
	c, _ := h.Contact(person)
	if c.Properties[activities.PropBrevoBlacklisted] != "true" || c.Properties[activities.PropBrevoBlacklistedAt] == "" {
		t.Errorf("HubSpot contact %s has %s=%q %s=%q", person, activities.PropBrevoBlacklisted, c.Properties[activities.PropBrevoBlacklisted],
			activities.PropBrevoBlacklistedAt, c.Properties[activities.PropBrevoBlacklistedAt])
	}
	if got := h.Unsubscribed(email(person)); len(got) != 1 || got[0] != "1234" {
		t.Errorf("%s unsubscribed from %v, want [1234]", email(person), got)
	}
	c, _ = h.Contact(own)
	if c.Properties[activities.PropBrevoBlacklisted] != "" || len(h.Unsubscribed(email(own))) != 0 {
		t.Errorf("the sync's own blocklisting of %s was echoed back to HubSpot", own)
	}

	updates := h.Stats().ByFamily["contacts.batchUpdate"]
	st = s.syncNow(t, "unsub", 4)
	if st.UnsubscribesReported != 1 || h.Stats().ByFamily["contacts.batchUpdate"] != updates {
		t.Errorf("a quiet poll reported again: %d reported, %d more batch updates", st.UnsubscribesReported, h.Stats().ByFamily["contacts.batchUpdate"]-updates)
	}
	replayAs(t, s.temporal, integration.ID("unsub"), "consent_history.json")
}
