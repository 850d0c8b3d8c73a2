package doctor

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hubspot-brevo-sync/internal/hubspot"
	"hubspot-brevo-sync/internal/integration"
	"hubspot-brevo-sync/internal/sandbox"
)

type namedClients map[string]*hubspot.Client

func (n namedClients) Client(name string) (*hubspot.Client, error) {
	if c, ok := n[name]; ok {
		return c, nil
	}
	return nil, errors.New(`HubSpot connection "` + name + `": no such HubSpot connection`)
}

// TestListsAreCheckedThroughTheirConnection: with named connections only,
// the HUBSPOT_* checks are skipped and each integration's list is read in
// its own portal.
func TestListsAreCheckedThroughTheirConnection(t *testing.T) {
	sb := sandbox.New(sandbox.Options{})
	b := sb.AddHubSpotPortal(sandbox.HubSpotOptions{StaticTokens: []string{"portal-b"}, PortalID: 7000002})
	seed := b.Seed(sandbox.SeedOptions{Contacts: 3, Seed: 1, ListID: "42"})
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	hs, err := hubspot.New(hubspot.Config{BaseURL: srv.URL, AccessToken: "portal-b"})
	require.NoError(t, err)
	r := &run{o: Options{Connections: namedClients{"beta": hs}}, report: Report{Observed: map[string]any{}}}
	r.hubspotChecks(context.Background(), []integration.Status{
		{Name: "on-beta", HubSpotListID: seed.ListID, HubSpotConnection: "beta"},
		{Name: "on-gone", HubSpotListID: seed.ListID, HubSpotConnection: "gone"},
		{Name: "on-default", HubSpotListID: seed.ListID},
	})
	assert.True(t, checkOf(t, r.report, hubspotCredentials).Skipped)
	assert.True(t, checkOf(t, r.report, "hubspot.list[on-beta]").OK, "%+v", checkOf(t, r.report, "hubspot.list[on-beta]"))
	assert.Contains(t, checkOf(t, r.report, "hubspot.list[on-beta]").Detail, "HubSpot list 42")
	gone := checkOf(t, r.report, "hubspot.list[on-gone]")
	assert.False(t, gone.OK || gone.Skipped)
	assert.True(t, strings.Contains(gone.Detail, `"gone"`), gone.Detail)
	assert.True(t, checkOf(t, r.report, "hubspot.list[on-default]").Skipped)
}
