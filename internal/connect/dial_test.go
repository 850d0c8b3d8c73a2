package connect_test

import (
	"net"
	"strings"
	"testing"

	temporalenv "go.temporal.io/sdk/contrib/envconfig"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"hubspot-brevo-sync/internal/config"
	"hubspot-brevo-sync/internal/connect"
)

// refusingServer is a gRPC server that answers every call, the SDK's
// GetSystemInfo at dial included, with code.
func refusingServer(t *testing.T, code codes.Code) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer(grpc.UnknownServiceHandler(func(any, grpc.ServerStream) error {
		return status.Error(code, "request unauthorized")
	}))
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(srv.Stop)
	return ln.Addr().String()
}

func TestDialErrorNamesTheSettingsToCheck(t *testing.T) {
	for _, code := range []codes.Code{codes.Unauthenticated, codes.PermissionDenied} {
		addr := refusingServer(t, code)
		_, err := connect.Temporal(config.Temporal{Address: addr, Namespace: "sync.a1b2c"}, zap.NewNop())
		if err == nil || !strings.Contains(err.Error(), "Temporal at "+addr+" refused the credentials") ||
			!strings.Contains(err.Error(), "TEMPORAL_API_KEY") || !strings.Contains(err.Error(), "sync.a1b2c") {
			t.Errorf("%v: err = %v, want one naming the credentials and the namespace", code, err)
		}
	}

	addr := refusingServer(t, codes.Unimplemented)
	_, err := connect.Temporal(config.Temporal{Address: addr, Namespace: "default"}, zap.NewNop())
	if err == nil || strings.Contains(err.Error(), "refused the credentials") || strings.Contains(err.Error(), "TLS handshake") {
		t.Errorf("another failure: err = %v, want neither a credentials nor a TLS diagnosis", err)
	}
}

// TestTemporalAPIKeyStaysSecret: neither the start-up log line nor the
// error of a refused key shows the key.
func TestTemporalAPIKeyStaysSecret(t *testing.T) {
	const key = "temporal-api-key-7f3a9c"
	addr := refusingServer(t, codes.Unauthenticated)
	core, logs := observer.New(zap.DebugLevel)
	c := config.Temporal{Address: addr, Namespace: "sync.a1b2c", Source: "environment", Profile: &temporalenv.ClientConfigProfile{
		APIKey: key,
		TLS:    &temporalenv.ClientConfigTLS{Disabled: true}, // the test server is plaintext
	}}
	_, err := connect.Temporal(c, zap.New(core))
	if err == nil || !strings.Contains(err.Error(), "refused the credentials") {
		t.Fatalf("err = %v, want the key refused", err)
	}
	text := logText(t, logs) + err.Error()
	if !strings.Contains(text, "plaintext + API key") {
		t.Errorf("the log should say how the connection is secured:\n%s", text)
	}
	if strings.Contains(text, key) {
		t.Errorf("the API key shows in the log or the error:\n%s", text)
	}
}
