package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"hubspot-brevo-sync/internal/sandbox"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestConnectHubSpotCommand drives `starter connect hubspot` against the
// sandbox, playing the browser.
func TestConnectHubSpotCommand(t *testing.T) {
	sandboxEnv(t)
	base := os.Getenv("HUBSPOT_BASE_URL")
	file := filepath.Join(t.TempDir(), "refresh-token")
	out := &lockedBuffer{}
	errc := make(chan error, 1)
	go func() {
		errc <- run(context.Background(), []string{"connect", "hubspot",
			"--client-id", sandbox.HubSpotDemoClientID, "--client-secret", sandbox.HubSpotDemoClientSecret,
			"--port", "0", "--out", file, "--authorize-url", base + "/oauth/authorize", "--timeout", "20s"}, out)
	}()

	var authURL string
	for deadline := time.Now().Add(5 * time.Second); authURL == "" && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		for _, f := range strings.Fields(out.String()) {
			if strings.HasPrefix(f, base+"/oauth/authorize?") {
				authURL = f
			}
		}
	}
	require.NotEmpty(t, authURL, out.String())
	browser := &http.Client{Timeout: 5 * time.Second} // follows the redirect to the callback
	resp, err := browser.Get(authURL)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	require.Contains(t, string(body), "Connected")
	require.NoError(t, <-errc)

	st, err := os.Stat(file)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), st.Mode().Perm())
	require.Contains(t, out.String(), "HUBSPOT_REFRESH_TOKEN_FILE="+file)
	require.NotContains(t, out.String(), sandbox.HubSpotDemoClientSecret)
}

func TestConnectRefusals(t *testing.T) {
	sandboxEnv(t)
	_, err := runCLI("connect")
	requireOneLine(t, err, "connect hubspot")
	_, err = runCLI("connect", "brevo")
	requireOneLine(t, err, "connect hubspot")
	_, err = runCLI("connect", "hubspot", "--client-id", "x")
	requireOneLine(t, err, "--client-secret")
	_, err = runCLI("connect", "hubspot", "--client-id", "x", "--client-secret", "y", "--port", "99999")
	requireOneLine(t, err, "--port")
	_, err = runCLI("connect", "hubspot", "--client-id", "x", "--client-secret", "y", "--redirect-host", "example.com")
	requireOneLine(t, err, "--redirect-host")
	_, err = runCLI("connect", "hubspot", "--bogus")
	requireOneLine(t, err, "bogus")
}
