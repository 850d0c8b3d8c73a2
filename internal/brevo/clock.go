package brevo

import (
	"net/http"
	"sync"
	"time"
)

// serverClock estimates Brevo's clock from the Date headers of its
// responses: modifiedSince filters compare with Brevo's timestamps, and a
// skewed local clock would skip contacts or re-read many.
type serverClock struct {
	mu     sync.Mutex
	date   time.Time // the last Date header
	seenAt time.Time // local (monotonic) time it arrived
}

func (s *serverClock) observe(h http.Header) {
	d, err := http.ParseTime(h.Get("Date"))
	if err != nil {
		return
	}
	s.mu.Lock()
	s.date, s.seenAt = d, time.Now()
	s.mu.Unlock()
}

// ServerNow is Brevo's current time as far as its responses tell (Date has
// a resolution of one second), or the local time before any response.
func (c *Client) ServerNow() time.Time {
	c.clock.mu.Lock()
	defer c.clock.mu.Unlock()
	if c.clock.date.IsZero() {
		return time.Now().UTC()
	}
	return c.clock.date.Add(time.Since(c.clock.seenAt)).UTC()
}
