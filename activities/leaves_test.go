package activities_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hubspot-brevo-sync/activities"
	"hubspot-brevo-sync/internal/hubspot"
	"hubspot-brevo-sync/internal/sandbox"
)

// leavesFixture has a list of 40 whose members were all synced by a full
// pass (which records them as seen by scan 1) and written to Brevo list 1.
type leavesFixture struct {
	*fixture
	members []string
}

func newLeavesFixture(t *testing.T, opts *sandbox.Options) *leavesFixture {
	f := &leavesFixture{fixture: newFixture(t, fixtureConfig{opts: opts})}
	for _, m := range f.addMembers(t, 0, 40) {
		f.members = append(f.members, m.ID)
	}
	res := f.mustSync(t, f.input(1, 1, members()))
	require.Equal(t, 40, res.Written.Created)
	require.Len(t, f.sb.Brevo().ListMembers(1), 40)
	return f
}

func (f *leavesFixture) scan(t *testing.T, n int64) activities.ScanResult {
	v, err := f.env(nil).ExecuteActivity(f.acts.ScanMembers, activities.ScanInput{Integration: "t", HubSpotListID: f.listID, Scan: n, Pages: 5})
	require.NoError(t, err)
	var res activities.ScanResult
	require.NoError(t, v.Get(&res))
	return res
}

func (f *leavesFixture) finish(t *testing.T, n int64) activities.FinishScanResult {
	v, err := f.env(nil).ExecuteActivity(f.acts.FinishScan, activities.FinishScanInput{
		Integration: "t", HubSpotListID: f.listID, BrevoListID: 1, Scan: n, OnLeave: activities.OnLeaveUnlink, GuardPercent: 20,
	})
	require.NoError(t, err)
	var res activities.FinishScanResult
	require.NoError(t, v.Get(&res))
	return res
}

// TestFinishScanDefersLeaversWhileTheListIsProcessing: a scan taken while
// HubSpot recomputes a dynamic list sees only part of it. Finishing that
// scan must neither unlink nor forget the members it missed (nor trip the
// unlink guard); the next scan, on the finished list, decides about them
// and unlinks only those that really left.
func TestFinishScanDefersLeaversWhileTheListIsProcessing(t *testing.T) {
	f := newLeavesFixture(t, nil)
	h := f.sb.HubSpot()
	require.NoError(t, h.SetListProcessing(f.listID, hubspot.ListStatusProcessing))
	partial := f.scan(t, 2)
	require.Less(t, partial.Members, 40, "the emulator serves a partial membership while processing")

	res := f.finish(t, 2)
	assert.True(t, res.Deferred)
	assert.Equal(t, hubspot.ListStatusProcessing, res.ListStatus)
	assert.Equal(t, 40-partial.Members, res.Unseen)
	assert.Zero(t, res.Left, "nobody is counted as having left")
	assert.Zero(t, res.Unlinked)
	assert.Equal(t, 40, res.Members)
	assert.Len(t, f.sb.Brevo().ListMembers(1), 40, "nobody was unlinked")

	leaving := f.members[:3]
	require.NoError(t, h.RemoveFromList(f.listID, leaving...))
	require.NoError(t, h.SetListProcessing(f.listID, ""))
	f.scan(t, 3)
	res = f.finish(t, 3)
	assert.False(t, res.Deferred)
	assert.Equal(t, 3, res.Left, "only the real leavers left")
	assert.Equal(t, 3, res.Unlinked)
	assert.Len(t, f.sb.Brevo().ListMembers(1), 37)
	for _, id := range leaving {
		c, ok := f.sb.Brevo().ContactByExtID(id)
		require.True(t, ok)
		assert.NotContains(t, c.ListIDs, int64(1), "contact %s unlinked", id)
	}
}

// TestFinishScanTakesCompletedAsComplete: HubSpot's spec shows both
// COMPLETE and COMPLETED for a finished list; the second spelling must not
// defer the leavers forever.
func TestFinishScanTakesCompletedAsComplete(t *testing.T) {
	opts := fastOptions()
	opts.HubSpot.ListCompleteStatus = hubspot.ListStatusCompleted
	f := newLeavesFixture(t, &opts)
	require.NoError(t, f.sb.HubSpot().RemoveFromList(f.listID, f.members[:2]...))
	f.scan(t, 2)
	res := f.finish(t, 2)
	assert.False(t, res.Deferred)
	assert.Equal(t, 2, res.Left)
	assert.Equal(t, 2, res.Unlinked)
}
