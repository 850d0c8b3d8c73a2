package sandbox_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hubspot-brevo-sync/internal/sandbox"
)

func hsMemberIDs(t *testing.T, e *hsEnv, listID string) []string {
	t.Helper()
	r := e.call(http.MethodGet, "/crm/v3/lists/"+listID+"/memberships?limit=250", hsTok, nil)
	require.Equal(t, http.StatusOK, r.status, "%s", r.raw)
	var ids []string
	for _, m := range r.body["results"].([]any) {
		ids = append(ids, m.(map[string]any)["recordId"].(string))
	}
	return ids
}

func TestHubSpotListProcessingServesAStablePartialMembership(t *testing.T) {
	e := newHSEnv(t, sandbox.HubSpotOptions{ListCompleteStatus: "COMPLETED"})
	h := e.srv.HubSpot()
	seed := h.Seed(sandbox.SeedOptions{Contacts: 100, Seed: 2})
	require.ErrorIs(t, h.SetListProcessing("999", "PROCESSING"), sandbox.ErrHubSpotNotFound)

	r := e.call(http.MethodGet, "/crm/v3/lists/"+seed.ListID, hsTok, nil)
	assert.Equal(t, "COMPLETED", r.body["list"].(map[string]any)["processingStatus"], "the configured spelling of done")
	require.Len(t, hsMemberIDs(t, e, seed.ListID), 100)

	require.NoError(t, h.SetListProcessing(seed.ListID, "PROCESSING"))
	r = e.call(http.MethodGet, "/crm/v3/lists/"+seed.ListID, hsTok, nil)
	assert.Equal(t, "PROCESSING", r.body["list"].(map[string]any)["processingStatus"])
	first := hsMemberIDs(t, e, seed.ListID)
	assert.NotEmpty(t, first)
	assert.Less(t, len(first), 100)
	assert.Equal(t, first, hsMemberIDs(t, e, seed.ListID), "the same members are missing on every read")

	require.NoError(t, h.SetListProcessing(seed.ListID, "completed"), "the complete spelling ends processing")
	assert.Len(t, hsMemberIDs(t, e, seed.ListID), 100)
}

func TestHubSpotTokenInfoEndpoints(t *testing.T) {
	e := newHSEnv(t, sandbox.HubSpotOptions{Scopes: []string{"crm.objects.contacts.read"}})
	r := e.call(http.MethodPost, "/oauth/v2/private-apps/get/access-token-info", "", map[string]string{"tokenKey": hsTok})
	require.Equal(t, http.StatusOK, r.status, "%s", r.raw)
	assert.Equal(t, []any{"crm.objects.contacts.read"}, r.body["scopes"])
	r = e.call(http.MethodPost, "/oauth/v2/private-apps/get/access-token-info", "", map[string]string{"tokenKey": "nope"})
	assert.Equal(t, http.StatusUnauthorized, r.status)

	r = e.call(http.MethodGet, "/crm/v3/lists/1", hsTok, nil)
	assert.Equal(t, http.StatusForbidden, r.status)
	assert.Equal(t, "MISSING_SCOPES", r.body["category"])

	tok := e.token(url.Values{"grant_type": {"refresh_token"}, "client_id": {sandbox.HubSpotDemoClientID},
		"client_secret": {sandbox.HubSpotDemoClientSecret}, "refresh_token": {sandbox.HubSpotDemoRefreshToken}}, "/oauth/v3/token")
	require.Equal(t, http.StatusOK, tok.status, "%s", tok.raw)
	access := tok.body["access_token"].(string)
	introspect := func(token string) hsResponse {
		return e.token(url.Values{"client_id": {sandbox.HubSpotDemoClientID}, "client_secret": {sandbox.HubSpotDemoClientSecret},
			"token": {token}, "token_type_hint": {"access_token"}}, "/oauth/v3/token/introspect")
	}
	r = introspect(access)
	require.Equal(t, http.StatusOK, r.status, "%s", r.raw)
	assert.Equal(t, true, r.body["active"])
	assert.Equal(t, []any{"oauth", "crm.objects.contacts.read"}, r.body["scopes"])
	assert.Equal(t, false, introspect("unknown").body["active"])

	r = e.call(http.MethodGet, "/oauth/v1/access-tokens/"+access, "", nil)
	require.Equal(t, http.StatusOK, r.status, "%s", r.raw)
	assert.EqualValues(t, sandbox.HubSpotDemoPortalID, r.body["hub_id"])
	e.srv.HubSpot().ExpireTokens()
	assert.Equal(t, false, introspect(access).body["active"], "an expired token is not active")
}
