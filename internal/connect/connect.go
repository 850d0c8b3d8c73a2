// Package connect builds the clients both processes (worker and starter)
// use, from the one configuration, so they authenticate and pace their
// calls the same way.
package connect

import (
	"fmt"

	"go.temporal.io/sdk/client"
	"go.uber.org/zap"

	"hubspot-brevo-sync/internal/brevo"
	"hubspot-brevo-sync/internal/config"
	"hubspot-brevo-sync/internal/hubspot"
	"hubspot-brevo-sync/internal/logging"
)

// HubSpot builds the HubSpot client: a static token when one is set,
// otherwise the OAuth refresh-token grant.
func HubSpot(c config.HubSpot, log *zap.Logger) (*hubspot.Client, error) {
	cfg := hubspot.Config{BaseURL: c.BaseURL, Tier: c.Tier, Logger: log}
	if c.AccessToken != "" {
		cfg.AccessToken = c.AccessToken
	} else if c.RefreshToken != "" {
		cfg.OAuth = &hubspot.OAuthConfig{ClientID: c.ClientID, ClientSecret: c.ClientSecret, RefreshToken: c.RefreshToken}
	}
	return hubspot.New(cfg)
}

// Brevo builds the Brevo client.
func Brevo(c config.Brevo, log *zap.Logger) (*brevo.Client, error) {
	return brevo.New(brevo.Config{BaseURL: c.BaseURL, APIKey: c.APIKey, Tier: c.Tier, Logger: log})
}

// Temporal dials the Temporal service with our logger.
func Temporal(c config.Temporal, log *zap.Logger) (client.Client, error) {
	cl, err := client.Dial(client.Options{
		HostPort:  c.Address,
		Namespace: c.Namespace,
		Logger:    logging.Temporal(log.Named("temporal")),
	})
	if err != nil {
		return nil, fmt.Errorf("cannot reach Temporal at %s (TEMPORAL_ADDRESS): %w", c.Address, err)
	}
	return cl, nil
}
