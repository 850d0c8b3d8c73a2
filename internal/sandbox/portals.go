package sandbox

import (
	"net/http"
	"strings"
)

// AddHubSpotPortal adds another HubSpot account (portal) to the sandbox,
// with its own contacts, lists, rate limits and portal id, reached at the
// same address with one of o.StaticTokens (required): requests are routed
// by their Authorization header, as HubSpot itself tells accounts apart
// by the token. Everything else (no token, the demo token, OAuth, the
// admin endpoints) stays with the first portal, so a sandbox without
// added portals behaves exactly as before. Added portals are not saved by
// SaveFile.
func (s *Server) AddHubSpotPortal(o HubSpotOptions) *HubSpot {
	if len(o.StaticTokens) == 0 {
		panic("sandbox: an added HubSpot portal needs its own StaticTokens")
	}
	h := NewHubSpot(o)
	mux := http.NewServeMux()
	h.register(mux)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.portals == nil {
		s.portals = map[string]http.Handler{}
	}
	for _, t := range h.opts.StaticTokens {
		s.portals[t] = mux
	}
	return h
}

// portalFor is the handler of the added portal the request's bearer token
// belongs to; nil for the first portal and for Brevo.
func (s *Server) portalFor(r *http.Request) http.Handler {
	if strings.HasPrefix(r.URL.Path, "/v3/") || strings.HasPrefix(r.URL.Path, "/_sandbox/") {
		return nil
	}
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.portals[token]
}
