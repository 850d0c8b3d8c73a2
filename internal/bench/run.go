package main

import (
	"cmp"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"go.temporal.io/sdk/client"

	"hubspot-brevo-sync/internal/devserver"
	"hubspot-brevo-sync/internal/integration"
	"hubspot-brevo-sync/internal/manage"
	"hubspot-brevo-sync/internal/sandbox"
)

const (
	taskQueue = "bench"
	namespace = "default"
	benchName = "bench"
)

// bench is one measurement's world: sandbox, Temporal, the worker process
// and a manager to steer the integration.
type bench struct {
	f    flags
	opts sandbox.Options
	sb   *sandbox.Server
	seed sandbox.SeedResult
	c    client.Client
	mgr  *manage.Manager
	dir  string
	// workerFiles are where each worker writes its peak RSS and calls.
	workerFiles  []string
	integrations []benchIntegration
	storeKind    string // "SQLite" or "PostgreSQL"
	stopFn       []func()
	// sandboxURL is where the sandbox serves both APIs.
	sandboxURL string
}

func run(ctx context.Context, f flags) error {
	if f.timeout == 0 {
		f.timeout = time.Hour + time.Duration(f.contacts)*3*time.Millisecond
	}
	b, err := start(ctx, f)
	defer b.stop()
	if err != nil {
		return err
	}
	if f.connections > 0 {
		return runConnections(ctx, b, b.sandboxURL)
	}
	initial, err := b.measure(ctx, "initial sync", b.initialBound(), func() error { return b.createIntegrations(ctx) })
	if err != nil {
		return err
	}
	if err := b.checkBrevo(initial.statuses); err != nil {
		return err
	}
	b.print(initial, b.seed.ListSize)
	if f.changes <= 0 {
		return nil
	}
	changed, err := b.measure(ctx, fmt.Sprintf("%d changes", f.changes), b.changesBound(), func() error {
		return b.change(ctx, f.changes)
	})
	if err != nil {
		return err
	}
	b.print(changed, f.changes)
	return nil
}

// start brings the sandbox, the Temporal server and the worker up.
func start(ctx context.Context, f flags) (*bench, error) {
	b := &bench{f: f}
	var err error
	if b.opts, err = limits(f); err != nil {
		return b, err
	}
	if b.dir, err = os.MkdirTemp("", "hubspot-brevo-bench-"); err != nil {
		return b, err
	}
	b.onStop(func() { _ = os.RemoveAll(b.dir) })
	storeDSN, err := b.storeDSN(ctx)
	if err != nil {
		return b, err
	}
	b.sb = sandbox.New(b.opts)
	seedStart := time.Now()
	b.seed = b.sb.HubSpot().Seed(sandbox.SeedOptions{Contacts: f.contacts, Seed: 1})
	fmt.Printf("seeded %d contacts in %s\n", b.seed.ListSize, time.Since(seedStart).Round(time.Millisecond))
	if err := b.splitIntegrations(cmp.Or(f.integrations, f.workers)); err != nil {
		return b, err
	}
	sandboxURL, err := b.serveSandbox()
	if err != nil {
		return b, err
	}
	b.sandboxURL = sandboxURL
	port, err := freePort()
	if err != nil {
		return b, err
	}
	srv, err := devserver.Start(ctx, devserver.Options{
		DataDir: filepath.Join(b.dir, "temporal"), FrontendPort: port, DisableUI: true,
		Namespace: namespace, SearchAttributes: integration.SearchAttributes(),
	})
	if err != nil {
		return b, fmt.Errorf("temporal server: %w", err)
	}
	b.onStop(func() { _ = srv.Stop() })
	for i := range max(b.f.workers, 1) {
		if err := b.startWorker(ctx, i+1, srv.FrontendHostPort(), sandboxURL, storeDSN); err != nil {
			return b, err
		}
	}
	return b, b.connect(srv.FrontendHostPort(), sandboxURL)
}

func (b *bench) onStop(fn func()) { b.stopFn = append(b.stopFn, fn) }

func (b *bench) stop() {
	for i := len(b.stopFn) - 1; i >= 0; i-- {
		b.stopFn[i]()
	}
}

func (b *bench) serveSandbox() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	hsrv := &http.Server{Handler: b.sb, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hsrv.Serve(ln) }()
	b.onStop(func() { _ = hsrv.Close() })
	return "http://" + ln.Addr().String(), nil
}

// startWorker runs worker n in a child process of its own.
func (b *bench) startWorker(ctx context.Context, n int, temporal, sandboxURL, storeDSN string) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	file := filepath.Join(b.dir, fmt.Sprintf("worker-%d", n))
	b.workerFiles = append(b.workerFiles, file)
	child := exec.CommandContext(ctx, self, "-worker", "-temporal", temporal, "-sandbox", sandboxURL,
		"-store", storeDSN, "-rss-file", file, "-contacts", strconv.Itoa(b.f.contacts),
		"-fast="+strconv.FormatBool(b.f.fast), "-variant", b.f.variant, "-unshared="+strconv.FormatBool(b.f.unshared),
		"-connections", strconv.Itoa(b.f.connections), "-brevo-tier", string(b.f.brevoTier))
	child.Stdout, child.Stderr = os.Stdout, os.Stderr
	if err := child.Start(); err != nil {
		return err
	}
	b.onStop(func() {
		_ = child.Process.Signal(syscall.SIGTERM)
		_ = child.Wait()
	})
	return nil
}

func (b *bench) connect(temporal, sandboxURL string) error {
	c, err := client.Dial(client.Options{HostPort: temporal, Namespace: namespace, Logger: quietLogger{}})
	if err != nil {
		return err
	}
	b.onStop(c.Close)
	b.c = c
	hs, bv, err := apiClients(sandboxURL, b.opts, &workerCalls{}, nil)
	if err != nil {
		return err
	}
	b.mgr = &manage.Manager{Temporal: c, HubSpot: hs, Brevo: bv, TaskQueue: taskQueue, MonthlyTaskLimit: int64(b.f.contacts) * 4}
	return nil
}

// change modifies n list members in HubSpot, the first of each list in
// proportion to its size, and asks every integration for a pass now.
func (b *bench) change(ctx context.Context, n int) error {
	for i, in := range b.integrations {
		for j, id := range in.ids[:b.changedIn(i)] {
			if err := b.sb.HubSpot().UpdateContact(id, map[string]string{"firstname": fmt.Sprintf("Changed%d-%d", i, j)}); err != nil {
				return err
			}
		}
	}
	for _, in := range b.integrations {
		if err := b.mgr.Signal(ctx, in.name, integration.SignalSyncNow); err != nil {
			return err
		}
	}
	return nil
}

// changedIn is how many of integration i's members -changes modifies.
func (b *bench) changedIn(i int) int {
	in := b.integrations[i]
	return min(b.f.changes*len(in.ids)/max(b.seed.ListSize, 1), len(in.ids))
}

// checkBrevo compares each integration's counts with what the emulated
// Brevo holds.
func (b *bench) checkBrevo(sts []integration.Status) error {
	for i, st := range sts {
		in := b.integrations[i]
		if got := st.ContactsSynced + st.ContactsSkipped + st.ContactsFailed; got != int64(len(in.ids)) {
			return fmt.Errorf("%s: synced %d + skipped %d + failed %d = %d, list has %d", in.name, st.ContactsSynced, st.ContactsSkipped, st.ContactsFailed, got, len(in.ids))
		}
		if n := len(b.sb.Brevo().ListMembers(in.brevoList)); int64(n) != st.ContactsSynced {
			return fmt.Errorf("%s: Brevo list %d holds %d contacts, status says %d synced", in.name, in.brevoList, n, st.ContactsSynced)
		}
	}
	return nil
}
