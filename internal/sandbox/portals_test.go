package sandbox_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hubspot-brevo-sync/internal/sandbox"
)

// TestAddedPortalIsItsOwnAccount: the token picks the portal; each has its
// contacts, lists, portal id and burst budget, and the first portal is
// reached as before.
func TestAddedPortalIsItsOwnAccount(t *testing.T) {
	e := newHSEnv(t, sandbox.HubSpotOptions{})
	e.srv.HubSpot().Seed(sandbox.SeedOptions{Contacts: 5, Seed: 1})
	b := e.srv.AddHubSpotPortal(sandbox.HubSpotOptions{StaticTokens: []string{"portal-b"}, PortalID: 7000002, BurstLimit: 3, Now: e.clock.Now})
	b.Seed(sandbox.SeedOptions{Contacts: 2, Seed: 2})
	first, _ := e.srv.HubSpot().Contact("100001")
	second, _ := b.Contact("100001")
	require.NotEqual(t, first.Properties["email"], second.Properties["email"], "the seeds should differ")

	r := e.call("GET", "/crm/v3/objects/contacts/100001?properties=email", "portal-b", nil)
	require.Equal(t, 200, r.status)
	assert.Equal(t, second.Properties["email"], r.body["properties"].(map[string]any)["email"])
	r = e.call("GET", "/crm/v3/objects/contacts/100001?properties=email", hsTok, nil)
	require.Equal(t, 200, r.status)
	assert.Equal(t, first.Properties["email"], r.body["properties"].(map[string]any)["email"])

	r = e.call("GET", "/crm/v3/lists/1/memberships", "portal-b", nil)
	require.Equal(t, 200, r.status)
	assert.EqualValues(t, 2, r.body["total"])

	r = e.call("POST", "/oauth/v2/private-apps/get/access-token-info", "portal-b", map[string]string{"tokenKey": "portal-b"})
	require.Equal(t, 200, r.status)
	assert.EqualValues(t, 7000002, r.body["hubId"])
	r = e.call("POST", "/oauth/v2/private-apps/get/access-token-info", hsTok, map[string]string{"tokenKey": hsTok})
	require.Equal(t, 200, r.status)
	assert.EqualValues(t, sandbox.HubSpotDemoPortalID, r.body["hubId"])

	// Portal b's burst of 3 runs out; the first portal's is untouched.
	limited := 0
	for range 5 {
		if e.call("GET", "/crm/v3/lists/1", "portal-b", nil).status == 429 {
			limited++
		}
	}
	assert.Positive(t, limited, "portal b's own burst limit")
	assert.Equal(t, 200, e.call("GET", "/crm/v3/lists/1", hsTok, nil).status)
	assert.Zero(t, e.srv.HubSpot().Stats().RateLimited)
	assert.Equal(t, limited, b.Stats().RateLimited)

	// The other portal's token is not the first portal's.
	assert.Equal(t, 401, e.call("GET", "/crm/v3/lists/1", "portal-c", nil).status)
}
