// Package oauthconnect runs HubSpot's OAuth 2.0 authorization-code flow
// from a terminal: it prints the authorize URL, receives the browser's
// redirect on a loopback-only callback server, checks state, exchanges the
// code for tokens at the token endpoint and saves the refresh token to a
// file with mode 0600. It backs `starter connect hubspot`.
package oauthconnect

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"hubspot-brevo-sync/internal/connect"
	"hubspot-brevo-sync/internal/hubspot"
)

// Defaults of Options.
const (
	DefaultAuthorizeURL = "https://app.hubspot.com/oauth/authorize"
	// DefaultPort of the callback server; the app's redirect URL must be
	// http://localhost:8750/callback for it.
	DefaultPort         = 8750
	DefaultRedirectHost = "localhost"
	DefaultTimeout      = 5 * time.Minute
	DefaultOut          = "hubspot-refresh-token"
	CallbackPath        = "/callback"
)

// DefaultScopes are what the sync needs: read contacts and properties,
// read lists, and the base oauth scope older apps require.
var DefaultScopes = []string{"oauth", "crm.objects.contacts.read", "crm.lists.read"}

// Options configure Run.
type Options struct {
	ClientID     string
	ClientSecret string
	// Scopes are requested space-separated; default DefaultScopes.
	Scopes []string
	// Port of the callback server on the loopback interface; 0 picks a
	// free one (tests). The starter's default is DefaultPort.
	Port int
	// RedirectHost is the host of redirect_uri: "localhost" (HubSpot allows
	// plain http for localhost only) or "127.0.0.1". The server listens on
	// loopback addresses only either way.
	RedirectHost string
	// AuthorizeURL defaults to DefaultAuthorizeURL (the sandbox serves its
	// own).
	AuthorizeURL string
	// BaseURL is the API host the token endpoint is on (HUBSPOT_BASE_URL).
	BaseURL string
	// Out is the file the refresh token is written to (mode 0600).
	Out string
	// Connection, when set, names the HubSpot connection the client and
	// refresh token are saved as, by SaveConnection, instead of Out.
	Connection     string
	SaveConnection func(refreshToken string) (file string, err error)
	// Timeout bounds the wait for the browser; default DefaultTimeout.
	Timeout time.Duration
	// Stdout receives the instructions.
	Stdout io.Writer
	// HTTPClient makes the token request; default a client with a 30 s
	// timeout.
	HTTPClient *http.Client
}

// Result is a completed connection.
type Result struct {
	File   string // absolute path of the refresh token file
	HubID  int64
	Scopes []string
}

// Run performs the flow and returns once the refresh token is saved, the
// person denied access, the exchange failed, ctx ended or Timeout passed.
func Run(ctx context.Context, o Options) (Result, error) {
	if err := o.defaults(); err != nil {
		return Result{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()

	listeners, port, err := listenLoopback(o.Port)
	if err != nil {
		return Result{}, err
	}
	redirect := fmt.Sprintf("http://%s%s", net.JoinHostPort(o.RedirectHost, strconv.Itoa(port)), CallbackPath)
	state, err := randomHex(24)
	if err != nil {
		return Result{}, err
	}
	authURL := AuthorizeURL(o.AuthorizeURL, o.ClientID, redirect, o.Scopes, state)

	done := make(chan outcome, 1)
	cb := &callback{o: o, state: state, redirect: redirect, port: port, done: done}
	srv := &http.Server{Handler: cb, ReadHeaderTimeout: 10 * time.Second}
	for _, ln := range listeners {
		go func() { _ = srv.Serve(ln) }()
	}
	defer func() {
		sctx, c := context.WithTimeout(context.Background(), 2*time.Second)
		defer c()
		_ = srv.Shutdown(sctx)
	}()

	fmt.Fprintf(o.Stdout, "Open this URL in a browser, pick the HubSpot account and connect the app:\n\n  %s\n\n", authURL)
	fmt.Fprintf(o.Stdout, "Waiting for HubSpot to redirect to %s (the app's redirect URL must be exactly this) ...\n", redirect)

	select {
	case <-ctx.Done():
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return Result{}, fmt.Errorf("connect: no authorization arrived within %s", o.Timeout)
		}
		return Result{}, ctx.Err()
	case out := <-done:
		if out.err != nil {
			return Result{}, out.err
		}
		if o.SaveConnection != nil {
			fmt.Fprintf(o.Stdout, "\nSaved HubSpot connection %s (portal %d) to %s (mode 0600).\n", o.Connection, out.res.HubID, out.res.File)
			fmt.Fprintf(o.Stdout, "Use it with 'starter create --hubspot-connection %s'; the worker reads it at use.\n", o.Connection)
			return out.res, nil
		}
		fmt.Fprintf(o.Stdout, "\nSaved the refresh token to %s (mode 0600).\n", out.res.File)
		fmt.Fprintf(o.Stdout, "Set these for the worker and the starter (and unset HUBSPOT_ACCESS_TOKEN):\n\n")
		fmt.Fprintf(o.Stdout, "  HUBSPOT_CLIENT_ID=%s\n", o.ClientID)
		fmt.Fprintf(o.Stdout, "  HUBSPOT_CLIENT_SECRET=<the app's client secret>   (or HUBSPOT_CLIENT_SECRET_FILE=<file holding it>)\n")
		fmt.Fprintf(o.Stdout, "  HUBSPOT_REFRESH_TOKEN_FILE=%s\n", out.res.File)
		return out.res, nil
	}
}

func (o *Options) defaults() error {
	var missing []string
	if o.ClientID == "" {
		missing = append(missing, "--client-id (or HUBSPOT_CLIENT_ID)")
	}
	if o.ClientSecret == "" {
		missing = append(missing, "--client-secret (or HUBSPOT_CLIENT_SECRET)")
	}
	if len(missing) > 0 {
		return fmt.Errorf("connect hubspot: missing %s", strings.Join(missing, " and "))
	}
	if len(o.Scopes) == 0 {
		o.Scopes = DefaultScopes
	}
	if o.Port < 0 || o.Port > 65535 {
		return fmt.Errorf("connect hubspot: --port %d is not a port number", o.Port)
	}
	switch o.RedirectHost {
	case "":
		o.RedirectHost = DefaultRedirectHost
	case "localhost", "127.0.0.1":
	default:
		return fmt.Errorf("connect hubspot: --redirect-host %q: want localhost or 127.0.0.1 (the callback server listens on loopback only)", o.RedirectHost)
	}
	if o.AuthorizeURL == "" {
		o.AuthorizeURL = DefaultAuthorizeURL
	}
	if u, err := url.Parse(o.AuthorizeURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("connect hubspot: --authorize-url %q is not an http(s) URL", o.AuthorizeURL)
	}
	if o.BaseURL == "" {
		o.BaseURL = hubspot.DefaultBaseURL
	}
	if o.Out == "" {
		o.Out = DefaultOut
	}
	abs, err := filepath.Abs(o.Out)
	if err != nil {
		return fmt.Errorf("connect hubspot: --out %q: %w", o.Out, err)
	}
	o.Out = abs
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Stdout == nil {
		o.Stdout = io.Discard
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	return nil
}

// AuthorizeURL builds the URL the person opens. The scope is
// space-separated (encoded %20, as HubSpot documents it).
func AuthorizeURL(base, clientID, redirectURI string, scopes []string, state string) string {
	q := []string{
		"client_id=" + escape(clientID),
		"redirect_uri=" + escape(redirectURI),
		"scope=" + escape(strings.Join(scopes, " ")),
		"state=" + escape(state),
	}
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + strings.Join(q, "&")
}

func escape(s string) string { return strings.ReplaceAll(url.QueryEscape(s), "+", "%20") }

// listenLoopback binds 127.0.0.1:port and, when possible, [::1] on the same
// port (browsers may resolve localhost to either).
func listenLoopback(port int) ([]net.Listener, int, error) {
	ln4, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return nil, 0, fmt.Errorf("connect hubspot: cannot listen on 127.0.0.1:%d for the callback (choose another --port, and register http://localhost:PORT/callback in the app): %w", port, err)
	}
	port = ln4.Addr().(*net.TCPAddr).Port
	out := []net.Listener{ln4}
	if ln6, err := net.Listen("tcp", net.JoinHostPort("::1", strconv.Itoa(port))); err == nil {
		out = append(out, ln6)
	}
	return out, port, nil
}

func randomHex(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

type outcome struct {
	res Result
	err error
}

// callback serves the browser's redirect. Requests with a wrong state are
// refused and the flow keeps waiting (they may be forged); the first
// request with the right state ends it, whatever its result.
type callback struct {
	o        Options
	state    string
	redirect string
	port     int
	done     chan outcome

	mu       sync.Mutex
	finished bool
}

func (c *callback) page(w http.ResponseWriter, status int, title, msg string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	fmt.Fprintf(w, "<!doctype html><title>%s</title><h1>%s</h1><p>%s</p>\n", html.EscapeString(title), html.EscapeString(title), html.EscapeString(msg))
}

func (c *callback) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != CallbackPath {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", "GET")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	// A page on another site cannot reach us through DNS rebinding.
	if host, port, err := net.SplitHostPort(r.Host); err != nil || port != strconv.Itoa(c.port) ||
		(host != "localhost" && host != "127.0.0.1" && host != "::1") {
		http.Error(w, "unexpected Host header", http.StatusBadRequest)
		return
	}
	q := r.URL.Query()
	if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(c.state)) != 1 {
		c.page(w, http.StatusBadRequest, "Not connected", "The state parameter does not match this connect attempt. Start again from the URL the starter printed.")
		return
	}
	c.mu.Lock()
	if c.finished {
		c.mu.Unlock()
		c.page(w, http.StatusConflict, "Already handled", "This connect attempt is over; see the terminal.")
		return
	}
	c.finished = true
	c.mu.Unlock()

	if e := q.Get("error"); e != "" {
		err := fmt.Errorf("connect hubspot: HubSpot did not authorize: %s: %s", e, q.Get("error_description"))
		c.page(w, http.StatusOK, "Not connected", err.Error())
		c.done <- outcome{err: err}
		return
	}
	code := q.Get("code")
	if code == "" {
		err := errors.New("connect hubspot: the redirect carried neither a code nor an error")
		c.page(w, http.StatusBadRequest, "Not connected", err.Error())
		c.done <- outcome{err: err}
		return
	}
	res, err := c.exchange(r.Context(), code)
	if err != nil {
		c.page(w, http.StatusBadGateway, "Not connected", err.Error())
		c.done <- outcome{err: err}
		return
	}
	c.page(w, http.StatusOK, "Connected", "hubspot-brevo-sync is connected to the HubSpot account. You can close this tab and return to the terminal.")
	c.done <- outcome{res: res}
}

type tokenAnswer struct {
	AccessToken  string   `json:"access_token"`
	RefreshToken string   `json:"refresh_token"`
	ExpiresIn    int      `json:"expires_in"`
	HubID        int64    `json:"hub_id"`
	Scopes       []string `json:"scopes"`
	Error        string   `json:"error"`
	Description  string   `json:"error_description"`
	Status       string   `json:"status"`
	Message      string   `json:"message"`
}

// exchange trades the code for tokens at POST /oauth/v3/token (form body)
// and saves the refresh token.
func (c *callback) exchange(ctx context.Context, code string) (Result, error) {
	form := url.Values{
		"grant_type":    {"authorization_code"},
		"client_id":     {c.o.ClientID},
		"client_secret": {c.o.ClientSecret},
		"redirect_uri":  {c.redirect},
		"code":          {code},
	}
	endpoint := strings.TrimRight(c.o.BaseURL, "/") + hubspot.DefaultTokenPath
	req, err := http.NewRequestWithContext(context.WithoutCancel(ctx), http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return Result{}, fmt.Errorf("connect hubspot: token request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := c.o.HTTPClient.Do(req)
	if err != nil {
		// The error names the URL, which carries no secret (they are in the body).
		return Result{}, fmt.Errorf("connect hubspot: token request: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return Result{}, fmt.Errorf("connect hubspot: reading the token response: %w", err)
	}
	var ans tokenAnswer
	jsonErr := json.Unmarshal(body, &ans)
	if resp.StatusCode != http.StatusOK {
		why := strings.TrimSpace(strings.Join([]string{ans.Error, ans.Status, firstNonEmpty(ans.Description, ans.Message)}, " "))
		if why == "" {
			why = http.StatusText(resp.StatusCode)
		}
		return Result{}, fmt.Errorf("connect hubspot: HubSpot refused the code exchange (%d): %s", resp.StatusCode, why)
	}
	if jsonErr != nil || ans.RefreshToken == "" {
		return Result{}, errors.New("connect hubspot: the token response holds no refresh_token")
	}
	if c.o.SaveConnection != nil {
		file, err := c.o.SaveConnection(ans.RefreshToken)
		if err != nil {
			return Result{}, fmt.Errorf("connect hubspot: saving connection %s: %w", c.o.Connection, err)
		}
		return Result{File: file, HubID: ans.HubID, Scopes: ans.Scopes}, nil
	}
	if err := connect.WriteSecretFile(c.o.Out, ans.RefreshToken+"\n"); err != nil {
		return Result{}, fmt.Errorf("connect hubspot: saving the refresh token to %s: %w", c.o.Out, err)
	}
	return Result{File: c.o.Out, HubID: ans.HubID, Scopes: ans.Scopes}, nil
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
