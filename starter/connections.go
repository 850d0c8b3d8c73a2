package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"hubspot-brevo-sync/internal/config"
	"hubspot-brevo-sync/internal/connect"
	"hubspot-brevo-sync/internal/connections"
	"hubspot-brevo-sync/internal/hubspot"
	"hubspot-brevo-sync/internal/manage"
)

// connectionsDir is the connections directory in force: SYNC_CONNECTIONS_DIR,
// or with --dev the dev directory's.
func (c *cli) connectionsDir() connections.Dir {
	devDir := ""
	if c.dev {
		devDir = c.cfg.Sync.DevDir
	}
	return connections.Dir(c.cfg.Sync.ConnectionsPath(devDir))
}

// registry resolves the named connections with the starter's clients.
func (c *cli) registry(def *hubspot.Client) *connections.Registry {
	return connections.NewRegistry(c.connectionsDir(), c.cfg.HubSpot, def, func(h config.HubSpot) (*hubspot.Client, error) {
		return connect.HubSpot(h, c.log)
	}, c.log)
}

// managerOn is the manager with the named HubSpot connection's client
// ("": the HUBSPOT_* environment's).
func (c *cli) managerOn(connection string) (*manage.Manager, error) {
	m, err := c.manager(true)
	if err != nil {
		return nil, err
	}
	if (connection == "" || connection == config.DefaultConnection) && m.HubSpot == nil {
		return nil, c.cfg.RequireAPIs()
	}
	return m.OnConnection(connection)
}

func (c *cli) connectionsCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "connections add|list|remove",
		Short: "Manage the named HubSpot connections (SYNC_CONNECTIONS_DIR)",
		Long: `A connection is a name plus HubSpot credentials, one file <name>.json
(mode 0600) in SYNC_CONNECTIONS_DIR (default connections/, $SYNC_DEV_DIR/connections
with --dev). 'create --hubspot-connection NAME' reads HubSpot through it; the
HUBSPOT_* environment is the connection named default. The worker reads the
files at use: a new connection needs no restart. Secrets are never printed.`,
		Args: cobra.ArbitraryArgs,
		RunE: func(*cobra.Command, []string) error {
			return errors.New("connections: want 'add', 'list' or 'remove'")
		},
	}
	cmd.AddCommand(c.connectionsAddCommand(), c.connectionsListCommand(), c.connectionsRemoveCommand())
	return cmd
}

func (c *cli) connectionsAddCommand() *cobra.Command {
	var tokenFile, baseURL, tier string
	var replace bool
	cmd := &cobra.Command{
		Use:   "add NAME --access-token-file FILE [--base-url URL] [--tier TIER]",
		Short: "Add a connection with a private-app token or service key",
		Long: `Add writes NAME.json with the token read from --access-token-file (the token
never appears on a command line). For an OAuth app use 'connect hubspot
--connection NAME' instead.`,
		Example: "  starter connections add acme-eu --access-token-file ./acme-token --tier professional",
		Args:    oneConnection,
		RunE: func(_ *cobra.Command, args []string) error {
			if err := c.load(); err != nil {
				return err
			}
			return c.addConnection(args[0], tokenFile, baseURL, tier, replace)
		},
	}
	f := cmd.Flags()
	f.StringVar(&tokenFile, "access-token-file", "", "`FILE` holding the private-app token or service key (required)")
	f.StringVar(&baseURL, "base-url", "", "HubSpot API base `URL` (default HUBSPOT_BASE_URL)")
	f.StringVar(&tier, "tier", "", "the account's `TIER`: free, starter, professional or enterprise (default HUBSPOT_TIER)")
	f.BoolVar(&replace, "replace", false, "replace an existing connection of that name")
	return cmd
}

func (c *cli) addConnection(name, tokenFile, baseURL, tier string, replace bool) error {
	if err := connections.ValidateName(name); err != nil {
		return fmt.Errorf("connections add: %w", err)
	}
	if tokenFile == "" {
		return errors.New("connections add: --access-token-file is required")
	}
	b, err := os.ReadFile(tokenFile)
	if err != nil {
		return fmt.Errorf("connections add: --access-token-file: %w", err)
	}
	conn := connections.Connection{Name: name, AccessToken: strings.TrimSpace(string(b)), BaseURL: baseURL}
	if conn.AccessToken == "" {
		return fmt.Errorf("connections add: %s is empty", tokenFile)
	}
	if tier != "" {
		if err := conn.Tier.UnmarshalText([]byte(tier)); err != nil {
			return fmt.Errorf("connections add: --tier: %w", err)
		}
	}
	dir := c.connectionsDir()
	if _, err := dir.Load(name); err == nil && !replace {
		return fmt.Errorf("connections add: connection %q exists; --replace replaces it", name)
	}
	if err := dir.Save(conn); err != nil {
		return fmt.Errorf("connections add: %w", err)
	}
	fmt.Fprintf(c.out, "added HubSpot connection %s (%s) in %s; check it with 'starter hubspot lists --connection %s'\n",
		name, conn.Kind(), dir, name)
	return nil
}

func (c *cli) connectionsListCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use: "list", Short: "List the connections: names, kinds, base URLs (never secrets)", Args: noArgs,
		RunE: func(*cobra.Command, []string) error {
			if err := c.load(); err != nil {
				return err
			}
			all, err := c.connectionsDir().List()
			if err != nil {
				return err
			}
			summaries := []connections.Summary{}
			if c.cfg.HubSpot.HasCredentials() {
				kind := connections.KindAccessToken
				if c.cfg.HubSpot.AccessToken == "" {
					kind = connections.KindOAuth
				}
				summaries = append(summaries, connections.Summary{Name: config.DefaultConnection, Kind: kind,
					BaseURL: c.cfg.HubSpot.BaseURL, Tier: c.cfg.HubSpot.Tier})
			}
			for _, conn := range all {
				s := conn.Summary()
				if s.BaseURL == "" {
					s.BaseURL = c.cfg.HubSpot.BaseURL
				}
				if s.Tier == "" {
					s.Tier = c.cfg.HubSpot.Tier
				}
				summaries = append(summaries, s)
			}
			return show(c, summaries, asJSON, "NAME\tKIND\tBASE URL\tTIER", func(s connections.Summary) []string {
				return []string{s.Name, s.Kind, s.BaseURL, string(s.Tier)}
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func (c *cli) connectionsRemoveCommand() *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "remove NAME",
		Short: "Remove a connection no running integration uses",
		Long: `Remove deletes NAME.json. It refuses while a running integration reads the
connection (its HubSpotConnection search attribute), or when Temporal cannot
tell; --force removes it anyway (those integrations then fail until it is back).`,
		Args: oneConnection,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := c.load(); err != nil {
				return err
			}
			name := args[0]
			if err := connections.ValidateName(name); err != nil {
				return fmt.Errorf("connections remove: %w", err)
			}
			if _, err := c.connectionsDir().Load(name); err != nil {
				return fmt.Errorf("connections remove: %w", err)
			}
			if !force {
				if err := c.refuseIfUsed(cmd.Context(), name); err != nil {
					return err
				}
			}
			if err := c.connectionsDir().Remove(name); err != nil {
				return fmt.Errorf("connections remove: %w", err)
			}
			fmt.Fprintf(c.out, "removed HubSpot connection %s\n", name)
			return nil
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "remove even when integrations use it (or Temporal cannot tell)")
	return cmd
}

// refuseIfUsed refuses, in one line, to remove a connection a running
// integration reads.
func (c *cli) refuseIfUsed(ctx context.Context, name string) error {
	m, err := c.temporal()
	if err != nil {
		return fmt.Errorf("connections remove: cannot tell whether an integration uses %s (%v); --force removes it anyway", name, err)
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	using, err := m.UsingConnection(ctx, name)
	if err != nil {
		return fmt.Errorf("connections remove: cannot tell whether an integration uses %s (%v); --force removes it anyway", name, err)
	}
	if len(using) > 0 {
		return fmt.Errorf("connections remove: %s is used by %s; stop them first (or --force)", name, strings.Join(using, ", "))
	}
	return nil
}

// oneConnection expects exactly one positional argument: a connection name.
func oneConnection(cmd *cobra.Command, args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("%s needs exactly one connection name, got %d arguments", commandName(cmd), len(args))
	}
	return nil
}
