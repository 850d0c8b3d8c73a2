package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"hubspot-brevo-sync/internal/brevo"
	"hubspot-brevo-sync/internal/hubspot"
)

// HubSpotGovernors lists the HubSpot governors by connection name, at
// every scrape: connections come and go while the worker runs.
type HubSpotGovernors func() map[string]*hubspot.Governor

// Governors reports the rate governors' statistics at every scrape, each
// HubSpot connection's under its name (label connection). Either may be
// nil.
func (m *Metrics) Governors(hs HubSpotGovernors, bv *brevo.Governor) {
	m.Registry.MustRegister(&governorCollector{hs: hs, bv: bv})
}

var (
	govWait = prometheus.NewDesc(Namespace+"_governor_wait_seconds_total",
		"Time calls spent waiting for a rate-governor slot, by API, budget (HubSpot: all budgets together; Brevo: contacts, email, other) and HubSpot connection.",
		[]string{"api", "budget", "connection"}, nil)
	govWaits = prometheus.NewDesc(Namespace+"_governor_waits_total",
		"Calls that had to wait for a rate-governor slot (HubSpot), by connection.",
		[]string{"api", "budget", "connection"}, nil)
	govRefused = prometheus.NewDesc(Namespace+"_hubspot_daily_refused_total",
		"HubSpot calls not made because the day's API budget was spent, by connection.", []string{"connection"}, nil)
	dailyUsed = prometheus.NewDesc(Namespace+"_hubspot_daily_used",
		"HubSpot daily API budget used today as the governor counts it (following X-HubSpot-RateLimit-Daily-Remaining), by connection.",
		[]string{"connection"}, nil)
	dailyLimit = prometheus.NewDesc(Namespace+"_hubspot_daily_limit",
		"HubSpot daily API budget (0: no daily cap), by connection.", []string{"connection"}, nil)
	windowUsed = prometheus.NewDesc(Namespace+"_governor_window_used",
		"Requests in the governor's current rolling window, by API, budget, window length and HubSpot connection.",
		[]string{"api", "budget", "window", "connection"}, nil)
	windowLimit = prometheus.NewDesc(Namespace+"_governor_window_limit",
		"Requests the governor allows per rolling window (a little below the published limit), by API, budget, window length and HubSpot connection.",
		[]string{"api", "budget", "window", "connection"}, nil)
)

// window names a rolling window by its published length: the governors
// run slightly longer windows (10.5 s for HubSpot's 10 s) to absorb jitter.
func window(d time.Duration) string { return d.Truncate(time.Second).String() }

type governorCollector struct {
	hs HubSpotGovernors
	bv *brevo.Governor
}

func (c *governorCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{govWait, govWaits, govRefused, dailyUsed, dailyLimit, windowUsed, windowLimit} {
		ch <- d
	}
}

func (c *governorCollector) Collect(ch chan<- prometheus.Metric) {
	if c.hs != nil {
		for name, g := range c.hs() {
			collectHubSpot(ch, name, g.Stats())
		}
	}
	if c.bv != nil {
		for _, f := range c.bv.Status() {
			ch <- prometheus.MustNewConstMetric(govWait, prometheus.CounterValue, f.Waited.Seconds(), "brevo", string(f.Family), "")
			seen := map[string]bool{}
			for _, w := range f.Windows {
				win := window(w.Period)
				if seen[win] {
					continue
				}
				seen[win] = true
				ch <- prometheus.MustNewConstMetric(windowUsed, prometheus.GaugeValue, float64(w.Used), "brevo", string(f.Family), win, "")
				ch <- prometheus.MustNewConstMetric(windowLimit, prometheus.GaugeValue, float64(w.Limit), "brevo", string(f.Family), win, "")
			}
		}
	}
}

// collectHubSpot reports one connection's governor. Brevo's series leave
// the connection label empty: one worker writes to one Brevo account.
func collectHubSpot(ch chan<- prometheus.Metric, connection string, s hubspot.GovernorStats) {
	ch <- prometheus.MustNewConstMetric(govWait, prometheus.CounterValue, s.ThrottledFor.Seconds(), "hubspot", "all", connection)
	ch <- prometheus.MustNewConstMetric(govWaits, prometheus.CounterValue, float64(s.Throttled), "hubspot", "all", connection)
	ch <- prometheus.MustNewConstMetric(govRefused, prometheus.CounterValue, float64(s.RefusedDaily), connection)
	ch <- prometheus.MustNewConstMetric(dailyUsed, prometheus.GaugeValue, float64(s.DailyUsed), connection)
	ch <- prometheus.MustNewConstMetric(dailyLimit, prometheus.GaugeValue, float64(s.DailyLimit), connection)
	ch <- prometheus.MustNewConstMetric(windowUsed, prometheus.GaugeValue, float64(s.BurstUsed), "hubspot", "burst", window(s.BurstPeriod), connection)
	ch <- prometheus.MustNewConstMetric(windowLimit, prometheus.GaugeValue, float64(s.BurstLimit), "hubspot", "burst", window(s.BurstPeriod), connection)
	ch <- prometheus.MustNewConstMetric(windowUsed, prometheus.GaugeValue, float64(s.SearchUsed), "hubspot", "search", "1s", connection)
	ch <- prometheus.MustNewConstMetric(windowLimit, prometheus.GaugeValue, float64(s.SearchLimit), "hubspot", "search", "1s", connection)
}
