package main

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"hubspot-brevo-sync/internal/connections"
)

// TestNamedConnectionsStandInForHUBSPOT: without HUBSPOT_* credentials
// the worker refuses to start unless a named connection exists; with
// one it goes on (here to an unreachable Temporal).
func TestNamedConnectionsStandInForHUBSPOT(t *testing.T) {
	for _, k := range []string{"HUBSPOT_ACCESS_TOKEN", "HUBSPOT_CLIENT_ID", "HUBSPOT_CLIENT_SECRET", "HUBSPOT_REFRESH_TOKEN",
		"SYNC_PAYLOAD_KEYS", "SYNC_PAYLOAD_KEY_FILE", "SYNC_METRICS_ADDR", "TEMPORAL_CONFIG_FILE", "TEMPORAL_PROFILE"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	t.Setenv("BREVO_API_KEY", "xkeysib-real")
	dir := filepath.Join(t.TempDir(), "connections")
	t.Setenv("SYNC_CONNECTIONS_DIR", dir)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("TEMPORAL_ADDRESS", ln.Addr().String())
	ln.Close()

	err = run(context.Background(), flags{})
	if err == nil || !strings.Contains(err.Error(), "missing HUBSPOT_ACCESS_TOKEN") {
		t.Fatalf("no credentials at all: err = %v, want the missing HUBSPOT_* refusal", err)
	}
	if err := connections.Dir(dir).Save(connections.Connection{Name: "acme", AccessToken: "pat-na1-acme"}); err != nil {
		t.Fatal(err)
	}
	err = run(context.Background(), flags{})
	if err == nil || strings.Contains(err.Error(), "HUBSPOT") || !strings.Contains(err.Error(), "Temporal") {
		t.Fatalf("with a named connection: err = %v, want it past the credentials check, failing on Temporal", err)
	}
}
