package sandbox

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Credentials the HubSpot emulator accepts unless told otherwise. They are
// documented so the demo and curl users can call it without configuration.
const (
	HubSpotDemoToken        = "sandbox-hubspot-token"
	HubSpotDemoClientID     = "sandbox-client-id"
	HubSpotDemoClientSecret = "sandbox-client-secret"
	HubSpotDemoRefreshToken = "sandbox-refresh-token"
	HubSpotDemoPortalID     = 1234567
)

// HubSpotOptions configure the HubSpot emulator. Every zero field takes the
// real (Free/Starter private app) value, so the emulator is as strict as
// HubSpot unless a test relaxes or tightens it on purpose.
type HubSpotOptions struct {
	// BurstLimit requests per BurstWindow, rolling, counted per static token
	// (private app) or per OAuth app: 100 per 10 s.
	BurstLimit  int
	BurstWindow time.Duration
	// OAuthBurstLimit is the burst limit of OAuth tokens (publicly
	// distributed apps): 110.
	OAuthBurstLimit int
	// DailyLimit calls per UTC day for static tokens: 250,000. OAuth calls
	// are not held to it and get no daily headers, unless OAuthDailyCap
	// (the variant where HubSpot counts them after all) is set.
	DailyLimit    int
	OAuthDailyCap bool
	// SearchPerSecond is the per-account search limit: 5.
	SearchPerSecond int
	// SearchResultCap is the deepest result a search may page to: 10,000.
	SearchResultCap int
	// SearchPageMax is the largest search limit: 200.
	SearchPageMax int
	// MembershipsPageMax is the largest memberships limit: 250.
	MembershipsPageMax int
	// BatchReadMax is the most inputs of a batch read: 100.
	BatchReadMax int
	// ContactsPageMax is the largest contacts listing limit: 100.
	ContactsPageMax int
	// ListSearchCountMax is the largest lists search count: 500.
	ListSearchCountMax int
	// ListCompleteStatus is the processingStatus of a list whose members
	// are complete: "COMPLETE" (HubSpot's spec examples also show
	// "COMPLETED"; set it to check a client takes both).
	ListCompleteStatus string
	// SearchLag hides contacts modified less than this long ago from search,
	// like HubSpot's eventually consistent search index. Default 0.
	SearchLag time.Duration
	// StaticTokens are accepted as private app tokens; default
	// HubSpotDemoToken.
	StaticTokens []string
	// OAuth client credentials and the refresh token accepted by the token
	// endpoint; defaults are the HubSpotDemo* constants.
	OAuthClientID     string
	OAuthClientSecret string
	OAuthRefreshToken string
	// Scopes are granted to every token, static or OAuth; default
	// hsDefaultScopes, which cover all the sync calls. A test takes one
	// away to see the CRM endpoints that need it answer 403 MISSING_SCOPES
	// and the token-info endpoints report the gap.
	Scopes []string
	// NoTokenIntrospection makes POST /oauth/v3/token/introspect answer
	// 404, as a HubSpot that serves only the legacy GET
	// /oauth/v1/access-tokens/{token}; NoLegacyTokenInfo makes that one
	// answer 404, as after its removal.
	NoTokenIntrospection bool
	NoLegacyTokenInfo    bool
	// AccessTokenTTL is the lifetime of issued access tokens: 1800 s.
	AccessTokenTTL time.Duration
	// RotateRefreshTokens makes each refresh issue a new refresh token and
	// retire the old one (HubSpot does not; OAuth allows it).
	RotateRefreshTokens bool
	// RepeatUnsubscribeOK answers an unsubscribe of an email already
	// unsubscribed from the subscription type with 200. By default it is
	// the 400 "... is already unsubscribed ..." public client code
	// handles; nobody here has observed either.
	RepeatUnsubscribeOK bool
	// Now is the emulator's clock; default time.Now. Tests move it to make
	// tokens expire or records leave the search lag.
	Now func() time.Time
	// PortalID is the account's hub id (token info, OAuth answers, rate
	// limit policy names); default HubSpotDemoPortalID.
	PortalID int64
}

func (o HubSpotOptions) withDefaults() HubSpotOptions {
	setInt := func(v *int, def int) {
		if *v <= 0 {
			*v = def
		}
	}
	setInt(&o.BurstLimit, 100)
	setInt(&o.OAuthBurstLimit, 110)
	setInt(&o.DailyLimit, 250_000)
	setInt(&o.SearchPerSecond, 5)
	setInt(&o.SearchResultCap, 10_000)
	setInt(&o.SearchPageMax, 200)
	setInt(&o.MembershipsPageMax, 250)
	setInt(&o.BatchReadMax, 100)
	setInt(&o.ContactsPageMax, 100)
	setInt(&o.ListSearchCountMax, 500)
	if o.ListCompleteStatus == "" {
		o.ListCompleteStatus = "COMPLETE"
	}
	if o.BurstWindow <= 0 {
		o.BurstWindow = 10 * time.Second
	}
	if o.AccessTokenTTL <= 0 {
		o.AccessTokenTTL = 1800 * time.Second
	}
	if len(o.StaticTokens) == 0 {
		o.StaticTokens = []string{HubSpotDemoToken}
	}
	if o.Scopes == nil {
		o.Scopes = hsDefaultScopes
	}
	if o.OAuthClientID == "" {
		o.OAuthClientID = HubSpotDemoClientID
	}
	if o.OAuthClientSecret == "" {
		o.OAuthClientSecret = HubSpotDemoClientSecret
	}
	if o.OAuthRefreshToken == "" {
		o.OAuthRefreshToken = HubSpotDemoRefreshToken
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.PortalID <= 0 {
		o.PortalID = HubSpotDemoPortalID
	}
	return o
}

// HubSpot emulates the HubSpot CRM endpoints the sync uses. All methods are
// safe for concurrent use.
type HubSpot struct {
	opts HubSpotOptions

	// mu guards the CRM data.
	mu       sync.RWMutex
	contacts map[int64]*hsContact
	order    []*hsContact    // every contact ever created, by ascending id
	alias    map[int64]int64 // merged-away id -> surviving id
	byEmail  map[string]int64
	lists    map[int64]*hsList
	nextID   int64
	nextList int64
	// created are the properties created through the API; unsubscribed
	// the subscription ids each email was unsubscribed from.
	created      map[string]*hsProperty
	unsubscribed map[string][]string

	// authMu guards the OAuth state.
	authMu        sync.Mutex
	static        map[string]bool
	issued        map[string]time.Time // access token -> expiry
	refreshTokens map[string]bool
	tokenSeq      int
	codes         map[string]hsAuthCode // authorization codes not redeemed yet

	// limitMu guards the budgets.
	limitMu  sync.Mutex
	burst    map[string]*rollingLimit // per static token / OAuth app
	search   *rollingLimit            // per account
	dailyDay string
	daily    int

	statsMu sync.Mutex
	stats   HubSpotStats

	corr atomic.Uint64
}

// NewHubSpot builds an empty emulator; fill it with Seed or the state API.
func NewHubSpot(o HubSpotOptions) *HubSpot {
	o = o.withDefaults()
	h := &HubSpot{
		opts:          o,
		contacts:      map[int64]*hsContact{},
		alias:         map[int64]int64{},
		byEmail:       map[string]int64{},
		lists:         map[int64]*hsList{},
		created:       map[string]*hsProperty{},
		unsubscribed:  map[string][]string{},
		nextID:        hsFirstContactID,
		nextList:      1,
		static:        map[string]bool{},
		issued:        map[string]time.Time{},
		refreshTokens: map[string]bool{o.OAuthRefreshToken: true},
		burst:         map[string]*rollingLimit{},
		search:        newRollingLimit(o.SearchPerSecond, time.Second),
	}
	for _, t := range o.StaticTokens {
		h.static[t] = true
	}
	h.resetStatsLocked()
	return h
}

func (h *HubSpot) now() time.Time { return h.opts.Now() }

// Endpoint families, named like the client's operations.
const (
	hsFamListGet      = "lists.get"
	hsFamListByName   = "lists.getByName"
	hsFamListSearch   = "lists.search"
	hsFamMemberships  = "lists.memberships"
	hsFamBatchRead    = "contacts.batchRead"
	hsFamSearch       = "contacts.search"
	hsFamContactsList = "contacts.list"
	hsFamContactGet   = "contacts.get"
	hsFamProperties   = "properties.list"
	hsFamOAuth        = "oauth.token"
	hsFamTokenInfo    = "oauth.tokenInfo"
)

func (h *HubSpot) register(mux *http.ServeMux) {
	api := func(pattern, family string, search bool, fn http.HandlerFunc) {
		mux.Handle(pattern, h.api(family, search, fn))
	}
	api("GET /crm/v3/lists/{listId}", hsFamListGet, false, h.handleGetList)
	api("GET /crm/v3/lists/object-type-id/{objectTypeId}/name/{name}", hsFamListByName, false, h.handleListByName)
	api("POST /crm/v3/lists/search", hsFamListSearch, false, h.handleSearchLists)
	api("GET /crm/v3/lists/{listId}/memberships", hsFamMemberships, false, h.handleMemberships)
	api("POST /crm/v3/objects/contacts/batch/read", hsFamBatchRead, false, h.handleBatchRead)
	api("POST /crm/v3/objects/contacts/search", hsFamSearch, true, h.handleSearch)
	api("GET /crm/v3/objects/contacts", hsFamContactsList, false, h.handleListContacts)
	api("GET /crm/v3/objects/contacts/{contactId}", hsFamContactGet, false, h.handleGetContact)
	api("GET /crm/v3/properties/contacts", hsFamProperties, false, h.handleProperties)
	h.registerWrites(mux)
	h.registerTokenInfo(mux)

	for _, p := range []string{"/oauth/v3/token", "/oauth/2026-03/token", "/oauth/v1/token"} {
		mux.Handle("POST "+p, h.counted(hsFamOAuth, h.handleToken))
	}
	h.registerAuthorize(mux)
	h.registerAdmin(mux)
}

// hsRecorder remembers what a handler answered, for the stats.
type hsRecorder struct {
	http.ResponseWriter
	status  int
	policy  string // rate-limit policy of a 429
	expired bool   // 401 for an expired token
}

func (r *hsRecorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *hsRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// counted records a request of the family and its outcome.
func (h *HubSpot) counted(family string, fn http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		rec := &hsRecorder{ResponseWriter: w}
		rec.Header().Set("X-HubSpot-Correlation-Id", h.correlationID())
		fn(rec, r)
		h.record(family, rec)
	}
}

// api wraps a CRM handler with what every CRM endpoint does before its own
// work: authentication, then the rate limits (and their headers).
func (h *HubSpot) api(family string, search bool, fn http.HandlerFunc) http.Handler {
	return h.counted(family, func(w http.ResponseWriter, r *http.Request) {
		p, ok := h.authenticate(w, r)
		if !ok {
			return
		}
		if !h.admit(w, p, search) {
			return
		}
		if !h.authorized(w, family) {
			return
		}
		fn(w, r)
	})
}

// principal is who a request is counted against.
type principal struct {
	bucket string // burst window key: the static token or the OAuth app
	oauth  bool
}

func (h *HubSpot) authenticate(w http.ResponseWriter, r *http.Request) (principal, bool) {
	auth := r.Header.Get("Authorization")
	tok, found := strings.CutPrefix(auth, "Bearer ")
	tok = strings.TrimSpace(tok)
	if !found || tok == "" {
		h.fail(w, http.StatusUnauthorized, "INVALID_AUTHENTICATION",
			"Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview", nil)
		return principal{}, false
	}
	h.authMu.Lock()
	isStatic := h.static[tok]
	exp, isIssued := h.issued[tok]
	h.authMu.Unlock()
	switch {
	case isStatic:
		return principal{bucket: "static:" + tok}, true
	case isIssued:
		now := h.now()
		if !now.Before(exp) {
			if rec, ok := w.(*hsRecorder); ok {
				rec.expired = true
			}
			secs := int(now.Sub(exp) / time.Second)
			h.fail(w, http.StatusUnauthorized, "EXPIRED_AUTHENTICATION",
				fmt.Sprintf("The OAuth token used to make this call expired %d second(s) ago.", secs), nil)
			return principal{}, false
		}
		return principal{bucket: "oauth:" + h.opts.OAuthClientID, oauth: true}, true
	default:
		h.fail(w, http.StatusUnauthorized, "INVALID_AUTHENTICATION",
			"The access token provided is invalid, revoked or for another HubSpot account.", nil)
		return principal{}, false
	}
}

// admit applies the budgets. Search has its own per-account limit and its
// responses carry no rate headers; both kinds count against the daily
// allowance (HubSpot does not say whether search does; counting it is the
// stricter reading).
func (h *HubSpot) admit(w http.ResponseWriter, p principal, search bool) bool {
	now := h.now()
	h.limitMu.Lock()
	defer h.limitMu.Unlock()
	if day := now.UTC().Format(time.DateOnly); day != h.dailyDay {
		h.dailyDay, h.daily = day, 0
	}
	dailyLeft := h.opts.DailyLimit - h.daily
	capped := !p.oauth || h.opts.OAuthDailyCap
	setDaily := func() {
		if capped {
			w.Header().Set("X-HubSpot-RateLimit-Daily", strconv.Itoa(h.opts.DailyLimit))
			w.Header().Set("X-HubSpot-RateLimit-Daily-Remaining", strconv.Itoa(max(dailyLeft, 0)))
		}
	}
	if capped && dailyLeft <= 0 {
		if !search {
			setDaily()
		}
		h.rateLimited(w, "DAILY", "You have reached your daily limit.", fmt.Sprintf("publicapi:private-apps-api-calls-daily:%d", h.opts.PortalID))
		return false
	}
	if search {
		if ok, _, _ := h.search.admit(now); !ok {
			h.rateLimited(w, "SECONDLY", "You have reached your secondly limit.", fmt.Sprintf("publicapi:crm-search-secondly:%d", h.opts.PortalID))
			return false
		}
	} else {
		limit := h.opts.BurstLimit
		if p.oauth {
			limit = h.opts.OAuthBurstLimit
		}
		bl := h.burst[p.bucket]
		if bl == nil {
			bl = newRollingLimit(limit, h.opts.BurstWindow)
			h.burst[p.bucket] = bl
		}
		ok, remaining, _ := bl.admit(now)
		w.Header().Set("X-HubSpot-RateLimit-Max", strconv.Itoa(limit))
		w.Header().Set("X-HubSpot-RateLimit-Remaining", strconv.Itoa(remaining))
		w.Header().Set("X-HubSpot-RateLimit-Interval-Milliseconds", strconv.FormatInt(h.opts.BurstWindow.Milliseconds(), 10))
		if !ok {
			setDaily()
			h.rateLimited(w, "TEN_SECONDLY_ROLLING", "You have reached your ten_secondly_rolling limit.", fmt.Sprintf("publicapi:private-apps-api-calls-ten-secondly:%d", h.opts.PortalID))
			return false
		}
	}
	if capped {
		h.daily++
		dailyLeft--
	}
	if !search {
		setDaily()
	}
	return true
}

// fail writes HubSpot's standard error envelope.
func (h *HubSpot) fail(w http.ResponseWriter, status int, category, message string, context map[string][]string) {
	body := map[string]any{
		"status":        "error",
		"message":       message,
		"correlationId": w.Header().Get("X-HubSpot-Correlation-Id"),
		"category":      category,
	}
	if len(context) > 0 {
		body["context"] = context
	}
	writeJSON(w, status, body)
}

// validationError is the 400 HubSpot answers for a malformed request.
func (h *HubSpot) validationError(w http.ResponseWriter, message string) {
	h.fail(w, http.StatusBadRequest, "VALIDATION_ERROR", message, nil)
}

// rateLimited writes a 429 in HubSpot's shape: errorType and policyName, no
// category.
func (h *HubSpot) rateLimited(w http.ResponseWriter, policy, message, group string) {
	if rec, ok := w.(*hsRecorder); ok {
		rec.policy = policy
	}
	writeJSON(w, http.StatusTooManyRequests, map[string]any{
		"status":        "error",
		"message":       message,
		"errorType":     "RATE_LIMIT",
		"correlationId": w.Header().Get("X-HubSpot-Correlation-Id"),
		"policyName":    policy,
		"groupName":     group,
	})
}

func (h *HubSpot) correlationID() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%08x-%s-4000-8000-%012x", h.corr.Add(1), hex.EncodeToString(b[:2]), b[2:])
}

// HubSpotStats counts what the emulator served.
type HubSpotStats struct {
	// Calls counts every CRM and OAuth request (admin endpoints excluded).
	Calls int `json:"calls"`
	// ByFamily counts requests by endpoint family ("contacts.search", ...).
	ByFamily map[string]int `json:"byFamily"`
	// ByStatus counts responses by HTTP status.
	ByStatus map[int]int `json:"byStatus"`
	// RateLimited counts 429s served; RateLimitedByPolicy splits them by
	// policyName (TEN_SECONDLY_ROLLING, SECONDLY, DAILY).
	RateLimited         int            `json:"rateLimited"`
	RateLimitedByPolicy map[string]int `json:"rateLimitedByPolicy"`
	// Unauthorized counts 401s; ExpiredTokens those for expired tokens.
	Unauthorized  int `json:"unauthorized"`
	ExpiredTokens int `json:"expiredTokens"`
	// TokensIssued counts successful token refreshes.
	TokensIssued int `json:"tokensIssued"`
	// DailyUsed is today's count of the daily allowance.
	DailyUsed int `json:"dailyUsed"`
	// Contacts and Lists describe the current data.
	Contacts int `json:"contacts"`
	Lists    int `json:"lists"`
}

func (h *HubSpot) resetStatsLocked() {
	h.stats = HubSpotStats{ByFamily: map[string]int{}, ByStatus: map[int]int{}, RateLimitedByPolicy: map[string]int{}}
}

func (h *HubSpot) record(family string, rec *hsRecorder) {
	status := rec.status
	if status == 0 {
		status = http.StatusOK
	}
	h.statsMu.Lock()
	defer h.statsMu.Unlock()
	h.stats.Calls++
	h.stats.ByFamily[family]++
	h.stats.ByStatus[status]++
	switch status {
	case http.StatusTooManyRequests:
		h.stats.RateLimited++
		h.stats.RateLimitedByPolicy[rec.policy]++
	case http.StatusUnauthorized:
		h.stats.Unauthorized++
		if rec.expired {
			h.stats.ExpiredTokens++
		}
	}
	if family == hsFamOAuth && status == http.StatusOK {
		h.stats.TokensIssued++
	}
}

// Stats returns a copy of the counters and the data sizes.
func (h *HubSpot) Stats() HubSpotStats {
	h.statsMu.Lock()
	s := h.stats
	s.ByFamily = hsCopyMap(h.stats.ByFamily)
	s.ByStatus = hsCopyMap(h.stats.ByStatus)
	s.RateLimitedByPolicy = hsCopyMap(h.stats.RateLimitedByPolicy)
	h.statsMu.Unlock()

	h.limitMu.Lock()
	if h.dailyDay == h.now().UTC().Format(time.DateOnly) {
		s.DailyUsed = h.daily
	}
	h.limitMu.Unlock()

	h.mu.RLock()
	for _, c := range h.contacts {
		if c.live() {
			s.Contacts++
		}
	}
	s.Lists = len(h.lists)
	h.mu.RUnlock()
	return s
}

// CallCount is the number of CRM and OAuth requests served.
func (h *HubSpot) CallCount() int {
	h.statsMu.Lock()
	defer h.statsMu.Unlock()
	return h.stats.Calls
}

// ResetStats zeroes the counters (not the budgets).
func (h *HubSpot) ResetStats() {
	h.statsMu.Lock()
	defer h.statsMu.Unlock()
	h.resetStatsLocked()
}

func hsCopyMap[K comparable, V any](m map[K]V) map[K]V {
	out := make(map[K]V, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
