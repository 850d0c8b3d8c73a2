package sandbox

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
)

// handleToken serves the refresh-token and authorization-code grants of
// /oauth/v3/token, /oauth/2026-03/token and the legacy /oauth/v1/token.
// Errors use the v3 shape, RFC 6749 fields plus the legacy status, which v1
// also answers.
func (h *HubSpot) handleToken(w http.ResponseWriter, r *http.Request) {
	fail := func(status int, code, legacy, description string) {
		writeJSON(w, status, map[string]string{
			"error":             code,
			"error_description": description,
			"status":            legacy,
			"message":           description,
			"correlationId":     w.Header().Get("X-HubSpot-Correlation-Id"),
		})
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		fail(http.StatusBadRequest, "invalid_request", "BAD_REQUEST", "the request body must be application/x-www-form-urlencoded")
		return
	}
	if err := r.ParseForm(); err != nil {
		fail(http.StatusBadRequest, "invalid_request", "BAD_REQUEST", "unreadable form body")
		return
	}
	// The current endpoints take the parameters in the body only.
	form := r.PostForm
	if strings.HasPrefix(r.URL.Path, "/oauth/v1/") {
		form = r.Form
	}
	grant := form.Get("grant_type")
	switch grant {
	case "refresh_token", "authorization_code":
	case "":
		fail(http.StatusBadRequest, "invalid_request", "BAD_GRANT_TYPE", "missing grant_type")
		return
	default:
		fail(http.StatusBadRequest, "unsupported_grant_type", "BAD_GRANT_TYPE",
			fmt.Sprintf("grant_type %q is not supported by the sandbox (authorization_code and refresh_token only)", grant))
		return
	}
	if form.Get("client_id") != h.opts.OAuthClientID {
		fail(http.StatusBadRequest, "invalid_client", "BAD_CLIENT_ID", "missing or unknown client_id")
		return
	}
	if form.Get("client_secret") != h.opts.OAuthClientSecret {
		fail(http.StatusBadRequest, "invalid_client", "BAD_CLIENT_SECRET", "client secret does not match client id")
		return
	}

	h.authMu.Lock()
	if grant == "authorization_code" {
		refresh, err := h.redeemCodeLocked(form.Get("code"), form.Get("client_id"), form.Get("redirect_uri"))
		if err != nil {
			h.authMu.Unlock()
			fail(http.StatusBadRequest, "invalid_grant", err.legacy, err.msg)
			return
		}
		access := h.issueAccessLocked()
		h.authMu.Unlock()
		h.writeTokens(w, access, refresh)
		return
	}
	refresh := form.Get("refresh_token")
	if !h.refreshTokens[refresh] {
		h.authMu.Unlock()
		fail(http.StatusBadRequest, "invalid_grant", "BAD_REFRESH_TOKEN", "refresh token is invalid, expired or revoked")
		return
	}
	access := h.issueAccessLocked()
	if h.opts.RotateRefreshTokens {
		delete(h.refreshTokens, refresh)
		refresh = "sandbox-rt-" + hsRandomHex(16)
		h.refreshTokens[refresh] = true
	}
	h.authMu.Unlock()
	h.writeTokens(w, access, refresh)
}

// issueAccessLocked mints an access token valid for AccessTokenTTL.
func (h *HubSpot) issueAccessLocked() string {
	h.tokenSeq++
	access := fmt.Sprintf("sandbox-at-%d-%s", h.tokenSeq, hsRandomHex(12))
	h.issued[access] = h.now().Add(h.opts.AccessTokenTTL)
	return access
}

func (h *HubSpot) writeTokens(w http.ResponseWriter, access, refresh string) {
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token":  access,
		"refresh_token": refresh,
		"expires_in":    int(h.opts.AccessTokenTTL.Seconds()),
		"token_type":    "bearer",
		"token_use":     "access_token",
		"hub_id":        h.opts.PortalID,
		"user_id":       1,
		"scopes":        h.oauthScopes(),
	})
}

func hsRandomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
