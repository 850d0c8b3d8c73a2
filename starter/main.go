// Command starter is the people's side of hubspot-brevo-sync: it creates,
// steers and inspects integrations and discovers what HubSpot and Brevo
// offer to map. It reads the same environment as the worker.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"syscall"
	"time"

	"go.uber.org/zap"

	"hubspot-brevo-sync/internal/config"
	"hubspot-brevo-sync/internal/connect"
	"hubspot-brevo-sync/internal/manage"
	"hubspot-brevo-sync/internal/sandbox"
	"hubspot-brevo-sync/internal/integration"
)

const usage = `usage: starter [--dev] COMMAND [flags]

Integrations:
  create --name N --hubspot-list ID (--brevo-list ID | --new-brevo-list NAME [--brevo-folder ID])
         --map hubspot_property=BREVO_ATTRIBUTE[:category|text|multiple-choice] ... --opt-in-confirmed
         [--draft] [--default-country-code CC] [--create-attributes] [--dry-run [--sample K] [--json]]
         [--on-leave unlink|keep] [--unlink-guard PCT] [--reconcile-every 24h]
  activate|pause|stop|sync NAME
  resume NAME [--allow-leaves]
  status NAME [--json] [--watch]
  preview NAME [--sample K] [--json]
  report NAME [--json] [--contact HUBSPOT_ID|EMAIL]
  list [--json]
  quota [--json]
  quota set --limit N

Setup:
  connect hubspot [--client-id ID --client-secret SECRET] [--scopes "oauth crm.objects.contacts.read crm.lists.read"]
                  [--port 8750] [--out FILE] [--redirect-host localhost|127.0.0.1]

Discovery:
  hubspot lists [--json]
  hubspot properties [--mappable] [--json]
  brevo lists [--json]
  brevo attributes [--json]

--dev talks to the stack of 'worker --dev': its sandbox APIs when no
credentials are set, and its Temporal server.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "starter:", err)
		os.Exit(1)
	}
}

// errUsage asks for the usage text instead of an error line.
var errUsage = errors.New(usage)

func run(ctx context.Context, args []string, out io.Writer) error {
	dev := false
	args = slices.DeleteFunc(args, func(a string) bool {
		if a == "--dev" || a == "-dev" {
			dev = true
			return true
		}
		return false
	})
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(out, usage)
		return nil
	}
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	if dev && os.Getenv("SYNC_STORE_DSN") == "" {
		cfg.Sync.StoreDSN = filepath.Join(".dev", "sync-store.db") // where worker --dev keeps it
	}
	if dev && !cfg.HubSpot.HasCredentials() && cfg.Brevo.APIKey == "" {
		env := sandbox.DevEnv("http://" + sandbox.DevAddr)
		cfg.HubSpot.BaseURL, cfg.HubSpot.AccessToken = env.HubSpotBaseURL, env.HubSpotToken
		cfg.Brevo.BaseURL, cfg.Brevo.APIKey = env.BrevoBaseURL, env.BrevoAPIKey
	}
	c := &cli{cfg: cfg, out: out, log: zap.NewNop()}
	defer c.close()

	cmd, rest := args[0], args[1:]
	switch cmd {
	case "create":
		return c.create(ctx, rest)
	case "activate", "pause", "resume", "stop":
		return c.signal(ctx, cmd, rest)
	case "sync":
		return c.signal(ctx, integration.SignalSyncNow, rest)
	case "status":
		return c.status(ctx, rest)
	case "preview":
		return c.preview(ctx, rest)
	case "report":
		return c.report(ctx, rest)
	case "list":
		return c.list(ctx, rest)
	case "hubspot":
		return c.hubspot(ctx, rest)
	case "brevo":
		return c.brevo(ctx, rest)
	case "quota":
		return c.quota(ctx, rest)
	case "connect":
		return c.connect(ctx, rest)
	default:
		return fmt.Errorf("unknown command %q; run 'starter help'", cmd)
	}
}

// cli holds the configuration and builds clients on first use, so
// discovery commands work without Temporal and steering commands without
// API credentials.
type cli struct {
	cfg config.Config
	out io.Writer
	log *zap.Logger
	mgr *manage.Manager
}

func (c *cli) close() {
	if c.mgr != nil && c.mgr.Temporal != nil {
		c.mgr.Temporal.Close()
	}
}

// manager builds what the command needs: Temporal always, the API clients
// when withAPIs.
func (c *cli) manager(withAPIs bool) (*manage.Manager, error) {
	if c.mgr == nil {
		c.mgr = &manage.Manager{TaskQueue: c.cfg.Temporal.TaskQueue, MonthlyTaskLimit: int64(c.cfg.Sync.MonthlyTaskLimit)}
	}
	if withAPIs && c.mgr.HubSpot == nil {
		if err := c.cfg.RequireAPIs(); err != nil {
			return nil, err
		}
		hs, err := connect.HubSpot(c.cfg.HubSpot, c.log)
		if err != nil {
			return nil, err
		}
		bv, err := connect.Brevo(c.cfg.Brevo, c.log)
		if err != nil {
			return nil, err
		}
		c.mgr.HubSpot, c.mgr.Brevo = hs, bv
	}
	return c.mgr, nil
}

func (c *cli) temporal() (*manage.Manager, error) {
	m, err := c.manager(false)
	if err != nil {
		return nil, err
	}
	if m.Temporal == nil {
		tc, err := connect.Temporal(c.cfg.Temporal, c.log)
		if err != nil {
			return nil, err
		}
		m.Temporal = tc
	}
	return m, nil
}

// parse parses flags that may come before or after positional arguments
// and returns the positional ones.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	fs.SetOutput(io.Discard)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, fmt.Errorf("%s: %v", fs.Name(), err)
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// oneName expects exactly one positional argument: the integration name.
func oneName(cmd string, pos []string) (string, error) {
	if len(pos) != 1 {
		return "", fmt.Errorf("%s needs exactly one integration name, got %d arguments", cmd, len(pos))
	}
	return pos[0], nil
}

type multiFlag []string

func (m *multiFlag) String() string     { return fmt.Sprint(*m) }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func (c *cli) create(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("create", flag.ContinueOnError)
	var req manage.CreateRequest
	var maps multiFlag
	fs.StringVar(&req.Name, "name", "", "integration name")
	fs.StringVar(&req.HubSpotListID, "hubspot-list", "", "HubSpot contact list id")
	fs.Int64Var(&req.BrevoListID, "brevo-list", 0, "Brevo list id")
	fs.StringVar(&req.NewBrevoList, "new-brevo-list", "", "name of a Brevo list to create")
	fs.Int64Var(&req.BrevoFolderID, "brevo-folder", 0, "Brevo folder of the new list")
	fs.Var(&maps, "map", "hubspot_property=BREVO_ATTRIBUTE (repeat)")
	fs.BoolVar(&req.OptInConfirmed, "opt-in-confirmed", false, "confirm the contacts opted in")
	fs.BoolVar(&req.Draft, "draft", false, "save without activating")
	fs.StringVar(&req.DefaultCountryCode, "default-country-code", "", "country code for national phone numbers, e.g. 49")
	fs.StringVar(&req.OnLeave, "on-leave", "unlink", "unlink|keep: what happens in Brevo to a contact that leaves the HubSpot list")
	fs.IntVar(&req.UnlinkGuardPercent, "unlink-guard", 0, "refuse to unlink more than this % of the list in one pass (default 20; -1 off)")
	fs.DurationVar(&req.ReconcileEvery, "reconcile-every", 0, "how often a full pass repairs drift (default 24h)")
	fs.BoolVar(&req.CreateAttributes, "create-attributes", false, "create the mapped Brevo attributes that do not exist")
	dryRun := fs.Bool("dry-run", false, "validate and preview the first list members; write nothing, start nothing")
	sample := fs.Int("sample", 0, "list members a dry run reads (default 25, max 250)")
	asJSON := fs.Bool("json", false, "print the dry run as JSON")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return fmt.Errorf("create: unexpected argument %q", pos[0])
	}
	req.Map = maps
	if !*dryRun && (*sample != 0 || *asJSON) {
		return fmt.Errorf("create: --sample and --json go with --dry-run")
	}
	m, err := c.manager(true)
	if err != nil {
		return err
	}
	if *dryRun {
		return c.dryRun(ctx, m, req, *sample, *asJSON)
	}
	// Validate before dialing Temporal, so configuration mistakes are
	// reported even when Temporal is down.
	planned, err := c.validateCreate(ctx, m, req)
	if err != nil {
		return err
	}
	if m, err = c.temporal(); err != nil {
		return err
	}
	spec, err := m.Create(ctx, req)
	if err != nil {
		return err
	}
	state := "syncing"
	if spec.Draft {
		state = "draft (run 'starter activate " + spec.Name + "')"
	}
	printCreatedAttributes(c.out, planned)
	fmt.Fprintf(c.out, "created integration %s: %s\n", spec.Name, state)
	return nil
}

func (c *cli) signal(ctx context.Context, signal string, args []string) error {
	fs := flag.NewFlagSet(signal, flag.ContinueOnError)
	allowLeaves := false
	if signal == integration.SignalResume {
		fs.BoolVar(&allowLeaves, "allow-leaves", false, "let this pass unlink more members than the unlink guard allows")
	}
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	name, err := oneName(signal, pos)
	if err != nil {
		return err
	}
	m, err := c.temporal()
	if err != nil {
		return err
	}
	if allowLeaves {
		if err := m.Signal(ctx, name, integration.SignalAllowLeaves); err != nil {
			return err
		}
	}
	if err := m.Signal(ctx, name, signal); err != nil {
		return err
	}
	fmt.Fprintf(c.out, "sent %s to %s\n", signal, name)
	return nil
}

func (c *cli) status(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print JSON")
	watch := fs.Bool("watch", false, "redraw until the integration is idle")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	name, err := oneName("status", pos)
	if err != nil {
		return err
	}
	m, err := c.temporal()
	if err != nil {
		return err
	}
	for {
		st, err := m.Status(ctx, name)
		if err != nil {
			return err
		}
		switch {
		case *asJSON:
			if err := printJSON(c.out, st); err != nil {
				return err
			}
		case *watch:
			fmt.Fprint(c.out, "\r\033[K"+progressLine(st))
		default:
			printStatus(c.out, st)
		}
		if !*watch || settled(st.State) {
			if *watch && !*asJSON {
				fmt.Fprintln(c.out)
				printStatus(c.out, st)
			}
			return nil
		}
		select {
		case <-ctx.Done():
			fmt.Fprintln(c.out)
			return nil
		case <-time.After(time.Second):
		}
	}
}

// settled reports whether --watch can stop: the integration waits for
// something other than its own progress.
func settled(s integration.State) bool {
	return s != integration.StateSyncing
}

func (c *cli) list(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("list", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	m, err := c.temporal()
	if err != nil {
		return err
	}
	all, err := m.List(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		if all == nil {
			all = []integration.Status{}
		}
		return printJSON(c.out, all)
	}
	printStatusTable(c.out, all)
	return nil
}
