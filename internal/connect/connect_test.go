package connect_test

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"hubspot-brevo-sync/internal/config"
	"hubspot-brevo-sync/internal/connect"
	"hubspot-brevo-sync/internal/sandbox"
)

// logText renders every captured entry, message and fields, as JSON lines.
func logText(t *testing.T, logs *observer.ObservedLogs) string {
	t.Helper()
	enc := zapcore.NewJSONEncoder(zap.NewDevelopmentEncoderConfig())
	var b bytes.Buffer
	for _, e := range logs.All() {
		buf, err := enc.EncodeEntry(e.Entry, e.Context)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(buf.Bytes())
		buf.Free()
	}
	return b.String()
}

// TestLogsNeverCarrySecrets runs both clients at debug level through
// successful calls, a token refresh with a rotated refresh token, failed
// authentication and a dead server, and checks that no credential shows up
// in the log or in an error.
func TestLogsNeverCarrySecrets(t *testing.T) {
	sb := sandbox.New(sandbox.Options{HubSpot: sandbox.HubSpotOptions{RotateRefreshTokens: true}})
	sb.HubSpot().Seed(sandbox.SeedOptions{Contacts: 20, Seed: 3})
	srv := httptest.NewServer(sb)
	env := sandbox.DevEnv(srv.URL)
	core, logs := observer.New(zap.DebugLevel)
	log := zap.New(core)
	ctx := context.Background()

	tokenFile := filepath.Join(t.TempDir(), "hubspot-refresh-token")
	if err := os.WriteFile(tokenFile, []byte(sandbox.HubSpotDemoRefreshToken+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	hs, err := connect.HubSpot(config.HubSpot{
		BaseURL: env.HubSpotBaseURL, ClientID: sandbox.HubSpotDemoClientID, ClientSecret: sandbox.HubSpotDemoClientSecret,
		RefreshToken: sandbox.HubSpotDemoRefreshToken, RefreshTokenFile: tokenFile,
	}, log)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := hs.GetList(ctx, sandbox.DemoListID); err != nil {
		t.Fatal(err)
	}
	if _, err := hs.ListMemberships(ctx, sandbox.DemoListID, "", 10); err != nil {
		t.Fatal(err)
	}
	// The sandbox rotated the refresh token: it is in the file, 0600. (The
	// client saves it right after handing out the new access token.)
	var rotated string
	var st os.FileInfo
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		saved, _ := os.ReadFile(tokenFile)
		if rotated = strings.TrimSpace(string(saved)); rotated != sandbox.HubSpotDemoRefreshToken {
			break
		}
	}
	st, err = os.Stat(tokenFile)
	if err != nil {
		t.Fatal(err)
	}
	if rotated == sandbox.HubSpotDemoRefreshToken || !strings.HasPrefix(rotated, "sandbox-rt-") || st.Mode().Perm() != 0o600 {
		t.Fatalf("refresh token file holds %q with mode %v, want the rotated token with 0600", rotated, st.Mode().Perm())
	}

	bv, err := connect.Brevo(config.Brevo{BaseURL: env.BrevoBaseURL, APIKey: env.BrevoAPIKey}, log)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bv.AllLists(ctx); err != nil {
		t.Fatal(err)
	}

	var errs []error
	badHS, _ := connect.HubSpot(config.HubSpot{BaseURL: env.HubSpotBaseURL, AccessToken: "pat-na1-wrong-token-123"}, log)
	_, err = badHS.GetList(ctx, sandbox.DemoListID)
	errs = append(errs, err)
	badOAuth, _ := connect.HubSpot(config.HubSpot{BaseURL: env.HubSpotBaseURL, ClientID: sandbox.HubSpotDemoClientID,
		ClientSecret: "wrong-client-secret-456", RefreshToken: rotated}, log)
	_, err = badOAuth.GetList(ctx, sandbox.DemoListID)
	errs = append(errs, err)
	badBV, _ := connect.Brevo(config.Brevo{BaseURL: env.BrevoBaseURL, APIKey: "xkeysib-wrong-key-789"}, log)
	_, err = badBV.AllLists(ctx)
	errs = append(errs, err)
	srv.Close()
	_, err = hs.ListMemberships(ctx, sandbox.DemoListID, "", 10)
	errs = append(errs, err)
	_, err = bv.AllLists(ctx)
	errs = append(errs, err)

	text := logText(t, logs)
	for _, e := range errs {
		if e == nil {
			t.Fatal("a call that should fail succeeded")
		}
		text += "\n" + e.Error()
	}
	if !strings.Contains(text, "http call") || !strings.Contains(text, "refresh") {
		t.Fatalf("the debug log should show the calls and the refresh:\n%s", text)
	}
	for _, secret := range []string{
		sandbox.HubSpotDemoClientSecret, sandbox.HubSpotDemoRefreshToken, rotated, "sandbox-at-",
		env.BrevoAPIKey, "pat-na1-wrong-token-123", "wrong-client-secret-456", "xkeysib-wrong-key-789",
	} {
		if strings.Contains(text, secret) {
			t.Errorf("log or error output contains the secret %q", secret)
		}
	}
}
