package httpx

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-resty/resty/v2"
	"go.uber.org/zap"
)

// ClientOptions configure the one resty client each API gets.
type ClientOptions struct {
	API     string // "hubspot" or "brevo"; used in logs
	BaseURL string
	// Timeout bounds one HTTP call; the activity's own timeout bounds the
	// whole operation. Defaults to 30 s.
	Timeout   time.Duration
	UserAgent string
	Logger    *zap.Logger
	// Transport replaces the default transport (tests, instrumentation).
	Transport http.RoundTripper
}

// NewRestyClient builds the resty client for one API. It never retries by
// itself: a failed call is classified and returned, and the caller's
// retry owner (Temporal, for activities) decides when to try again, with the
// delay the error carries. Only method, path, status and duration are
// logged; headers and bodies carry tokens and personal data.
func NewRestyClient(o ClientOptions) *resty.Client {
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	if o.UserAgent == "" {
		o.UserAgent = "hubspot-brevo-sync"
	}
	log := o.Logger.With(zap.String("api", o.API))
	c := resty.New().
		SetBaseURL(strings.TrimRight(o.BaseURL, "/")).
		SetTimeout(o.Timeout).
		SetRetryCount(0).
		SetHeader("User-Agent", o.UserAgent).
		SetHeader("Accept", "application/json").
		SetLogger(restyLogger{log.Sugar()}).
		SetDebug(false)
	if o.Transport != nil {
		c.SetTransport(o.Transport)
	}
	c.OnAfterResponse(func(_ *resty.Client, r *resty.Response) error {
		if ce := log.Check(zap.DebugLevel, "http call"); ce != nil {
			ce.Write(
				zap.String("method", r.Request.Method),
				zap.String("path", r.RawResponse.Request.URL.Path),
				zap.Int("status", r.StatusCode()),
				zap.Duration("took", r.Time()),
			)
		}
		return nil
	})
	return c
}

// restyLogger routes resty's own warnings into zap.
type restyLogger struct{ s *zap.SugaredLogger }

func (l restyLogger) Errorf(format string, v ...any) { l.s.Errorf(format, v...) }
func (l restyLogger) Warnf(format string, v ...any)  { l.s.Warnf(format, v...) }
func (l restyLogger) Debugf(format string, v ...any) { l.s.Debugf(format, v...) }

// HeaderInt reads an integer header; ok is false when it is absent or not a
// number (HubSpot omits its rate headers when it cannot compute them).
func HeaderInt(h http.Header, name string) (int, bool) {
	v := strings.TrimSpace(h.Get(name))
	if v == "" {
		return 0, false
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, false
	}
	return n, true
}

// RetryAfter reads a Retry-After header given in seconds (the only form
// HubSpot and Brevo are known to send); zero when absent.
func RetryAfter(h http.Header) time.Duration {
	n, ok := HeaderInt(h, "Retry-After")
	if !ok || n < 0 {
		return 0
	}
	return time.Duration(n) * time.Second
}
