package hubspot

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/go-resty/resty/v2"
	"go.uber.org/zap"
	"golang.org/x/oauth2"

	"hubspot-brevo-sync/internal/httpx"
)

// DefaultTokenPath is the current OAuth token endpoint. /oauth/2026-03/token
// takes the same form; the legacy /oauth/v1/token is removed in Feb 2027.
const DefaultTokenPath = "/oauth/v3/token"

// OAuthConfig holds the credentials of the refresh-token grant.
type OAuthConfig struct {
	ClientID     string
	ClientSecret string
	RefreshToken string
	// TokenPath defaults to DefaultTokenPath.
	TokenPath string
	// OnRefresh, when set, is called with a refresh token that differs from
	// the one in use, so the caller can persist it. HubSpot does not rotate
	// refresh tokens today; the OAuth spec allows it, and losing a rotated
	// token would lock the sync out.
	OnRefresh func(newRefreshToken string)
}

// authenticator supplies the bearer token of a request.
type authenticator interface {
	token(ctx context.Context) (string, error)
	// expired tells that the server rejected tok as expired, and reports
	// whether asking for a token again can give a better one.
	expired(tok string) bool
}

type staticToken string

func (t staticToken) token(context.Context) (string, error) { return string(t), nil }

// expired: a static token cannot be renewed by us; someone must rotate it.
func (staticToken) expired(string) bool { return false }

const (
	// maxRefreshLead is how long before expiry a token is replaced. HubSpot
	// tokens live 30 minutes; refreshing 5 minutes early keeps a long call
	// started near the end from failing midway.
	maxRefreshLead = 5 * time.Minute
	// expirySkew: a token this close to its expiry is not handed out; the
	// server's clock may run ahead.
	expirySkew = 10 * time.Second
	// refreshRetryDelay spaces attempts after a failed early refresh while
	// the current token still works.
	refreshRetryDelay = 30 * time.Second
	// refreshTimeout bounds one token request, independent of the context
	// of whichever caller happened to trigger it.
	refreshTimeout = 30 * time.Second
	// defaultTokenLifetime is assumed when a response has no expires_in.
	defaultTokenLifetime = 30 * time.Minute
)

// refreshLead is how long before expiry to refresh: 5 minutes, but never
// more than a quarter of the lifetime, so short-lived tokens (tests, future
// policy changes) are still used for most of their life.
func refreshLead(lifetime time.Duration) time.Duration {
	return min(maxRefreshLead, lifetime/4)
}

// oauthSource is the access token of the refresh-token grant. The caching
// and the one-refresh-at-a-time are golang.org/x/oauth2's ReuseTokenSource
// (callers arriving during a refresh wait for it); the grant underneath
// decides when a token is due and keeps a rotated refresh token.
type oauthSource struct {
	grant *refreshGrant

	mu    sync.Mutex
	reuse oauth2.TokenSource
}

func newOAuthSource(cfg OAuthConfig, rc *resty.Client, log *zap.Logger) (*oauthSource, error) {
	var missing []string
	if cfg.ClientID == "" {
		missing = append(missing, "client id")
	}
	if cfg.ClientSecret == "" {
		missing = append(missing, "client secret")
	}
	if cfg.RefreshToken == "" {
		missing = append(missing, "refresh token")
	}
	if len(missing) > 0 {
		return nil, errors.New("hubspot: OAuth configuration lacks " + strings.Join(missing, ", "))
	}
	if cfg.TokenPath == "" {
		cfg.TokenPath = DefaultTokenPath
	}
	g := &refreshGrant{
		cfg: cfg,
		oauth: oauth2.Config{ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, Endpoint: oauth2.Endpoint{
			TokenURL: strings.TrimSuffix(rc.BaseURL, "/") + cfg.TokenPath,
			// HubSpot wants the client credentials in the form body; auto-
			// detection would try a Basic header first and spend a request.
			AuthStyle: oauth2.AuthStyleInParams,
		}},
		// Token requests go through the client's own transport and timeout.
		ctx:          context.WithValue(context.Background(), oauth2.HTTPClient, rc.GetClient()),
		log:          log,
		refreshToken: cfg.RefreshToken,
	}
	return &oauthSource{grant: g, reuse: g.cached()}, nil
}

// token returns a valid access token, refreshing it when due. A caller
// whose context ends while a refresh runs stops waiting; the refresh goes
// on for the others.
func (o *oauthSource) token(ctx context.Context) (string, error) {
	o.mu.Lock()
	src := o.reuse
	o.mu.Unlock()
	type answer struct {
		tok *oauth2.Token
		err error
	}
	ch := make(chan answer, 1)
	go func() {
		tok, err := src.Token()
		ch <- answer{tok, err}
	}()
	select {
	case a := <-ch:
		if a.err != nil {
			return "", a.err
		}
		return a.tok.AccessToken, nil
	case <-ctx.Done():
		return "", httpx.TransportError(apiName, opOAuthToken, ctx.Err())
	}
}

// expired drops tok after the server refused it as expired (clock skew, a
// token revoked early). Only the first of many concurrent 401s for the
// same token drops it; the others find the replacement already there.
func (o *oauthSource) expired(tok string) bool {
	if o.grant.forget(tok) {
		o.mu.Lock()
		o.reuse = o.grant.cached()
		o.mu.Unlock()
	}
	return true
}

// refreshGrant makes one refresh-token grant per Token call.
type refreshGrant struct {
	cfg   OAuthConfig
	oauth oauth2.Config
	ctx   context.Context
	log   *zap.Logger

	mu           sync.Mutex
	refreshToken string
	// current is the last token issued and realExpiry when the server
	// stops taking it (the Expiry handed to the cache is earlier: when
	// to replace it).
	current    string
	realExpiry time.Time
}

// cached is a cache over the grant that hands out a token until its
// Expiry, which the grant sets to the time to replace it.
func (g *refreshGrant) cached() oauth2.TokenSource {
	return oauth2.ReuseTokenSourceWithExpiry(nil, g, time.Nanosecond)
}

func (g *refreshGrant) Token() (*oauth2.Token, error) {
	ctx, cancel := context.WithTimeout(g.ctx, refreshTimeout)
	defer cancel()
	g.mu.Lock()
	refreshToken := g.refreshToken
	g.mu.Unlock()

	sentAt := time.Now()
	tok, err := g.oauth.TokenSource(ctx, &oauth2.Token{RefreshToken: refreshToken}).Token()
	if err != nil {
		return g.fallback(tokenError(err))
	}
	lifetime := time.Duration(tok.ExpiresIn) * time.Second
	if lifetime <= 0 {
		lifetime = defaultTokenLifetime
	}
	rotated := tok.RefreshToken != "" && tok.RefreshToken != refreshToken
	g.mu.Lock()
	if rotated {
		g.refreshToken = tok.RefreshToken
	}
	// Counted from when the request left, not when the answer came: the
	// server started the clock somewhere in between.
	g.current, g.realExpiry = tok.AccessToken, sentAt.Add(lifetime)
	g.mu.Unlock()
	tok.Expiry = g.realExpiry.Add(-refreshLead(lifetime))

	g.log.Info("hubspot access token refreshed", zap.Duration("expiresIn", lifetime), zap.Bool("refreshTokenRotated", rotated))
	if rotated && g.cfg.OnRefresh != nil {
		g.cfg.OnRefresh(tok.RefreshToken)
	}
	return tok, nil
}

// fallback answers a failed refresh: the current token while it still
// works (asking again in a little while), else the error.
func (g *refreshGrant) fallback(err error) (*oauth2.Token, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	usableUntil := g.realExpiry.Add(-expirySkew)
	if g.current == "" || !time.Now().Before(usableUntil) {
		return nil, err
	}
	g.log.Warn("early token refresh failed; using the current token until it expires", zap.Error(err))
	retryAt := time.Now().Add(refreshRetryDelay)
	if usableUntil.Before(retryAt) {
		retryAt = usableUntil
	}
	return &oauth2.Token{AccessToken: g.current, TokenType: "Bearer", Expiry: retryAt}, nil
}

// forget drops tok if it is the current token, and reports whether it was.
func (g *refreshGrant) forget(tok string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.current != tok {
		return false
	}
	g.current, g.realExpiry = "", time.Time{}
	return true
}

// tokenError classifies a failed token request in our taxonomy.
func tokenError(err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) && re.Response != nil {
		return classifyTokenError(re.Response.StatusCode, re.Response.Header, re.Body)
	}
	return httpx.TransportError(apiName, opOAuthToken, err)
}

// classifyTokenError: every 4xx from the token endpoint other than 429
// (invalid_grant / BAD_REFRESH_TOKEN after an uninstall, invalid_client,
// a refresh token issued to another app) needs a person to re-authorize.
func classifyTokenError(status int, h http.Header, body []byte) *httpx.Error {
	e := classify(opOAuthToken, status, h, body)
	var b errorBody
	_ = json.Unmarshal(body, &b)
	// The legacy status (BAD_REFRESH_TOKEN, BAD_CLIENT_ID, ...) is more
	// specific than the RFC 6749 error; "error" is the envelope's status
	// on other endpoints and says nothing.
	if b.Status != "" && b.Status != "error" {
		e.Code = b.Status
	}
	if status >= 400 && status < 500 && status != http.StatusTooManyRequests {
		e.Kind = httpx.KindAuth
	}
	return e
}
