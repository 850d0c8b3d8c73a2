package httpx

import (
	"context"
	"sort"
	"sync"
	"time"
)

// Clock is the time source of the governor; tests replace it.
type Clock interface {
	Now() time.Time
	// Sleep waits for d or until ctx is done.
	Sleep(ctx context.Context, d time.Duration) error
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// RealClock is the wall clock.
var RealClock Clock = realClock{}

// Window is a rolling-window rate limiter: at most Limit requests are sent in
// any interval of length Period. HubSpot's burst limit is such a rolling
// window (policy TEN_SECONDLY_ROLLING), so a token bucket, which allows a
// full bucket plus its refill inside one window, would overshoot; a log of
// the last Limit send times cannot.
//
// Reservations are handed out in FIFO order and each caller sleeps until its
// own slot, so waiting callers do not stampede when the window frees up.
//
// A window is this process's alone unless Share hands it to a
// SharedWindows, which several workers spend together.
type Window struct {
	limit  int
	period time.Duration
	// spacing, when set (Paced), keeps consecutive slots that far apart.
	spacing time.Duration
	clock   Clock
	// shared, when set, keeps the window under key for every process that
	// shares it; the ring below then holds this process's own slots only.
	shared SharedWindows
	key    string

	mu sync.Mutex
	// sent holds the scheduled send times of the last `limit` reservations,
	// in a ring; sent[next] is the oldest. Times never decrease in ring order.
	sent []time.Time
	next int
	last time.Time
	// blockedUntil holds every reservation back, e.g. after the server said
	// the budget is spent until a reset.
	blockedUntil time.Time
}

// SharedWindows keeps rolling windows that several processes spend
// together, one per key (a budget of one account: "hubspot/<connection>/
// burst"). The PostgreSQL store implements it. Its clock is its own:
// callers get and give durations, so the hosts' clocks need not agree.
type SharedWindows interface {
	// Reserve books the next slot of key within rate, none sooner than
	// after from now, and returns how long the caller waits before sending.
	Reserve(ctx context.Context, key string, rate Rate, after time.Duration) (time.Duration, error)
	// Book records n slots used now that nobody reserved (another tool
	// on the same account, seen in a server's rate headers).
	Book(ctx context.Context, key string, n int) error
	// Count is how many slots of key lie in the last within, up to now.
	Count(ctx context.Context, key string, within time.Duration) (int, error)
}

// Rate is the shape of a window: at most Limit slots in any interval of
// length Period, and consecutive slots at least Spacing apart (0: slots
// may come all at once).
type Rate struct {
	Limit   int
	Period  time.Duration
	Spacing time.Duration
}

// sharedTimeout bounds the shared store's bookkeeping after a response,
// which has no caller's context to end it.
const sharedTimeout = 5 * time.Second

// NewWindow returns a limiter allowing limit requests per period.
func NewWindow(limit int, period time.Duration, clock Clock) *Window {
	if limit < 1 {
		limit = 1
	}
	if clock == nil {
		clock = RealClock
	}
	return &Window{limit: limit, period: period, clock: clock, sent: make([]time.Time, limit)}
}

// Paced spreads the window's slots evenly, one every period/limit, instead
// of letting a full window go at once. Its rate is the same, but a window
// that goes at once has only the period's padding as its margin: calls
// delayed on the way (a busy host, the network) by more than that arrive
// together with the next window's and overrun a per-second limit. Paced,
// a call may be delayed by almost a whole spacing.
func (w *Window) Paced() *Window {
	w.spacing = w.period / time.Duration(w.limit)
	return w
}

// Share makes w one process's part of the window s keeps under key: from
// now on slots are reserved there, so every process sharing the key paces
// against the same slots. Call it before the window is used.
func (w *Window) Share(s SharedWindows, key string) *Window {
	w.shared, w.key = s, key
	return w
}

// Shared reports whether the window is kept in a SharedWindows.
func (w *Window) Shared() bool { return w.shared != nil }

// Limit is the number of requests allowed per period.
func (w *Window) Limit() int { return w.limit }

// Period is the length of the rolling window.
func (w *Window) Period() time.Duration { return w.period }

// Reserve books the next free slot and returns how long the caller must wait
// before sending. Only a shared window can fail: its store did not answer.
func (w *Window) Reserve(ctx context.Context) (time.Duration, error) {
	if w.shared == nil {
		w.mu.Lock()
		defer w.mu.Unlock()
		return w.reserveLocked(w.clock.Now()), nil
	}
	w.mu.Lock()
	blocked := max(w.blockedUntil.Sub(w.clock.Now()), 0)
	w.mu.Unlock()
	d, err := w.shared.Reserve(ctx, w.key, Rate{Limit: w.limit, Period: w.period, Spacing: w.spacing}, blocked)
	if err != nil {
		return 0, err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	now := w.clock.Now()
	w.appendLocked(now.Add(d))
	return d, nil
}

func (w *Window) reserveLocked(now time.Time) time.Duration {
	at := now
	if oldest := w.sent[w.next]; !oldest.IsZero() {
		at = later(at, oldest.Add(w.period))
	}
	at = later(at, w.last)
	if !w.last.IsZero() {
		at = later(at, w.last.Add(w.spacing))
	}
	at = later(at, w.blockedUntil)
	w.appendLocked(at)
	return at.Sub(now)
}

// appendLocked writes a slot into the ring, keeping it sorted.
func (w *Window) appendLocked(at time.Time) {
	at = later(at, w.last)
	w.sent[w.next] = at
	w.next = (w.next + 1) % w.limit
	w.last = at
}

// Wait blocks until a slot is free. The slot stays booked if ctx ends first,
// which errs on the side of sending less.
func (w *Window) Wait(ctx context.Context) (time.Duration, error) {
	d, err := w.Reserve(ctx)
	if err != nil {
		return 0, err
	}
	return d, w.clock.Sleep(ctx, d)
}

// Used counts the reservations whose send time falls in the window ending
// now; of a shared window, this process's own.
func (w *Window) Used() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.usedInLocked(w.clock.Now(), w.period)
}

func (w *Window) usedInLocked(now time.Time, within time.Duration) int {
	from := now.Add(-within)
	// The ring, read from the oldest entry, is sorted; count the entries in
	// (from, now] with two binary searches.
	at := func(i int) time.Time { return w.sent[(w.next+i)%w.limit] }
	lo := sort.Search(w.limit, func(i int) bool { return at(i).After(from) })
	hi := sort.Search(w.limit, func(i int) bool { return at(i).After(now) })
	return hi - lo
}

// Observe reconciles the local view with what the server reported: remaining
// requests in the current window. Other processes sharing the same budget
// (a second worker, another app on the same token) use slots we did not
// book; the difference is booked as if sent now, so it expires one period
// later, just as the server's count will.
func (w *Window) Observe(remaining int) {
	if remaining < 0 {
		return
	}
	w.BookUnexplained(w.limit-remaining, w.period)
}

// BookUnexplained books, as sent now, the part of used (the requests the
// server counted over the last within) that the window's slots do not
// account for. Of a shared window, every sharing process's slots count as
// explained: only another tool's use is booked, in the shared store. The
// shared store is asked only when this process's own slots fall short, and
// a store that does not answer leaves the window as it is (the server's
// 429s, which are retried, then say the rest).
func (w *Window) BookUnexplained(used int, within time.Duration) {
	w.mu.Lock()
	now := w.clock.Now()
	deficit := used - w.usedInLocked(now, within)
	if w.shared == nil || deficit <= 0 {
		for ; deficit > 0; deficit-- {
			w.appendLocked(now)
		}
		w.mu.Unlock()
		return
	}
	w.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), sharedTimeout)
	defer cancel()
	booked, err := w.shared.Count(ctx, w.key, within)
	if err != nil || used-booked <= 0 {
		return
	}
	_ = w.shared.Book(ctx, w.key, used-booked)
}

// BlockUntil holds back every request until t.
func (w *Window) BlockUntil(t time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.blockedUntil = later(w.blockedUntil, t)
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// DailyBudget counts calls against a daily allowance that resets at
// midnight in a given location. It never sleeps: when the budget is spent it
// says so with the time of the reset, and the caller (a Temporal activity)
// turns that into a retry after that delay, so a workflow waits visibly
// instead of holding a goroutine for hours.
type DailyBudget struct {
	limit int
	// reserve is held back for people and other tools using the same account.
	reserve int
	loc     *time.Location
	clock   Clock

	mu      sync.Mutex
	used    int
	resetAt time.Time
}

// NewDailyBudget allows limit calls a day, keeping reserve of them unused.
func NewDailyBudget(limit, reserve int, loc *time.Location, clock Clock) *DailyBudget {
	if loc == nil {
		loc = time.UTC
	}
	if clock == nil {
		clock = RealClock
	}
	b := &DailyBudget{limit: limit, reserve: reserve, loc: loc, clock: clock}
	b.resetAt = b.nextMidnight(clock.Now())
	return b
}

func (b *DailyBudget) nextMidnight(now time.Time) time.Time {
	y, m, d := now.In(b.loc).Date()
	return time.Date(y, m, d+1, 0, 0, 0, 0, b.loc)
}

func (b *DailyBudget) rollLocked(now time.Time) {
	if !now.Before(b.resetAt) {
		b.used = 0
		b.resetAt = b.nextMidnight(now)
	}
}

// Take books one call. When the budget is spent it returns false and the time
// until it resets.
func (b *DailyBudget) Take() (ok bool, untilReset time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.clock.Now()
	b.rollLocked(now)
	if b.used >= b.limit-b.reserve {
		return false, b.resetAt.Sub(now)
	}
	b.used++
	return true, 0
}

// Observe adopts the server's count when it is higher than ours (other
// processes spend the same budget).
func (b *DailyBudget) Observe(limit, remaining int) {
	if limit <= 0 || remaining < 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.rollLocked(b.clock.Now())
	b.limit = limit
	if used := limit - remaining; used > b.used {
		b.used = used
	}
}

// Status is a snapshot for status displays and metrics.
type DailyStatus struct {
	Limit, Used int
	ResetAt     time.Time
}

// Status reports the budget as it stands.
func (b *DailyBudget) Status() DailyStatus {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.rollLocked(b.clock.Now())
	return DailyStatus{Limit: b.limit, Used: b.used, ResetAt: b.resetAt}
}
