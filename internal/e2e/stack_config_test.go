package e2e

import (
	"net/http"
	"sync"

	"go.temporal.io/sdk/client"
	"go.uber.org/zap"

	"hubspot-brevo-sync/activities"
	"hubspot-brevo-sync/internal/brevo"
	"hubspot-brevo-sync/internal/codec"
	"hubspot-brevo-sync/internal/config"
	"hubspot-brevo-sync/internal/connect"
	"hubspot-brevo-sync/internal/connections"
	"hubspot-brevo-sync/internal/hubspot"
	"hubspot-brevo-sync/internal/logging"
	"hubspot-brevo-sync/internal/sandbox"
)

// stackConfig changes how newStackOpts wires the stack; the zero value is
// newStack's wiring.
type stackConfig struct {
	// keys turns payload encryption on for the worker and the starter's
	// client (SYNC_PAYLOAD_KEYS), with the failure converter that encodes
	// error messages.
	keys *codec.Keyring
	// oauth authenticates to HubSpot with the sandbox's OAuth client and
	// refresh token instead of the static token; refreshTokens then
	// collects every refresh token the client was handed (rotation).
	oauth         bool
	refreshTokens *tokenLog
	// log receives the API clients' and the Temporal SDK's log at every
	// level (nil: SDK warnings go to the test log).
	log *zap.Logger
	// metrics is the SDK's metrics handler; transport wraps the API
	// clients' HTTP transport (metrics.Transport).
	metrics   client.MetricsHandler
	transport func(api string) http.RoundTripper
	// connectionsDir, when set, serves the named HubSpot connections of
	// that directory to the worker and the manager, as the processes do.
	connectionsDir string
}

// tokenLog remembers tokens seen during a test.
type tokenLog struct {
	mu     sync.Mutex
	tokens []string
}

func (l *tokenLog) add(tok string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.tokens = append(l.tokens, tok)
}

func (l *tokenLog) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.tokens...)
}

func (sc stackConfig) hubspot(c hubspot.Config) hubspot.Config {
	if sc.oauth {
		c.AccessToken = ""
		c.OAuth = &hubspot.OAuthConfig{ClientID: sandbox.HubSpotDemoClientID, ClientSecret: sandbox.HubSpotDemoClientSecret,
			RefreshToken: sandbox.HubSpotDemoRefreshToken}
		if sc.refreshTokens != nil {
			c.OAuth.OnRefresh = sc.refreshTokens.add
		}
	}
	if sc.log != nil {
		c.Logger = sc.log.Named("hubspot")
	}
	if sc.transport != nil {
		c.Transport = sc.transport("hubspot")
	}
	return c
}

func (sc stackConfig) brevo(c brevo.Config) brevo.Config {
	if sc.log != nil {
		c.Logger = sc.log.Named("brevo")
	}
	if sc.transport != nil {
		c.Transport = sc.transport("brevo")
	}
	return c
}

func (sc stackConfig) clientOptions(o client.Options) client.Options {
	if sc.keys != nil {
		o.DataConverter = codec.DataConverter(sc.keys)
		o.FailureConverter = codec.FailureConverter(o.DataConverter)
	}
	if sc.log != nil {
		o.Logger = logging.Temporal(sc.log.Named("temporal"))
	}
	if sc.metrics != nil {
		o.MetricsHandler = sc.metrics
	}
	return o
}

// registry serves the named connections of connectionsDir (nil without
// one: the worker then knows the default connection only), built as the
// worker builds them (connect.HubSpot: the tier's budgets).
func (sc stackConfig) registry(env sandbox.Env, def *hubspot.Client) activities.HubSpotClients {
	if sc.connectionsDir == "" {
		return nil
	}
	log := zap.NewNop()
	if sc.log != nil {
		log = sc.log
	}
	base := config.HubSpot{BaseURL: env.HubSpotBaseURL, Tier: hubspot.TierFree}
	return connections.NewRegistry(connections.Dir(sc.connectionsDir), base, def, func(h config.HubSpot) (*hubspot.Client, error) {
		return connect.HubSpot(h, log.Named("hubspot"))
	}, log)
}
