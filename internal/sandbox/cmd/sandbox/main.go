// Command sandbox serves the HubSpot and Brevo emulators on their own, so
// a person can curl them or point the worker at them:
//
//	go run ./internal/sandbox/cmd/sandbox -addr 127.0.0.1:8700 -contacts 2000
//
// HubSpot answers at the root (/crm/..., /oauth/...), Brevo under /v3, the
// sandbox's own state under /_sandbox. Limits default to the real ones.
// The -brevo-* flags pick between behaviours of Brevo nobody here has
// observed (see sandbox.BrevoOptions), e.g. to try the worker against
// imports that keep EXT_ID and refuse conflicting rows:
//
//	go run ./internal/sandbox/cmd/sandbox -brevo-import-keeps-extid -brevo-import-conflicts duplicate
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"hubspot-brevo-sync/internal/sandbox"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "sandbox:", err)
		os.Exit(1)
	}
}

func run() error {
	var (
		o        sandbox.Options
		addr     = flag.String("addr", sandbox.DevAddr, "listen address")
		contacts = flag.Int("contacts", 2000, "contacts to seed into HubSpot list 1 (0: none)")
		seed     = flag.Uint64("seed", 1, "seed of the generated data and of injected faults")
		variants = flag.Bool("list-brevo-variants", false, "print the names of the Brevo behaviour variants, the defaults first, and exit")
	)
	flag.DurationVar(&o.Latency, "latency", 0, "added to every API response")
	flag.Float64Var(&o.FaultRate, "fault-rate", 0, "fraction of API requests answered with 502")
	flag.IntVar(&o.HubSpot.BurstLimit, "hubspot-burst", 0, "HubSpot requests per burst window (0: 100)")
	flag.DurationVar(&o.HubSpot.BurstWindow, "hubspot-window", 0, "HubSpot burst window (0: 10s)")
	flag.IntVar(&o.HubSpot.DailyLimit, "hubspot-daily", 0, "HubSpot requests per day (0: 250000)")
	flag.DurationVar(&o.HubSpot.SearchLag, "search-lag", 0, "how long a modified contact stays invisible to search")
	flag.IntVar(&o.Brevo.ContactsPerSecond, "brevo-rps", 0, "Brevo contacts requests per second (0: 10)")
	flag.DurationVar(&o.Brevo.ImportDelay, "import-delay", 0, "how long a Brevo import takes (0: 1.5s)")
	flag.BoolVar(&o.Brevo.ImportKeepsExtID, "brevo-import-keeps-extid", false, "an EXT_ID in a JSON import row sets the contact's ext_id (default: dropped like an unknown attribute)")
	flag.BoolVar(&o.Brevo.ProcessListInfo, "brevo-process-list-info", false, "GET /v3/processes list items carry info (default: only GET /v3/processes/{id} does)")
	flag.StringVar(&o.Brevo.ImportConflicts, "brevo-import-conflicts", sandbox.BrevoConflictsMerge, "import row whose identifiers belong to different contacts: merge or duplicate")
	flag.StringVar(&o.Brevo.ImportOutcome, "brevo-import-outcome", sandbox.BrevoImportCompleted, "how imports end: completed, failed or cancelled")
	flag.StringVar(&o.Brevo.ImportReportValues, "brevo-import-report", sandbox.BrevoReportMixed, "info.import values: mixed, counts or urls")
	flag.BoolVar(&o.Brevo.ContactExtIDTopLevel, "brevo-extid-top-level", false, "contact reads show ext_id as a top-level field instead of attributes.EXT_ID")
	flag.StringVar(&o.Brevo.Plan, "brevo-plan", "free", "plan type GET /v3/account reports: free, payAsYouGo, subscription or enterprise")
	flag.BoolVar(&o.Brevo.LegacyProcessStatus, "brevo-legacy-process-status", false, "running processes report in_process instead of processing")
	flag.BoolVar(&o.Brevo.UnsubscribeKeepsModifiedAt, "brevo-unsubscribe-keeps-modified-at", false, "a person's unsubscribe (POST /_sandbox/brevo/unsubscribe) leaves modifiedAt as it was")
	flag.BoolVar(&o.HubSpot.RepeatUnsubscribeOK, "hubspot-repeat-unsubscribe-ok", false, "a repeated unsubscribe answers 200 (default: 400 \"already unsubscribed\")")
	flag.BoolVar(&o.Brevo.ImportUnblocklists, "brevo-import-unblocklists", false, "an import without emailBlacklist un-blocklists the contacts it updates")
	flag.Parse()
	if *variants {
		for _, v := range sandbox.BrevoVariants() {
			fmt.Println(v.Name)
		}
		return nil
	}
	o.Seed = *seed
	if err := o.Brevo.Validate(); err != nil {
		return err
	}

	sb := sandbox.New(o)
	if *contacts > 0 {
		sb.HubSpot().Seed(sandbox.SeedOptions{Contacts: *contacts, Seed: *seed})
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	env := sandbox.DevEnv("http://" + ln.Addr().String())
	fmt.Printf("sandbox on http://%s\n  HUBSPOT_BASE_URL=%s HUBSPOT_ACCESS_TOKEN=%s\n  BREVO_BASE_URL=%s BREVO_API_KEY=%s\n",
		ln.Addr(), env.HubSpotBaseURL, env.HubSpotToken, env.BrevoBaseURL, env.BrevoAPIKey)

	srv := &http.Server{Handler: sb, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
