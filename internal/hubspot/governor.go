package hubspot

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"hubspot-brevo-sync/internal/httpx"
)

// Rate headers of non-search responses. They may be missing when HubSpot
// cannot compute them, and the daily ones are omitted for OAuth apps.
const (
	hdrMax            = "X-HubSpot-RateLimit-Max"
	hdrRemaining      = "X-HubSpot-RateLimit-Remaining"
	hdrInterval       = "X-HubSpot-RateLimit-Interval-Milliseconds"
	hdrDaily          = "X-HubSpot-RateLimit-Daily"
	hdrDailyRemaining = "X-HubSpot-RateLimit-Daily-Remaining"
)

// budget names which of HubSpot's two short-term limits a call spends.
type budget int

const (
	budgetStandard budget = iota // burst window per app, rate headers on responses
	budgetSearch                 // CRM search: its own per-account limit, no headers
)

// Governor keeps the sync inside HubSpot's limits so that a correct sync
// never sees a 429: the burst window of the app (TEN_SECONDLY_ROLLING), the
// daily allowance of the account, and the separate per-account search limit.
//
// It runs a little below the published figures (about 5% fewer requests per
// slightly longer window) because the server counts arrival times, not our
// send times, and network jitter moves those closer together.
//
// One Governor belongs to one HubSpot portal and app; every client using
// them shares it. Other processes spending the same budgets show up in the
// rate headers, which the Governor adopts. Workers of one deployment share
// the burst and search windows themselves (WithSharedWindows), so they do
// not have to learn each other's use from the headers, which search
// responses do not carry at all.
type Governor struct {
	clock    httpx.Clock
	search   *httpx.Window
	settings governorSettings

	mu sync.Mutex
	// daily is nil when no daily cap applies (publicly distributed OAuth
	// apps). It is rebuilt when the server reports another allowance, so
	// the reserve stays a share of the real figure.
	daily      *httpx.DailyBudget
	dailyLimit int
	// burst is rebuilt when the server reports different figures than we
	// were configured with (a wrong tier, an add-on, an OAuth app's 110).
	burst       *httpx.Window
	burstMax    int // server-side figures the window was derived from
	burstPeriod time.Duration
	// sent remembers when our own burst-budget calls were scheduled, to
	// tell other processes' use of the budget from our own in flight.
	sent sendLog
	// observed is what the rate headers said last.
	observed ObservedLimits

	throttled    atomic.Int64
	waitedNanos  atomic.Int64
	refusedDaily atomic.Int64
	limited      atomic.Int64
}

// GovernorOption adjusts a Governor.
type GovernorOption func(*governorSettings)

type governorSettings struct {
	dailyLocation *time.Location
	dailyReserve  int // < 0: 1% of the allowance
	noDaily       bool
	shared        httpx.SharedWindows
	connection    string
}

func (s governorSettings) reserve(limit int) int {
	if s.dailyReserve >= 0 {
		return s.dailyReserve
	}
	return limit / 100
}

// WithDailyLocation sets the time zone whose midnight resets the daily
// budget. HubSpot resets it at midnight in the account's time zone, which
// the API does not tell a private app; the default is UTC. If the account is
// west of UTC, the real reset comes later than we think and the first calls
// after our midnight can be refused with a DAILY 429, which is handled.
func WithDailyLocation(loc *time.Location) GovernorOption {
	return func(s *governorSettings) { s.dailyLocation = loc }
}

// WithDailyReserve keeps n calls of the daily allowance for people and other
// tools on the same account (default: 1% of the allowance).
func WithDailyReserve(n int) GovernorOption {
	return func(s *governorSettings) { s.dailyReserve = n }
}

// WithSharedWindows keeps the burst and search windows in s, under the keys
// "hubspot/<connection>/burst" and "hubspot/<connection>/search", so that
// every worker calling HubSpot through that connection paces against the
// same slots. The daily budget stays this process's, fed by the rate
// headers, which report the account's whole day.
func WithSharedWindows(s httpx.SharedWindows, connection string) GovernorOption {
	return func(o *governorSettings) { o.shared, o.connection = s, connection }
}

// share hands a window to the shared store, if there is one.
func (s governorSettings) share(w *httpx.Window, b budget) *httpx.Window {
	if s.shared == nil {
		return w
	}
	name := "burst"
	if b == budgetSearch {
		name = "search"
	}
	return w.Share(s.shared, "hubspot/"+s.connection+"/"+name)
}

// WithoutDailyBudget is for publicly distributed OAuth apps, which HubSpot
// does not hold to the daily allowance.
func WithoutDailyBudget() GovernorOption {
	return func(s *governorSettings) { s.noDaily = true }
}

// NewGovernor builds a governor for the given limits; zero fields take the
// Free/Starter figures. A nil clock is the wall clock.
func NewGovernor(limits Limits, clock httpx.Clock, opts ...GovernorOption) *Governor {
	def := TierFree.Limits()
	if limits.Burst <= 0 {
		limits.Burst = def.Burst
	}
	if limits.BurstPeriod <= 0 {
		limits.BurstPeriod = def.BurstPeriod
	}
	if limits.Daily <= 0 {
		limits.Daily = def.Daily
	}
	if limits.SearchPerSecond <= 0 {
		limits.SearchPerSecond = def.SearchPerSecond
	}
	if clock == nil {
		clock = httpx.RealClock
	}
	s := governorSettings{dailyLocation: time.UTC, dailyReserve: -1}
	for _, o := range opts {
		o(&s)
	}
	g := &Governor{
		clock:    clock,
		settings: s,
		// Paced: the search limit is per second, with 50 ms of padding
		// against whole windows sent at once.
		search:      s.share(httpx.NewWindow(safeLimit(limits.SearchPerSecond), safePeriod(time.Second), clock).Paced(), budgetSearch),
		burst:       s.share(httpx.NewWindow(safeLimit(limits.Burst), safePeriod(limits.BurstPeriod), clock), budgetStandard),
		burstMax:    limits.Burst,
		burstPeriod: limits.BurstPeriod,
		sent:        newSendLog(limits.Burst),
	}
	if !s.noDaily {
		g.daily = httpx.NewDailyBudget(limits.Daily, s.reserve(limits.Daily), s.dailyLocation, clock)
		g.dailyLimit = limits.Daily
	}
	return g
}

// safeLimit is the published limit less about 5%, at least one request.
func safeLimit(limit int) int {
	return max(1, limit-max(1, (limit+19)/20))
}

// safePeriod lengthens the window by 5%, at least 50 ms, to absorb the
// difference between when we send and when the server counts.
func safePeriod(p time.Duration) time.Duration {
	return p + max(p/20, 50*time.Millisecond)
}

// acquire books the call against the daily budget and waits for a slot in
// the short-term window; it returns when the slot was scheduled. A spent
// daily budget is refused at once, without a call to the server, with the
// time until it resets. Calls made with an OAuth access token pass
// dailyCapped false: HubSpot holds OAuth apps to the burst window only, so
// they neither spend nor wait for the daily allowance, even when they
// share a governor with private-app calls that do.
func (g *Governor) acquire(ctx context.Context, b budget, op string, dailyCapped bool) (time.Time, error) {
	if daily := g.dailyBudget(); daily != nil && dailyCapped {
		if ok, untilReset := daily.Take(); !ok {
			g.refusedDaily.Add(1)
			return time.Time{}, &httpx.Error{API: apiName, Op: op, Kind: httpx.KindRateLimited, Code: PolicyDaily,
				Message: "daily API call budget spent (held back by the client before calling HubSpot)", RetryAfter: untilReset}
		}
	}
	var d time.Duration
	var err error
	if b == budgetSearch {
		d, err = g.search.Reserve(ctx)
	} else {
		d, err = g.reserveBurst(ctx)
	}
	if err != nil {
		return time.Time{}, httpx.TransportError(apiName, op, fmt.Errorf("shared rate window: %w", err))
	}
	slot := g.clock.Now().Add(d)
	if d > 0 {
		g.throttled.Add(1)
		g.waitedNanos.Add(int64(d))
	}
	if err := g.clock.Sleep(ctx, d); err != nil {
		return slot, httpx.TransportError(apiName, op, err)
	}
	return slot, nil
}

// reserveBurst books a burst slot and logs it as ours. A local window is
// reserved under the lock, so the log is in the window's order; a shared
// one is a round trip to its store, made outside it (add keeps the log
// sorted should two slots arrive a hair out of order).
func (g *Governor) reserveBurst(ctx context.Context) (time.Duration, error) {
	g.mu.Lock()
	w := g.burst
	if !w.Shared() {
		defer g.mu.Unlock()
		d, err := w.Reserve(ctx)
		g.sent.add(g.clock.Now().Add(d))
		return d, err
	}
	g.mu.Unlock()
	d, err := w.Reserve(ctx)
	if err != nil {
		return 0, err
	}
	g.mu.Lock()
	g.sent.add(g.clock.Now().Add(d))
	g.mu.Unlock()
	return d, nil
}

func (g *Governor) window(b budget) *httpx.Window {
	if b == budgetSearch {
		return g.search
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.burst
}

// observe adopts what the rate headers of a response to a call scheduled
// at sentAt say. Search responses carry none.
//
// The server counts a call when it arrives and answers with the remaining
// budget as of then; by the time we read it, our own window may already
// have dropped calls the server still counts. Taken literally, every slow
// response would look like someone else spending our budget and slow us
// down further. So only the use we cannot explain by our own calls (those
// scheduled within the server's window before this call, widened by its
// round trip, or since) is booked as another process's. With a shared
// window, the other workers' calls are explained too: the window books
// only what no worker reserved (another tool on the same app).
func (g *Governor) observe(b budget, h http.Header, sentAt time.Time) {
	if b == budgetSearch {
		return
	}
	g.record(h)
	serverMax, okMax := httpx.HeaderInt(h, hdrMax)
	interval, okInterval := httpx.HeaderInt(h, hdrInterval)
	if okMax && okInterval && serverMax > 0 && interval > 0 {
		g.adoptBurst(serverMax, time.Duration(interval)*time.Millisecond)
	}
	if remaining, ok := httpx.HeaderInt(h, hdrRemaining); ok {
		g.mu.Lock()
		w, serverMax, serverPeriod := g.burst, g.burstMax, g.burstPeriod
		now := g.clock.Now()
		roundTrip := max(now.Sub(sentAt), 0)
		ours := g.sent.count(sentAt.Add(-serverPeriod-roundTrip), now)
		oursNow := g.sent.count(now.Add(-w.Period()), now)
		g.mu.Unlock()
		others := (serverMax - remaining) - ours
		switch {
		case others <= 0:
		case w.Shared():
			w.BookUnexplained(serverMax-remaining, serverPeriod+2*roundTrip)
		default:
			w.Observe(max(w.Limit()-oursNow-others, 0))
		}
	}
	limit, okLimit := httpx.HeaderInt(h, hdrDaily)
	remaining, okRemaining := httpx.HeaderInt(h, hdrDailyRemaining)
	if okLimit && okRemaining && limit > 0 {
		if daily := g.adoptDaily(limit); daily != nil {
			daily.Observe(limit, remaining)
		}
	}
}

// ObservedLimits are the rate limits HubSpot's response headers reported,
// as last seen: what the account really has, whatever tier was configured.
type ObservedLimits struct {
	// BurstMax requests per BurstInterval, BurstRemaining of them left
	// (X-HubSpot-RateLimit-Max, -Interval-Milliseconds, -Remaining); zero
	// until a response carried them.
	BurstMax       int
	BurstInterval  time.Duration
	BurstRemaining int
	// Daily is the daily allowance and DailyRemaining what was left
	// (X-HubSpot-RateLimit-Daily, -Daily-Remaining). Zero when no response
	// carried them, which is normal for OAuth apps: they have no daily cap.
	Daily          int
	DailyRemaining int
	// SeenAt is when a response last carried rate headers; zero: never.
	SeenAt time.Time
}

// record keeps the figures of the rate headers a response carried.
func (g *Governor) record(h http.Header) {
	burstMax, okMax := httpx.HeaderInt(h, hdrMax)
	interval, okInterval := httpx.HeaderInt(h, hdrInterval)
	remaining, okRemaining := httpx.HeaderInt(h, hdrRemaining)
	daily, okDaily := httpx.HeaderInt(h, hdrDaily)
	dailyRemaining, okDailyRemaining := httpx.HeaderInt(h, hdrDailyRemaining)
	if !okMax && !okDaily {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	o := &g.observed
	if okMax {
		o.BurstMax = burstMax
		if okInterval {
			o.BurstInterval = time.Duration(interval) * time.Millisecond
		}
		if okRemaining {
			o.BurstRemaining = remaining
		}
	}
	if okDaily {
		o.Daily = daily
		if okDailyRemaining {
			o.DailyRemaining = dailyRemaining
		}
	}
	o.SeenAt = g.clock.Now()
}

// Observed returns the rate limits the server reported last.
func (g *Governor) Observed() ObservedLimits {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.observed
}

func (g *Governor) dailyBudget() *httpx.DailyBudget {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.daily
}

// adoptDaily rebuilds the daily budget when the server's allowance differs
// from ours (a wrong tier, an add-on), carrying over today's count.
func (g *Governor) adoptDaily(limit int) *httpx.DailyBudget {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.daily == nil || limit == g.dailyLimit {
		return g.daily
	}
	used := g.daily.Status().Used
	d := httpx.NewDailyBudget(limit, g.settings.reserve(limit), g.settings.dailyLocation, g.clock)
	d.Observe(limit, max(limit-used, 0))
	g.daily, g.dailyLimit = d, limit
	return d
}

// adoptBurst rebuilds the burst window when the server's figures differ from
// ours, carrying over the requests already in the current window.
func (g *Governor) adoptBurst(serverMax int, period time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if serverMax == g.burstMax && period == g.burstPeriod {
		return
	}
	used := g.burst.Used()
	w := g.settings.share(httpx.NewWindow(safeLimit(serverMax), safePeriod(period), g.clock), budgetStandard)
	if !w.Shared() { // a shared window's slots are in its store already
		w.Observe(max(w.Limit()-used, 0))
	}
	g.burst, g.burstMax, g.burstPeriod = w, serverMax, period
	g.sent.grow(serverMax)
}

// sendLog is a ring of the times our burst-budget calls were scheduled, in
// order (the window hands out slots first come, first served, and the log
// is written under the same lock as the reservation).
type sendLog struct {
	at   []time.Time // at[next] is the oldest
	next int
}

// newSendLog keeps enough entries to cover a few windows of limit calls.
func newSendLog(limit int) sendLog {
	return sendLog{at: make([]time.Time, 4*max(limit, 1))}
}

func (l *sendLog) add(t time.Time) {
	if newest := l.at[(l.next+len(l.at)-1)%len(l.at)]; t.Before(newest) {
		t = newest // keep the ring sorted despite clock reads a hair apart
	}
	l.at[l.next] = t
	l.next = (l.next + 1) % len(l.at)
}

// count returns how many entries lie in (from, to].
func (l *sendLog) count(from, to time.Time) int {
	n := len(l.at)
	at := func(i int) time.Time { return l.at[(l.next+i)%n] }
	lo := sort.Search(n, func(i int) bool { return at(i).After(from) })
	hi := sort.Search(n, func(i int) bool { return at(i).After(to) })
	return max(hi-lo, 0)
}

// grow enlarges the ring for a larger limit, keeping its entries in order
// behind the new, empty (zero, so oldest) slots.
func (l *sendLog) grow(limit int) {
	size := 4 * max(limit, 1)
	if size <= len(l.at) {
		return
	}
	at := make([]time.Time, size-len(l.at), size)
	for i := range l.at {
		at = append(at, l.at[(l.next+i)%len(l.at)])
	}
	l.at, l.next = at, 0
}

// rateLimited holds back the budget a 429 was about, so the calls queued
// behind this one do not run into the same wall, and fills in the wait of a
// DAILY 429, which only the governor can compute.
func (g *Governor) rateLimited(b budget, e *httpx.Error) {
	g.limited.Add(1)
	now := g.clock.Now()
	switch {
	case e.Code == PolicyDaily:
		if daily := g.dailyBudget(); daily != nil {
			st := daily.Status()
			daily.Observe(st.Limit, 0)
			if e.RetryAfter == 0 {
				e.RetryAfter = st.ResetAt.Sub(now)
			}
		}
		if e.RetryAfter == 0 {
			e.RetryAfter = untilUTCMidnight(now)
		}
	case b == budgetSearch || e.Code == PolicySecondly:
		g.search.BlockUntil(now.Add(e.RetryAfter))
	default:
		g.window(budgetStandard).BlockUntil(now.Add(e.RetryAfter))
	}
}

func untilUTCMidnight(now time.Time) time.Duration {
	y, m, d := now.UTC().Date()
	return time.Date(y, m, d+1, 0, 0, 0, 0, time.UTC).Sub(now)
}

// GovernorStats is a snapshot for status displays and metrics.
type GovernorStats struct {
	// Daily budget; DailyLimit is zero when no daily cap applies.
	DailyUsed, DailyLimit int
	DailyResetAt          time.Time
	// Burst window as the governor runs it (below the server's figures);
	// with shared windows, Used is this process's own share.
	BurstUsed, BurstLimit int
	BurstPeriod           time.Duration
	// Search window.
	SearchUsed, SearchLimit int
	// Throttled counts calls that had to wait for a slot, for ThrottledFor in total.
	Throttled    int64
	ThrottledFor time.Duration
	// RefusedDaily counts calls refused locally because the day's budget was spent.
	RefusedDaily int64
	// RateLimited counts 429s HubSpot answered despite the governor: other
	// processes on the same budget, or a wrong tier.
	RateLimited int64
}

// Stats reports the budgets as they stand.
func (g *Governor) Stats() GovernorStats {
	burst := g.window(budgetStandard)
	s := GovernorStats{
		BurstUsed:    burst.Used(),
		BurstLimit:   burst.Limit(),
		BurstPeriod:  burst.Period(),
		SearchUsed:   g.search.Used(),
		SearchLimit:  g.search.Limit(),
		Throttled:    g.throttled.Load(),
		ThrottledFor: time.Duration(g.waitedNanos.Load()),
		RefusedDaily: g.refusedDaily.Load(),
		RateLimited:  g.limited.Load(),
	}
	if daily := g.dailyBudget(); daily != nil {
		d := daily.Status()
		s.DailyUsed, s.DailyLimit, s.DailyResetAt = d.Used, d.Limit, d.ResetAt
	}
	return s
}
