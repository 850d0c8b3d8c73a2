package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"hubspot-brevo-sync/internal/devserver"
)

// TestDevRefusesRealCredentialsOverTheDemo: a dev directory made by the
// demo, started again with real credentials, is refused in one line
// before anything starts (no Temporal server, no sandbox, no worker).
func TestDevRefusesRealCredentialsOverTheDemo(t *testing.T) {
	for _, k := range []string{"HUBSPOT_REFRESH_TOKEN", "SYNC_PAYLOAD_KEYS", "SYNC_PAYLOAD_KEY_FILE", "SYNC_DEV_DIR", "SYNC_METRICS_ADDR"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	t.Setenv("HUBSPOT_ACCESS_TOKEN", "pat-na1-real")
	t.Setenv("BREVO_API_KEY", "xkeysib-real")
	dir := filepath.Join(t.TempDir(), ".dev")
	if err := devserver.ClaimDir(dir, devserver.OriginSandbox); err != nil {
		t.Fatal(err)
	}
	err := run(context.Background(), flags{dev: true, devDir: dir, sandboxAddr: "127.0.0.1:0", demoContacts: 10})
	if err == nil || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), "made with the sandbox") {
		t.Fatalf("err = %v, want the one-line refusal", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("the refused start wrote into %s: %v", dir, entries)
	}
}
