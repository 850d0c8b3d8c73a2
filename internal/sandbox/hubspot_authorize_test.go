package sandbox_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hubspot-brevo-sync/internal/sandbox"
)

func TestHubSpotAuthorizationCodeGrant(t *testing.T) {
	e := newHSEnv(t, sandbox.HubSpotOptions{})
	e.srv.HubSpot().Seed(sandbox.SeedOptions{Contacts: 3, Seed: 1})
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	const redirect = "http://localhost:8750/callback"

	authorize := func(q url.Values) *http.Response {
		t.Helper()
		resp, err := noFollow.Get(e.http.URL + "/oauth/authorize?" + q.Encode())
		require.NoError(t, err)
		resp.Body.Close()
		return resp
	}
	q := url.Values{"client_id": {sandbox.HubSpotDemoClientID}, "redirect_uri": {redirect},
		"scope": {"oauth crm.objects.contacts.read crm.lists.read"}, "state": {"xyz"}}
	resp := authorize(q)
	require.Equal(t, http.StatusFound, resp.StatusCode)
	loc, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	assert.Equal(t, "localhost:8750", loc.Host)
	assert.Equal(t, "xyz", loc.Query().Get("state"))
	code := loc.Query().Get("code")
	require.NotEmpty(t, code)

	// The consent page refuses what HubSpot refuses.
	for name, change := range map[string]func(url.Values){
		"unknown client":  func(v url.Values) { v.Set("client_id", "other") },
		"no scope":        func(v url.Values) { v.Del("scope") },
		"http IP":         func(v url.Values) { v.Set("redirect_uri", "http://127.0.0.1:8750/callback") },
		"no redirect_uri": func(v url.Values) { v.Del("redirect_uri") },
	} {
		bad := url.Values{}
		for k, v := range q {
			bad[k] = v
		}
		change(bad)
		assert.Equal(t, http.StatusBadRequest, authorize(bad).StatusCode, name)
	}

	exchange := func(code, redirect, secret string) hsResponse {
		return e.token(url.Values{"grant_type": {"authorization_code"}, "client_id": {sandbox.HubSpotDemoClientID},
			"client_secret": {secret}, "redirect_uri": {redirect}, "code": {code}}, "/oauth/v3/token")
	}
	r := exchange(code, "http://localhost:9999/callback", sandbox.HubSpotDemoClientSecret)
	require.Equal(t, 400, r.status)
	assert.Equal(t, "invalid_grant", r.body["error"])
	assert.Equal(t, "BAD_REDIRECT_URI", r.body["status"])
	r = exchange("sandbox-code-wrong", redirect, sandbox.HubSpotDemoClientSecret)
	require.Equal(t, 400, r.status)
	assert.Equal(t, "invalid_grant", r.body["error"])
	assert.Equal(t, "BAD_AUTH_CODE", r.body["status"])
	r = exchange(code, redirect, "wrong-secret")
	require.Equal(t, 400, r.status)
	assert.Equal(t, "invalid_client", r.body["error"])

	r = exchange(code, redirect, sandbox.HubSpotDemoClientSecret)
	require.Equal(t, 200, r.status, string(r.raw))
	refresh, _ := r.body["refresh_token"].(string)
	access, _ := r.body["access_token"].(string)
	require.NotEmpty(t, refresh)
	assert.Equal(t, 200, e.call("GET", "/crm/v3/lists/1", access, nil).status)
	// Codes are single use; the refresh token works.
	assert.Equal(t, 400, exchange(code, redirect, sandbox.HubSpotDemoClientSecret).status)
	r = e.token(url.Values{"grant_type": {"refresh_token"}, "client_id": {sandbox.HubSpotDemoClientID},
		"client_secret": {sandbox.HubSpotDemoClientSecret}, "refresh_token": {refresh}}, "/oauth/v3/token")
	assert.Equal(t, 200, r.status)

	// Codes expire.
	late := e.srv.HubSpot().AuthorizationCode(redirect)
	e.clock.Advance(11 * time.Minute)
	assert.Equal(t, "BAD_AUTH_CODE", exchange(late, redirect, sandbox.HubSpotDemoClientSecret).body["status"])
}
