package sandbox

import (
	"net/http"
	"slices"
	"strings"
	"time"
)

// hsDefaultScopes are granted unless HubSpotOptions.Scopes says otherwise:
// what the sync's calls need, and the properties scope a private app
// usually ticks with them.
var hsDefaultScopes = []string{"crm.lists.read", "crm.objects.contacts.read", "crm.schemas.contacts.read",
	"crm.objects.contacts.write", "crm.schemas.contacts.write", "communication_preferences.write"}

// hsFamilyScopes are the scopes each CRM endpoint family accepts, any one
// of them (from the security requirements of the spec collection; the
// properties endpoints accept many more, these are the contact ones).
var hsFamilyScopes = map[string][]string{
	hsFamListGet:      {"crm.lists.read"},
	hsFamListByName:   {"crm.lists.read"},
	hsFamListSearch:   {"crm.lists.read"},
	hsFamMemberships:  {"crm.lists.read"},
	hsFamBatchRead:    {"crm.objects.contacts.read"},
	hsFamSearch:       {"crm.objects.contacts.read"},
	hsFamContactsList: {"crm.objects.contacts.read"},
	hsFamContactGet:   {"crm.objects.contacts.read"},
	hsFamProperties:   {"crm.objects.contacts.read", "crm.schemas.contacts.read"},

	hsFamBatchUpdate:    hsWriteScopes[hsFamBatchUpdate],
	hsFamPropertyCreate: hsWriteScopes[hsFamPropertyCreate],
	hsFamUnsubscribe:    hsWriteScopes[hsFamUnsubscribe],
}

// oauthScopes are the scopes of an OAuth access token: the granted ones
// after the base scope OAuth apps carry.
func (h *HubSpot) oauthScopes() []string {
	return append([]string{"oauth"}, h.opts.Scopes...)
}

// authorized answers 403 MISSING_SCOPES when the token lacks every scope
// the endpoint family accepts.
func (h *HubSpot) authorized(w http.ResponseWriter, family string) bool {
	accepted := hsFamilyScopes[family]
	if len(accepted) == 0 || slices.ContainsFunc(accepted, func(s string) bool { return slices.Contains(h.opts.Scopes, s) }) {
		return true
	}
	h.fail(w, http.StatusForbidden, "MISSING_SCOPES",
		"This app hasn't been granted all required scopes to make this call. Read more about required scopes here: https://developers.hubspot.com/scopes.",
		map[string][]string{"requiredGranularScopes": accepted})
	return false
}

// registerTokenInfo adds the endpoints that describe a token:
//
//	POST /oauth/v2/private-apps/get/access-token-info  {"tokenKey":"..."} (private apps)
//	POST /oauth/v3/token/introspect, /oauth/2026-03/token/introspect  form (OAuth, current)
//	GET  /oauth/v1/access-tokens/{token}  (OAuth, deprecated)
func (h *HubSpot) registerTokenInfo(mux *http.ServeMux) {
	mux.Handle("POST /oauth/v2/private-apps/get/access-token-info", h.counted(hsFamTokenInfo, h.handlePrivateAppTokenInfo))
	for _, p := range []string{"/oauth/v3/token/introspect", "/oauth/2026-03/token/introspect"} {
		mux.Handle("POST "+p, h.counted(hsFamTokenInfo, h.handleIntrospect))
	}
	mux.Handle("GET /oauth/v1/access-tokens/{token}", h.counted(hsFamTokenInfo, h.handleLegacyTokenInfo))
}

func (h *HubSpot) handlePrivateAppTokenInfo(w http.ResponseWriter, r *http.Request) {
	var body struct {
		TokenKey string `json:"tokenKey"`
	}
	if err := readJSON(r, w, &body); err != nil {
		h.validationError(w, "Invalid input JSON: "+err.Error())
		return
	}
	h.authMu.Lock()
	known := h.static[strings.TrimSpace(body.TokenKey)]
	h.authMu.Unlock()
	if !known {
		h.fail(w, http.StatusUnauthorized, "INVALID_AUTHENTICATION", "The access token provided is invalid, revoked or for another HubSpot account.", nil)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"userId": 1, "hubId": h.opts.PortalID, "appId": hsDemoAppID, "scopes": h.opts.Scopes,
	})
}

const hsDemoAppID = 424242

// issuedLife returns how long an issued access token has left, and
// whether it is one the emulator issued and has not expired.
func (h *HubSpot) issuedLife(tok string) (time.Duration, bool) {
	h.authMu.Lock()
	exp, ok := h.issued[tok]
	h.authMu.Unlock()
	left := exp.Sub(h.now())
	return left, ok && left > 0
}

func (h *HubSpot) oauthTokenJSON(tok string, left time.Duration) map[string]any {
	return map[string]any{
		"token": tok, "token_type": "bearer", "token_use": "access_token", "client_id": h.opts.OAuthClientID,
		"hub_id": h.opts.PortalID, "app_id": hsDemoAppID, "user_id": 1, "user": "sandbox@example.com",
		"hub_domain": "sandbox.hubspot.example", "scopes": h.oauthScopes(), "expires_in": int(left.Seconds()),
		"is_private_distribution": false,
	}
}

// handleIntrospect follows RFC 7662: the app authenticates with its client
// credentials, and a token that is unknown or expired is {"active":false}.
func (h *HubSpot) handleIntrospect(w http.ResponseWriter, r *http.Request) {
	if h.opts.NoTokenIntrospection {
		http.NotFound(w, r)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		h.validationError(w, "unreadable form body")
		return
	}
	form := r.PostForm
	if form.Get("client_id") != h.opts.OAuthClientID || form.Get("client_secret") != h.opts.OAuthClientSecret {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_client", "error_description": "missing or unknown client credentials"})
		return
	}
	tok := form.Get("token")
	left, active := h.issuedLife(tok)
	if !active {
		writeJSON(w, http.StatusOK, map[string]any{"active": false})
		return
	}
	m := h.oauthTokenJSON(tok, left)
	m["active"] = true
	writeJSON(w, http.StatusOK, m)
}

func (h *HubSpot) handleLegacyTokenInfo(w http.ResponseWriter, r *http.Request) {
	if h.opts.NoLegacyTokenInfo {
		http.NotFound(w, r)
		return
	}
	tok := r.PathValue("token")
	left, active := h.issuedLife(tok)
	if !active {
		h.fail(w, http.StatusNotFound, "OBJECT_NOT_FOUND", "access token not found or expired", nil)
		return
	}
	writeJSON(w, http.StatusOK, h.oauthTokenJSON(tok, left))
}
