package main

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"hubspot-brevo-sync/internal/connections"
	"hubspot-brevo-sync/internal/hubspot"
	"hubspot-brevo-sync/internal/oauthconnect"
	"hubspot-brevo-sync/internal/sandbox"
)

// connectCommand is `starter connect hubspot`: the OAuth
// authorization-code flow that yields the refresh token the worker uses
// (HUBSPOT_REFRESH_TOKEN_FILE).
func (c *cli) connectCommand() *cobra.Command {
	const want = "connect: want 'connect hubspot --client-id ID --client-secret SECRET [--scopes S] [--port N] [--out FILE]'"
	cmd := &cobra.Command{
		Use: "connect hubspot", Short: "Authorize the sync with HubSpot by OAuth (a refresh token for the worker)",
		Args: cobra.ArbitraryArgs,
		RunE: func(*cobra.Command, []string) error { return errors.New(want) },
	}
	var o oauthconnect.Options
	var scopes string
	hubspot := &cobra.Command{
		Use:   "hubspot",
		Short: "Run HubSpot's OAuth flow in the browser and save the refresh token",
		Long: `Connect hubspot serves a callback on the loopback interface, prints HubSpot's
authorize URL for the browser, and writes the refresh token it receives to
--out (mode 0600): point HUBSPOT_REFRESH_TOKEN_FILE at it, with
HUBSPOT_CLIENT_ID and HUBSPOT_CLIENT_SECRET. The app's redirect URL must be
http://localhost:8750/callback (or the --redirect-host and --port given).`,
		Example: "  starter connect hubspot --client-id $HUBSPOT_CLIENT_ID --client-secret $HUBSPOT_CLIENT_SECRET",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := c.load(); err != nil {
				return err
			}
			return c.connectHubSpot(cmd, o, scopes)
		},
	}
	f := hubspot.Flags()
	f.StringVar(&o.ClientID, "client-id", "", "the app's client id (default HUBSPOT_CLIENT_ID)")
	f.StringVar(&o.ClientSecret, "client-secret", "", "the app's client secret (default HUBSPOT_CLIENT_SECRET)")
	f.StringVar(&scopes, "scopes", strings.Join(oauthconnect.DefaultScopes, " "), "space- or comma-separated scopes")
	f.IntVar(&o.Port, "port", oauthconnect.DefaultPort, "port of the callback server on the loopback interface")
	f.StringVar(&o.RedirectHost, "redirect-host", oauthconnect.DefaultRedirectHost, "host of the redirect URL: localhost or 127.0.0.1")
	f.StringVar(&o.Out, "out", oauthconnect.DefaultOut, "file the refresh token is written to (mode 0600)")
	f.StringVar(&o.Connection, "connection", "", "save the app and refresh token as the HubSpot connection `NAME` (SYNC_CONNECTIONS_DIR) instead of --out")
	f.StringVar(&o.AuthorizeURL, "authorize-url", "", "HubSpot's authorize page (default HubSpot's; the sandbox's with --dev)")
	f.DurationVar(&o.Timeout, "timeout", oauthconnect.DefaultTimeout, "how long to wait for the browser")
	_ = hubspot.RegisterFlagCompletionFunc("redirect-host", cobra.FixedCompletions([]string{"localhost", "127.0.0.1"}, cobra.ShellCompDirectiveNoFileComp))
	cmd.AddCommand(hubspot)
	return cmd
}

func (c *cli) connectHubSpot(cmd *cobra.Command, o oauthconnect.Options, scopes string) error {
	if o.Timeout < time.Second {
		return fmt.Errorf("connect hubspot: --timeout %s is too short", o.Timeout)
	}
	o.BaseURL, o.Stdout = c.cfg.HubSpot.BaseURL, c.out
	if !cmd.Flags().Changed("client-id") {
		o.ClientID = c.cfg.HubSpot.ClientID
	}
	if !cmd.Flags().Changed("client-secret") {
		o.ClientSecret = c.cfg.HubSpot.ClientSecret
	}
	if o.AuthorizeURL == "" {
		o.AuthorizeURL = c.defaultAuthorizeURL()
	}
	if c.sandboxAPI() && o.ClientID == "" && o.ClientSecret == "" {
		// `starter --dev connect hubspot` against the sandbox of `worker --dev`.
		o.ClientID, o.ClientSecret = sandbox.HubSpotDemoClientID, sandbox.HubSpotDemoClientSecret
	}
	o.Scopes = strings.FieldsFunc(scopes, func(r rune) bool { return r == ' ' || r == ',' })
	if o.Connection != "" {
		if cmd.Flags().Changed("out") {
			return errors.New("connect hubspot: give --out or --connection, not both")
		}
		if err := c.saveAsConnection(&o); err != nil {
			return err
		}
	}
	_, err := oauthconnect.Run(cmd.Context(), o)
	return err
}

// saveAsConnection makes the flow save a connection file: the app's
// client id and secret, the refresh token and, when not HubSpot's own,
// the base URL.
func (c *cli) saveAsConnection(o *oauthconnect.Options) error {
	if err := connections.ValidateName(o.Connection); err != nil {
		return fmt.Errorf("connect hubspot: --connection: %w", err)
	}
	dir := c.connectionsDir()
	baseURL := ""
	if strings.TrimRight(o.BaseURL, "/") != hubspot.DefaultBaseURL {
		baseURL = o.BaseURL
	}
	o.SaveConnection = func(refreshToken string) (string, error) {
		conn := connections.Connection{Name: o.Connection, ClientID: o.ClientID, ClientSecret: o.ClientSecret,
			RefreshToken: refreshToken, BaseURL: baseURL}
		return dir.File(o.Connection), dir.Save(conn)
	}
	return nil
}

// sandboxAPI tells that HUBSPOT_BASE_URL is the sandbox of `worker --dev`.
func (c *cli) sandboxAPI() bool {
	return strings.TrimRight(c.cfg.HubSpot.BaseURL, "/") == "http://"+sandbox.DevAddr
}

func (c *cli) defaultAuthorizeURL() string {
	if c.sandboxAPI() {
		return "http://" + sandbox.DevAddr + "/oauth/authorize"
	}
	return oauthconnect.DefaultAuthorizeURL
}
