package activities_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"hubspot-brevo-sync/activities"
	"hubspot-brevo-sync/internal/brevo"
	"hubspot-brevo-sync/internal/integration"
	"hubspot-brevo-sync/internal/sandbox"
)

// blacklist marks a Brevo contact as unsubscribed, as a campaign
// unsubscribe link would.
func (f *fixture) blacklist(t *testing.T, extID string) {
	t.Helper()
	require.NoError(t, f.acts.Brevo.UpdateContact(t.Context(), extID, brevo.IdentifierExtID,
		brevo.ContactUpdate{EmailBlacklisted: brevo.Bool(true)}))
}

// TestEmailChangeUpdatesTheSameBrevoContact: keyed by ext_id, an email
// change never creates a second contact, and a blacklisted contact stays
// blacklisted (Brevo un-blacklists on email change unless told).
func TestEmailChangeUpdatesTheSameBrevoContact(t *testing.T) {
	f := newFixture(t, fixtureConfig{})
	dana := f.addMembers(t, 0, 1)[0]
	f.mustSync(t, f.input(1, 1, members()))
	before := f.requireSynced(t, dana)
	_, err := f.sb.Brevo().AddContact(sandbox.BrevoContact{Email: "someone@else.example"})
	require.NoError(t, err)
	f.blacklist(t, dana.ID) // Dana unsubscribed in Brevo meanwhile

	dana.Email = "dana@new.example"
	require.NoError(t, f.sb.HubSpot().UpdateContact(dana.ID, map[string]string{"email": dana.Email}))
	res := f.mustSync(t, f.input(2, 1, members()))
	assert.Equal(t, 1, res.Written.Updated)
	assert.Zero(t, res.Written.Created)
	after := f.requireSynced(t, dana)
	assert.Equal(t, before.ID, after.ID, "the same Brevo contact")
	assert.True(t, after.EmailBlacklisted, "a blacklisted contact stays blacklisted")
	_, stillOld := f.sb.Brevo().ContactByEmail("m0@example.com")
	assert.False(t, stillOld)
	assert.Len(t, f.sb.Brevo().Contacts(), 2, "no duplicate")
}

// TestEmailChangeInAnImportBatch: in a batch large enough for an import,
// the contact whose email changed still goes one by one (an import keys
// rows by email and would create a second contact) and keeps its
// blacklisting; the rest is imported.
func TestEmailChangeInAnImportBatch(t *testing.T) {
	f := newFixture(t, fixtureConfig{})
	ms := f.addMembers(t, 0, 60)
	// Written earlier, one by one, in batches under ImportMin.
	in := f.input(1, 1, members())
	in.ImportMin = 1000
	res := f.mustSync(t, in)
	require.Equal(t, 60, res.Written.Created)
	before := f.requireSynced(t, ms[7])
	f.blacklist(t, ms[7].ID)
	f.blacklist(t, ms[8].ID) // unsubscribed, same email: imported
	for i := range ms {
		ms[i].First += "!"
		props := map[string]string{"firstname": ms[i].First}
		if i == 7 {
			ms[i].Email = "seven@new.example"
			props["email"] = ms[i].Email
		}
		require.NoError(t, f.sb.HubSpot().UpdateContact(ms[i].ID, props))
	}

	res = f.mustSync(t, f.input(2, 1, members()))
	require.NotNil(t, res.Sent)
	assert.Equal(t, 60, res.Sent.Contacts+res.Written.Updated, "imported, or written one by one by this batch")
	conf := f.mustSync(t, f.confirming(2, 2, *res.Sent))
	created, updated, failed := tally(res, conf)
	assert.Zero(t, created)
	assert.Equal(t, 60, updated)
	assert.Zero(t, failed)
	for _, m := range ms {
		f.requireSynced(t, m)
	}
	after := f.requireSynced(t, ms[7])
	assert.Equal(t, before.ID, after.ID)
	assert.True(t, after.EmailBlacklisted)
	imported := f.requireSynced(t, ms[8])
	assert.True(t, imported.EmailBlacklisted, "the import leaves the blacklisting alone")
	assert.Len(t, f.sb.Brevo().Contacts(), 60)
}

// TestMergeRekeysTheBrevoContact: HubSpot gives a merged record a new id;
// the Brevo contact of the old (primary) id takes it instead of a second
// contact being created, and the secondary's Brevo contact is kept (never
// deleted) and unlinked when the scan finds it gone.
func TestMergeRekeysTheBrevoContact(t *testing.T) {
	f := newFixture(t, fixtureConfig{})
	ms := f.addMembers(t, 0, 2)
	f.mustSync(t, f.input(1, 1, members()))
	primary := f.requireSynced(t, ms[0])
	secondary := f.requireSynced(t, ms[1])

	mergedID, err := f.sb.HubSpot().MergeContacts(ms[0].ID, ms[1].ID)
	require.NoError(t, err)
	res := f.mustSync(t, f.input(2, 1, members()))
	assert.Zero(t, res.Written.Created, "a merge creates nothing")
	assert.Equal(t, 1, res.Written.Updated)
	now, ok := f.sb.Brevo().ContactByExtID(mergedID)
	require.True(t, ok)
	assert.Equal(t, primary.ID, now.ID, "the same Brevo contact, re-keyed")
	assert.Equal(t, ms[0].Email, now.Email)
	_, stillOld := f.sb.Brevo().ContactByExtID(ms[0].ID)
	assert.False(t, stillOld)
	assert.Len(t, f.sb.Brevo().Contacts(), 2)

	fin := f.finish(t, activities.FinishScanInput{Integration: "t", HubSpotListID: f.listID, BrevoListID: brevoList, Scan: 2, OnLeave: activities.OnLeaveUnlink})
	assert.Equal(t, 1, fin.Left, "the secondary left; the re-keyed primary did not")
	assert.Equal(t, 1, fin.Unlinked)
	sec, ok := f.contactByID(secondary.ID)
	require.True(t, ok, "contacts are never deleted from Brevo")
	assert.NotContains(t, sec.ListIDs, brevoList)
	now, _ = f.sb.Brevo().ContactByExtID(mergedID)
	assert.Contains(t, now.ListIDs, brevoList)
}

// TestExistingBrevoContactIsAdopted: a contact added to Brevo by hand
// (same email, no ext_id) gets the HubSpot id instead of a twin.
func TestExistingBrevoContactIsAdopted(t *testing.T) {
	f := newFixture(t, fixtureConfig{})
	fay := f.addMembers(t, 0, 1)[0]
	id, err := f.sb.Brevo().AddContact(sandbox.BrevoContact{Email: fay.Email})
	require.NoError(t, err)
	res := f.mustSync(t, f.input(1, 1, members()))
	assert.Equal(t, 1, res.Written.Updated)
	assert.Zero(t, res.Written.Created)
	c := f.requireSynced(t, fay)
	assert.Equal(t, id, c.ID)
	assert.Len(t, f.sb.Brevo().Contacts(), 1)
}

func (f *fixture) scan(t *testing.T, in activities.ScanInput) (activities.ScanResult, error) {
	t.Helper()
	v, err := f.env(nil).ExecuteActivity(f.acts.ScanMembers, in)
	if err != nil {
		return activities.ScanResult{}, err
	}
	var res activities.ScanResult
	require.NoError(t, v.Get(&res))
	return res, nil
}

func (f *fixture) finishErr(t *testing.T, in activities.FinishScanInput) (activities.FinishScanResult, error) {
	t.Helper()
	v, err := f.env(nil).ExecuteActivity(f.acts.FinishScan, in)
	if err != nil {
		return activities.FinishScanResult{}, err
	}
	var res activities.FinishScanResult
	require.NoError(t, v.Get(&res))
	return res, nil
}

func (f *fixture) finish(t *testing.T, in activities.FinishScanInput) activities.FinishScanResult {
	t.Helper()
	res, err := f.finishErr(t, in)
	require.NoError(t, err)
	return res
}

// TestScanFindsJoinersAndLeaversAndTheGuardHolds: after a full pass, a
// scan reports the joiners and a joiners batch writes exactly them;
// finishing the scan unlinks the leavers from the Brevo list; a scan that
// misses most members (a truncated read) trips the unlink guard.
func TestScanFindsJoinersAndLeaversAndTheGuardHolds(t *testing.T) {
	f := newFixture(t, fixtureConfig{})
	h := f.sb.HubSpot()
	ms := f.addMembers(t, 0, 40)
	res := f.mustSync(t, f.input(1, 1, members()))
	require.Equal(t, 40, res.Written.Created)

	joiner := f.addMembers(t, 40, 1)[0]
	leaving := ms[:3]
	for _, m := range leaving {
		require.NoError(t, h.RemoveFromList(f.listID, m.ID))
	}
	sc, err := f.scan(t, activities.ScanInput{Integration: "t", HubSpotListID: f.listID, Scan: 2, Pages: 5})
	require.NoError(t, err)
	assert.Equal(t, 1, sc.Joined)
	assert.Equal(t, 38, sc.Members)
	assert.True(t, sc.Last)

	writes := f.sb.Brevo().Stats().ContactWrites
	jr := f.mustSync(t, f.input(2, 1, activities.Source{Phase: integration.PhaseJoiners, Pages: 1}))
	assert.Equal(t, 1, jr.Members)
	assert.Equal(t, 1, jr.Written.Created)
	assert.True(t, jr.Last)
	assert.Equal(t, joiner.ID, jr.Position)
	assert.EqualValues(t, 1, f.sb.Brevo().Stats().ContactWrites-writes, "only the joiner is written")
	f.requireSynced(t, joiner)

	fin := f.finish(t, activities.FinishScanInput{Integration: "t", HubSpotListID: f.listID, BrevoListID: brevoList, Scan: 2, OnLeave: activities.OnLeaveUnlink, GuardPercent: 20})
	assert.Equal(t, 3, fin.Left)
	assert.Equal(t, 3, fin.Unlinked)
	for _, m := range leaving {
		c, ok := f.sb.Brevo().ContactByExtID(m.ID)
		require.True(t, ok, "contacts are never deleted from Brevo")
		assert.NotContains(t, c.ListIDs, brevoList, "contact %s unlinked", m.ID)
	}
	assert.Len(t, f.sb.Brevo().ListMembers(brevoList), 38)

	// A scan whose membership read broke off before recording anyone (a
	// truncated read): finishing it would unlink everybody.
	_, err = f.scan(t, activities.ScanInput{Integration: "t", HubSpotListID: "999", Scan: 3, Pages: 1})
	require.Error(t, err)
	_, err = f.finishErr(t, activities.FinishScanInput{Integration: "t", HubSpotListID: f.listID, BrevoListID: brevoList, Scan: 3, OnLeave: activities.OnLeaveUnlink, GuardPercent: 20})
	var ae *temporal.ApplicationError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, activities.ErrTypeUnlinkGuard, ae.Type())
	assert.True(t, ae.NonRetryable())
	assert.Len(t, f.sb.Brevo().ListMembers(brevoList), 38, "the guard unlinks nothing")
}

// TestChangesKeepListMembersOnly: a changes window reads every contact
// modified in it, page by page, and writes only the list members: a
// contact modified outside the synced list is not ours.
func TestChangesKeepListMembersOnly(t *testing.T) {
	f := newFixture(t, fixtureConfig{})
	h := f.sb.HubSpot()
	for i := range 230 {
		_, err := h.CreateContact(map[string]string{"email": fmt.Sprintf("other%d@example.com", i)})
		require.NoError(t, err)
	}
	ms := f.addMembers(t, 0, 5)
	_, err := f.scan(t, activities.ScanInput{Integration: "t", HubSpotListID: f.listID, Scan: 1, Pages: 5})
	require.NoError(t, err)

	src := activities.Source{Phase: integration.PhaseChanges, Pages: 1, Until: time.Now().Add(24 * time.Hour)}
	first := f.mustSync(t, f.input(1, 1, src))
	assert.False(t, first.Last, "235 changed contacts do not fit one search page")
	require.NotEmpty(t, first.Position)
	results := []activities.BatchResult{first}
	for seq := 2; !results[len(results)-1].Last; seq++ {
		require.Less(t, seq, 10, "the search ends")
		src.Position = results[len(results)-1].Position
		results = append(results, f.mustSync(t, f.input(1, seq, src)))
	}
	assert.Empty(t, results[len(results)-1].Position)

	created, _, _ := tally(results...)
	assert.Equal(t, 5, created, "only the members are written")
	assert.Len(t, f.sb.Brevo().Contacts(), 5)
	for _, m := range ms {
		f.requireSynced(t, m)
	}
}

// TestLeaverWhoComesBackIsLinkedAgain: a member unlinked from the Brevo
// list when it left the HubSpot list is a joiner when it comes back, and
// the joiners batch puts it back in the Brevo list although none of its
// values changed; with --on-leave keep it never left the Brevo list and
// nothing is written.
func TestLeaverWhoComesBackIsLinkedAgain(t *testing.T) {
	for _, onLeave := range []string{activities.OnLeaveUnlink, activities.OnLeaveKeep} {
		t.Run(onLeave, func(t *testing.T) {
			f := newFixture(t, fixtureConfig{})
			h := f.sb.HubSpot()
			ms := f.addMembers(t, 0, 10)
			f.mustSync(t, f.input(1, 1, members()))
			back := ms[4]
			require.NoError(t, h.RemoveFromList(f.listID, back.ID))
			_, err := f.scan(t, activities.ScanInput{Integration: "t", HubSpotListID: f.listID, Scan: 2, Pages: 5})
			require.NoError(t, err)
			fin := f.finish(t, activities.FinishScanInput{Integration: "t", HubSpotListID: f.listID, BrevoListID: brevoList, Scan: 2, OnLeave: onLeave})
			assert.Equal(t, 1, fin.Left)
			gone, _ := f.sb.Brevo().ContactByExtID(back.ID)
			if onLeave == activities.OnLeaveKeep {
				assert.Zero(t, fin.Unlinked)
				assert.Contains(t, gone.ListIDs, brevoList, "kept in the Brevo list")
			} else {
				assert.Equal(t, 1, fin.Unlinked)
				assert.NotContains(t, gone.ListIDs, brevoList)
			}

			require.NoError(t, h.AddToList(f.listID, back.ID))
			sc, err := f.scan(t, activities.ScanInput{Integration: "t", HubSpotListID: f.listID, Scan: 3, Pages: 5})
			require.NoError(t, err)
			assert.Equal(t, 1, sc.Joined, "the member is a joiner again")
			res := f.mustSync(t, f.input(3, 1, activities.Source{Phase: integration.PhaseJoiners, Pages: 1}))
			assert.Equal(t, 1, res.Members)
			if onLeave == activities.OnLeaveKeep {
				assert.Equal(t, 1, res.Written.Unchanged, "still in the Brevo list: nothing to write")
				assert.Zero(t, res.Written.Updated)
			} else {
				assert.Equal(t, 1, res.Written.Updated, "linked again")
			}
			c := f.requireSynced(t, back)
			assert.Contains(t, c.ListIDs, brevoList)
		})
	}
}

// TestMergeKeepsTheContactOfTheMergedEmail: HubSpot merges a phone-only
// record (the primary) with an email-only one; the merged record has the
// phone and the email. The Brevo contact that holds the email takes the
// merged record's id (the email is the contact's identity in Brevo); the
// phone-only contact keeps its number, so the merged contact is written
// without it, and it is unlinked as a leaver.
func TestMergeKeepsTheContactOfTheMergedEmail(t *testing.T) {
	f := newFixture(t, fixtureConfig{})
	h := f.sb.HubSpot()
	ms := f.addMembers(t, 0, 2)
	require.NoError(t, h.UpdateContact(ms[0].ID, map[string]string{"email": ""}))
	require.NoError(t, h.UpdateContact(ms[1].ID, map[string]string{"phone": ""}))
	res := f.mustSync(t, f.input(1, 1, members()))
	require.Equal(t, 2, res.Written.Created)
	phoneOnly, _ := f.sb.Brevo().ContactByExtID(ms[0].ID)
	emailOnly, _ := f.sb.Brevo().ContactByExtID(ms[1].ID)

	mergedID, err := h.MergeContacts(ms[0].ID, ms[1].ID)
	require.NoError(t, err)
	res = f.mustSync(t, f.input(2, 1, members()))
	assert.Zero(t, res.Written.Failed, "the merged record is written")
	assert.Zero(t, res.Written.Created)
	assert.Equal(t, 1, res.Written.Updated)
	now, ok := f.sb.Brevo().ContactByExtID(mergedID)
	require.True(t, ok)
	assert.Equal(t, emailOnly.ID, now.ID, "the contact of the email is re-keyed")
	assert.Equal(t, ms[1].Email, now.Email)
	assert.Contains(t, now.ListIDs, brevoList)
	old, ok := f.contactByID(phoneOnly.ID)
	require.True(t, ok, "never deleted")
	assert.Equal(t, ms[0].sms(), old.SMS)
	assert.Len(t, f.sb.Brevo().Contacts(), 2)

	fin := f.finish(t, activities.FinishScanInput{Integration: "t", HubSpotListID: f.listID, BrevoListID: brevoList, Scan: 2, OnLeave: activities.OnLeaveUnlink})
	assert.Equal(t, 1, fin.Left)
	assert.Equal(t, 1, fin.Unlinked)
	old, _ = f.contactByID(phoneOnly.ID)
	assert.NotContains(t, old.ListIDs, brevoList)
}

// TestScanPagesThroughTheList: a scan reads a page of memberships a call
// when told to, and goes on from where it stopped; joiners are counted
// once over the pages.
func TestScanPagesThroughTheList(t *testing.T) {
	f := newFixture(t, fixtureConfig{})
	f.addMembers(t, 0, activities.MembersPerPage+20)
	in := activities.ScanInput{Integration: "t", HubSpotListID: f.listID, Scan: 1, Pages: 1}
	first, err := f.scan(t, in)
	require.NoError(t, err)
	assert.Equal(t, activities.MembersPerPage, first.Members)
	assert.Equal(t, activities.MembersPerPage, first.Joined)
	assert.Equal(t, activities.MembersPerPage+20, first.ListSize)
	assert.False(t, first.Last)
	require.NotEmpty(t, first.NextAfter)
	in.After = first.NextAfter
	second, err := f.scan(t, in)
	require.NoError(t, err)
	assert.Equal(t, 20, second.Members)
	assert.Equal(t, 20, second.Joined)
	assert.True(t, second.Last)
	again, err := f.scan(t, in) // a retried call
	require.NoError(t, err)
	assert.Zero(t, again.Joined, "seen again, not joined again")
}
