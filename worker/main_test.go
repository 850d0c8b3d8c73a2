package main

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/zap"

	"hubspot-brevo-sync/internal/config"
	"hubspot-brevo-sync/internal/devserver"
	"hubspot-brevo-sync/internal/sandbox"
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

// TestDevSandboxKeepsItsDataAcrossRestarts: what the sandbox's Brevo
// received is saved when the dev stack stops and is there again at the
// next start, which loads it instead of seeding.
func TestDevSandboxKeepsItsDataAcrossRestarts(t *testing.T) {
	dir := t.TempDir()
	f := flags{devDir: dir, sandboxAddr: "127.0.0.1:0", demoContacts: 10}
	var cfg config.Config
	stop, err := startSandbox(f, &cfg, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, cfg.Brevo.BaseURL+"/contacts", strings.NewReader(`{"email":"kept@example.com","listIds":[1]}`))
	req.Header.Set("api-key", cfg.Brevo.APIKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("creating a Brevo contact: %s", resp.Status)
	}
	stop()

	f.demoContacts = 50 // a restart loads the saved data; it does not seed
	stop, err = startSandbox(f, &cfg, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	sb := sandbox.New(sandbox.Options{})
	if err := sb.LoadFile(filepath.Join(dir, sandboxStateFile)); err != nil {
		t.Fatal(err)
	}
	if _, ok := sb.Brevo().ContactByEmail("kept@example.com"); !ok {
		t.Error("the Brevo contact written before the stop is gone")
	}
	if n := len(sb.HubSpot().ContactIDs()); n != 10 {
		t.Errorf("HubSpot holds %d contacts after the restart, want the 10 seeded at the first start", n)
	}
}
