// Command worker runs the hubspot-brevo-sync Temporal worker: it hosts the
// integration workflows and the activities that call HubSpot and Brevo.
//
// With --dev it runs the whole stack in one process: an embedded Temporal
// server (SQLite under --dev-dir) with the Web UI, and, when no HubSpot or
// Brevo credentials are set, the sandbox emulators seeded with demo
// contacts.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"go.temporal.io/sdk/worker"
	"go.uber.org/zap"

	"hubspot-brevo-sync/activities"
	"hubspot-brevo-sync/internal/config"
	"hubspot-brevo-sync/internal/connect"
	"hubspot-brevo-sync/internal/devserver"
	"hubspot-brevo-sync/internal/integration"
	"hubspot-brevo-sync/internal/logging"
	"hubspot-brevo-sync/internal/sandbox"
	"hubspot-brevo-sync/internal/searchattr"
	"hubspot-brevo-sync/internal/store"
	"hubspot-brevo-sync/workflows"
)

type flags struct {
	setup        bool
	dev          bool
	devDir       string
	sandboxAddr  string
	demoContacts int
	codecServer  string
	codecOnly    bool
}

func main() {
	var f flags
	flag.BoolVar(&f.setup, "setup", false, "register the custom search attributes in the namespace and exit")
	flag.BoolVar(&f.dev, "dev", false, "run an embedded Temporal server with the Web UI (and the sandbox APIs when no credentials are set)")
	flag.StringVar(&f.devDir, "dev-dir", "", "with --dev: where the dev stack keeps its state: Temporal's SQLite database, the sync store, the sandbox's data (default SYNC_DEV_DIR, .dev)")
	flag.StringVar(&f.sandboxAddr, "sandbox-addr", sandbox.DevAddr, "with --dev and no credentials: where the sandbox APIs listen")
	flag.IntVar(&f.demoContacts, "demo-contacts", 2000, "with --dev and no credentials: how many contacts the sandbox's HubSpot list holds")
	flag.StringVar(&f.codecServer, "codec-server", "", "also serve the payload codec server for the Web UI at this address, e.g. :8081 (with --dev: started by itself when a key is set)")
	flag.BoolVar(&f.codecOnly, "codec-server-only", false, "serve only the codec server (at --codec-server, default :8081), no worker")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, f); err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, f flags) error {
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	log, err := logging.New(cfg.Log.Level, cfg.Log.Format)
	if err != nil {
		return err
	}
	defer func() { _ = log.Sync() }()

	if f.codecOnly {
		return runCodecServerOnly(ctx, f, cfg, log)
	}
	var ops opsState
	defer ops.stop()
	if f.dev {
		if f.devDir == "" {
			f.devDir = cfg.Sync.DevDir
		}
		// Before anything starts: a dev directory's integrations run again
		// at once, against whatever APIs this start has.
		if err := claimDevDir(f, cfg); err != nil {
			return err
		}
		if err := ops.devCodecServer(f, cfg, log); err != nil {
			return err
		}
		stopDev, err := startDevStack(ctx, f, &cfg, log, ops.codecURL)
		if err != nil {
			return err
		}
		defer stopDev()
	}
	if f.setup {
		return setup(ctx, cfg, log)
	}
	connDir := workerConnectionsDir(f, cfg)
	named, err := connDir.List()
	if err != nil {
		return fmt.Errorf("HubSpot connections (SYNC_CONNECTIONS_DIR): %w", err)
	}
	if err := cfg.RequireAPIsWith(len(named) > 0); err != nil {
		return err
	}
	if err := ops.start(f, cfg, log); err != nil {
		return err
	}

	st, err := store.Open(ctx, cfg.Sync.StoreDSN)
	if err != nil {
		return fmt.Errorf("sync store (SYNC_STORE_DSN): %w", err)
	}
	defer st.Close()
	clientOpts := ops.options()
	if st.Shared() {
		// Workers sharing the store share the APIs' budgets through it.
		clientOpts = append(clientOpts, connect.WithSharedWindows(st.RateWindows()))
	}
	hs, hubspots, err := hubspotClients(cfg, connDir, log, clientOpts)
	if err != nil {
		return err
	}
	log.Info("HubSpot connections", zap.Bool("default", hs != nil), zap.Int("named", len(named)), zap.String("dir", string(connDir)))
	bv, err := connect.Brevo(cfg.Brevo, log.Named("brevo"), clientOpts...)
	if err != nil {
		return err
	}
	tc, err := connect.Temporal(cfg.Temporal, log, ops.options()...)
	if err != nil {
		return err
	}
	defer tc.Close()
	if _, err := searchattr.Ensure(ctx, tc.OperatorService(), cfg.Temporal.Namespace, integration.SearchAttributes()); err != nil {
		// Not fatal: on a server where we may not register them (Temporal
		// Cloud) an operator does it once; workflows then fail visibly.
		log.Warn("custom search attributes could not be checked or registered", zap.Error(err))
	}

	// Before our own pollers start, so every poller listed is another worker.
	connect.WarnIfStoreNotShared(ctx, tc, cfg.Temporal.TaskQueue, st.Shared(), log)

	w := worker.New(tc, cfg.Temporal.TaskQueue, worker.Options{OnFatalError: ops.workerFailed})
	register(w, &activities.Activities{
		HubSpot:          hs,
		Connections:      hubspots,
		Brevo:            bv,
		Store:            st,
		PollInterval:     cfg.Sync.PollInterval,
		MonthlyTaskLimit: int64(cfg.Sync.MonthlyTaskLimit),
		Notify:           activities.Notifier{To: cfg.Sync.NotifyEmail, Sender: cfg.Sync.NotifySender},
	})
	log.Info("worker started", zap.String("temporal", cfg.Temporal.Address),
		zap.String("namespace", cfg.Temporal.Namespace), zap.String("taskQueue", cfg.Temporal.TaskQueue),
		zap.Bool("payloadEncryption", cfg.Temporal.Keys != nil))
	// Start is memoized: Run below does not start the worker twice. Starting
	// first tells readiness when the pollers run.
	if err := w.Start(); err != nil {
		return err
	}
	ops.workerStarted(ctx, tc, cfg, hubspots, bv, log)
	err = w.Run(interruptOn(ctx))
	ops.workerFailed(err)
	return err
}

// setup prepares the namespace: what docker-compose's one-shot step runs.
func setup(ctx context.Context, cfg config.Config, log *zap.Logger) error {
	tc, err := connect.Temporal(cfg.Temporal, log)
	if err != nil {
		return err
	}
	defer tc.Close()
	if _, err := searchattr.Ensure(ctx, tc.OperatorService(), cfg.Temporal.Namespace, integration.SearchAttributes()); err != nil {
		return err
	}
	log.Info("search attributes registered", zap.String("namespace", cfg.Temporal.Namespace))
	return nil
}

// register puts the workflows and activities on the worker.
func register(w worker.Registry, acts *activities.Activities) {
	workflows.Register(w)
	w.RegisterActivity(acts)
}

// interruptOn turns context cancellation into the worker's stop channel.
func interruptOn(ctx context.Context) <-chan any {
	ch := make(chan any)
	go func() {
		<-ctx.Done()
		close(ch)
	}()
	return ch
}

// startDevStack starts the embedded Temporal server and, without API
// credentials, the sandbox, and points cfg at them.
func startDevStack(ctx context.Context, f flags, cfg *config.Config, log *zap.Logger, codecEndpoint string) (stop func(), err error) {
	srv, err := devserver.Start(ctx, devserver.Options{
		DataDir:          filepath.Join(f.devDir, "temporal"),
		Namespace:        cfg.Temporal.Namespace,
		SearchAttributes: integration.SearchAttributes(),
		Logger:           log.Named("temporal-server"),
		CodecEndpoint:    codecEndpoint,
	})
	if err != nil {
		return nil, fmt.Errorf("embedded Temporal server: %w", err)
	}
	// Plaintext and no credentials, whatever the CLI profile says.
	cfg.Temporal.UseLocalServer(srv.FrontendHostPort())
	if os.Getenv("SYNC_STORE_DSN") == "" {
		// Keep the dev stack's state together, next to its Temporal data.
		cfg.Sync.StoreDSN = filepath.Join(f.devDir, "sync-store.db")
	}
	stops := []func(){func() { _ = srv.Stop() }}
	stopAll := func() {
		for i := len(stops) - 1; i >= 0; i-- {
			stops[i]()
		}
	}
	fmt.Printf("Temporal server: %s (namespace %s)\nTemporal Web UI: %s\n", srv.FrontendHostPort(), cfg.Temporal.Namespace, srv.UIURL())

	if usesSandbox(*cfg) {
		stopSandbox, err := startSandbox(f, cfg, log)
		if err != nil {
			stopAll()
			return nil, err
		}
		stops = append(stops, stopSandbox)
	}
	return stopAll, nil
}
