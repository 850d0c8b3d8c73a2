package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hubspot-brevo-sync/internal/sandbox"
)

const portalBToken = "pat-na1-portal-b-secret"

// connectionsEnv is sandboxEnv with a second HubSpot portal (reached with
// portalBToken, hub 7000002) and an empty connections directory.
func connectionsEnv(t *testing.T) (dir string) {
	t.Helper()
	sb := sandboxEnv(t)
	b := sb.AddHubSpotPortal(sandbox.HubSpotOptions{StaticTokens: []string{portalBToken}, PortalID: 7000002})
	b.Seed(sandbox.SeedOptions{Contacts: 7, Seed: 2, ListName: "Portal B contacts"})
	dir = filepath.Join(t.TempDir(), "connections")
	t.Setenv("SYNC_CONNECTIONS_DIR", dir)
	return dir
}

func tokenFile(t *testing.T, token string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "token")
	require.NoError(t, os.WriteFile(f, []byte(token+"\n"), 0o600))
	return f
}

func TestConnectionsAddListRemoveNeverPrintSecrets(t *testing.T) {
	dir := connectionsEnv(t)
	out, err := runCLI("connections", "add", "beta", "--access-token-file", tokenFile(t, portalBToken), "--tier", "professional")
	require.NoError(t, err)
	assert.Contains(t, out, "added HubSpot connection beta (access-token)")
	st, err := os.Stat(filepath.Join(dir, "beta.json"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())

	_, err = runCLI("connections", "add", "beta", "--access-token-file", tokenFile(t, "other"))
	requireOneLine(t, err, "beta", "exists", "--replace")
	_, err = runCLI("connections", "add", "Bad/Name", "--access-token-file", tokenFile(t, "x"))
	requireOneLine(t, err, "Bad/Name")
	_, err = runCLI("connections", "add", "default", "--access-token-file", tokenFile(t, "x"))
	requireOneLine(t, err, "HUBSPOT_*")
	_, err = runCLI("connections", "add", "gamma")
	requireOneLine(t, err, "--access-token-file")

	out, err = runCLI("connections", "list")
	require.NoError(t, err)
	assert.Contains(t, out, "default")
	assert.Contains(t, out, "beta")
	assert.Contains(t, out, "professional")
	assert.NotContains(t, out, portalBToken)
	assert.NotContains(t, out, sandbox.HubSpotDemoToken)

	out, err = runCLI("connections", "list", "--json")
	require.NoError(t, err)
	var listed []map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &listed), out)
	require.Len(t, listed, 2)
	assert.Equal(t, "beta", listed[1]["name"])
	assert.Equal(t, "access-token", listed[1]["kind"])
	assert.NotContains(t, out, portalBToken)

	// Temporal is unreachable: whether an integration uses it is unknown.
	_, err = runCLI("connections", "remove", "beta")
	requireOneLine(t, err, "cannot tell", "--force")
	_, err = os.Stat(filepath.Join(dir, "beta.json"))
	require.NoError(t, err, "a refused remove keeps the file")
	out, err = runCLI("connections", "remove", "beta", "--force")
	require.NoError(t, err)
	assert.Contains(t, out, "removed HubSpot connection beta")
	_, err = runCLI("connections", "remove", "beta", "--force")
	requireOneLine(t, err, "beta", "no such HubSpot connection")
}

func TestDiscoveryAndDryRunReadTheNamedConnectionsPortal(t *testing.T) {
	connectionsEnv(t)
	_, err := runCLI("connections", "add", "beta", "--access-token-file", tokenFile(t, portalBToken))
	require.NoError(t, err)

	out, err := runCLI("hubspot", "lists", "--connection", "beta")
	require.NoError(t, err)
	assert.Contains(t, out, "Portal B contacts")
	out, err = runCLI("hubspot", "lists")
	require.NoError(t, err)
	assert.NotContains(t, out, "Portal B contacts", "without --connection: the HUBSPOT_* portal")

	_, err = runCLI("hubspot", "lists", "--connection", "nope")
	requireOneLine(t, err, `"nope"`, "connections add nope")

	out, err = runCLI("create", "--name", "b", "--hubspot-list", "1", "--brevo-list", "1", "--map", "email=EMAIL",
		"--opt-in-confirmed", "--hubspot-connection", "beta", "--dry-run", "--json")
	require.NoError(t, err)
	var preview struct {
		Contacts []struct {
			ExtID string `json:"extId"`
		} `json:"contacts"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &preview), out)
	require.NotEmpty(t, preview.Contacts)
	for _, c := range preview.Contacts {
		assert.True(t, strings.HasPrefix(c.ExtID, "7000002-"), "ext_id %q of a named connection carries its portal", c.ExtID)
	}
	assert.NotContains(t, out, portalBToken)

	// The token must work: a connection whose token HubSpot refuses is
	// refused at create.
	_, err = runCLI("connections", "add", "broken", "--access-token-file", tokenFile(t, "pat-na1-wrong"))
	require.NoError(t, err)
	_, err = runCLI("create", "--name", "x", "--hubspot-list", "1", "--brevo-list", "1", "--map", "email=EMAIL",
		"--opt-in-confirmed", "--hubspot-connection", "broken", "--dry-run")
	requireOneLine(t, err, "HubSpot connection broken")
	assert.NotContains(t, err.Error(), "pat-na1-wrong")
}

// TestConnectHubSpotSavesAConnection: `connect hubspot --connection NAME`
// writes NAME.json with the app and the refresh token, which then serves
// discovery; nothing secret is printed.
func TestConnectHubSpotSavesAConnection(t *testing.T) {
	dir := connectionsEnv(t)
	base := os.Getenv("HUBSPOT_BASE_URL")
	out := &lockedBuffer{}
	errc := make(chan error, 1)
	go func() {
		errc <- run(context.Background(), []string{"connect", "hubspot", "--connection", "oauth-app",
			"--client-id", sandbox.HubSpotDemoClientID, "--client-secret", sandbox.HubSpotDemoClientSecret,
			"--port", "0", "--authorize-url", base + "/oauth/authorize", "--timeout", "20s"}, out)
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
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Get(authURL)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.NoError(t, <-errc)

	file := filepath.Join(dir, "oauth-app.json")
	st, err := os.Stat(file)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())
	var saved map[string]string
	b, _ := os.ReadFile(file)
	require.NoError(t, json.Unmarshal(b, &saved))
	assert.Equal(t, sandbox.HubSpotDemoClientID, saved["clientId"])
	require.True(t, strings.HasPrefix(saved["refreshToken"], "sandbox-rt-"), "the issued refresh token: %q", saved["refreshToken"])
	assert.Equal(t, base, saved["baseUrl"], "not HubSpot's own base URL: kept in the file")
	assert.Contains(t, out.String(), "Saved HubSpot connection oauth-app (portal 1234567)")
	assert.NotContains(t, out.String(), sandbox.HubSpotDemoClientSecret)
	assert.NotContains(t, out.String(), saved["refreshToken"])

	lists, err := runCLI("hubspot", "lists", "--connection", "oauth-app")
	require.NoError(t, err)
	assert.Contains(t, lists, "All sandbox contacts")
	listed, err := runCLI("connections", "list")
	require.NoError(t, err)
	assert.Contains(t, listed, "oauth-app")
	assert.Contains(t, listed, "oauth")
	assert.NotContains(t, listed, sandbox.HubSpotDemoClientSecret)

	_, err = runCLI("connect", "hubspot", "--connection", "x", "--out", "f", "--client-id", "a", "--client-secret", "b")
	requireOneLine(t, err, "--out or --connection")
	_, err = runCLI("connect", "hubspot", "--connection", "Bad Name", "--client-id", "a", "--client-secret", "b")
	requireOneLine(t, err, "--connection")
}
