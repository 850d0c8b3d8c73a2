package main

import (
	"go.uber.org/zap"

	"hubspot-brevo-sync/internal/config"
	"hubspot-brevo-sync/internal/connect"
	"hubspot-brevo-sync/internal/connections"
	"hubspot-brevo-sync/internal/hubspot"
)

// workerConnectionsDir is SYNC_CONNECTIONS_DIR, or with --dev the dev
// directory's connections/.
func workerConnectionsDir(f flags, cfg config.Config) connections.Dir {
	devDir := ""
	if f.dev {
		devDir = f.devDir
	}
	return connections.Dir(cfg.Sync.ConnectionsPath(devDir))
}

// hubspotClients builds the default connection's client (nil without
// HUBSPOT_* credentials) and the registry that serves every connection,
// each client built with the worker's instrumentation and named after its
// connection (its budgets are keyed by that name).
func hubspotClients(cfg config.Config, dir connections.Dir, log *zap.Logger, opts []connect.Option) (*hubspot.Client, *connections.Registry, error) {
	var def *hubspot.Client
	if cfg.HubSpot.HasCredentials() {
		var err error
		if def, err = connect.HubSpot(cfg.HubSpot, log.Named("hubspot"), opts...); err != nil {
			return nil, nil, err
		}
	}
	build := func(h config.HubSpot) (*hubspot.Client, error) {
		return connect.HubSpot(h, log.Named("hubspot").With(zap.String("connection", h.ConnectionName())), opts...)
	}
	return def, connections.NewRegistry(dir, cfg.HubSpot, def, build, log.Named("connections")), nil
}
