// Package hubspot is the sync's client for the HubSpot CRM API: list
// definitions and memberships, contacts by id (batch read), contacts
// modified since a point in time (search) and the contact property schema.
// Its only writes (writes.go) report Brevo unsubscribes back, for the
// integrations that ask for it.
//
// Every call goes through one private method, Client.do, which asks the
// Governor for a slot, attaches credentials, sends, feeds the rate headers
// back to the Governor and turns failures into *httpx.Error. The client never
// retries by itself (except once after an expired OAuth token, which is not
// a failure of the call but of our token cache): Temporal owns retries and
// uses the Kind and RetryAfter the error carries.
//
// Paths are the /crm/v3/... ones. The date-based versions (/crm/objects/
// 2026-03/contacts, /crm/lists/2026-03/..., /crm/properties/2026-03/0-1)
// have the same request and response shapes; when v3 is retired (announced
// as unsupported from September 2027) only the path constants change.
package hubspot

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-resty/resty/v2"
	"go.uber.org/zap"

	"hubspot-brevo-sync/internal/httpx"
)

// DefaultBaseURL is HubSpot's API host; every auth scheme uses it.
const DefaultBaseURL = "https://api.hubapi.com"

const apiName = "hubspot"

// Op names put into *httpx.Error.Op, one per endpoint.
const (
	opListGet         = "lists.get"
	opListByName      = "lists.getByName"
	opListSearch      = "lists.search"
	opListMemberships = "lists.memberships"
	opContactsBatch   = "contacts.batchRead"
	opContactsList    = "contacts.list"
	opContactsSearch  = "contacts.search"
	opPropertiesList  = "properties.list"
	opOAuthToken      = "oauth.token"
	opTokenInfo       = "oauth.tokenInfo"
)

// Config configures a Client. Exactly one of AccessToken and OAuth is set.
type Config struct {
	// BaseURL defaults to DefaultBaseURL; the sandbox sets its own.
	BaseURL string
	// AccessToken is a static token: private app token, service key or a
	// single-account app's static token. It never expires.
	AccessToken string
	// OAuth configures the refresh-token grant of a multi-account app.
	OAuth *OAuthConfig
	// Tier picks the default limits when Governor is nil.
	Tier Tier
	// Governor paces the calls. Share one Governor between all clients (all
	// activities, all goroutines) that use the same HubSpot portal and app,
	// because that is the scope of HubSpot's budgets. Nil builds a private
	// one from Tier, which is right only for a single client per portal.
	Governor *Governor
	// SharedWindows, when set, keeps the private governor's burst and
	// search windows there, keyed by Connection ("default" when empty), so
	// every worker of a deployment paces against the same budget.
	SharedWindows httpx.SharedWindows
	Connection    string
	Logger        *zap.Logger
	// Timeout bounds one HTTP call (default 30 s).
	Timeout time.Duration
	// Transport replaces the HTTP transport (tests, instrumentation).
	Transport http.RoundTripper
	// Clock drives token expiry and, when Governor is nil, the governor.
	// Defaults to the wall clock.
	Clock httpx.Clock
}

// Client is safe for concurrent use.
type Client struct {
	http *resty.Client
	auth authenticator
	gov  *Governor
	log  *zap.Logger
	// oauth: the calls carry OAuth access tokens, which HubSpot does not
	// hold to the daily allowance. oauthClient holds the app credentials
	// token introspection needs.
	oauth       bool
	oauthClient OAuthConfig
}

// New checks the configuration and builds a client. It makes no call; the
// first request (or the first token refresh) is when bad credentials show.
func New(cfg Config) (*Client, error) {
	hasToken := strings.TrimSpace(cfg.AccessToken) != ""
	switch {
	case !hasToken && cfg.OAuth == nil:
		return nil, errors.New("hubspot: neither an access token nor OAuth credentials configured")
	case hasToken && cfg.OAuth != nil:
		return nil, errors.New("hubspot: configure either an access token or OAuth credentials, not both")
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	if _, err := url.Parse(cfg.BaseURL); err != nil {
		return nil, errors.New("hubspot: invalid base URL: " + err.Error())
	}
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	if cfg.Clock == nil {
		cfg.Clock = httpx.RealClock
	}
	if cfg.Governor == nil {
		var opts []GovernorOption
		if cfg.SharedWindows != nil {
			opts = append(opts, WithSharedWindows(cfg.SharedWindows, cmp.Or(cfg.Connection, "default")))
		}
		cfg.Governor = defaultGovernor(cfg.Tier, cfg.OAuth != nil, cfg.Clock, opts...)
	}
	rc := httpx.NewRestyClient(httpx.ClientOptions{
		API:       apiName,
		BaseURL:   cfg.BaseURL,
		Timeout:   cfg.Timeout,
		Logger:    cfg.Logger,
		Transport: cfg.Transport,
	})
	c := &Client{http: rc, gov: cfg.Governor, log: cfg.Logger.With(zap.String("api", apiName)), oauth: !hasToken}
	if hasToken {
		c.auth = staticToken(strings.TrimSpace(cfg.AccessToken))
	} else {
		c.oauthClient = OAuthConfig{ClientID: cfg.OAuth.ClientID, ClientSecret: cfg.OAuth.ClientSecret}
		src, err := newOAuthSource(*cfg.OAuth, rc, c.log)
		if err != nil {
			return nil, err
		}
		c.auth = src
	}
	return c, nil
}

// defaultGovernor builds the private governor of a client configured
// without one. An OAuth app (publicly distributed) has its own burst limit
// per installed account and no daily cap at all, whatever the tier.
func defaultGovernor(t Tier, oauth bool, clock httpx.Clock, opts ...GovernorOption) *Governor {
	if !oauth {
		return NewGovernor(t.Limits(), clock, opts...)
	}
	l := t.Limits()
	l.Burst = OAuthBurstLimit
	return NewGovernor(l, clock, append(opts, WithoutDailyBudget())...)
}

// Governor returns the governor pacing this client, for status displays.
func (c *Client) Governor() *Governor { return c.gov }

// ObservedLimits returns the rate limits HubSpot's response headers last
// reported to this client's governor (zero before the first CRM call).
func (c *Client) ObservedLimits() ObservedLimits { return c.gov.Observed() }

// request describes one API call for do.
type request struct {
	op         string
	method     string
	path       string // may hold {name} placeholders filled from pathParams
	pathParams map[string]string
	query      url.Values
	body       any
	budget     budget
	// tokenIn, when set, puts the credential into the request itself (the
	// token-info endpoints take the token to describe as an argument).
	tokenIn func(r *resty.Request, token string)
	// noBearer leaves the Authorization header off.
	noBearer bool
}

// do is the only place a CRM request is made: governor, credentials, send,
// rate headers, classification. It decodes a 2xx body into out (if non-nil)
// and returns the status, so callers can tell 200 from 207.
func (c *Client) do(ctx context.Context, rq request, out any) (int, error) {
	for attempt := 0; ; attempt++ {
		sentAt, err := c.gov.acquire(ctx, rq.budget, rq.op, !c.oauth)
		if err != nil {
			return 0, err
		}
		tok, err := c.auth.token(ctx)
		if err != nil {
			return 0, err
		}
		r := c.http.R().SetContext(ctx)
		if !rq.noBearer {
			r.SetAuthToken(tok)
		}
		if rq.pathParams != nil {
			r.SetPathParams(rq.pathParams)
		}
		if rq.tokenIn != nil {
			rq.tokenIn(r, tok)
		}
		if rq.query != nil {
			r.SetQueryParamsFromValues(rq.query)
		}
		if rq.body != nil {
			r.SetHeader("Content-Type", "application/json").SetBody(rq.body)
		}
		resp, err := r.Execute(rq.method, rq.path)
		if err != nil {
			return 0, httpx.TransportError(apiName, rq.op, err)
		}
		status := resp.StatusCode()
		c.gov.observe(rq.budget, resp.Header(), sentAt)
		if status >= 200 && status < 300 {
			if out != nil && len(resp.Body()) > 0 {
				if err := json.Unmarshal(resp.Body(), out); err != nil {
					// A 2xx that is not the JSON we expect is most often a
					// proxy or a truncated body; another try may well work.
					return status, &httpx.Error{API: apiName, Op: rq.op, Status: status, Kind: httpx.KindTransient,
						Message: "decoding response: " + err.Error(), Err: err}
				}
			}
			return status, nil
		}
		e := classify(rq.op, status, resp.Header(), resp.Body())
		if e.Kind == httpx.KindRateLimited {
			c.gov.rateLimited(rq.budget, e)
		}
		// HubSpot's advice is to refresh on expires_in rather than on 401s,
		// and we do; this covers clock skew and tokens revoked early. Once
		// only: a second expiry in a row means refreshing does not help.
		if status == http.StatusUnauthorized && e.Code == "EXPIRED_AUTHENTICATION" && attempt == 0 && c.auth.expired(tok) {
			c.log.Info("access token expired early; refreshing and retrying once", zap.String("op", rq.op))
			continue
		}
		return status, e
	}
}
