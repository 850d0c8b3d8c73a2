package config

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestConnectionsPath(t *testing.T) {
	for _, c := range []struct {
		set, devDir, want string
	}{
		{"", "", DefaultConnectionsDir},
		{"", ".dev", filepath.Join(".dev", "connections")},
		{"/run/secrets/hubspot-connections", ".dev", "/run/secrets/hubspot-connections"},
	} {
		if got := (Sync{ConnectionsDir: c.set}).ConnectionsPath(c.devDir); got != c.want {
			t.Errorf("SYNC_CONNECTIONS_DIR=%q dev dir %q: %q, want %q", c.set, c.devDir, got, c.want)
		}
	}
}

func TestNamedConnectionsStandInForHubSpotCredentials(t *testing.T) {
	c := Config{Brevo: Brevo{APIKey: "xkeysib-x"}}
	if err := c.RequireAPIs(); err == nil || !strings.Contains(err.Error(), "HUBSPOT_ACCESS_TOKEN") {
		t.Fatalf("RequireAPIs without HubSpot: %v", err)
	}
	if err := c.RequireAPIsWith(true); err != nil {
		t.Fatalf("with named connections: %v", err)
	}
	if err := (Config{}).RequireAPIsWith(true); err == nil || strings.Contains(err.Error(), "HUBSPOT") || !strings.Contains(err.Error(), "BREVO_API_KEY") {
		t.Fatalf("named connections do not stand in for Brevo: %v", err)
	}
}
