// Command starter is the people's side of hubspot-brevo-sync: it creates,
// steers and inspects integrations and discovers what HubSpot and Brevo
// offer to map. It reads the same environment as the worker.
//
// Install it with `go install ./starter` (the binary is named starter) or
// build it with `go build -o bin/starter ./starter`.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"hubspot-brevo-sync/internal/config"
	"hubspot-brevo-sync/internal/connect"
	"hubspot-brevo-sync/internal/manage"
	"hubspot-brevo-sync/internal/sandbox"
)

// usage is the overview `starter`, `starter help` and `starter --help`
// print; `starter help COMMAND` and `starter COMMAND --help` print one
// command's flags in detail.
const usage = `usage: starter [--dev] COMMAND [flags]

Integrations:
  create --name N --hubspot-list ID (--brevo-list ID | --new-brevo-list NAME [--brevo-folder ID])
         --map hubspot_property=BREVO_ATTRIBUTE[:category|text|multiple-choice] ... --opt-in-confirmed
         [--draft] [--default-country-code CC] [--create-attributes] [--dry-run [--sample K] [--json]]
         [--on-leave unlink|keep] [--unlink-guard PCT] [--reconcile-every 24h] [--hubspot-connection NAME]
         [--on-delete unlink|delete|keep] [--report-unsubscribes-to-hubspot [--hubspot-subscription-id ID]]
  activate|pause|stop|sync NAME
  resume NAME [--allow-leaves]
  status NAME [--json] [--watch]
  preview NAME [--sample K] [--json]
  report NAME [--json] [--contact HUBSPOT_ID|EMAIL]
  list [--json]
  quota [--json]
  quota set --limit N

Setup:
  doctor [--json] [--write-canary]       check Temporal, HubSpot and Brevo with the worker's settings
  connect hubspot [--client-id ID --client-secret SECRET] [--scopes "oauth crm.objects.contacts.read crm.lists.read"]
                  [--port 8750] [--out FILE | --connection NAME] [--redirect-host localhost|127.0.0.1]
  connections add NAME --access-token-file FILE [--base-url URL] [--tier TIER] [--replace]
  connections list [--json]
  connections remove NAME [--force]

Discovery:
  hubspot lists [--connection NAME] [--json]
  hubspot properties [--connection NAME] [--mappable] [--json]
  brevo lists [--json]
  brevo attributes [--json]

Help:
  help [COMMAND ...]                     what a command does, with its flags (or COMMAND --help)
  completion bash|zsh|fish|powershell    a shell completion script (see 'starter help completion')

--dev talks to the stack of 'worker --dev': its sandbox APIs when no
credentials are set, its Temporal server and its sync store.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "starter:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, out io.Writer) error {
	args, dev := takeDevFlag(args)
	c := &cli{out: out, dev: dev, log: zap.NewNop()}
	defer c.close()
	root := c.rootCommand()
	root.SetArgs(args)
	root.SetOut(out)
	root.SetErr(os.Stderr)
	return root.ExecuteContext(ctx)
}

// takeDevFlag takes --dev (or -dev) out wherever it stands, before the
// flags are parsed: it changes where every command looks, whichever.
func takeDevFlag(args []string) ([]string, bool) {
	dev := false
	args = slices.DeleteFunc(slices.Clone(args), func(a string) bool {
		if a == "--dev" || a == "-dev" {
			dev = true
			return true
		}
		return false
	})
	return args, dev
}

// cli holds the configuration and builds clients on first use, so
// discovery commands work without Temporal and steering commands without
// API credentials.
type cli struct {
	out io.Writer
	// dev is --dev taken out before parsing; devFlag is --dev=true or
	// --dev=false, which cobra parses.
	dev     bool
	devFlag *bool
	cfg     config.Config
	loaded  bool
	log     *zap.Logger
	mgr     *manage.Manager
}

func (c *cli) close() {
	if c.mgr != nil && c.mgr.Temporal != nil {
		c.mgr.Temporal.Close()
	}
}

// load reads the environment once, and with --dev points at the stack of
// `worker --dev`. Help and completion scripts need no valid environment,
// so only the commands that run call it.
func (c *cli) load() error {
	if c.loaded {
		return nil
	}
	if c.devFlag != nil && *c.devFlag {
		c.dev = true
	}
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	if c.dev && os.Getenv("SYNC_STORE_DSN") == "" {
		cfg.Sync.StoreDSN = filepath.Join(cfg.Sync.DevDir, "sync-store.db") // where worker --dev keeps it
	}
	if c.dev && !cfg.HubSpot.HasCredentials() && cfg.Brevo.APIKey == "" {
		env := sandbox.DevEnv("http://" + sandbox.DevAddr)
		cfg.HubSpot.BaseURL, cfg.HubSpot.AccessToken = env.HubSpotBaseURL, env.HubSpotToken
		cfg.Brevo.BaseURL, cfg.Brevo.APIKey = env.BrevoBaseURL, env.BrevoAPIKey
	}
	c.cfg, c.loaded = cfg, true
	return nil
}

// manager builds what the command needs: Temporal always, the API clients
// when withAPIs.
func (c *cli) manager(withAPIs bool) (*manage.Manager, error) {
	if err := c.load(); err != nil {
		return nil, err
	}
	if c.mgr == nil {
		c.mgr = &manage.Manager{TaskQueue: c.cfg.Temporal.TaskQueue, Namespace: c.cfg.Temporal.Namespace,
			MonthlyTaskLimit: int64(c.cfg.Sync.MonthlyTaskLimit)}
	}
	if withAPIs && c.mgr.Brevo == nil {
		// HubSpot may come from named connections only (managerOn).
		if err := c.cfg.RequireAPIsWith(true); err != nil {
			return nil, err
		}
		if c.cfg.HubSpot.HasCredentials() {
			hs, err := connect.HubSpot(c.cfg.HubSpot, c.log)
			if err != nil {
				return nil, err
			}
			c.mgr.HubSpot = hs
		}
		bv, err := connect.Brevo(c.cfg.Brevo, c.log)
		if err != nil {
			return nil, err
		}
		c.mgr.Brevo = bv
		c.mgr.Connections = c.registry(c.mgr.HubSpot)
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

// rootCommand builds the command tree. Errors are returned, never printed
// by cobra: main prints them in one line.
func (c *cli) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "starter",
		Short:         "Create, steer and inspect HubSpot → Brevo integrations",
		Args:          cobra.ArbitraryArgs,
		SilenceErrors: true,
		SilenceUsage:  true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				fmt.Fprint(cmd.OutOrStdout(), usage)
				return nil
			}
			return fmt.Errorf("unknown command %q; run 'starter help'", args[0])
		},
	}
	// --dev is taken out before parsing (takeDevFlag, so -dev works
	// too); declared here for the help, completion and --dev=true.
	c.devFlag = root.PersistentFlags().Bool("dev", false, "talk to the stack of 'worker --dev'")
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		if cmd == root {
			return err
		}
		return fmt.Errorf("%s: %v", commandName(cmd), err)
	})
	commandHelp := root.HelpFunc()
	root.SetHelpFunc(func(cmd *cobra.Command, args []string) {
		if cmd == root {
			fmt.Fprint(cmd.OutOrStdout(), usage)
			return
		}
		commandHelp(cmd, args)
	})
	root.AddCommand(c.createCommand())
	root.AddCommand(c.steeringCommands()...)
	root.AddCommand(c.statusCommand(), c.listCommand(), c.previewCommand(), c.reportCommand(), c.quotaCommand())
	root.AddCommand(c.connectCommand(), c.connectionsCommand())
	root.AddCommand(c.hubspotCommand(), c.brevoCommand())
	root.AddCommand(c.doctorCommand())
	return root
}

// commandName is the command as people type it after "starter", e.g.
// "connect hubspot".
func commandName(cmd *cobra.Command) string {
	return strings.TrimPrefix(strings.TrimPrefix(cmd.CommandPath(), "starter"), " ")
}

// oneName expects exactly one positional argument: the integration name.
func oneName(cmd *cobra.Command, args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("%s needs exactly one integration name, got %d arguments", commandName(cmd), len(args))
	}
	return nil
}

// noArgs refuses positional arguments.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return fmt.Errorf("%s: unexpected argument %q", commandName(cmd), args[0])
	}
	return nil
}
