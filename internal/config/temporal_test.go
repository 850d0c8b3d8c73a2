package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hubspot-brevo-sync/internal/config"
	"hubspot-brevo-sync/internal/connect/tlstest"
)

// profiles is a Temporal CLI profile file: a local default and a Temporal
// Cloud profile with an API key.
const profiles = `
[profile.default]
address = "temporal.internal:7233"
namespace = "from-file"

[profile.cloud]
address = "eu-west-1.aws.api.temporal.io:7233"
namespace = "sync.a1b2c"
api_key = "cloud-api-key-from-file"
`

func TestTemporalLegacyVariables(t *testing.T) {
	clearEnv(t)
	t.Setenv("TEMPORAL_ADDRESS", "temporal:7233")
	t.Setenv("TEMPORAL_NAMESPACE", "integrations")
	c, err := config.Load()
	if err != nil {
		t.Fatal(err)
	}
	o, err := c.Temporal.ClientOptions()
	if err != nil {
		t.Fatal(err)
	}
	if o.HostPort != "temporal:7233" || o.Namespace != "integrations" || o.Credentials != nil ||
		o.ConnectionOptions.TLS != nil || c.Temporal.Security() != "plaintext" {
		t.Fatalf("got %s/%s credentials=%v tls=%v (%s)", o.HostPort, o.Namespace, o.Credentials, o.ConnectionOptions.TLS, c.Temporal.Security())
	}
}

func TestTemporalProfileFile(t *testing.T) {
	clearEnv(t)
	// The default file under the user's config directory, default profile.
	dir := filepath.Join(os.Getenv("XDG_CONFIG_HOME"), "temporalio")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "temporal.toml"), []byte(profiles), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := config.Load()
	if err != nil {
		t.Fatal(err)
	}
	if c.Temporal.Address != "temporal.internal:7233" || c.Temporal.Namespace != "from-file" ||
		!strings.Contains(c.Temporal.Source, `profile "default"`) {
		t.Fatalf("default profile: %+v", c.Temporal)
	}

	// A named profile from a named file; the environment wins over it.
	t.Setenv("TEMPORAL_CONFIG_FILE", tlstest.WriteFile(t, "temporal.toml", []byte(profiles)))
	t.Setenv("TEMPORAL_PROFILE", "cloud")
	t.Setenv("TEMPORAL_NAMESPACE", "sync-staging.a1b2c")
	c, err = config.Load()
	if err != nil {
		t.Fatal(err)
	}
	o, err := c.Temporal.ClientOptions()
	if err != nil {
		t.Fatal(err)
	}
	if o.HostPort != "eu-west-1.aws.api.temporal.io:7233" || o.Namespace != "sync-staging.a1b2c" ||
		o.Credentials == nil || o.ConnectionOptions.TLS == nil || c.Temporal.Security() != "TLS + API key" {
		t.Fatalf("cloud profile: %s/%s credentials=%v tls=%v (%s)", o.HostPort, o.Namespace, o.Credentials, o.ConnectionOptions.TLS, c.Temporal.Security())
	}
}

func TestTemporalAPIKey(t *testing.T) {
	clearEnv(t)
	t.Setenv("TEMPORAL_API_KEY_FILE", writeFile(t, "api-key-from-file\n"))
	c, err := config.Load()
	if err != nil {
		t.Fatal(err)
	}
	o, _ := c.Temporal.ClientOptions()
	// An API key turns TLS on: Temporal Cloud's endpoints want both.
	if c.Temporal.Profile.APIKey != "api-key-from-file" || o.Credentials == nil || o.ConnectionOptions.TLS == nil {
		t.Fatalf("API key from file: key %q, credentials %v, TLS %v", c.Temporal.Profile.APIKey, o.Credentials, o.ConnectionOptions.TLS)
	}

	t.Setenv("TEMPORAL_TLS", "false") // e.g. behind a TLS-terminating proxy
	c, err = config.Load()
	if err != nil {
		t.Fatal(err)
	}
	o, _ = c.Temporal.ClientOptions()
	if !o.ConnectionOptions.TLSDisabled || c.Temporal.Security() != "plaintext + API key" {
		t.Fatalf("TEMPORAL_TLS=false: disabled=%v (%s)", o.ConnectionOptions.TLSDisabled, c.Temporal.Security())
	}
}

// TestEmptyTemporalVariablesAreUnset: compose passes unset variables as
// empty strings; TEMPORAL_TLS_SERVER_NAME="" must not turn TLS on.
func TestEmptyTemporalVariablesAreUnset(t *testing.T) {
	clearEnv(t)
	for _, k := range []string{"TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "TEMPORAL_API_KEY", "TEMPORAL_TLS",
		"TEMPORAL_TLS_SERVER_NAME", "TEMPORAL_TLS_SERVER_CA_CERT_PATH", "TEMPORAL_PROFILE", "TEMPORAL_CONFIG_FILE"} {
		t.Setenv(k, "")
	}
	c, err := config.Load()
	if err != nil {
		t.Fatal(err)
	}
	o, _ := c.Temporal.ClientOptions()
	if o.HostPort != config.DefaultTemporalAddress || o.Namespace != config.DefaultTemporalNamespace ||
		o.ConnectionOptions.TLS != nil || c.Temporal.Security() != "plaintext" {
		t.Fatalf("empty variables: %s/%s tls=%v (%s)", o.HostPort, o.Namespace, o.ConnectionOptions.TLS, c.Temporal.Security())
	}
}

func TestTemporalMTLS(t *testing.T) {
	clearEnv(t)
	ca := tlstest.NewCA(t, "test CA")
	client := ca.Client(t, "worker")
	t.Setenv("TEMPORAL_TLS_CLIENT_CERT_PATH", tlstest.WriteFile(t, "client.pem", client.CertPEM))
	t.Setenv("TEMPORAL_TLS_CLIENT_KEY_PATH", tlstest.WriteFile(t, "client.key", client.KeyPEM))
	t.Setenv("TEMPORAL_TLS_SERVER_CA_CERT_DATA", string(ca.PEM))
	t.Setenv("TEMPORAL_TLS_SERVER_NAME", "temporal.internal")
	c, err := config.Load()
	if err != nil {
		t.Fatal(err)
	}
	o, err := c.Temporal.ClientOptions()
	if err != nil {
		t.Fatal(err)
	}
	tc := o.ConnectionOptions.TLS
	if tc == nil || len(tc.Certificates) != 1 || tc.RootCAs == nil || tc.ServerName != "temporal.internal" ||
		c.Temporal.Security() != "mTLS" {
		t.Fatalf("mTLS options: %+v (%s)", tc, c.Temporal.Security())
	}

	c.Temporal.UseLocalServer("127.0.0.1:7299")
	o, _ = c.Temporal.ClientOptions()
	if o.HostPort != "127.0.0.1:7299" || o.ConnectionOptions.TLS != nil || c.Temporal.Security() != "plaintext" {
		t.Fatalf("UseLocalServer kept the remote connection: %s tls=%v", o.HostPort, o.ConnectionOptions.TLS)
	}
}

// TestInvalidTemporalSettingsNameTheSetting: each bad setting fails Load
// with one line that names it and shows no secret.
func TestInvalidTemporalSettingsNameTheSetting(t *testing.T) {
	ca := tlstest.NewCA(t, "test CA")
	client, other := ca.Client(t, "worker"), ca.Client(t, "other")
	expired := ca.ClientUntil(t, "worker", time.Now().Add(-time.Hour))
	file := func(name string, b []byte) string { return tlstest.WriteFile(t, name, b) }
	certPath, keyPath, caPath := file("client.pem", client.CertPEM), file("client.key", client.KeyPEM), file("ca.pem", ca.PEM)
	badProfile := file("temporal.toml", []byte("[profile.default.tls]\nclient_cert_path = \"/nonexistent/client.pem\"\nclient_key_path = \""+keyPath+"\"\n"))

	cases := []struct {
		name  string
		env   map[string]string
		wants []string // each must be in the error
	}{
		{"address without port", map[string]string{"TEMPORAL_ADDRESS": "temporal"}, []string{"TEMPORAL_ADDRESS", "host:port"}},
		{"bool", map[string]string{"TEMPORAL_TLS": "yes"}, []string{"TEMPORAL_TLS", "true or false"}},
		{"host verification", map[string]string{"TEMPORAL_TLS_DISABLE_HOST_VERIFICATION": "on"}, []string{"TEMPORAL_TLS_DISABLE_HOST_VERIFICATION"}},
		{"cert without key", map[string]string{"TEMPORAL_TLS_CLIENT_CERT_PATH": certPath}, []string{"TEMPORAL_TLS_CLIENT_CERT_PATH", "TEMPORAL_TLS_CLIENT_KEY_PATH is missing"}},
		{"key without cert", map[string]string{"TEMPORAL_TLS_CLIENT_KEY_DATA": string(client.KeyPEM)}, []string{"TEMPORAL_TLS_CLIENT_KEY_DATA", "TEMPORAL_TLS_CLIENT_CERT_PATH is missing"}},
		{"missing cert file", map[string]string{"TEMPORAL_TLS_CLIENT_CERT_PATH": "/nonexistent/client.pem", "TEMPORAL_TLS_CLIENT_KEY_PATH": keyPath}, []string{"TEMPORAL_TLS_CLIENT_CERT_PATH", "no such file"}},
		{"key of another cert", map[string]string{"TEMPORAL_TLS_CLIENT_CERT_PATH": certPath, "TEMPORAL_TLS_CLIENT_KEY_DATA": string(other.KeyPEM)}, []string{"TEMPORAL_TLS_CLIENT_CERT_PATH", "TEMPORAL_TLS_CLIENT_KEY_DATA", "does not match"}},
		{"expired cert", map[string]string{"TEMPORAL_TLS_CLIENT_CERT_DATA": string(expired.CertPEM), "TEMPORAL_TLS_CLIENT_KEY_DATA": string(expired.KeyPEM)}, []string{"TEMPORAL_TLS_CLIENT_CERT_DATA", "expired"}},
		{"CA not PEM", map[string]string{"TEMPORAL_TLS_SERVER_CA_CERT_PATH": keyPath}, []string{"TEMPORAL_TLS_SERVER_CA_CERT_PATH", "no PEM certificate"}},
		{"CA path and data", map[string]string{"TEMPORAL_TLS_SERVER_CA_CERT_PATH": caPath, "TEMPORAL_TLS_SERVER_CA_CERT_DATA": string(ca.PEM)}, []string{"TEMPORAL_TLS_SERVER_CA_CERT_PATH", "not both"}},
		{"TLS off with certificates", map[string]string{"TEMPORAL_TLS": "false", "TEMPORAL_TLS_SERVER_CA_CERT_PATH": caPath}, []string{"TEMPORAL_TLS", "TLS is off"}},
		{"missing profile file", map[string]string{"TEMPORAL_CONFIG_FILE": "/nonexistent/temporal.toml"}, []string{"TEMPORAL_CONFIG_FILE", "no such file"}},
		{"unknown profile", map[string]string{"TEMPORAL_CONFIG_FILE": file("p.toml", []byte(profiles)), "TEMPORAL_PROFILE": "prod"}, []string{"TEMPORAL_PROFILE", `"cloud", "default"`}},
		{"profile without file", map[string]string{"TEMPORAL_PROFILE": "prod"}, []string{"TEMPORAL_PROFILE", "no profile file"}},
		{"broken profile file", map[string]string{"TEMPORAL_CONFIG_FILE": file("broken.toml", []byte("[profile.default\naddress = 1"))}, []string{"broken.toml"}},
		{"bad path in profile file", map[string]string{"TEMPORAL_CONFIG_FILE": badProfile}, []string{"tls.client_cert_path", badProfile, "no such file"}},
		{"API key twice", map[string]string{"TEMPORAL_API_KEY": "secret-api-key", "TEMPORAL_API_KEY_FILE": writeFile(t, "secret-api-key")}, []string{"TEMPORAL_API_KEY_FILE", "not both"}},
	}
	for _, tc := range cases {
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
			if strings.Contains(msg, "\n") {
				t.Fatalf("error is not one line: %q", msg)
			}
			for _, want := range tc.wants {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q does not mention %q", msg, want)
				}
			}
			for _, secret := range []string{"secret-api-key", "PRIVATE KEY"} {
				if strings.Contains(msg, secret) {
					t.Errorf("error %q shows a secret", msg)
				}
			}
		})
	}
}
