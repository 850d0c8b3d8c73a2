package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"

	"hubspot-brevo-sync/activities"
	"hubspot-brevo-sync/internal/brevo"
	"hubspot-brevo-sync/internal/hubspot"
	"hubspot-brevo-sync/internal/sandbox"
	"hubspot-brevo-sync/internal/store"
	"hubspot-brevo-sync/workflows"
)

func apiClients(sandboxURL string, o sandbox.Options) (*hubspot.Client, *brevo.Client, error) {
	env := sandbox.DevEnv(sandboxURL)
	hl := hubspot.TierFree.Limits()
	hl.Burst = o.HubSpot.BurstLimit
	hs, err := hubspot.New(hubspot.Config{BaseURL: env.HubSpotBaseURL, AccessToken: env.HubSpotToken, Governor: hubspot.NewGovernor(hl, nil)})
	if err != nil {
		return nil, nil, err
	}
	bl := brevo.TierGeneral.Limits()
	bl.ContactsPerSecond, bl.ContactsPerHour = o.Brevo.ContactsPerSecond, o.Brevo.ContactsPerHour
	bv, err := brevo.New(brevo.Config{BaseURL: env.BrevoBaseURL, APIKey: env.BrevoAPIKey, Governor: brevo.NewGovernor(bl, nil)})
	if err != nil {
		return nil, nil, err
	}
	return hs, bv, nil
}

// runWorker is the child process: a worker with the real activities. It
// records its peak RSS until it is told to stop.
func runWorker(ctx context.Context, f flags) error {
	o, err := limits(f)
	if err != nil {
		return err
	}
	hs, bv, err := apiClients(f.sandboxURL, o)
	if err != nil {
		return err
	}
	st, err := store.Open(ctx, f.storePath)
	if err != nil {
		return err
	}
	defer st.Close()
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
		_ = os.WriteFile(f.rssFile, []byte(vmHWM()), 0o600)
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

func readRSS(path string) string {
	b, err := os.ReadFile(path)
	if err != nil || len(b) == 0 {
		return "unknown"
	}
	kb, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(string(b)), " kB"))
	if err != nil {
		return string(b)
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
