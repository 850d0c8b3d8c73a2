package sandbox

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// authCodeTTL is how long an authorization code may wait to be exchanged.
// HubSpot does not publish it; RFC 6749 recommends at most 10 minutes.
const authCodeTTL = 10 * time.Minute

type hsAuthCode struct {
	clientID    string
	redirectURI string
	expires     time.Time
}

// registerAuthorize serves the consent step of the authorization-code flow,
// which HubSpot serves at https://app.hubspot.com/oauth/authorize (and
// /oauth/{hubId}/authorize). The sandbox has no people to ask: it checks
// the request like HubSpot does and redirects straight back with a code, as
// if the user had picked the demo account and clicked "Connect app".
func (h *HubSpot) registerAuthorize(mux *http.ServeMux) {
	mux.HandleFunc("GET /oauth/authorize", h.handleAuthorize)
	mux.HandleFunc("GET /oauth/{hubId}/authorize", h.handleAuthorize)
}

func (h *HubSpot) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	page := func(msg string) {
		// HubSpot shows an error page to the person, not a redirect.
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintln(w, "HubSpot sandbox: authorization failed:", msg)
	}
	if q.Get("client_id") != h.opts.OAuthClientID {
		page("unknown client_id")
		return
	}
	redirect := q.Get("redirect_uri")
	if err := checkRedirectURI(redirect); err != nil {
		page(err.Error())
		return
	}
	if strings.TrimSpace(q.Get("scope")) == "" {
		page("scope is required (space-separated, e.g. \"oauth crm.objects.contacts.read crm.lists.read\")")
		return
	}
	if id := r.PathValue("hubId"); id != "" && id != fmt.Sprint(h.opts.PortalID) {
		page("the user has no access to account " + id)
		return
	}
	u, _ := url.Parse(redirect)
	back := u.Query()
	back.Set("code", h.AuthorizationCode(redirect))
	if st := q.Get("state"); st != "" {
		back.Set("state", st)
	}
	u.RawQuery = back.Encode()
	http.Redirect(w, r, u.String(), http.StatusFound)
}

// checkRedirectURI applies HubSpot's rule: https, or http for localhost
// only (no IP addresses).
func checkRedirectURI(raw string) error {
	if raw == "" {
		return fmt.Errorf("redirect_uri is required")
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Fragment != "" {
		return fmt.Errorf("redirect_uri %q is not an absolute URL", raw)
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && u.Hostname() == "localhost":
	default:
		return fmt.Errorf("redirect_uri %q must use https (http is allowed for localhost only)", raw)
	}
	return nil
}

// AuthorizationCode issues a code for the demo client and redirectURI, as
// the consent page does: the test hook for the authorization-code flow.
func (h *HubSpot) AuthorizationCode(redirectURI string) string {
	h.authMu.Lock()
	defer h.authMu.Unlock()
	if h.codes == nil {
		h.codes = map[string]hsAuthCode{}
	}
	now := h.now()
	for c, ac := range h.codes {
		if !now.Before(ac.expires) {
			delete(h.codes, c)
		}
	}
	code := "sandbox-code-" + hsRandomHex(16)
	h.codes[code] = hsAuthCode{clientID: h.opts.OAuthClientID, redirectURI: redirectURI, expires: now.Add(authCodeTTL)}
	return code
}

type grantError struct{ legacy, msg string }

// redeemCodeLocked exchanges a code once for a new refresh token. The code
// must have been issued to clientID for exactly redirectURI.
func (h *HubSpot) redeemCodeLocked(code, clientID, redirectURI string) (string, *grantError) {
	ac, ok := h.codes[code]
	if code == "" || !ok || !h.now().Before(ac.expires) {
		return "", &grantError{"BAD_AUTH_CODE", "missing or unknown auth code"}
	}
	if ac.clientID != clientID {
		return "", &grantError{"BAD_AUTH_CODE", "auth code was issued to another client"}
	}
	if ac.redirectURI != redirectURI {
		return "", &grantError{"BAD_REDIRECT_URI", "redirect_uri does not match the one the code was issued for"}
	}
	delete(h.codes, code) // single use
	refresh := "sandbox-rt-" + hsRandomHex(16)
	h.refreshTokens[refresh] = true
	return refresh, nil
}
