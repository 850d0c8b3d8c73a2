package sandbox

import (
	"sync"
	"time"
)

// rollingLimit emulates a server-side rolling-window limit: a request is
// admitted when fewer than limit requests were admitted in the last period.
type rollingLimit struct {
	limit  int
	period time.Duration

	mu       sync.Mutex
	admitted []time.Time // admission times, oldest first
}

func newRollingLimit(limit int, period time.Duration) *rollingLimit {
	return &rollingLimit{limit: limit, period: period}
}

// admit records a request at now if the window has room. It returns the
// requests remaining in the window after this one and how long until the
// oldest admitted request leaves the window.
func (l *rollingLimit) admit(now time.Time) (ok bool, remaining int, resetIn time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	cut := now.Add(-l.period)
	i := 0
	for i < len(l.admitted) && !l.admitted[i].After(cut) {
		i++
	}
	l.admitted = l.admitted[i:]
	if len(l.admitted) > 0 {
		resetIn = l.admitted[0].Add(l.period).Sub(now)
	}
	if len(l.admitted) >= l.limit {
		return false, 0, resetIn
	}
	l.admitted = append(l.admitted, now)
	if resetIn == 0 {
		resetIn = l.period
	}
	return true, l.limit - len(l.admitted), resetIn
}
