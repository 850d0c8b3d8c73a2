// Package connect builds the clients both processes (worker and starter)
// use, from the one configuration, so they authenticate and pace their
// calls the same way.
package connect

import (
	"fmt"

	"go.temporal.io/sdk/client"
	"go.uber.org/zap"

	"hubspot-brevo-sync/internal/brevo"
	"hubspot-brevo-sync/internal/codec"
	"hubspot-brevo-sync/internal/config"
	"hubspot-brevo-sync/internal/hubspot"
	"hubspot-brevo-sync/internal/logging"
)

// HubSpot builds the HubSpot client: a static token when one is set,
// otherwise the OAuth refresh-token grant. With HUBSPOT_REFRESH_TOKEN_FILE,
// a rotated refresh token is written back to the file.
func HubSpot(c config.HubSpot, log *zap.Logger, opts ...Option) (*hubspot.Client, error) {
	o := collect(opts)
	cfg := hubspot.Config{BaseURL: c.BaseURL, Tier: c.Tier, Logger: log, Transport: o.transport("hubspot")}
	if c.AccessToken != "" {
		cfg.AccessToken = c.AccessToken
	} else if c.RefreshToken != "" {
		cfg.OAuth = &hubspot.OAuthConfig{ClientID: c.ClientID, ClientSecret: c.ClientSecret, RefreshToken: c.RefreshToken}
		if c.RefreshTokenFile != "" {
			cfg.OAuth.OnRefresh = saveRefreshToken(c.RefreshTokenFile, log)
		}
	}
	return hubspot.New(cfg)
}

// Brevo builds the Brevo client.
func Brevo(c config.Brevo, log *zap.Logger, opts ...Option) (*brevo.Client, error) {
	o := collect(opts)
	return brevo.New(brevo.Config{BaseURL: c.BaseURL, APIKey: c.APIKey, Tier: c.Tier, Logger: log, Transport: o.transport("brevo")})
}

// Temporal dials the Temporal service with our logger and, when payload
// keys are configured, the encrypting data and failure converters.
func Temporal(c config.Temporal, log *zap.Logger, opts ...Option) (client.Client, error) {
	o := collect(opts)
	co := client.Options{
		HostPort:       c.Address,
		Namespace:      c.Namespace,
		Logger:         logging.Temporal(log.Named("temporal")),
		MetricsHandler: o.metrics,
	}
	if c.Keys != nil {
		co.DataConverter = codec.DataConverter(c.Keys)
		co.FailureConverter = codec.FailureConverter(co.DataConverter)
	}
	cl, err := client.Dial(co)
	if err != nil {
		return nil, fmt.Errorf("cannot reach Temporal at %s (TEMPORAL_ADDRESS): %w", c.Address, err)
	}
	return cl, nil
}
