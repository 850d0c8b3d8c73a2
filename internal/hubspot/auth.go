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
	// expirySkew: a token this close to its expiry is not handed out even
	// while a refresh is in flight; the server's clock may run ahead.
	expirySkew = 10 * time.Second
	// refreshRetryDelay spaces attempts after a failed proactive refresh
	// while the current token still works.
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

// oauthSource caches the access token of the refresh-token grant and renews
// it ahead of expiry. One refresh runs at a time; callers arriving while it
// runs keep using the current token if it is still valid, or wait for the
// new one.
type oauthSource struct {
	cfg   OAuthConfig
	http  *resty.Client
	clock httpx.Clock
	log   *zap.Logger

	mu           sync.Mutex
	access       string
	expiresAt    time.Time
	refreshAt    time.Time
	refreshToken string
	inflight     *refreshCall
}

type refreshCall struct {
	done  chan struct{}
	token string
	err   error
}

func newOAuthSource(cfg OAuthConfig, rc *resty.Client, clock httpx.Clock, log *zap.Logger) (*oauthSource, error) {
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
	return &oauthSource{cfg: cfg, http: rc, clock: clock, log: log, refreshToken: cfg.RefreshToken}, nil
}

func (o *oauthSource) token(ctx context.Context) (string, error) {
	o.mu.Lock()
	now := o.clock.Now()
	if o.access != "" && now.Before(o.refreshAt) {
		tok := o.access
		o.mu.Unlock()
		return tok, nil
	}
	var current string
	if o.access != "" && now.Before(o.expiresAt.Add(-expirySkew)) {
		current = o.access
	}
	call, leader := o.inflight, false
	if call == nil {
		call, leader = &refreshCall{done: make(chan struct{})}, true
		o.inflight = call
		// Detached from ctx: other callers wait for this refresh too, and
		// must not fail because the first one was cancelled.
		go o.refresh(context.WithoutCancel(ctx), call)
	}
	o.mu.Unlock()

	if !leader && current != "" {
		return current, nil
	}
	select {
	case <-call.done:
	case <-ctx.Done():
		return "", httpx.TransportError(apiName, opOAuthToken, ctx.Err())
	}
	if call.err != nil {
		if current != "" {
			o.log.Warn("proactive token refresh failed; using the current token until it expires", zap.Error(call.err))
			return current, nil
		}
		return "", call.err
	}
	return call.token, nil
}

func (o *oauthSource) expired(tok string) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	// Only the first of many concurrent 401s for the same token drops it;
	// the others find the replacement already there or being fetched.
	if o.access == tok {
		o.access = ""
		o.expiresAt, o.refreshAt = time.Time{}, time.Time{}
	}
	return true
}

func (o *oauthSource) refresh(ctx context.Context, call *refreshCall) {
	ctx, cancel := context.WithTimeout(ctx, refreshTimeout)
	defer cancel()
	o.mu.Lock()
	refreshToken := o.refreshToken
	o.mu.Unlock()

	sentAt := o.clock.Now()
	res, err := o.requestToken(ctx, refreshToken)

	o.mu.Lock()
	o.inflight = nil
	if err != nil {
		call.err = err
		if now := o.clock.Now(); o.access != "" && now.Before(o.expiresAt) {
			o.refreshAt = now.Add(refreshRetryDelay)
		}
		o.mu.Unlock()
		close(call.done)
		return
	}
	lifetime := time.Duration(res.ExpiresIn) * time.Second
	if lifetime <= 0 {
		lifetime = defaultTokenLifetime
	}
	// Counted from when the request left, not when the answer came: the
	// server started the clock somewhere in between.
	o.access = res.AccessToken
	o.expiresAt = sentAt.Add(lifetime)
	o.refreshAt = o.expiresAt.Add(-refreshLead(lifetime))
	rotated := res.RefreshToken != "" && res.RefreshToken != o.refreshToken
	if rotated {
		o.refreshToken = res.RefreshToken
	}
	call.token = res.AccessToken
	o.mu.Unlock()
	close(call.done)

	o.log.Info("hubspot access token refreshed", zap.Duration("expiresIn", lifetime), zap.Bool("refreshTokenRotated", rotated))
	if rotated && o.cfg.OnRefresh != nil {
		o.cfg.OnRefresh(res.RefreshToken)
	}
}

type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	ExpiresIn    int    `json:"expires_in"`
	TokenType    string `json:"token_type"`
}

// requestToken makes the refresh-token grant. The v3 endpoint requires the
// parameters in the form body, never the query string.
func (o *oauthSource) requestToken(ctx context.Context, refreshToken string) (*tokenResponse, error) {
	resp, err := o.http.R().
		SetContext(ctx).
		SetFormData(map[string]string{
			"grant_type":    "refresh_token",
			"client_id":     o.cfg.ClientID,
			"client_secret": o.cfg.ClientSecret,
			"refresh_token": refreshToken,
		}).
		Post(o.cfg.TokenPath)
	if err != nil {
		return nil, httpx.TransportError(apiName, opOAuthToken, err)
	}
	status := resp.StatusCode()
	if status < 200 || status >= 300 {
		return nil, classifyTokenError(status, resp.Header(), resp.Body())
	}
	var tr tokenResponse
	if err := json.Unmarshal(resp.Body(), &tr); err != nil || tr.AccessToken == "" {
		if err == nil {
			err = errors.New("no access_token in token response")
		}
		return nil, &httpx.Error{API: apiName, Op: opOAuthToken, Status: status, Kind: httpx.KindTransient,
			Message: "decoding token response: " + err.Error(), Err: err}
	}
	return &tr, nil
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
