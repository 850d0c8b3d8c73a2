package config_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"hubspot-brevo-sync/internal/brevo"
	"hubspot-brevo-sync/internal/config"
	"hubspot-brevo-sync/internal/hubspot"
)

// clearEnv blanks every variable the product reads so the host's
// environment cannot leak into a test.
func clearEnv(t *testing.T) {
	// The CLI's codec variables are ignored, but must not come in either.
	for _, k := range append(config.Variables(), "TEMPORAL_CODEC_ENDPOINT", "TEMPORAL_CODEC_AUTH") {
		t.Setenv(k, "") // restores the old value after the test
		os.Unsetenv(k)
	}
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "TEMPORAL_GRPC_META_") {
			t.Setenv(k, "")
			os.Unsetenv(k)
		}
	}
	// The default profile file lives under the user's config directory: a
	// developer's own Temporal CLI profile must not reach the tests.
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
}

func TestDefaults(t *testing.T) {
	clearEnv(t)
	c, err := config.Load()
	if err != nil {
		t.Fatal(err)
	}
	want := config.Config{
		Temporal: config.Temporal{Address: "127.0.0.1:7233", Namespace: "default", TaskQueue: "hubspot-brevo-sync"},
		HubSpot:  config.HubSpot{BaseURL: "https://api.hubapi.com", Tier: hubspot.TierFree},
		Brevo:    config.Brevo{BaseURL: "https://api.brevo.com/v3", Tier: brevo.TierGeneral},
		Sync:     config.Sync{MonthlyTaskLimit: 100000, PollInterval: 5 * time.Minute, StoreDSN: "sync-store.db", DevDir: ".dev"},
		Log:      config.Log{Level: "info", Format: "console"},
		Codec:    config.Codec{CORSOrigins: "http://localhost:8233,http://127.0.0.1:8233"},
	}
	if c.Temporal.Security() != "plaintext" || c.Temporal.Source != "environment" {
		t.Fatalf("default connection: %s from %s, want plaintext from the environment", c.Temporal.Security(), c.Temporal.Source)
	}
	c.Temporal.Profile, c.Temporal.Source = nil, "" // compared above
	if c != want {
		t.Fatalf("defaults:\n got %+v\nwant %+v", c, want)
	}
	if err := c.RequireAPIs(); err == nil || !strings.Contains(err.Error(), "BREVO_API_KEY") {
		t.Fatalf("RequireAPIs without credentials = %v", err)
	}
}

func TestValuesAreRead(t *testing.T) {
	clearEnv(t)
	t.Setenv("HUBSPOT_TIER", "Professional")
	t.Setenv("BREVO_TIER", "enterprise")
	t.Setenv("SYNC_POLL_INTERVAL", "90s")
	t.Setenv("SYNC_MONTHLY_TASK_LIMIT", "300")
	t.Setenv("HUBSPOT_ACCESS_TOKEN", "pat-na1-x")
	t.Setenv("BREVO_API_KEY", "xkeysib-x")
	c, err := config.Load()
	if err != nil {
		t.Fatal(err)
	}
	if c.HubSpot.Tier != hubspot.TierProfessional || c.Brevo.Tier != brevo.TierAdvanced ||
		c.Sync.PollInterval != 90*time.Second || c.Sync.MonthlyTaskLimit != 300 {
		t.Fatalf("got %+v", c)
	}
	if err := c.RequireAPIs(); err != nil {
		t.Fatal(err)
	}
}

func TestInvalidValuesNameTheVariable(t *testing.T) {
	cases := map[string]string{
		"HUBSPOT_TIER":            "gold",
		"BREVO_TIER":              "platinum",
		"SYNC_POLL_INTERVAL":      "often",
		"SYNC_MONTHLY_TASK_LIMIT": "lots",
		"HUBSPOT_BASE_URL":        "api.hubapi.com",
		"BREVO_BASE_URL":          "ftp://api.brevo.com",
		"SYNC_NOTIFY_EMAIL":       "not-an-address",
		"SYNC_LOG_LEVEL":          "loud",
		"HUBSPOT_REFRESH_TOKEN":   "only-half-of-oauth",
	}
	for name, value := range cases {
		t.Run(name, func(t *testing.T) {
			clearEnv(t)
			t.Setenv(name, value)
			_, err := config.Load()
			if err == nil {
				t.Fatalf("%s=%q accepted", name, value)
			}
			msg := err.Error()
			if !strings.Contains(msg, name) || strings.Contains(msg, "\n") {
				t.Fatalf("error should be one line naming %s, got %q", name, msg)
			}
		})
	}
}
