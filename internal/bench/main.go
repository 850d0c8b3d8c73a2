// Command bench measures one integration at the APIs' real limits: the
// embedded Temporal server, the sandbox (HubSpot Free, Brevo general tier,
// imports that take a few seconds), the sync store and a worker with the
// real activities in a child process of its own, so its peak RSS is the
// worker's alone.
//
//	go run ./internal/bench [-contacts N] [-changes N] [-faults F] [-variant NAME] [-fast]
//	                        [-workers N -store-dsn postgres://...] [-connections N] [-brevo-tier T]
//
// It measures the initial sync of the list and, with -changes, an
// incremental pass after N of its contacts changed. For each it prints the
// wall time against a lower bound (what HubSpot's limits allow for the
// calls the pass must make, plus one import delay), the calls per 1,000
// contacts, the 429s per API, the Temporal history events per 1,000
// contacts (every run of the continue-as-new chain) and each worker's peak
// RSS. With -workers N, N worker processes poll the one task queue and
// share a PostgreSQL store (-store-dsn or SYNC_TEST_POSTGRES_DSN), in a
// schema of their own that the run drops at the end.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"hubspot-brevo-sync/internal/brevo"
	"hubspot-brevo-sync/internal/hubspot"
	"hubspot-brevo-sync/internal/sandbox"
)

type flags struct {
	contacts     int
	changes      int
	faults       float64
	variant      string
	fast         bool
	timeout      time.Duration
	workers      int
	integrations int
	storeDSN     string
	unshared     bool
	// connections > 0 syncs that many HubSpot connections at once
	// (connections.go).
	connections int
	brevoTier   brevo.Tier

	// child (worker) mode
	worker     bool
	temporal   string
	sandboxURL string
	storePath  string
	rssFile    string
}

func main() {
	var f flags
	flag.IntVar(&f.contacts, "contacts", 10_000, "contacts in the HubSpot list")
	flag.IntVar(&f.changes, "changes", 0, "after the initial sync, change this many contacts and measure the incremental pass")
	flag.Float64Var(&f.faults, "faults", 0, "fraction (0..1) of HubSpot and Brevo requests answered with a 5xx")
	flag.StringVar(&f.variant, "variant", "", "Brevo behaviour variant (see the sandbox's BrevoVariants; default: the sandbox's defaults)")
	flag.BoolVar(&f.fast, "fast", false, "sandbox limits 20x the real ones and instant imports (a smoke test, not a measurement)")
	flag.IntVar(&f.connections, "connections", 0, "sync this many HubSpot connections (portals of -contacts each) at once instead of one integration")
	f.brevoTier = brevo.TierGeneral
	flag.Func("brevo-tier", "Brevo rate tier of the sandbox and the governors: general (default), advanced or extended",
		func(v string) error { return f.brevoTier.UnmarshalText([]byte(v)) })
	flag.DurationVar(&f.timeout, "timeout", 0, "give up after this long (0: 1 h plus 3 ms per contact)")
	flag.IntVar(&f.workers, "workers", 1, "worker processes on the one task queue (more than one needs a PostgreSQL store)")
	flag.IntVar(&f.integrations, "integrations", 0, "integrations synced at once, each a share of the contacts in a list of its own, all on one HubSpot connection and Brevo account (0: one per worker)")
	flag.BoolVar(&f.unshared, "unshared", false, "each worker paces its API calls alone, as before the shared rate windows (for comparison)")
	flag.StringVar(&f.storeDSN, "store-dsn", "", "PostgreSQL store the workers share (with -workers > 1 default SYNC_TEST_POSTGRES_DSN; else empty: a SQLite file)")
	flag.BoolVar(&f.worker, "worker", false, "internal: run as the worker process")
	flag.StringVar(&f.temporal, "temporal", "", "internal: Temporal frontend")
	flag.StringVar(&f.sandboxURL, "sandbox", "", "internal: sandbox URL")
	flag.StringVar(&f.storePath, "store", "", "internal: sync store path or DSN")
	flag.StringVar(&f.rssFile, "rss-file", "", "internal: where the worker writes its peak RSS")
	flag.Parse()
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	var err error
	if f.worker {
		err = runWorker(ctx, f)
	} else {
		err = run(ctx, f)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// limits are the sandbox's limits, and the governors' (as HUBSPOT_TIER=free
// and BREVO_TIER=general set them).
func limits(f flags) (sandbox.Options, error) {
	hs := hubspot.TierFree.Limits()
	bv := f.brevoTier.Limits()
	o := sandbox.Options{
		HubSpot: sandbox.HubSpotOptions{BurstLimit: hs.Burst, BurstWindow: hs.BurstPeriod, DailyLimit: hs.Daily},
		Brevo: sandbox.BrevoOptions{ContactsPerSecond: bv.ContactsPerSecond, ContactsPerHour: bv.ContactsPerHour,
			OtherPerHour: bv.OtherPerHour, ImportDelay: 3 * time.Second},
		FaultRate: f.faults, Seed: 1,
	}
	if f.fast {
		o.HubSpot.BurstLimit *= 20
		o.Brevo.ContactsPerSecond *= 20
		o.Brevo.ContactsPerHour *= 20
		o.Brevo.ImportDelay = -1
	}
	if f.variant == "" {
		return o, nil
	}
	var names []string
	for _, v := range sandbox.BrevoVariants() {
		if v.Name == f.variant {
			o.Brevo = v.Apply(o.Brevo)
			return o, nil
		}
		names = append(names, v.Name)
	}
	return o, fmt.Errorf("-variant %q: want one of %s", f.variant, strings.Join(names, ", "))
}
