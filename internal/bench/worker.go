package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"

	"hubspot-brevo-sync/activities"
	"hubspot-brevo-sync/internal/brevo"
	"hubspot-brevo-sync/internal/config"
	"hubspot-brevo-sync/internal/httpx"
	"hubspot-brevo-sync/internal/hubspot"
	"hubspot-brevo-sync/internal/sandbox"
	"hubspot-brevo-sync/internal/store"
	"hubspot-brevo-sync/workflows"
)

// apiClients builds the clients at the sandbox's limits; calls counts the
// requests each API is sent. With shared windows, the governors pace
// against the budget every worker spends.
func apiClients(sandboxURL string, o sandbox.Options, calls *workerCalls, shared httpx.SharedWindows) (*hubspot.Client, *brevo.Client, error) {
	env := sandbox.DevEnv(sandboxURL)
	var hsOpts []hubspot.GovernorOption
	var bvOpts []brevo.GovernorOption
	if shared != nil {
		hsOpts = append(hsOpts, hubspot.WithSharedWindows(shared, config.DefaultConnection))
		bvOpts = append(bvOpts, brevo.WithSharedWindows(shared, brevo.DefaultAccount))
	}
	hl := hubspot.TierFree.Limits()
	hl.Burst = o.HubSpot.BurstLimit
	hs, err := hubspot.New(hubspot.Config{BaseURL: env.HubSpotBaseURL, AccessToken: env.HubSpotToken,
		Governor: hubspot.NewGovernor(hl, nil, hsOpts...), Transport: calls.counting(&calls.hubspot)})
	if err != nil {
		return nil, nil, err
	}
	bl := brevo.TierGeneral.Limits()
	bl.ContactsPerSecond, bl.ContactsPerHour = o.Brevo.ContactsPerSecond, o.Brevo.ContactsPerHour
	bv, err := brevo.New(brevo.Config{BaseURL: env.BrevoBaseURL, APIKey: env.BrevoAPIKey,
		Governor: brevo.NewGovernor(bl, nil, bvOpts...), Transport: calls.counting(&calls.brevo)})
	if err != nil {
		return nil, nil, err
	}
	return hs, bv, nil
}

// workerCalls counts one worker's requests per API.
type workerCalls struct{ hubspot, brevo atomic.Int64 }

func (c *workerCalls) counting(n *atomic.Int64) http.RoundTripper {
	return roundTripFunc(func(r *http.Request) (*http.Response, error) {
		n.Add(1)
		return http.DefaultTransport.RoundTrip(r)
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// workerReport is what a worker process writes to its file while it runs.
type workerReport struct {
	PeakRSS       string        `json:"peakRSS"`
	HubSpotCalls  int64         `json:"hubspotCalls"`
	HubSpotWaited time.Duration `json:"hubspotWaited"`
	BrevoCalls    int64         `json:"brevoCalls"`
	BrevoWaited   time.Duration `json:"brevoWaited"`
}

// runWorker is the child process: a worker with the real activities. It
// records its peak RSS and calls until it is told to stop.
func runWorker(ctx context.Context, f flags) error {
	o, err := limits(f)
	if err != nil {
		return err
	}
	st, err := store.Open(ctx, f.storePath)
	if err != nil {
		return err
	}
	defer st.Close()
	var calls workerCalls
	var shared httpx.SharedWindows
	if st.Shared() && !f.unshared {
		shared = st.RateWindows()
	}
	hs, bv, err := apiClients(f.sandboxURL, o, &calls, shared)
	if err != nil {
		return err
	}
	c, err := client.Dial(client.Options{HostPort: f.temporal, Namespace: namespace, Logger: quietLogger{}})
	if err != nil {
		return err
	}
	defer c.Close()
	w := worker.New(c, taskQueue, worker.Options{})
	workflows.Register(w)
	w.RegisterActivity(&activities.Activities{HubSpot: hs, Connections: benchRegistry(f, o, f.storePath, hs), Brevo: bv, Store: st, PollInterval: time.Hour, MonthlyTaskLimit: int64(f.contacts) * 4})
	if err := w.Start(); err != nil {
		return err
	}
	defer w.Stop()
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		r := workerReport{PeakRSS: vmHWM(), HubSpotCalls: calls.hubspot.Load(), HubSpotWaited: hs.Governor().Stats().ThrottledFor, BrevoCalls: calls.brevo.Load()}
		for _, fs := range bv.Governor().Status() {
			r.BrevoWaited += fs.Waited
		}
		if js, err := json.Marshal(r); err == nil {
			_ = os.WriteFile(f.rssFile, js, 0o600)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

func vmHWM() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "unknown (" + err.Error() + ")"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

// readWorker reads what a worker wrote last.
func readWorker(path string) (workerReport, bool) {
	var r workerReport
	b, err := os.ReadFile(path)
	return r, err == nil && json.Unmarshal(b, &r) == nil
}

func formatRSS(vmHWM string) string {
	kb, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(vmHWM), " kB"))
	if err != nil {
		return "unknown (" + vmHWM + ")"
	}
	return fmt.Sprintf("%.0f MB (VmHWM %d kB)", float64(kb)/1024, kb)
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "model name"); ok {
			return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
		}
	}
	return "unknown CPU"
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// quietLogger drops the SDK's log: the benchmark prints its own figures.
type quietLogger struct{}

func (quietLogger) Debug(string, ...any) {}
func (quietLogger) Info(string, ...any)  {}
func (quietLogger) Warn(string, ...any)  {}
func (quietLogger) Error(msg string, kv ...any) {
	fmt.Fprintln(os.Stderr, append([]any{"temporal sdk:", msg}, kv...)...)
}

var _ log.Logger = quietLogger{}
