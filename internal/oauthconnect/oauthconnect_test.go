package oauthconnect

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"hubspot-brevo-sync/internal/hubspot"
	"hubspot-brevo-sync/internal/sandbox"
)

// syncBuffer is a bytes.Buffer safe to read while Run writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// printedURL waits for the authorize URL on out.
func printedURL(t *testing.T, out *syncBuffer, prefix string) string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		for _, f := range strings.Fields(out.String()) {
			if strings.HasPrefix(f, prefix) {
				return f
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no authorize URL printed:\n%s", out.String())
	return ""
}

var noFollow = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }, Timeout: 5 * time.Second}

func get(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := noFollow.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusFound {
		return resp.StatusCode, resp.Header.Get("Location")
	}
	return resp.StatusCode, string(b)
}

// TestConnectAgainstTheSandbox plays the browser: it opens the printed
// authorize URL, follows the sandbox's redirect to the callback (first
// with a forged state, which is refused), and checks the saved token works.
func TestConnectAgainstTheSandbox(t *testing.T) {
	sb := sandbox.New(sandbox.Options{})
	sb.HubSpot().Seed(sandbox.SeedOptions{Contacts: 3, Seed: 1})
	srv := httptest.NewServer(sb)
	defer srv.Close()
	out := &syncBuffer{}
	file := filepath.Join(t.TempDir(), "token")

	type result struct {
		res Result
		err error
	}
	done := make(chan result, 1)
	go func() {
		res, err := Run(context.Background(), Options{
			ClientID: sandbox.HubSpotDemoClientID, ClientSecret: sandbox.HubSpotDemoClientSecret,
			Port: 0, AuthorizeURL: srv.URL + "/oauth/authorize", BaseURL: srv.URL, Out: file,
			Timeout: 20 * time.Second, Stdout: out,
		})
		done <- result{res, err}
	}()

	authURL := printedURL(t, out, srv.URL+"/oauth/authorize?")
	u, _ := url.Parse(authURL)
	q := u.Query()
	if q.Get("client_id") != sandbox.HubSpotDemoClientID || q.Get("scope") != "oauth crm.objects.contacts.read crm.lists.read" ||
		!strings.Contains(authURL, "scope=oauth%20crm.objects.contacts.read%20crm.lists.read") || len(q.Get("state")) < 32 ||
		!strings.HasPrefix(q.Get("redirect_uri"), "http://localhost:") || !strings.HasSuffix(q.Get("redirect_uri"), "/callback") {
		t.Fatalf("authorize URL %s", authURL)
	}

	status, location := get(t, authURL)
	if status != http.StatusFound {
		t.Fatalf("authorize: %d %s", status, location)
	}
	cb, _ := url.Parse(location)
	forged := *cb
	fq := cb.Query()
	fq.Set("state", "forged")
	forged.RawQuery = fq.Encode()
	if status, body := get(t, forged.String()); status != http.StatusBadRequest || !strings.Contains(body, "state") {
		t.Fatalf("forged state: %d %s", status, body)
	}
	select {
	case r := <-done:
		t.Fatalf("a forged state ended the flow: %+v", r)
	default:
	}
	if status, body := get(t, location); status != http.StatusOK || !strings.Contains(body, "Connected") {
		t.Fatalf("callback: %d %s", status, body)
	}
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	st, err := os.Stat(file)
	if err != nil || st.Mode().Perm() != 0o600 || r.res.File != file {
		t.Fatalf("token file %v mode %v (result %q)", err, st.Mode().Perm(), r.res.File)
	}
	text := out.String()
	for _, want := range []string{"HUBSPOT_REFRESH_TOKEN_FILE=" + file, "HUBSPOT_CLIENT_ID=" + sandbox.HubSpotDemoClientID, "HUBSPOT_CLIENT_SECRET"} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, sandbox.HubSpotDemoClientSecret) {
		t.Error("the client secret was printed")
	}

	// The saved refresh token works with the client.
	saved, _ := os.ReadFile(file)
	if strings.Contains(text, strings.TrimSpace(string(saved))) {
		t.Error("the refresh token was printed")
	}
	hs, err := hubspot.New(hubspot.Config{BaseURL: srv.URL, OAuth: &hubspot.OAuthConfig{
		ClientID: sandbox.HubSpotDemoClientID, ClientSecret: sandbox.HubSpotDemoClientSecret, RefreshToken: strings.TrimSpace(string(saved)),
	}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := hs.GetList(context.Background(), sandbox.DemoListID); err != nil {
		t.Fatalf("the saved refresh token does not work: %v", err)
	}
}

func TestConnectReportsFailures(t *testing.T) {
	sb := sandbox.New(sandbox.Options{})
	srv := httptest.NewServer(sb)
	defer srv.Close()

	run := func(o Options, browse func(authURL string)) error {
		out := &syncBuffer{}
		o.Stdout, o.Port, o.BaseURL, o.Out = out, 0, srv.URL, filepath.Join(t.TempDir(), "token")
		if o.AuthorizeURL == "" {
			o.AuthorizeURL = srv.URL + "/oauth/authorize"
		}
		if o.Timeout == 0 {
			o.Timeout = 10 * time.Second
		}
		errc := make(chan error, 1)
		go func() { _, err := Run(context.Background(), o); errc <- err }()
		if browse != nil {
			browse(printedURL(t, out, o.AuthorizeURL+"?"))
		}
		err := <-errc
		if _, statErr := os.Stat(o.Out); err != nil && statErr == nil {
			t.Errorf("a failed connect left a token file")
		}
		return err
	}

	// Wrong client secret: the exchange is refused.
	err := run(Options{ClientID: sandbox.HubSpotDemoClientID, ClientSecret: "wrong"}, func(authURL string) {
		_, loc := get(t, authURL)
		if status, _ := get(t, loc); status != http.StatusBadGateway {
			t.Errorf("callback status %d", status)
		}
	})
	if err == nil || !strings.Contains(err.Error(), "invalid_client") || strings.Contains(err.Error(), "wrong") {
		t.Fatalf("wrong secret: %v", err)
	}

	// The person denies access.
	err = run(Options{ClientID: sandbox.HubSpotDemoClientID, ClientSecret: sandbox.HubSpotDemoClientSecret}, func(authURL string) {
		u, _ := url.Parse(authURL)
		cb := u.Query().Get("redirect_uri") + "?error=access_denied&error_description=user+said+no&state=" + u.Query().Get("state")
		get(t, cb)
	})
	if err == nil || !strings.Contains(err.Error(), "access_denied") {
		t.Fatalf("denied: %v", err)
	}

	// Nobody comes back.
	err = run(Options{ClientID: "x", ClientSecret: "y", Timeout: 200 * time.Millisecond}, nil)
	if err == nil || !strings.Contains(err.Error(), "no authorization arrived") {
		t.Fatalf("timeout: %v", err)
	}

	for _, o := range []Options{{ClientSecret: "y"}, {ClientID: "x"}, {ClientID: "x", ClientSecret: "y", RedirectHost: "example.com"}} {
		if _, err := Run(context.Background(), o); err == nil {
			t.Errorf("%+v accepted", o)
		}
	}
}
