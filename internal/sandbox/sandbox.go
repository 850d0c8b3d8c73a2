// Package sandbox emulates the HubSpot and Brevo endpoints the sync uses,
// faithfully enough (paging cursors, limits, 429s with the real headers and
// bodies, validation errors, asynchronous imports) that the real clients run
// against it unchanged. It serves the demo (worker --dev), the tests and
// people with curl; production code never reaches it.
//
// One listener serves both APIs, because their paths do not overlap:
// HubSpot at the root (/crm/..., /oauth/...), Brevo under /v3, and the
// sandbox's own admin endpoints under /_sandbox.
package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Options configure a sandbox. The zero value gives real limits, no latency
// and no faults.
type Options struct {
	HubSpot HubSpotOptions
	Brevo   BrevoOptions
	// Latency is added to every API response.
	Latency time.Duration
	// FaultRate is the fraction (0..1) of API requests answered with a 5xx
	// before they touch any state.
	FaultRate float64
	// Seed makes faults reproducible.
	Seed uint64
}

// Server is both emulators behind one http.Handler.
type Server struct {
	hubspot *HubSpot
	brevo   *Brevo
	opts    Options

	mu  sync.Mutex
	rng *rand.Rand
	mux *http.ServeMux
	// portals are the HubSpot accounts AddHubSpotPortal added, by token.
	portals map[string]http.Handler
}

// New builds a sandbox with empty state; seed it with HubSpot().Seed.
func New(opts Options) *Server {
	s := &Server{
		hubspot: NewHubSpot(opts.HubSpot),
		brevo:   NewBrevo(opts.Brevo),
		opts:    opts,
		rng:     rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x9e3779b97f4a7c15)),
		mux:     http.NewServeMux(),
	}
	s.hubspot.register(s.mux)
	s.brevo.register(s.mux)
	s.mux.HandleFunc("GET /_sandbox/health", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	return s
}

// HubSpot is the HubSpot emulator, for seeding and inspection.
func (s *Server) HubSpot() *HubSpot { return s.hubspot }

// Brevo is the Brevo emulator, for seeding and inspection.
func (s *Server) Brevo() *Brevo { return s.brevo }

// ServeHTTP applies latency and injected faults to API calls (never to the
// admin endpoints) and dispatches.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(r.URL.Path, "/_sandbox/") {
		if s.opts.Latency > 0 {
			time.Sleep(s.opts.Latency)
		}
		if s.fault() {
			if strings.HasPrefix(r.URL.Path, "/v3/") {
				writeJSON(w, http.StatusBadGateway, map[string]string{"code": "bad_gateway", "message": "injected fault"})
			} else {
				writeJSON(w, http.StatusBadGateway, map[string]string{"status": "error", "message": "injected fault", "category": "INTERNAL_ERROR", "correlationId": "sandbox-fault"})
			}
			return
		}
	}
	if p := s.portalFor(r); p != nil {
		p.ServeHTTP(w, r)
		return
	}
	s.mux.ServeHTTP(w, r)
}

func (s *Server) fault() bool {
	if s.opts.FaultRate <= 0 {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rng.Float64() < s.opts.FaultRate
}

// maxBodyBytes bounds every request body the sandbox reads (Brevo's import
// limit is 10 MB; nothing else comes close).
const maxBodyBytes = 11 << 20

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if v != nil {
		_ = json.NewEncoder(w).Encode(v)
	}
}

// readJSON decodes a bounded request body holding one JSON value into v.
// Unknown fields are ignored: neither API documents refusing them, and a
// sandbox stricter than the real thing would hide client bugs of the
// other kind. An empty body, trailing data after the value, a body over
// maxBodyBytes and values of the wrong type are refused with a message
// that says which.
func readJSON(r *http.Request, w http.ResponseWriter, v any) error {
	return decodeBody(r, w, v, false)
}

// readStrictJSON is readJSON that also refuses unknown fields: for the
// sandbox's own /_sandbox endpoints, where a misspelt field is a mistake
// in a test's setup.
func readStrictJSON(r *http.Request, w http.ResponseWriter, v any) error {
	return decodeBody(r, w, v, true)
}

func decodeBody(r *http.Request, w http.ResponseWriter, v any, strict bool) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if strict {
		dec.DisallowUnknownFields()
	}
	err := dec.Decode(v)
	if err == nil {
		if _, extra := dec.Token(); extra != io.EOF {
			err = errors.New("trailing data after the JSON value")
		}
	}
	var tooLarge *http.MaxBytesError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, io.EOF):
		return errors.New("no content (empty body)")
	case errors.As(err, &tooLarge):
		return fmt.Errorf("request body larger than %d bytes", maxBodyBytes)
	}
	return err
}
