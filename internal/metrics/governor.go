package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"hubspot-brevo-sync/internal/brevo"
	"hubspot-brevo-sync/internal/hubspot"
)

// Governors reports the rate governors' statistics at every scrape. Either
// may be nil.
func (m *Metrics) Governors(hs *hubspot.Governor, bv *brevo.Governor) {
	m.Registry.MustRegister(&governorCollector{hs: hs, bv: bv})
}

var (
	govWait = prometheus.NewDesc(Namespace+"_governor_wait_seconds_total",
		"Time calls spent waiting for a rate-governor slot, by API and budget (HubSpot: all budgets together; Brevo: contacts, email, other).",
		[]string{"api", "budget"}, nil)
	govWaits = prometheus.NewDesc(Namespace+"_governor_waits_total",
		"Calls that had to wait for a rate-governor slot (HubSpot).",
		[]string{"api", "budget"}, nil)
	govRefused = prometheus.NewDesc(Namespace+"_hubspot_daily_refused_total",
		"HubSpot calls not made because the day's API budget was spent.", nil, nil)
	dailyUsed = prometheus.NewDesc(Namespace+"_hubspot_daily_used",
		"HubSpot daily API budget used today as the governor counts it (following X-HubSpot-RateLimit-Daily-Remaining).", nil, nil)
	dailyLimit = prometheus.NewDesc(Namespace+"_hubspot_daily_limit",
		"HubSpot daily API budget (0: no daily cap).", nil, nil)
	windowUsed = prometheus.NewDesc(Namespace+"_governor_window_used",
		"Requests in the governor's current rolling window, by API, budget and window length.", []string{"api", "budget", "window"}, nil)
	windowLimit = prometheus.NewDesc(Namespace+"_governor_window_limit",
		"Requests the governor allows per rolling window (a little below the published limit), by API and budget.", []string{"api", "budget", "window"}, nil)
)

// window names a rolling window by its published length: the governors
// run slightly longer windows (10.5 s for HubSpot's 10 s) to absorb jitter.
func window(d time.Duration) string { return d.Truncate(time.Second).String() }

type governorCollector struct {
	hs *hubspot.Governor
	bv *brevo.Governor
}

func (c *governorCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{govWait, govWaits, govRefused, dailyUsed, dailyLimit, windowUsed, windowLimit} {
		ch <- d
	}
}

func (c *governorCollector) Collect(ch chan<- prometheus.Metric) {
	if c.hs != nil {
		s := c.hs.Stats()
		ch <- prometheus.MustNewConstMetric(govWait, prometheus.CounterValue, s.ThrottledFor.Seconds(), "hubspot", "all")
		ch <- prometheus.MustNewConstMetric(govWaits, prometheus.CounterValue, float64(s.Throttled), "hubspot", "all")
		ch <- prometheus.MustNewConstMetric(govRefused, prometheus.CounterValue, float64(s.RefusedDaily))
		ch <- prometheus.MustNewConstMetric(dailyUsed, prometheus.GaugeValue, float64(s.DailyUsed))
		ch <- prometheus.MustNewConstMetric(dailyLimit, prometheus.GaugeValue, float64(s.DailyLimit))
		ch <- prometheus.MustNewConstMetric(windowUsed, prometheus.GaugeValue, float64(s.BurstUsed), "hubspot", "burst", window(s.BurstPeriod))
		ch <- prometheus.MustNewConstMetric(windowLimit, prometheus.GaugeValue, float64(s.BurstLimit), "hubspot", "burst", window(s.BurstPeriod))
		ch <- prometheus.MustNewConstMetric(windowUsed, prometheus.GaugeValue, float64(s.SearchUsed), "hubspot", "search", "1s")
		ch <- prometheus.MustNewConstMetric(windowLimit, prometheus.GaugeValue, float64(s.SearchLimit), "hubspot", "search", "1s")
	}
	if c.bv != nil {
		for _, f := range c.bv.Status() {
			ch <- prometheus.MustNewConstMetric(govWait, prometheus.CounterValue, f.Waited.Seconds(), "brevo", string(f.Family))
			seen := map[string]bool{}
			for _, w := range f.Windows {
				win := window(w.Period)
				if seen[win] {
					continue
				}
				seen[win] = true
				ch <- prometheus.MustNewConstMetric(windowUsed, prometheus.GaugeValue, float64(w.Used), "brevo", string(f.Family), win)
				ch <- prometheus.MustNewConstMetric(windowLimit, prometheus.GaugeValue, float64(w.Limit), "brevo", string(f.Family), win)
			}
		}
	}
}
