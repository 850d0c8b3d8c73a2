// Package metrics is the worker's Prometheus instrumentation: the Temporal
// SDK's metrics (through an adapter of client.MetricsHandler to
// client_golang), calls to HubSpot and Brevo (through an http.RoundTripper
// installed in both clients), the rate governors, the integrations and the
// monthly quota (polled from their workflows), and the /metrics, /healthz
// and /readyz endpoints.
//
// Every name is documented in the README ("Operations"). Labels never hold
// a URL, an email or an id from the APIs: only API names, endpoint
// families, status codes and integration names.
package metrics

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Namespace prefixes the product's own metrics.
const Namespace = "hubspot_brevo_sync"

// Metrics is one process's registry and the product's own instruments.
type Metrics struct {
	Registry *prometheus.Registry

	apiRequests    *prometheus.CounterVec
	apiRateLimited *prometheus.CounterVec
	apiDuration    *prometheus.HistogramVec

	sdkOnce sync.Once
	sdk     *sdkCollector
}

// New builds a registry with the Go runtime and process collectors and the
// API call instruments.
func New() *Metrics {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m := &Metrics{
		Registry: reg,
		apiRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "api_requests_total",
			Help: "HTTP requests sent to HubSpot and Brevo, by API, endpoint family and status code (\"error\": no response).",
		}, []string{"api", "endpoint", "code"}),
		apiRateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "api_rate_limited_total",
			Help: "Responses with status 429 from HubSpot and Brevo, by API and endpoint family.",
		}, []string{"api", "endpoint"}),
		apiDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Namespace, Name: "api_request_duration_seconds",
			Help:    "Duration of HTTP requests to HubSpot and Brevo (rate-governor waits excluded), by API and endpoint family.",
			Buckets: []float64{.025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"api", "endpoint"}),
	}
	reg.MustRegister(m.apiRequests, m.apiRateLimited, m.apiDuration)
	return m
}
