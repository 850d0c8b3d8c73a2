package config_test

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"hubspot-brevo-sync/internal/config"
)

func key(fill byte) string {
	b := make([]byte, 32)
	for i := range b {
		b[i] = fill
	}
	return base64.StdEncoding.EncodeToString(b)
}

func writeFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPayloadKeys(t *testing.T) {
	clearEnv(t)
	c, err := config.Load()
	if err != nil || c.Temporal.Keys != nil {
		t.Fatalf("no key configured must mean no encryption: %v %v", c.Temporal.Keys, err)
	}

	t.Setenv("SYNC_PAYLOAD_KEYS", "2026:"+key(1)+",2025:"+key(2))
	c, err = config.Load()
	if err != nil || c.Temporal.Keys == nil || c.Temporal.Keys.CurrentKeyID() != "2026" {
		t.Fatalf("keys from env: %v", err)
	}

	clearEnv(t)
	t.Setenv("SYNC_PAYLOAD_KEY_FILE", writeFile(t, "# current first\nk2:"+key(3)+"\nk1:"+key(4)+"\n"))
	c, err = config.Load()
	if err != nil || c.Temporal.Keys.CurrentKeyID() != "k2" || len(c.Temporal.Keys.KeyIDs()) != 2 {
		t.Fatalf("keys from file: %v", err)
	}
}

func TestSecretFiles(t *testing.T) {
	clearEnv(t)
	t.Setenv("HUBSPOT_CLIENT_ID", "client")
	t.Setenv("HUBSPOT_CLIENT_SECRET_FILE", writeFile(t, "the-secret\n"))
	t.Setenv("HUBSPOT_REFRESH_TOKEN_FILE", writeFile(t, "the-refresh-token\n"))
	t.Setenv("BREVO_API_KEY_FILE", writeFile(t, "xkeysib-file"))
	c, err := config.Load()
	if err != nil {
		t.Fatal(err)
	}
	if c.HubSpot.ClientSecret != "the-secret" || c.HubSpot.RefreshToken != "the-refresh-token" || c.Brevo.APIKey != "xkeysib-file" {
		t.Fatalf("secrets not read: %+v %+v", c.HubSpot, c.Brevo)
	}
	if err := c.RequireAPIs(); err != nil {
		t.Fatal(err)
	}
}

func TestInvalidSecurityValuesNameTheVariable(t *testing.T) {
	secret := key(9)
	empty := writeFile(t, "\n")
	for _, tc := range []struct {
		env  map[string]string
		name string
	}{
		{map[string]string{"SYNC_PAYLOAD_KEYS": "k1:" + base64.StdEncoding.EncodeToString([]byte("short"))}, "SYNC_PAYLOAD_KEYS"},
		{map[string]string{"SYNC_PAYLOAD_KEYS": secret}, "SYNC_PAYLOAD_KEYS"},
		{map[string]string{"SYNC_PAYLOAD_KEYS": "a:" + secret + ",a:" + secret}, "SYNC_PAYLOAD_KEYS"},
		{map[string]string{"SYNC_PAYLOAD_KEY_FILE": "/does/not/exist"}, "SYNC_PAYLOAD_KEY_FILE"},
		{map[string]string{"SYNC_PAYLOAD_KEY_FILE": empty}, "SYNC_PAYLOAD_KEY_FILE"},
		{map[string]string{"SYNC_PAYLOAD_KEY_FILE": writeFile(t, "a:"+secret), "SYNC_PAYLOAD_KEYS": "a:" + secret}, "SYNC_PAYLOAD_KEY_FILE"},
		{map[string]string{"HUBSPOT_REFRESH_TOKEN_FILE": "/does/not/exist"}, "HUBSPOT_REFRESH_TOKEN_FILE"},
		{map[string]string{"HUBSPOT_REFRESH_TOKEN_FILE": empty}, "HUBSPOT_REFRESH_TOKEN_FILE"},
		{map[string]string{"HUBSPOT_REFRESH_TOKEN_FILE": writeFile(t, "x"), "HUBSPOT_REFRESH_TOKEN": secret}, "HUBSPOT_REFRESH_TOKEN_FILE"},
		{map[string]string{"BREVO_API_KEY_FILE": writeFile(t, "line1\nline2")}, "BREVO_API_KEY_FILE"},
		{map[string]string{"SYNC_CODEC_CORS_ORIGINS": "localhost:8080"}, "SYNC_CODEC_CORS_ORIGINS"},
		{map[string]string{"SYNC_METRICS_ADDR": "9090"}, "SYNC_METRICS_ADDR"},
		{map[string]string{"SYNC_METRICS_ADDR": ":http-alt"}, "SYNC_METRICS_ADDR"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clearEnv(t)
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			_, err := config.Load()
			if err == nil {
				t.Fatalf("%v accepted", tc.env)
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.name) || strings.Contains(msg, "\n") {
				t.Fatalf("error should be one line naming %s, got %q", tc.name, msg)
			}
			if strings.Contains(msg, secret) {
				t.Fatalf("error reveals the secret: %q", msg)
			}
		})
	}
}

func TestOpsSettings(t *testing.T) {
	clearEnv(t)
	t.Setenv("SYNC_CODEC_CORS_ORIGINS", "http://localhost:8080, https://temporal.example.com")
	t.Setenv("SYNC_METRICS_ADDR", ":9090")
	c, err := config.Load()
	if err != nil {
		t.Fatal(err)
	}
	if o := c.Codec.Origins(); len(o) != 2 || o[1] != "https://temporal.example.com" || c.Metrics.Addr != ":9090" {
		t.Fatalf("%v %q", o, c.Metrics.Addr)
	}
}
