package activities_test

import (
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"hubspot-brevo-sync/activities"
	"hubspot-brevo-sync/internal/hubspot"
	"hubspot-brevo-sync/internal/integration"
	"hubspot-brevo-sync/internal/sandbox"
)

// clients is a stand-in connections registry.
type clients map[string]*hubspot.Client

func (c clients) Client(name string) (*hubspot.Client, error) {
	if cl, ok := c[name]; ok {
		return cl, nil
	}
	return nil, fmt.Errorf("HubSpot connection %q: no such HubSpot connection", name)
}

// TestNamedConnectionKeysContactsByPortal: a second portal whose record
// ids are the default portal's writes its own Brevo contacts, under
// "<portal>-<id>", and its merges and leavers touch only those.
func TestNamedConnectionKeysContactsByPortal(t *testing.T) {
	f := newFixture(t, fixtureConfig{})
	fromA := f.addMembers(t, 0, 2)
	b := f.sb.AddHubSpotPortal(sandbox.HubSpotOptions{StaticTokens: []string{"portal-b"}, PortalID: 7000002, BurstLimit: hsBurst, SearchPerSecond: 100})
	bList, err := b.CreateList("B")
	require.NoError(t, err)
	var fromB []string
	for i := range 3 {
		id, err := b.CreateContact(map[string]string{"email": fmt.Sprintf("b%d@example.com", i), "firstname": fmt.Sprintf("B%d", i)})
		require.NoError(t, err)
		require.NoError(t, b.AddToList(bList, id))
		fromB = append(fromB, id)
	}
	require.Equal(t, fromA[0].ID, fromB[0], "the portals' record ids collide")
	srv := httptest.NewServer(f.sb)
	t.Cleanup(srv.Close)
	hsB, err := hubspot.New(hubspot.Config{BaseURL: srv.URL, AccessToken: "portal-b",
		Governor: hubspot.NewGovernor(hubspot.Limits{Burst: hsBurst, BurstPeriod: 10 * time.Second, Daily: 1_000_000, SearchPerSecond: 100}, nil)})
	require.NoError(t, err)
	f.acts.Connections = clients{"": f.acts.HubSpot, "beta": hsB}
	acct := integration.HubSpotAccount{Connection: "beta", Portal: "7000002"}
	inB := func(pass int) activities.BatchInput {
		in := f.input(pass, 1, members())
		in.Integration, in.HubSpotListID, in.HubSpot = "tb", bList, acct
		in.Reservation = fmt.Sprintf("tb/run/%d/1", pass)
		return in
	}

	f.mustSync(t, f.input(1, 1, members()))
	res := f.mustSync(t, inB(1))
	assert.Equal(t, 3, res.Written.Created, "%+v", res)
	a0 := f.requireSynced(t, fromA[0])
	b0, ok := f.sb.Brevo().ContactByExtID("7000002-" + fromB[0])
	require.True(t, ok, "portal b's record %s under its portal's ext_id", fromB[0])
	assert.Equal(t, "b0@example.com", b0.Email)
	assert.NotEqual(t, a0.ID, b0.ID)
	assert.Len(t, f.sb.Brevo().Contacts(), 5)

	// A merge in portal b re-keys portal b's contact, prefixed.
	merged, err := b.MergeContacts(fromB[0], fromB[1])
	require.NoError(t, err)
	res = f.mustSync(t, inB(2))
	assert.Zero(t, res.Written.Created)
	now, ok := f.sb.Brevo().ContactByExtID("7000002-" + merged)
	require.True(t, ok)
	assert.Equal(t, b0.ID, now.ID, "the same Brevo contact, re-keyed")
	// The leaver (the merged-away secondary) is unlinked; portal a's
	// contact of the same record id stays.
	fin := f.finish(t, activities.FinishScanInput{Integration: "tb", HubSpotListID: bList, HubSpot: acct, BrevoListID: brevoList, Scan: 2, OnLeave: activities.OnLeaveUnlink})
	assert.Equal(t, 1, fin.Unlinked)
	gone, _ := f.sb.Brevo().ContactByExtID("7000002-" + fromB[1])
	assert.NotContains(t, gone.ListIDs, brevoList)
	f.requireSynced(t, fromA[1])
	f.requireSynced(t, fromA[0])
	assert.Len(t, f.sb.Brevo().Contacts(), 5)

	// A connection the worker does not know fails the batch for good.
	in := inB(3)
	in.HubSpot.Connection = "gone"
	_, err = f.sync(t, in)
	var ae *temporal.ApplicationError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, activities.ErrTypeHubSpotConnection, ae.Type())
	assert.True(t, ae.NonRetryable())
}
