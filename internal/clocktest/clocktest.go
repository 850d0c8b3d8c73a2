// Package clocktest provides the manual clock the tests of the governors,
// clients and emulators share: it moves only when advanced or when somebody
// sleeps on it, so a test sees the exact schedule the code computes. It
// satisfies httpx.Clock and the emulators' Now funcs.
package clocktest

import (
	"context"
	"sync"
	"time"
)

// Clock is a manual, goroutine-safe clock.
type Clock struct {
	mu    sync.Mutex
	now   time.Time
	slept []time.Duration
}

// New returns a clock standing at start.
func New(start time.Time) *Clock { return &Clock{now: start} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Sleep advances the clock by d at once and records the sleep.
func (c *Clock) Sleep(ctx context.Context, d time.Duration) error {
	if d > 0 {
		c.mu.Lock()
		c.now = c.now.Add(d)
		c.slept = append(c.slept, d)
		c.mu.Unlock()
	}
	return ctx.Err()
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	if d <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Slept lists the sleeps so far.
func (c *Clock) Slept() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.slept...)
}

// SleptFor sums the sleeps so far.
func (c *Clock) SleptFor() time.Duration {
	var total time.Duration
	for _, d := range c.Slept() {
		total += d
	}
	return total
}
