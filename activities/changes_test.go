package activities_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"hubspot-brevo-sync/activities"
	"hubspot-brevo-sync/internal/brevo"
	"hubspot-brevo-sync/internal/mapping"
	"hubspot-brevo-sync/internal/sandbox"
)

// TestEmailChangeUpdatesTheSameBrevoContact: keyed by ext_id, an email
// change never creates a second contact, and a blacklisted contact stays
// blacklisted (Brevo un-blacklists on email change unless told).
func TestEmailChangeUpdatesTheSameBrevoContact(t *testing.T) {
	f := newFixture(t, fixtureConfig{})
	write := func(email string) activities.UpsertResult {
		res, err := f.upsert(t, activities.UpsertInput{Integration: "t", BrevoListID: 1, Contacts: []mapping.Contact{
			contact("201", email, map[string]any{"FIRSTNAME": "Dana"}),
		}})
		require.NoError(t, err)
		return res
	}
	write("dana@old.example")
	before, _ := f.sb.Brevo().ContactByExtID("201")
	_, err := f.sb.Brevo().AddContact(sandbox.BrevoContact{Email: "someone@else.example"})
	require.NoError(t, err)
	// Dana unsubscribed in Brevo meanwhile.
	f.blacklist(t, before.ID)

	res := write("dana@new.example")
	assert.Equal(t, 1, res.Updated)
	after, ok := f.sb.Brevo().ContactByExtID("201")
	require.True(t, ok)
	assert.Equal(t, before.ID, after.ID, "the same Brevo contact")
	assert.Equal(t, "dana@new.example", after.Email)
	assert.True(t, after.EmailBlacklisted, "a blacklisted contact stays blacklisted")
	_, stillOld := f.sb.Brevo().ContactByEmail("dana@old.example")
	assert.False(t, stillOld)
	assert.Len(t, f.sb.Brevo().Contacts(), 2, "no duplicate")
}

// blacklist marks a Brevo contact as unsubscribed, as a campaign
// unsubscribe link would.
func (f *fixture) blacklist(t *testing.T, id int64) {
	t.Helper()
	c, ok := f.contactByID(id)
	require.True(t, ok)
	require.NoError(t, f.acts.Brevo.UpdateContact(t.Context(), c.ExtID, brevo.IdentifierExtID,
		brevo.ContactUpdate{EmailBlacklisted: brevo.Bool(true)}))
}

// timeFarAhead ends a search window after everything the sandbox holds.
var timeFarAhead = time.Now().Add(24 * time.Hour)

func (f *fixture) contactByID(id int64) (sandbox.BrevoContact, bool) {
	for _, c := range f.sb.Brevo().Contacts() {
		if c.ID == id {
			return c, true
		}
	}
	return sandbox.BrevoContact{}, false
}

// TestMergeRekeysTheBrevoContact: HubSpot gives a merged record a new id;
// the Brevo contact of the old id takes it instead of a second contact
// being created.
func TestMergeRekeysTheBrevoContact(t *testing.T) {
	f := newFixture(t, fixtureConfig{})
	_, err := f.upsert(t, activities.UpsertInput{Integration: "t", BrevoListID: 1, Contacts: []mapping.Contact{
		contact("301", "eve@example.com", map[string]any{"FIRSTNAME": "Eve"}),
	}})
	require.NoError(t, err)
	old, _ := f.sb.Brevo().ContactByExtID("301")

	merged := contact("399", "eve@example.com", map[string]any{"FIRSTNAME": "Eve M."})
	merged.MergedFrom = []string{"301", "302"}
	res, err := f.upsert(t, activities.UpsertInput{Integration: "t", BrevoListID: 1, Contacts: []mapping.Contact{merged}})
	require.NoError(t, err)
	assert.Equal(t, 0, res.Created, "a merge creates nothing")
	now, ok := f.sb.Brevo().ContactByExtID("399")
	require.True(t, ok)
	assert.Equal(t, old.ID, now.ID, "the same Brevo contact, re-keyed")
	assert.Equal(t, "Eve M.", now.Attributes["FIRSTNAME"])
	_, stillOld := f.sb.Brevo().ContactByExtID("301")
	assert.False(t, stillOld)
	assert.Len(t, f.sb.Brevo().Contacts(), 1)
}

// TestExistingBrevoContactIsAdopted: a contact added to Brevo by hand
// (same email, no ext_id) gets the HubSpot id instead of a twin.
func TestExistingBrevoContactIsAdopted(t *testing.T) {
	f := newFixture(t, fixtureConfig{})
	id, err := f.sb.Brevo().AddContact(sandbox.BrevoContact{Email: "fay@example.com"})
	require.NoError(t, err)
	res, err := f.upsert(t, activities.UpsertInput{Integration: "t", BrevoListID: 1, Contacts: []mapping.Contact{
		contact("401", "fay@example.com", map[string]any{"FIRSTNAME": "Fay"}),
	}})
	require.NoError(t, err)
	assert.Equal(t, 1, res.Updated)
	c, ok := f.sb.Brevo().ContactByExtID("401")
	require.True(t, ok)
	assert.Equal(t, id, c.ID)
	assert.Len(t, f.sb.Brevo().Contacts(), 1)
}

// TestScanFindsJoinersAndLeaversAndTheGuardHolds: a second scan reports
// the joiners; finishing it unlinks the leavers from the Brevo list; a scan
// that misses most members (a truncated read) trips the unlink guard.
func TestScanFindsJoinersAndLeaversAndTheGuardHolds(t *testing.T) {
	f := newFixture(t, fixtureConfig{})
	h := f.sb.HubSpot()
	seed := h.Seed(sandbox.SeedOptions{Contacts: 40, Seed: 3})
	scan := func(n int64) activities.ScanResult {
		v, err := f.env.ExecuteActivity(f.acts.ScanMembers, activities.ScanInput{Integration: "t", HubSpotListID: seed.ListID, Scan: n, Pages: 5})
		require.NoError(t, err)
		var res activities.ScanResult
		require.NoError(t, v.Get(&res))
		return res
	}
	first := scan(1)
	assert.Len(t, first.Joined, 40, "everyone joins on the first scan")
	assert.True(t, first.Last)
	// Write the members to Brevo so they can be unlinked later.
	var cs []mapping.Contact
	for _, id := range seed.ContactIDs {
		cs = append(cs, contact(id, "m"+id+"@example.com", nil))
	}
	_, err := f.upsert(t, activities.UpsertInput{Integration: "t", BrevoListID: 1, Contacts: cs})
	require.NoError(t, err)

	newID, err := h.CreateContact(map[string]string{"email": "new@example.com"})
	require.NoError(t, err)
	require.NoError(t, h.AddToList(seed.ListID, newID))
	leaving := seed.ContactIDs[:3]
	require.NoError(t, h.RemoveFromList(seed.ListID, leaving...))
	second := scan(2)
	assert.Equal(t, []string{newID}, second.Joined)

	finish := func(scan int64, allow bool) (activities.FinishScanResult, error) {
		v, err := f.env.ExecuteActivity(f.acts.FinishScan, activities.FinishScanInput{
			Integration: "t", BrevoListID: 1, Scan: scan, OnLeave: activities.OnLeaveUnlink, GuardPercent: 20, AllowLeaves: allow,
		})
		if err != nil {
			return activities.FinishScanResult{}, err
		}
		var res activities.FinishScanResult
		require.NoError(t, v.Get(&res))
		return res, nil
	}
	res, err := finish(2, false)
	require.NoError(t, err)
	assert.Equal(t, 3, res.Left)
	assert.Equal(t, 3, res.Unlinked)
	for _, id := range leaving {
		c, ok := f.sb.Brevo().ContactByExtID(id)
		require.True(t, ok, "contacts are never deleted from Brevo")
		assert.NotContains(t, c.ListIDs, int64(1), "contact %s unlinked", id)
	}

	// A scan whose membership read broke off before recording anyone (a
	// truncated read): finishing it would unlink everybody.
	_, err = f.env.ExecuteActivity(f.acts.ScanMembers, activities.ScanInput{Integration: "t", HubSpotListID: "no-such-list", Scan: 3, Pages: 1})
	require.Error(t, err)
	before := len(f.sb.Brevo().ListMembers(1))
	_, err = finish(3, false)
	var ae *temporal.ApplicationError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, activities.ErrTypeUnlinkGuard, ae.Type())
	assert.True(t, ae.NonRetryable())
	assert.Equal(t, before, len(f.sb.Brevo().ListMembers(1)), "the guard unlinks nothing")
}

// TestSearchChangedKeepsListMembersOnly: contacts modified outside the
// synced list are not ours.
func TestSearchChangedKeepsListMembersOnly(t *testing.T) {
	f := newFixture(t, fixtureConfig{})
	h := f.sb.HubSpot()
	seed := h.Seed(sandbox.SeedOptions{Contacts: 30, Seed: 4})
	_, err := f.env.ExecuteActivity(f.acts.ScanMembers, activities.ScanInput{Integration: "t", HubSpotListID: seed.SmallListID, Scan: 1, Pages: 5})
	require.NoError(t, err)
	members, err := h.ListMembers(seed.SmallListID)
	require.NoError(t, err)
	v, err := f.env.ExecuteActivity(f.acts.SearchChanged, activities.SearchInput{
		Integration: "t", Properties: []string{"email"}, Pages: 10,
		Until: timeFarAhead,
	})
	require.NoError(t, err)
	var res activities.SearchResult
	require.NoError(t, v.Get(&res))
	assert.Equal(t, 30, res.Read, "search read every modified contact")
	assert.ElementsMatch(t, members, recordIDs(res.Records), "only list members are kept")
	assert.Empty(t, res.Token)
}
