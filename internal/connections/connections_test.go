package connections_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"hubspot-brevo-sync/internal/config"
	"hubspot-brevo-sync/internal/connect"
	"hubspot-brevo-sync/internal/connections"
	"hubspot-brevo-sync/internal/hubspot"
	"hubspot-brevo-sync/internal/sandbox"
)

func TestValidateName(t *testing.T) {
	for _, name := range []string{"acme", "acme-eu", "a_1", "0portal"} {
		if err := connections.ValidateName(name); err != nil {
			t.Errorf("%q refused: %v", name, err)
		}
	}
	for _, name := range []string{"", "default", "Acme", "../etc", "a/b", "a.json", "-x", strings.Repeat("a", 64), "a b"} {
		err := connections.ValidateName(name)
		if err == nil || strings.Contains(err.Error(), "\n") {
			t.Errorf("%q: err %v, want a one-line refusal", name, err)
		}
	}
}

func TestSaveLoadListRemove(t *testing.T) {
	dir := connections.Dir(filepath.Join(t.TempDir(), "conns"))
	if all, err := dir.List(); err != nil || len(all) != 0 {
		t.Fatalf("missing directory: %v, %v; want no connections", all, err)
	}
	tok := connections.Connection{Name: "beta", AccessToken: "pat-na1-secret-1", BaseURL: "https://api.hubapi.com", Tier: hubspot.TierProfessional}
	oauth := connections.Connection{Name: "alpha", ClientID: "cid", ClientSecret: "csecret", RefreshToken: "rt-1"}
	for _, c := range []connections.Connection{tok, oauth} {
		if err := dir.Save(c); err != nil {
			t.Fatal(err)
		}
	}
	st, err := os.Stat(dir.File("beta"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("file mode %v (err %v), want 0600", st.Mode().Perm(), err)
	}
	var onDisk map[string]any
	b, _ := os.ReadFile(dir.File("alpha"))
	if err := json.Unmarshal(b, &onDisk); err != nil || onDisk["refreshToken"] != "rt-1" || onDisk["clientId"] != "cid" || onDisk["accessToken"] != nil {
		t.Fatalf("alpha.json = %s", b)
	}
	all, err := dir.List()
	if err != nil || len(all) != 2 || all[0].Name != "alpha" || all[1].Name != "beta" {
		t.Fatalf("List = %+v, %v", all, err)
	}
	if all[0].Kind() != connections.KindOAuth || all[1].Kind() != connections.KindAccessToken {
		t.Fatalf("kinds %s %s", all[0].Kind(), all[1].Kind())
	}
	sum, _ := json.Marshal(all[1].Summary())
	if strings.Contains(string(sum), "secret") {
		t.Fatalf("summary shows a secret: %s", sum)
	}
	if got := all[1].Config(config.HubSpot{BaseURL: "http://base", Tier: hubspot.TierFree}); got.Connection != "beta" ||
		got.Tier != hubspot.TierProfessional || got.BaseURL != "https://api.hubapi.com" || got.AccessToken != "pat-na1-secret-1" {
		t.Fatalf("Config = %+v", got)
	}
	if got := all[0].Config(config.HubSpot{BaseURL: "http://base", Tier: hubspot.TierStarter, AccessToken: "env-token"}); got.BaseURL != "http://base" ||
		got.Tier != hubspot.TierStarter || got.AccessToken != "" || got.RefreshToken != "rt-1" {
		t.Fatalf("Config with defaults = %+v (the environment's token must not leak into a connection)", got)
	}
	if err := dir.Remove("beta"); err != nil {
		t.Fatal(err)
	}
	if _, err := dir.Load("beta"); !errors.Is(err, connections.ErrNotFound) {
		t.Fatalf("Load after Remove: %v", err)
	}
	if err := dir.Remove("beta"); !errors.Is(err, connections.ErrNotFound) {
		t.Fatalf("second Remove: %v", err)
	}
}

func TestBadFilesAreRefusedInOneLineWithoutTheirContent(t *testing.T) {
	dir := connections.Dir(t.TempDir())
	for name, content := range map[string]string{
		"broken":  `{"accessToken": "pat-na1-secret-2"`,
		"half":    `{"clientId": "cid", "refreshToken": "rt-secret-3"}`,
		"both":    `{"accessToken": "pat-na1-secret-4", "clientId": "c", "clientSecret": "s", "refreshToken": "r"}`,
		"badurl":  `{"accessToken": "pat-na1-secret-5", "baseUrl": "ftp://x"}`,
		"badtier": `{"accessToken": "pat-na1-secret-6", "tier": "gold"}`,
		"empty":   `{}`,
	} {
		if err := os.WriteFile(filepath.Join(string(dir), name+".json"), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := dir.Load(name)
		if err == nil || strings.Contains(err.Error(), "\n") || strings.Contains(err.Error(), "secret") || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: err %v, want one line naming the connection and no secret", name, err)
		}
	}
	if err := dir.Save(connections.Connection{Name: "x", ClientID: "only"}); err == nil {
		t.Error("Save took half an OAuth trio")
	}
}

// TestRegistry: one client per connection, shared until the file
// changes; a new file is found without a restart; a rotated refresh token
// lands in the file and keeps the client.
func TestRegistry(t *testing.T) {
	sb := sandbox.New(sandbox.Options{HubSpot: sandbox.HubSpotOptions{RotateRefreshTokens: true}})
	sb.HubSpot().Seed(sandbox.SeedOptions{Contacts: 5, Seed: 1})
	portal := sb.AddHubSpotPortal(sandbox.HubSpotOptions{StaticTokens: []string{"portal-b-token"}, PortalID: 7000002})
	portal.Seed(sandbox.SeedOptions{Contacts: 3, Seed: 2})
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	dir := connections.Dir(t.TempDir())
	builds := 0
	reg := connections.NewRegistry(dir, config.HubSpot{BaseURL: srv.URL, Tier: hubspot.TierFree}, nil, func(h config.HubSpot) (*hubspot.Client, error) {
		builds++
		return connect.HubSpot(h, zap.NewNop())
	}, zap.NewNop())
	ctx := context.Background()

	if _, err := reg.Client(""); !errors.Is(err, connections.ErrNoDefault) {
		t.Fatalf("default without HUBSPOT_*: %v", err)
	}
	if _, err := reg.Client("beta"); !errors.Is(err, connections.ErrNotFound) {
		t.Fatalf("before the file: %v", err)
	}
	if err := dir.Save(connections.Connection{Name: "beta", AccessToken: "portal-b-token"}); err != nil {
		t.Fatal(err)
	}
	c1, err := reg.Client("beta")
	if err != nil {
		t.Fatal(err)
	}
	info, err := c1.TokenInfo(ctx)
	if err != nil || info.HubID != 7000002 {
		t.Fatalf("beta reaches hub %d (err %v), want the added portal", info.HubID, err)
	}
	if c2, _ := reg.Client("beta"); c2 != c1 || builds != 1 {
		t.Fatalf("a second look-up built another client (%d builds)", builds)
	}
	if err := dir.Save(connections.Connection{Name: "beta", AccessToken: sandbox.HubSpotDemoToken}); err != nil {
		t.Fatal(err)
	}
	c3, err := reg.Client("beta")
	if err != nil || c3 == c1 {
		t.Fatalf("a changed file kept the old client (err %v)", err)
	}
	if info, err := c3.TokenInfo(ctx); err != nil || info.HubID != sandbox.HubSpotDemoPortalID {
		t.Fatalf("after the change beta reaches hub %d (err %v)", info.HubID, err)
	}

	if err := dir.Save(connections.Connection{Name: "oauth", ClientID: sandbox.HubSpotDemoClientID,
		ClientSecret: sandbox.HubSpotDemoClientSecret, RefreshToken: sandbox.HubSpotDemoRefreshToken}); err != nil {
		t.Fatal(err)
	}
	o1, err := reg.Client("oauth")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := o1.GetList(ctx, sandbox.DemoListID); err != nil {
		t.Fatal(err)
	}
	saved := waitForRotation(t, dir)
	if st, _ := os.Stat(dir.File("oauth")); st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v after the rotation", st.Mode().Perm())
	}
	if o2, _ := reg.Client("oauth"); o2 != o1 {
		t.Fatal("saving the rotated refresh token replaced the client (and its budget)")
	}
	if saved.ClientSecret != sandbox.HubSpotDemoClientSecret || saved.ClientID != sandbox.HubSpotDemoClientID {
		t.Fatalf("the rotation lost the rest of the file: %+v", saved.Summary())
	}
	govs := reg.Governors()
	if len(govs) != 2 || govs["beta"] != c3.Governor() || govs["oauth"] != o1.Governor() {
		t.Fatalf("governors %v: want beta's and oauth's, the clients in use", govs)
	}
}

// waitForRotation waits until the file holds a rotated refresh token (the
// client saves it right after handing out the new access token).
func waitForRotation(t *testing.T, dir connections.Dir) connections.Connection {
	t.Helper()
	for i := 0; i < 500; i++ {
		c, err := dir.Load("oauth")
		if err == nil && c.RefreshToken != sandbox.HubSpotDemoRefreshToken {
			return c
		}
		select {
		case <-t.Context().Done():
		case <-afterMillis(10):
		}
	}
	t.Fatal("the rotated refresh token never reached the file")
	return connections.Connection{}
}

func afterMillis(n int) <-chan time.Time { return time.After(time.Duration(n) * time.Millisecond) }
