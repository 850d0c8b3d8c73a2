package e2e

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"hubspot-brevo-sync/internal/integration"
	"hubspot-brevo-sync/internal/manage"
	"hubspot-brevo-sync/internal/mapping"
)

// TestIncrementalChangesArriveExactly runs the change-capture scenario with
// HubSpot's search lag switched on: after the initial sync, 20 names
// change, 5 emails change, 2 pairs merge, 10 members join, 5 leave and 2
// are archived. After one poll the Brevo list equals the HubSpot list
// exactly, no contact is duplicated, and Brevo received exactly the writes
// the changes need.
func TestIncrementalChangesArriveExactly(t *testing.T) {
	const lag = time.Second
	opts := fastLimits()
	opts.HubSpot.SearchLag = lag
	s := newStack(t, opts)
	h := s.sb.HubSpot()
	listID := validList(t, s.sb, "cdc", 120)
	ctx := context.Background()
	spec, err := s.mgr.Create(ctx, manage.CreateRequest{Name: "cdc", HubSpotListID: listID, BrevoListID: 1, Map: nameMap, OptInConfirmed: true})
	if err != nil {
		t.Fatal(err)
	}
	s.waitFor(t, "cdc", time.Minute, func(st integration.Status) bool { return st.State == integration.StateIdle })

	members, err := h.ListMembers(listID)
	if err != nil {
		t.Fatal(err)
	}
	at := func(i int) string { return members[i] }
	// Disjoint sets of members for each kind of change.
	for i := range 20 {
		if err := h.UpdateContact(at(i), map[string]string{"firstname": fmt.Sprintf("Renamed %d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	for i := 20; i < 25; i++ {
		if err := h.UpdateContact(at(i), map[string]string{"email": fmt.Sprintf("moved-%d@example.org", i)}); err != nil {
			t.Fatal(err)
		}
	}
	var mergedIDs []string
	for _, pair := range [][2]int{{25, 26}, {27, 28}} {
		id, err := h.MergeContacts(at(pair[0]), at(pair[1]))
		if err != nil {
			t.Fatal(err)
		}
		mergedIDs = append(mergedIDs, id)
	}
	var joiners []string
	for i := range 10 {
		id, err := h.CreateContact(map[string]string{"email": fmt.Sprintf("joiner-%d@example.com", i), "firstname": "Joy", "lastname": fmt.Sprint(i)})
		if err != nil {
			t.Fatal(err)
		}
		joiners = append(joiners, id)
	}
	if err := h.AddToList(listID, joiners...); err != nil {
		t.Fatal(err)
	}
	if err := h.RemoveFromList(listID, at(30), at(31), at(32), at(33), at(34)); err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{35, 36} {
		if err := h.ArchiveContact(at(i)); err != nil {
			t.Fatal(err)
		}
	}

	writes := s.sb.Brevo().Stats().ContactWrites
	time.Sleep(lag + 200*time.Millisecond) // the changes are searchable now
	if err := s.mgr.Signal(ctx, "cdc", integration.SignalSyncNow); err != nil {
		t.Fatal(err)
	}
	st := s.waitFor(t, "cdc", time.Minute, func(st integration.Status) bool {
		return st.State == integration.StateIdle && st.Cursor.Pass == 3
	})

	// Exactly the writes the changes need: 20 renames, 5 email changes,
	// 2 merges (re-key + new values each), 10 joiners.
	if got, want := s.sb.Brevo().Stats().ContactWrites-writes, int64(20+5+2*2+10); got != want {
		t.Errorf("Brevo received %d contact writes for the changes, want %d", got, want)
	}
	// Removed, archived, and the secondary of each merge (the primary's
	// Brevo contact was re-keyed to the merged record).
	if st.ContactsLeft != 5+2+2 {
		t.Errorf("left %d, want 9", st.ContactsLeft)
	}

	// The Brevo list equals the HubSpot list, value by value.
	now, err := h.ListMembers(listID)
	if err != nil {
		t.Fatal(err)
	}
	inList := map[string]bool{}
	for _, c := range s.sb.Brevo().ListMembers(1) {
		inList[c.ExtID] = true
	}
	if len(inList) != len(now) {
		t.Errorf("Brevo list has %d contacts, HubSpot list %d", len(inList), len(now))
	}
	for _, id := range now {
		hc, _ := h.Contact(id)
		want, skip := mapping.Map(spec.Mapping, mapping.Record{ID: id, Properties: hc.Properties})
		if skip != nil {
			t.Fatalf("contact %s skipped: %v", id, skip)
		}
		got, ok := s.sb.Brevo().ContactByExtID(id)
		switch {
		case !ok:
			t.Errorf("member %s missing in Brevo", id)
		case !inList[id]:
			t.Errorf("member %s not in the Brevo list", id)
		case got.Email != want.Email || got.Attributes["FIRSTNAME"] != want.Attributes["FIRSTNAME"] || got.Attributes["LASTNAME"] != want.Attributes["LASTNAME"]:
			t.Errorf("member %s: Brevo has %s %v %v, HubSpot %s %v %v", id, got.Email, got.Attributes["FIRSTNAME"], got.Attributes["LASTNAME"],
				want.Email, want.Attributes["FIRSTNAME"], want.Attributes["LASTNAME"])
		}
	}
	for _, id := range mergedIDs {
		if !slices.Contains(now, id) {
			t.Errorf("merged record %s not a list member", id)
		}
	}
	// No duplicates: one Brevo contact per email, and every contact ever
	// synced is still there (never deleted), unlinked when it left.
	emails := map[string]int{}
	for _, c := range s.sb.Brevo().Contacts() {
		emails[c.Email]++
	}
	for e, n := range emails {
		if n > 1 {
			t.Errorf("%d Brevo contacts share %s", n, e)
		}
	}
	if got, want := len(s.sb.Brevo().Contacts()), 120+10; got != want {
		t.Errorf("Brevo holds %d contacts, want %d (never deleted, merges re-keyed, joiners added)", got, want)
	}
	for _, i := range []int{26, 28, 30, 31, 32, 33, 34, 35, 36} {
		if inList[at(i)] {
			t.Errorf("contact %s left HubSpot's list but is still in Brevo's", at(i))
		}
		if _, ok := s.sb.Brevo().ContactByExtID(at(i)); !ok {
			t.Errorf("contact %s was deleted from Brevo; it should only be unlinked", at(i))
		}
	}

	// A quiet poll writes nothing.
	writes = s.sb.Brevo().Stats().ContactWrites
	if err := s.mgr.Signal(ctx, "cdc", integration.SignalSyncNow); err != nil {
		t.Fatal(err)
	}
	s.waitFor(t, "cdc", time.Minute, func(st integration.Status) bool { return st.State == integration.StateIdle && st.Cursor.Pass == 4 })
	if got := s.sb.Brevo().Stats().ContactWrites - writes; got != 0 {
		t.Errorf("a poll without changes wrote %d contacts", got)
	}
	replay(t, s.temporal, integration.ID("cdc"), false)
}
