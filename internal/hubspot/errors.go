package hubspot

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"hubspot-brevo-sync/internal/httpx"
)

// errorBody is the union of the error shapes HubSpot answers with: the
// standard CRM envelope (category, context, errors[]), the 429 body (which
// says errorType and policyName instead of category) and the RFC 6749 body
// of the OAuth token endpoint (error, error_description, plus the legacy
// status). Every field is optional in practice.
type errorBody struct {
	Status        string                     `json:"status"`
	Message       string                     `json:"message"`
	CorrelationID string                     `json:"correlationId"`
	Category      string                     `json:"category"`
	SubCategory   string                     `json:"subCategory"`
	Context       map[string]json.RawMessage `json:"context"`
	Errors        []errorDetail              `json:"errors"`

	ErrorType  string `json:"errorType"`
	PolicyName string `json:"policyName"`

	OAuthError       string `json:"error"`
	OAuthDescription string `json:"error_description"`
}

type errorDetail struct {
	Message     string                     `json:"message"`
	Code        string                     `json:"code"`
	In          string                     `json:"in"`
	SubCategory string                     `json:"subCategory"`
	Context     map[string]json.RawMessage `json:"context"`
}

// Rate-limit policies named in 429 bodies.
const (
	PolicyTenSecondly = "TEN_SECONDLY_ROLLING"
	PolicySecondly    = "SECONDLY"
	PolicyDaily       = "DAILY"
)

// Waits used when a 429 carries no Retry-After (HubSpot documents the header
// only for 477): the length of the window the policy names. The official
// SDKs and the Singer tap wait the same.
const (
	tenSecondlyWait = 10 * time.Second
	secondlyWait    = time.Second
	// lockedWait: HubSpot says locks (423) last about 2 s.
	lockedWait = 2 * time.Second
	// migrationWait: 477 Migration in Progress without Retry-After.
	migrationWait = time.Minute
)

// categoryKinds refines the status-based classification with the category,
// which is more specific (a 403 can be a missing scope or a ban).
var categoryKinds = map[string]httpx.Kind{
	"INVALID_AUTHENTICATION":         httpx.KindAuth,
	"EXPIRED_AUTHENTICATION":         httpx.KindAuth,
	"MISSING_SCOPES":                 httpx.KindAuth,
	"PORTAL_AUTHENTICATION_FAILED":   httpx.KindAuth,
	"USER_DOES_NOT_HAVE_PERMISSIONS": httpx.KindAuth,
	"BANNED":                         httpx.KindPermanent,
	"OBJECT_NOT_FOUND":               httpx.KindNotFound,
	"VALIDATION_ERROR":               httpx.KindValidation,
	"CONFLICT":                       httpx.KindDuplicate,
	"RATE_LIMITS":                    httpx.KindRateLimited,
}

// classify turns a non-2xx response into the shared error type. Bodies are
// never copied wholesale into the error: they may contain personal data,
// and the error ends up in Temporal history and logs.
func classify(op string, status int, h http.Header, body []byte) *httpx.Error {
	e := &httpx.Error{API: apiName, Op: op, Status: status, Kind: httpx.KindForStatus(status)}
	var b errorBody
	_ = json.Unmarshal(body, &b) // a non-JSON body (an edge proxy's HTML page) leaves b empty
	e.Message = firstNonEmpty(b.Message, b.OAuthDescription)
	if e.Message == "" && len(b.Errors) > 0 {
		e.Message = b.Errors[0].Message
	}
	if e.Message == "" {
		e.Message = http.StatusText(status)
	}
	if e.Message == "" {
		e.Message = "HTTP " + strconv.Itoa(status)
	}
	e.Code = firstNonEmpty(b.Category, b.OAuthError)
	retryAfter := httpx.RetryAfter(h)

	switch {
	case status == http.StatusTooManyRequests:
		e.Kind = httpx.KindRateLimited
		e.Code = policyOf(b)
		e.RetryAfter = retryAfter
		if e.RetryAfter == 0 {
			e.RetryAfter = defaultRateLimitWait(e.Code, h)
		}
	case status == http.StatusLocked:
		e.Kind = httpx.KindTransient
		e.RetryAfter = max(retryAfter, lockedWait)
	case status == 477: // Migration in Progress: the portal is moving between data centres
		e.Kind = httpx.KindTransient
		e.RetryAfter = retryAfter
		if e.RetryAfter == 0 {
			e.RetryAfter = migrationWait
		}
	case status >= 400 && status < 500:
		if k, ok := categoryKinds[b.Category]; ok {
			e.Kind = k
		}
		e.RetryAfter = retryAfter
	default: // 5xx, including Cloudflare's 52x; 503 may say when to come back
		e.RetryAfter = retryAfter
	}
	e.Fields = errorFields(b)
	return e
}

// policyOf names the limit a 429 is about. Search throttling bodies are
// known in two shapes; both mention "secondly".
func policyOf(b errorBody) string {
	if b.PolicyName != "" {
		return strings.ToUpper(b.PolicyName)
	}
	msg := strings.ToLower(b.Message)
	switch {
	case strings.Contains(msg, "ten_secondly"):
		return PolicyTenSecondly
	case strings.Contains(msg, "secondly"):
		return PolicySecondly
	case strings.Contains(msg, "daily"):
		return PolicyDaily
	case b.Category != "":
		return b.Category
	default:
		return "RATE_LIMIT"
	}
}

// defaultRateLimitWait is used when the 429 carries no Retry-After. DAILY is
// left at zero here; the governor knows when the day resets and fills it in.
func defaultRateLimitWait(policy string, h http.Header) time.Duration {
	switch policy {
	case PolicyDaily:
		return 0
	case PolicySecondly:
		return secondlyWait
	default:
		if ms, ok := httpx.HeaderInt(h, hdrInterval); ok && ms > 0 {
			return time.Duration(ms) * time.Millisecond
		}
		return tenSecondlyWait
	}
}

// errorFields collects the property names (or, for MISSING_SCOPES, the
// scopes) an error is about, from the top-level context and each detail.
func errorFields(b errorBody) []string {
	var out []string
	seen := map[string]bool{}
	add := func(vs []string) {
		for _, v := range vs {
			if v != "" && !seen[v] {
				seen[v] = true
				out = append(out, v)
			}
		}
	}
	fromContext := func(ctx map[string]json.RawMessage) {
		add(stringsOf(ctx["propertyName"]))
		if b.Category == "MISSING_SCOPES" {
			for _, k := range []string{"missingScopes", "requiredScopes", "requiredGranularScopes"} {
				add(stringsOf(ctx[k]))
			}
		}
	}
	fromContext(b.Context)
	for _, d := range b.Errors {
		fromContext(d.Context)
		if d.In != "" {
			add([]string{d.In})
		}
	}
	return out
}

// stringsOf reads a context value, which is a list of strings in every
// sample we know; anything else yields nothing.
func stringsOf(raw json.RawMessage) []string {
	if len(raw) == 0 {
		return nil
	}
	var vs []string
	if json.Unmarshal(raw, &vs) == nil {
		return vs
	}
	var v string
	if json.Unmarshal(raw, &v) == nil && v != "" {
		return []string{v}
	}
	return nil
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}
