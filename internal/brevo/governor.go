package brevo

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"hubspot-brevo-sync/internal/httpx"
)

// Family is a Brevo rate-limit bucket. Brevo limits per endpoint family and
// per account, so every client writing to the same account must share one
// Governor.
type Family string

const (
	// FamilyContacts is every /v3/contacts/... call: contacts, lists,
	// folders, attributes, import and batch.
	FamilyContacts Family = "contacts"
	// FamilyEmail is POST /v3/smtp/email.
	FamilyEmail Family = "email"
	// FamilyOther is every endpoint Brevo does not list separately, such as
	// /v3/processes: 100 requests an hour on the general tier.
	FamilyOther Family = "other"
)

var families = []Family{FamilyContacts, FamilyEmail, FamilyOther}

// familyOf maps a request path (relative to /v3) to its bucket.
func familyOf(method, path string) Family {
	switch {
	case path == "/contacts" || strings.HasPrefix(path, "/contacts/"):
		return FamilyContacts
	case method == http.MethodPost && path == "/smtp/email":
		return FamilyEmail
	default:
		return FamilyOther
	}
}

// Rate-limit response headers (developers.brevo.com/docs/limit-headers).
const (
	headerLimit     = "x-sib-ratelimit-limit"
	headerRemaining = "x-sib-ratelimit-remaining"
	headerReset     = "x-sib-ratelimit-reset"
)

const (
	// secondPadding lengthens the per-second windows: requests leave here
	// spaced by a full second but reach Brevo with jitter, and a rolling
	// window on the server counts arrival times.
	secondPadding = 100 * time.Millisecond
	// DefaultMaxWait is how long a call may sleep for a rate-limit slot
	// before it gives up with KindRateLimited instead, so a Temporal
	// activity waits visibly (as a retry) rather than holding a worker slot
	// through an exhausted hourly budget.
	DefaultMaxWait = 30 * time.Second
)

// hourlyMargin keeps a little of an hourly budget for people and other tools
// using the same account: 1 %, at least one request.
func hourlyMargin(limit int) int {
	m := limit / 100
	if m < 1 {
		m = 1
	}
	if m >= limit {
		return 0
	}
	return m
}

// bucket is one server-side limit mirrored locally.
type bucket struct {
	serverLimit int // the limit Brevo enforces
	margin      int // requests of it we leave unused
	w           *httpx.Window
}

type familyState struct {
	// buckets, coarsest first: a caller waits for the hourly slot before it
	// books the per-second one, so the fine-grained booking is the one
	// made closest to the actual send.
	buckets []*bucket
	// fallbackReset is the wait assumed after a 429 without a reset header:
	// a second where a per-second bucket exists, else a minute.
	fallbackReset time.Duration

	blockedUntil time.Time
	// lastLimit is the last x-sib-ratelimit-limit seen (0: none yet).
	lastLimit       int
	serverLimit     int
	serverRemaining int
	serverReset     time.Duration
	observedAt      time.Time
	calls           int64
	rateLimited     int64
	waited          time.Duration
}

// Governor keeps calls to one Brevo account under its rate limits: rolling
// windows per family (contacts: per second and per hour; other endpoints:
// per hour; email: per second), reconciled with the x-sib-ratelimit-*
// headers of every response so budget spent by other processes on the same
// account is accounted for.
type Governor struct {
	clock    httpx.Clock
	disabled bool

	mu      sync.Mutex
	maxWait time.Duration
	fam     map[Family]*familyState
}

// GovernorOption adjusts a Governor.
type GovernorOption func(*governorSettings)

type governorSettings struct {
	shared  httpx.SharedWindows
	account string
}

// DefaultAccount names the Brevo account of a deployment (BREVO_*) in the
// shared windows' keys.
const DefaultAccount = "default"

// WithSharedWindows keeps every window in s, under keys such as
// "brevo/<account>/contacts/1s" and "brevo/<account>/contacts/1h", so that
// every worker writing to the account paces against the same slots.
func WithSharedWindows(s httpx.SharedWindows, account string) GovernorOption {
	return func(o *governorSettings) { o.shared, o.account = s, account }
}

// NewGovernor mirrors the given limits. A zero limit leaves that bucket
// ungoverned. clock may be nil for the wall clock.
func NewGovernor(limits Limits, clock httpx.Clock, opts ...GovernorOption) *Governor {
	if clock == nil {
		clock = httpx.RealClock
	}
	var s governorSettings
	for _, o := range opts {
		o(&s)
	}
	g := &Governor{clock: clock, maxWait: DefaultMaxWait, fam: map[Family]*familyState{}}
	window := func(f Family, limit int, period time.Duration, name string) *httpx.Window {
		w := httpx.NewWindow(limit, period, clock)
		if s.shared != nil {
			w.Share(s.shared, "brevo/"+s.account+"/"+string(f)+"/"+name)
		}
		return w
	}
	hour := func(f Family, limit int) *bucket {
		m := hourlyMargin(limit)
		return &bucket{serverLimit: limit, margin: m, w: window(f, limit-m, time.Hour, "1h")}
	}
	second := func(f Family, limit int) *bucket {
		// Paced, as a per-second limit wants (httpx.Window.Paced).
		return &bucket{serverLimit: limit, w: window(f, limit, time.Second+secondPadding, "1s").Paced()}
	}
	contacts := &familyState{fallbackReset: time.Second}
	if limits.ContactsPerHour > 0 {
		contacts.buckets = append(contacts.buckets, hour(FamilyContacts, limits.ContactsPerHour))
	}
	if limits.ContactsPerSecond > 0 {
		contacts.buckets = append(contacts.buckets, second(FamilyContacts, limits.ContactsPerSecond))
	}
	email := &familyState{fallbackReset: time.Second}
	if limits.EmailPerSecond > 0 {
		email.buckets = append(email.buckets, second(FamilyEmail, limits.EmailPerSecond))
	}
	other := &familyState{fallbackReset: time.Minute}
	if limits.OtherPerHour > 0 {
		other.buckets = append(other.buckets, hour(FamilyOther, limits.OtherPerHour))
	}
	g.fam[FamilyContacts], g.fam[FamilyEmail], g.fam[FamilyOther] = contacts, email, other
	return g
}

// DisabledGovernor never waits and ignores rate headers; 429s still come
// back as KindRateLimited. For tests that want to see Brevo's own 429s and
// for callers that govern elsewhere.
func DisabledGovernor() *Governor {
	g := NewGovernor(Limits{}, nil)
	g.disabled = true
	return g
}

// SetMaxWait changes how long a call may wait for a slot (DefaultMaxWait).
func (g *Governor) SetMaxWait(d time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.maxWait = d
}

// wait holds the caller until family f may send. A wait longer than the
// maximum (or than ctx allows) returns KindRateLimited with the wait as
// RetryAfter; slots already booked by then stay booked, which errs on the
// side of sending less.
func (g *Governor) wait(ctx context.Context, op string, f Family) error {
	g.mu.Lock()
	st := g.fam[f]
	st.calls++
	maxWait := g.maxWait
	var blocked time.Duration
	if !g.disabled {
		blocked = st.blockedUntil.Sub(g.clock.Now())
	}
	buckets := st.buckets
	g.mu.Unlock()
	if g.disabled {
		return nil
	}
	tooLong := func(d time.Duration) bool {
		if d > maxWait {
			return true
		}
		// Context deadlines are wall-clock time whatever the governor's clock.
		deadline, ok := ctx.Deadline()
		return ok && d > time.Until(deadline)
	}
	// A server-announced block is checked before booking anything, so
	// callers bounced by an exhausted hourly budget do not burn slots.
	if blocked > 0 {
		if tooLong(blocked) {
			return g.refuse(op, f, blocked)
		}
		if err := g.sleep(ctx, op, st, blocked); err != nil {
			return err
		}
	}
	for _, b := range buckets {
		d, err := b.w.Reserve(ctx)
		if err != nil {
			return httpx.TransportError(apiName, op, fmt.Errorf("shared rate window: %w", err))
		}
		if d <= 0 {
			continue
		}
		if tooLong(d) {
			return g.refuse(op, f, d)
		}
		if err := g.sleep(ctx, op, st, d); err != nil {
			return err
		}
	}
	return nil
}

func (g *Governor) sleep(ctx context.Context, op string, st *familyState, d time.Duration) error {
	if err := g.clock.Sleep(ctx, d); err != nil {
		return httpx.TransportError(apiName, op, err)
	}
	g.mu.Lock()
	st.waited += d
	g.mu.Unlock()
	return nil
}

// refuse is the error of a call the governor did not send: Status 0 and
// Code "governor" tell it apart from a 429 of Brevo's.
func (g *Governor) refuse(op string, f Family, d time.Duration) error {
	return &httpx.Error{
		API: apiName, Op: op, Kind: httpx.KindRateLimited, Code: "governor",
		Message:    "local rate governor: " + string(f) + " budget exhausted",
		RetryAfter: d,
	}
}

// observe reconciles family f with a response's rate headers and returns
// the wait a 429 asks for.
func (g *Governor) observe(f Family, h http.Header, status int) (retryAfter time.Duration) {
	limit, hasLimit := httpx.HeaderInt(h, headerLimit)
	remaining, hasRemaining := httpx.HeaderInt(h, headerRemaining)
	// The unit of reset is documented as "the granularity unit, typically
	// seconds"; seconds is assumed (reference §5), and capped below.
	reset, hasReset := httpx.HeaderInt(h, headerReset)

	g.mu.Lock()
	defer g.mu.Unlock()
	st := g.fam[f]
	now := g.clock.Now()
	if hasLimit || hasRemaining || hasReset {
		st.serverLimit, st.serverRemaining, st.serverReset, st.observedAt = limit, remaining, time.Duration(reset)*time.Second, now
		if hasLimit && limit > 0 {
			st.lastLimit = limit
		}
	}
	b := st.bucketFor(limit, hasLimit)
	// A reset can never be longer than the window it describes. The cap
	// guards against a unit other than seconds (one public project reads
	// milliseconds), which would otherwise stall a family for minutes after
	// a per-second 429.
	maxReset := time.Hour
	if b != nil {
		maxReset = b.w.Period().Truncate(time.Second) + time.Second
	}
	resetFor := func(fallback time.Duration) time.Duration {
		if !hasReset || reset <= 0 {
			return fallback
		}
		return min(time.Duration(reset)*time.Second, maxReset)
	}
	if status == http.StatusTooManyRequests {
		st.rateLimited++
		retryAfter = resetFor(st.fallbackReset)
	}
	if g.disabled {
		return retryAfter
	}
	// Whether this window's own calls alone spent the server's budget.
	ownSpent := b != nil && b.w.Used() >= b.w.Limit()
	if b != nil && hasRemaining {
		// Our window allows serverLimit-margin; shift the server's count by
		// the margin so that Observe books exactly the requests others sent.
		b.w.Observe(max(remaining-b.margin, 0))
	}
	hold := time.Duration(0)
	switch {
	case status == http.StatusTooManyRequests:
		hold = retryAfter
	case hasRemaining && remaining <= 0 && !ownSpent:
		// Spent, and not all by calls this window holds (another tool on
		// the key, another worker, a budget we do not know): wait for the
		// reset. Spent by our own calls alone, the window already holds
		// the next call until its oldest slot leaves, which any server
		// window of the published length frees by then too; holding a
		// whole reset on top cost a third of Brevo's per-second rate.
		hold = resetFor(st.fallbackReset)
	}
	if hold > 0 {
		until := now.Add(hold)
		if until.After(st.blockedUntil) {
			st.blockedUntil = until
		}
		for _, bb := range st.buckets {
			bb.w.BlockUntil(until)
		}
	}
	return retryAfter
}

// bucketFor picks the bucket a response's headers describe. Brevo sends a
// single set of headers even where two limits apply (contacts: per second
// and per hour); which one it reports is not documented, so the limit value
// decides: the bucket with that limit, else the one whose limit is closest
// (a tier other than the configured one still maps per second to per
// second and per hour to per hour).
func (st *familyState) bucketFor(limit int, hasLimit bool) *bucket {
	if len(st.buckets) == 0 {
		return nil
	}
	if !hasLimit {
		return st.buckets[len(st.buckets)-1]
	}
	for _, b := range st.buckets {
		if b.serverLimit == limit {
			return b
		}
	}
	best := st.buckets[0]
	for _, b := range st.buckets[1:] {
		if ratio(b.serverLimit, limit) < ratio(best.serverLimit, limit) {
			best = b
		}
	}
	return best
}

// ratio is how many times larger the larger of a and b is: hourly limits
// are thousands of times the per-second ones, so closeness is a ratio.
func ratio(a, b int) float64 {
	x, y := float64(max(a, 1)), float64(max(b, 1))
	if x < y {
		x, y = y, x
	}
	return x / y
}

// ObservedLimit is the last x-sib-ratelimit-limit seen for family f, and
// whether any was.
func (g *Governor) ObservedLimit(f Family) (int, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	st := g.fam[f]
	return st.lastLimit, st.lastLimit > 0
}

// WindowStatus is one local rolling window.
type WindowStatus struct {
	Limit  int           `json:"limit"`
	Period time.Duration `json:"period"`
	Used   int           `json:"used"`
}

// FamilyStatus describes one rate-limit family for status displays.
type FamilyStatus struct {
	Family  Family         `json:"family"`
	Windows []WindowStatus `json:"windows"`
	// Server* are the last x-sib-ratelimit-* values seen; ObservedAt is
	// zero before any.
	ServerLimit     int           `json:"serverLimit"`
	ServerRemaining int           `json:"serverRemaining"`
	ServerReset     time.Duration `json:"serverReset"`
	ObservedAt      time.Time     `json:"observedAt"`
	BlockedUntil    time.Time     `json:"blockedUntil"`
	Calls           int64         `json:"calls"`
	RateLimited     int64         `json:"rateLimited"`
	Waited          time.Duration `json:"waited"`
}

// Status is a snapshot of every family, in a fixed order.
func (g *Governor) Status() []FamilyStatus {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make([]FamilyStatus, 0, len(families))
	for _, f := range families {
		st := g.fam[f]
		fs := FamilyStatus{
			Family: f, ServerLimit: st.serverLimit, ServerRemaining: st.serverRemaining,
			ServerReset: st.serverReset, ObservedAt: st.observedAt, BlockedUntil: st.blockedUntil,
			Calls: st.calls, RateLimited: st.rateLimited, Waited: st.waited,
		}
		for _, b := range st.buckets {
			fs.Windows = append(fs.Windows, WindowStatus{Limit: b.w.Limit(), Period: b.w.Period(), Used: b.w.Used()})
		}
		out = append(out, fs)
	}
	return out
}
