package metrics

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.temporal.io/sdk/client"
)

// Readiness answers /readyz: the worker is polling (started and not
// stopped by a fatal error) and Temporal answers its health check.
type Readiness struct {
	Temporal client.Client
	// Timeout bounds the health check; default 3 s.
	Timeout time.Duration

	polling atomic.Bool
	mu      sync.Mutex
	fatal   error
}

// Started records that the worker's pollers run.
func (r *Readiness) Started() { r.polling.Store(true) }

// Stopped records that the worker stopped; err is the fatal error, if any.
func (r *Readiness) Stopped(err error) {
	r.polling.Store(false)
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		r.fatal = err
	}
}

// Check reports why the worker is not ready, or nil.
func (r *Readiness) Check(ctx context.Context) error {
	r.mu.Lock()
	fatal := r.fatal
	r.mu.Unlock()
	if fatal != nil {
		return errors.New("worker stopped: " + fatal.Error())
	}
	if !r.polling.Load() {
		return errors.New("worker is not polling its task queue (starting or stopping)")
	}
	if r.Temporal == nil {
		return nil
	}
	timeout := r.Timeout
	if timeout <= 0 {
		timeout = 3 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if _, err := r.Temporal.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
		return errors.New("Temporal is not reachable: " + err.Error())
	}
	return nil
}

// Handler serves /metrics, /healthz (the process is up) and /readyz
// (ready.Check passes; nil ready is always ready).
func (m *Metrics) Handler(ready func(context.Context) error) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if ready != nil {
			if err := ready(r.Context()); err != nil {
				w.WriteHeader(http.StatusServiceUnavailable)
				_, _ = w.Write([]byte("not ready: " + err.Error() + "\n"))
				return
			}
		}
		_, _ = w.Write([]byte("ok\n"))
	})
	return mux
}
