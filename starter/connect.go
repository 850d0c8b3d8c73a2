package main

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"time"

	"hubspot-brevo-sync/internal/oauthconnect"
	"hubspot-brevo-sync/internal/sandbox"
)

// connect runs `starter connect hubspot`: the OAuth authorization-code flow
// that yields the refresh token the worker uses
// (HUBSPOT_REFRESH_TOKEN_FILE).
func (c *cli) connect(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "hubspot" {
		return fmt.Errorf("connect: want 'connect hubspot --client-id ID --client-secret SECRET [--scopes S] [--port N] [--out FILE]'")
	}
	fs := flag.NewFlagSet("connect hubspot", flag.ContinueOnError)
	o := oauthconnect.Options{BaseURL: c.cfg.HubSpot.BaseURL, Stdout: c.out}
	fs.StringVar(&o.ClientID, "client-id", c.cfg.HubSpot.ClientID, "the app's client id (default HUBSPOT_CLIENT_ID)")
	fs.StringVar(&o.ClientSecret, "client-secret", c.cfg.HubSpot.ClientSecret, "the app's client secret (default HUBSPOT_CLIENT_SECRET)")
	scopes := fs.String("scopes", strings.Join(oauthconnect.DefaultScopes, " "), "space- or comma-separated scopes")
	fs.IntVar(&o.Port, "port", oauthconnect.DefaultPort, "port of the callback server on the loopback interface")
	fs.StringVar(&o.RedirectHost, "redirect-host", oauthconnect.DefaultRedirectHost, "host of the redirect URL: localhost or 127.0.0.1")
	fs.StringVar(&o.Out, "out", oauthconnect.DefaultOut, "file the refresh token is written to (mode 0600)")
	fs.StringVar(&o.AuthorizeURL, "authorize-url", c.defaultAuthorizeURL(), "HubSpot's authorize page (tests and the sandbox)")
	fs.DurationVar(&o.Timeout, "timeout", oauthconnect.DefaultTimeout, "how long to wait for the browser")
	pos, err := parse(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return fmt.Errorf("connect hubspot: unexpected argument %q", pos[0])
	}
	if o.Timeout < time.Second {
		return fmt.Errorf("connect hubspot: --timeout %s is too short", o.Timeout)
	}
	if c.sandboxAPI() {
		// `starter --dev connect hubspot` against the sandbox of `worker --dev`.
		if o.ClientID == "" && o.ClientSecret == "" {
			o.ClientID, o.ClientSecret = sandbox.HubSpotDemoClientID, sandbox.HubSpotDemoClientSecret
		}
	}
	o.Scopes = strings.FieldsFunc(*scopes, func(r rune) bool { return r == ' ' || r == ',' })
	_, err = oauthconnect.Run(ctx, o)
	return err
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
