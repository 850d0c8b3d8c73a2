// Package brevo is the client of the Brevo API v3 for the parts the sync
// uses: contacts (upsert, update, batch, import), lists and folders,
// attributes, processes and transactional email.
//
// It is written against the API as documented, not against Brevo's Go SDK:
// the SDK always sends the blacklist flags (turning every update into an
// explicit "un-blacklist") and lacks ext_id lookups, extIds list bodies and
// the process report.
package brevo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/go-resty/resty/v2"
	"go.uber.org/zap"

	"hubspot-brevo-sync/internal/httpx"
)

// DefaultBaseURL is Brevo's production API.
const DefaultBaseURL = "https://api.brevo.com/v3"

// Config configures a Client.
type Config struct {
	// BaseURL defaults to DefaultBaseURL; the sandbox serves the same paths
	// under its own /v3.
	BaseURL string
	APIKey  string
	// Tier selects the limits of the governor New creates when Governor is
	// nil. Empty means the general tier.
	Tier Tier
	// Governor is shared by every client of one Brevo account: Brevo counts
	// per account, not per key or process.
	Governor *Governor
	// SharedWindows, when set, keeps the windows of the governor New
	// creates there, so every worker of a deployment paces against the
	// account's one budget.
	SharedWindows httpx.SharedWindows
	Logger        *zap.Logger
	Timeout       time.Duration
	Transport     http.RoundTripper
}

// Client calls one Brevo account. It is safe for concurrent use. It never
// retries: failures come back as *httpx.Error and the caller's retry owner
// decides.
type Client struct {
	http   *resty.Client
	apiKey string
	gov    *Governor
	log    *zap.Logger

	headersLogged sync.Once
	clock         serverClock
}

// New builds a client. It fails without an API key, which would otherwise
// surface as a 401 on the first call.
func New(cfg Config) (*Client, error) {
	if strings.TrimSpace(cfg.APIKey) == "" {
		return nil, errors.New("brevo: API key is required")
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	if _, err := url.Parse(cfg.BaseURL); err != nil {
		return nil, fmt.Errorf("brevo: base URL: %w", err)
	}
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	if cfg.Governor == nil {
		var opts []GovernorOption
		if cfg.SharedWindows != nil {
			opts = append(opts, WithSharedWindows(cfg.SharedWindows, DefaultAccount))
		}
		cfg.Governor = NewGovernor(cfg.Tier.Limits(), nil, opts...)
	}
	return &Client{
		http: httpx.NewRestyClient(httpx.ClientOptions{
			API: apiName, BaseURL: cfg.BaseURL, Timeout: cfg.Timeout,
			Logger: cfg.Logger, Transport: cfg.Transport,
		}),
		apiKey: cfg.APIKey,
		gov:    cfg.Governor,
		log:    cfg.Logger.With(zap.String("api", apiName)),
	}, nil
}

// Governor is the rate governor this client uses (for status displays).
func (c *Client) Governor() *Governor { return c.gov }

// request is one API call. path is relative to the base URL and already
// escaped (see segment).
type request struct {
	op     string
	method string
	path   string
	query  url.Values
	// body is encoded as JSON; a []byte is sent as it is (already encoded).
	body any
}

// do is the one way a request reaches Brevo: governor slot, send, feed the
// rate headers back to the governor, classify failures. A 2xx body is
// decoded into out when out is non-nil and the body is not empty. The HTTP
// status is returned because some successes differ only by it (upsert: 201
// created, 204 updated).
func (c *Client) do(ctx context.Context, r request, out any) (int, error) {
	var payload []byte
	switch b := r.body.(type) {
	case nil:
	case []byte:
		payload = b
	default:
		var err error
		if payload, err = json.Marshal(b); err != nil {
			return 0, invalidArgument(r.op, "encode request: "+err.Error())
		}
	}

	fam := familyOf(r.method, r.path)
	if err := c.gov.wait(ctx, r.op, fam); err != nil {
		return 0, err
	}

	req := c.http.R().SetContext(ctx).SetHeader("api-key", c.apiKey)
	if payload != nil {
		req.SetHeader("Content-Type", "application/json").SetBody(payload)
	}
	if len(r.query) > 0 {
		req.SetQueryParamsFromValues(r.query)
	}
	resp, err := req.Execute(r.method, r.path)
	if err != nil {
		return 0, httpx.TransportError(apiName, r.op, err)
	}

	status, header := resp.StatusCode(), resp.Header()
	c.logRateHeadersOnce(header)
	c.clock.observe(header)
	retryAfter := c.gov.observe(fam, header, status)
	if status < 200 || status > 299 {
		e := classify(r.op, status, resp.Body(), retryAfter)
		if e.Kind == httpx.KindRateLimited {
			c.log.Warn("brevo rate limited",
				zap.String("op", r.op), zap.String("family", string(fam)),
				zap.Duration("retryAfter", e.RetryAfter))
		}
		return status, e
	}
	if body := bytes.TrimSpace(resp.Body()); out != nil && len(body) > 0 {
		if err := json.Unmarshal(body, out); err != nil {
			// A 2xx we cannot read will not read better the next time.
			return status, &httpx.Error{API: apiName, Op: r.op, Status: status, Kind: httpx.KindPermanent,
				Message: "decode response: " + err.Error(), Err: err}
		}
	}
	return status, nil
}

// logRateHeadersOnce records the raw rate headers of the first response
// that carries them: the unit of x-sib-ratelimit-reset is documented only
// as "typically seconds", and one log line settles it for an account.
func (c *Client) logRateHeadersOnce(h http.Header) {
	if h.Get(headerLimit) == "" {
		return
	}
	c.headersLogged.Do(func() {
		c.log.Info("brevo rate headers",
			zap.String("limit", h.Get(headerLimit)),
			zap.String("remaining", h.Get(headerRemaining)),
			zap.String("reset", h.Get(headerReset)))
	})
}

// segment escapes one path segment. url.PathEscape leaves "+" alone, and a
// "+" in an email address must not arrive as a space.
func segment(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}

// pageQuery is the offset/limit query of Brevo's list endpoints.
func pageQuery(offset, limit int) url.Values {
	q := url.Values{}
	q.Set("offset", fmt.Sprint(max(offset, 0)))
	q.Set("limit", fmt.Sprint(limit))
	return q
}
