package devserver_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"hubspot-brevo-sync/internal/config"
	"hubspot-brevo-sync/internal/connect"
	"hubspot-brevo-sync/internal/connect/tlstest"
	"hubspot-brevo-sync/internal/devserver"
)

// certs is a test PKI: one CA signs the server's certificate, another the
// clients' (as with Temporal Cloud, where the client CA is the user's own).
type certs struct {
	serverCA, clientCA *tlstest.CA
	server             tlstest.Leaf
	// serverCAFile is what TEMPORAL_TLS_SERVER_CA_CERT_PATH names.
	serverCAFile string
}

func newCerts(t *testing.T) certs {
	c := certs{serverCA: tlstest.NewCA(t, "server CA"), clientCA: tlstest.NewCA(t, "client CA")}
	c.server = c.serverCA.Server(t)
	c.serverCAFile = tlstest.WriteFile(t, "server-ca.pem", c.serverCA.PEM)
	return c
}

// startTLS starts a dev server whose frontend speaks TLS and, with
// requireClientCert, only to clients with a certificate of the client CA.
func startTLS(t *testing.T, c certs, requireClientCert bool) *devserver.Server {
	t.Helper()
	serverConf := &tls.Config{Certificates: []tls.Certificate{c.server.TLS}, MinVersion: tls.VersionTLS12}
	// The server's own system workers dial the frontend too.
	clientConf := &tls.Config{RootCAs: c.serverCA.Pool(), MinVersion: tls.VersionTLS12}
	if requireClientCert {
		serverConf.ClientCAs, serverConf.ClientAuth = c.clientCA.Pool(), tls.RequireAndVerifyClientCert
		clientConf.Certificates = []tls.Certificate{c.clientCA.Client(t, "temporal-system").TLS}
	}
	return start(t, devserver.Options{
		DataDir:      t.TempDir(),
		FrontendPort: freePort(t),
		DisableUI:    true,
		Namespace:    namespace,
		SearchAttributes: map[string]enumspb.IndexedValueType{
			saName.GetName():     enumspb.INDEXED_VALUE_TYPE_KEYWORD,
			saContacts.GetName(): enumspb.INDEXED_VALUE_TYPE_INT,
		},
		Logger: zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel)),
		TLS:    &devserver.TLS{Server: serverConf, Client: clientConf},
	})
}

// dialWithEnv dials srv the way the worker and the starter do: config.Load
// reads env (and nothing else of the host's), connect.Temporal dials.
func dialWithEnv(t *testing.T, srv *devserver.Server, env map[string]string) error {
	t.Helper()
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "TEMPORAL_") {
			t.Setenv(k, "")
		}
	}
	t.Setenv("XDG_CONFIG_HOME", t.TempDir()) // no Temporal CLI profile of the host
	t.Setenv("TEMPORAL_ADDRESS", srv.FrontendHostPort())
	t.Setenv("TEMPORAL_NAMESPACE", namespace)
	for k, v := range env {
		t.Setenv(k, v)
	}
	cfg, err := config.Load()
	if err != nil {
		t.Fatalf("config.Load: %v", err)
	}
	logger := zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel))
	c, err := connect.Temporal(cfg.Temporal, logger)
	if err != nil {
		return err
	}
	defer c.Close()
	// A worker polls and a workflow runs: the whole path is on TLS.
	runWorkflow(t, c, "wf-over-tls", upsertInput{Name: "tls", Contacts: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: namespace})
	return err
}

func TestTLSWithServerCA(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real Temporal server")
	}
	c := newCerts(t)
	srv := startTLS(t, c, false)
	if err := dialWithEnv(t, srv, map[string]string{"TEMPORAL_TLS_SERVER_CA_CERT_PATH": c.serverCAFile}); err != nil {
		t.Fatalf("TLS with the server CA: %v", err)
	}

	// An API key turns TLS on by itself (Temporal Cloud): with the CA it
	// connects, without it the system roots refuse the test CA.
	apiKey := map[string]string{"TEMPORAL_API_KEY": "test-api-key", "TEMPORAL_TLS_SERVER_CA_CERT_PATH": c.serverCAFile}
	if err := dialWithEnv(t, srv, apiKey); err != nil {
		t.Fatalf("API key over TLS: %v", err)
	}
	delete(apiKey, "TEMPORAL_TLS_SERVER_CA_CERT_PATH")
	if err := dialWithEnv(t, srv, apiKey); err == nil || !strings.Contains(err.Error(), "x509") {
		t.Fatalf("API key without the CA: err = %v, want the handshake to fail on the certificate", err)
	}

	// Negative: a CA that did not sign the server's certificate.
	other := tlstest.WriteFile(t, "other-ca.pem", tlstest.NewCA(t, "someone else's CA").PEM)
	err := dialWithEnv(t, srv, map[string]string{"TEMPORAL_TLS_SERVER_CA_CERT_PATH": other})
	if err == nil || !strings.Contains(err.Error(), "TLS handshake with Temporal at "+srv.FrontendHostPort()+" failed") ||
		!strings.Contains(err.Error(), "TEMPORAL_TLS_SERVER_CA_CERT_PATH") || !strings.Contains(err.Error(), "x509") {
		t.Fatalf("wrong CA: err = %v, want a TLS handshake error naming the CA setting and the x509 cause", err)
	}

	// Negative: plaintext against a TLS frontend.
	if err := dialWithEnv(t, srv, nil); err == nil || !strings.Contains(err.Error(), "TEMPORAL_TLS=true") {
		t.Fatalf("plaintext against the TLS frontend: err = %v, want a hint at TEMPORAL_TLS", err)
	}
}

func TestMTLSWithClientCertificate(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real Temporal server")
	}
	c := newCerts(t)
	srv := startTLS(t, c, true)
	worker := c.clientCA.Client(t, "hubspot-brevo-sync worker")
	mtls := map[string]string{
		"TEMPORAL_TLS_SERVER_CA_CERT_PATH": c.serverCAFile,
		"TEMPORAL_TLS_CLIENT_CERT_PATH":    tlstest.WriteFile(t, "client.pem", worker.CertPEM),
		"TEMPORAL_TLS_CLIENT_KEY_PATH":     tlstest.WriteFile(t, "client.key", worker.KeyPEM),
		"TEMPORAL_TLS_SERVER_NAME":         "localhost", // the certificate's DNS name instead of the IP
	}
	if err := dialWithEnv(t, srv, mtls); err != nil {
		t.Fatalf("mTLS: %v", err)
	}

	// The same from a Temporal CLI profile file.
	profile := fmt.Sprintf("[profile.mtls.tls]\nserver_ca_cert_path = %q\nclient_cert_path = %q\nclient_key_path = %q\nserver_name = \"localhost\"\n",
		c.serverCAFile, mtls["TEMPORAL_TLS_CLIENT_CERT_PATH"], mtls["TEMPORAL_TLS_CLIENT_KEY_PATH"])
	fromFile := map[string]string{"TEMPORAL_CONFIG_FILE": tlstest.WriteFile(t, "temporal.toml", []byte(profile)), "TEMPORAL_PROFILE": "mtls"}
	if err := dialWithEnv(t, srv, fromFile); err != nil {
		t.Fatalf("mTLS from a profile file: %v", err)
	}

	// Negative: no client certificate; the server refuses the handshake.
	err := dialWithEnv(t, srv, map[string]string{"TEMPORAL_TLS_SERVER_CA_CERT_PATH": c.serverCAFile})
	if err == nil || !strings.Contains(err.Error(), "TLS handshake with Temporal") {
		t.Fatalf("no client certificate: err = %v, want a TLS handshake error", err)
	}

	// Negative: a client certificate of a CA the server does not trust.
	stranger := tlstest.NewCA(t, "untrusted client CA").Client(t, "stranger")
	mtls["TEMPORAL_TLS_CLIENT_CERT_DATA"], mtls["TEMPORAL_TLS_CLIENT_KEY_DATA"] = string(stranger.CertPEM), string(stranger.KeyPEM)
	delete(mtls, "TEMPORAL_TLS_CLIENT_CERT_PATH")
	delete(mtls, "TEMPORAL_TLS_CLIENT_KEY_PATH")
	err = dialWithEnv(t, srv, mtls)
	if err == nil || !strings.Contains(err.Error(), "TLS handshake with Temporal") {
		t.Fatalf("untrusted client certificate: err = %v, want a TLS handshake error", err)
	}
}
