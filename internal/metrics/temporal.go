package metrics

import (
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/sdk/client"
)

// TemporalHandler returns the Temporal SDK's metrics handler, reporting
// into the registry: SDK counters as <name>_total, timers as histograms
// <name>_seconds, gauges under their own name (temporal_request_total,
// temporal_activity_execution_latency_seconds,
// temporal_worker_task_slots_available, ...), with the SDK's tags as
// labels.
func (m *Metrics) TemporalHandler() client.MetricsHandler {
	m.sdkOnce.Do(func() {
		m.sdk = &sdkCollector{series: map[string]prometheus.Collector{}}
		m.Registry.MustRegister(m.sdk)
	})
	return sdkHandler{c: m.sdk}
}

// sdkTimerBuckets cover SDK latencies from a millisecond (task handling)
// to minutes (long activities, schedule-to-start under load).
var sdkTimerBuckets = []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300, 900}

// sdkCollector holds one prometheus metric per name and tag set. It is an
// "unchecked" collector (Describe sends nothing) because the SDK decides
// its tags at run time.
type sdkCollector struct {
	mu     sync.Mutex
	series map[string]prometheus.Collector
}

func (c *sdkCollector) Describe(chan<- *prometheus.Desc) {}

func (c *sdkCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	all := make([]prometheus.Collector, 0, len(c.series))
	for _, s := range c.series {
		all = append(all, s)
	}
	c.mu.Unlock()
	for _, s := range all {
		s.Collect(ch)
	}
}

func (c *sdkCollector) get(kind, name string, tags map[string]string, build func(name string, labels prometheus.Labels) prometheus.Collector) prometheus.Collector {
	name = sanitize(name)
	switch kind {
	case "counter":
		if !strings.HasSuffix(name, "_total") {
			name += "_total"
		}
	case "timer":
		name += "_seconds"
	}
	labels := prometheus.Labels{}
	keys := make([]string, 0, len(tags))
	for k, v := range tags {
		k = sanitize(k)
		labels[k] = v
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var key strings.Builder
	key.WriteString(kind + "\x00" + name)
	for _, k := range keys {
		key.WriteString("\x00" + k + "=" + labels[k])
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.series[key.String()]
	if !ok {
		s = build(name, labels)
		c.series[key.String()] = s
	}
	return s
}

// sanitize turns a tag or metric name into a valid Prometheus name.
func sanitize(s string) string {
	if s == "" {
		return "_"
	}
	b := []byte(s)
	for i, r := range b {
		ok := r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (i > 0 && r >= '0' && r <= '9')
		if !ok {
			b[i] = '_'
		}
	}
	return string(b)
}

func sdkHelp(name string) string { return "Temporal SDK metric " + name + "." }

type sdkHandler struct {
	c    *sdkCollector
	tags map[string]string
}

func (h sdkHandler) WithTags(tags map[string]string) client.MetricsHandler {
	merged := make(map[string]string, len(h.tags)+len(tags))
	for k, v := range h.tags {
		merged[k] = v
	}
	for k, v := range tags {
		merged[k] = v
	}
	return sdkHandler{c: h.c, tags: merged}
}

func (h sdkHandler) Counter(name string) client.MetricsCounter {
	c := h.c.get("counter", name, h.tags, func(n string, l prometheus.Labels) prometheus.Collector {
		return prometheus.NewCounter(prometheus.CounterOpts{Name: n, Help: sdkHelp(n), ConstLabels: l})
	}).(prometheus.Counter)
	return counterFunc(func(d int64) {
		if d > 0 { // a prometheus counter panics on negative increments
			c.Add(float64(d))
		}
	})
}

func (h sdkHandler) Gauge(name string) client.MetricsGauge {
	g := h.c.get("gauge", name, h.tags, func(n string, l prometheus.Labels) prometheus.Collector {
		return prometheus.NewGauge(prometheus.GaugeOpts{Name: n, Help: sdkHelp(n), ConstLabels: l})
	}).(prometheus.Gauge)
	return gaugeFunc(g.Set)
}

func (h sdkHandler) Timer(name string) client.MetricsTimer {
	o := h.c.get("timer", name, h.tags, func(n string, l prometheus.Labels) prometheus.Collector {
		return prometheus.NewHistogram(prometheus.HistogramOpts{Name: n, Help: sdkHelp(n), ConstLabels: l, Buckets: sdkTimerBuckets})
	}).(prometheus.Histogram)
	return timerFunc(func(d time.Duration) { o.Observe(d.Seconds()) })
}

type counterFunc func(int64)

func (f counterFunc) Inc(d int64) { f(d) }

type gaugeFunc func(float64)

func (f gaugeFunc) Update(v float64) { f(v) }

type timerFunc func(time.Duration)

func (f timerFunc) Record(d time.Duration) { f(d) }
