package httpx

import (
	"context"
	"testing"
	"time"

	"hubspot-brevo-sync/internal/clocktest"
)

// maxInAnyWindow returns the largest number of times falling in any
// half-open interval of length period.
func maxInAnyWindow(times []time.Time, period time.Duration) int {
	best := 0
	for i := range times {
		n := 0
		for j := i; j < len(times) && times[j].Sub(times[i]) < period; j++ {
			n++
		}
		best = max(best, n)
	}
	return best
}

func TestWindowNeverExceedsLimitInAnyRollingWindow(t *testing.T) {
	clock := clocktest.New(time.Date(2026, 11, 28, 23, 0, 0, 0, time.UTC))
	w := NewWindow(10, time.Second, clock)
	var sent []time.Time
	for i := 0; i < 95; i++ {
		if _, err := w.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
		sent = append(sent, clock.Now())
		clock.Advance(7 * time.Millisecond) // callers do some work between calls
	}
	if got := maxInAnyWindow(sent, time.Second); got > 10 {
		t.Fatalf("%d requests in one rolling second, limit 10", got)
	}
	// 95 calls at 10/s cannot finish in less than 9 full windows.
	if took := sent[len(sent)-1].Sub(sent[0]); took < 9*time.Second {
		t.Fatalf("95 calls took %s, faster than the limit allows", took)
	}
}

func TestWindowReservationsAreFIFO(t *testing.T) {
	clock := clocktest.New(time.Date(2026, 11, 28, 23, 0, 0, 0, time.UTC))
	w := NewWindow(2, time.Second, clock)
	var delays []time.Duration
	for i := 0; i < 5; i++ {
		delays = append(delays, reserve(w))
	}
	want := []time.Duration{0, 0, time.Second, time.Second, 2 * time.Second}
	for i := range want {
		if delays[i] != want[i] {
			t.Fatalf("delays = %v, want %v", delays, want)
		}
	}
}

func TestWindowObserveBooksSlotsUsedElsewhere(t *testing.T) {
	clock := clocktest.New(time.Date(2026, 11, 28, 23, 0, 0, 0, time.UTC))
	w := NewWindow(10, time.Second, clock)
	reserve(w)
	// The server says only 2 remain: 7 slots went to another process.
	w.Observe(2)
	if used := w.Used(); used != 8 {
		t.Fatalf("used = %d after observing 2 remaining, want 8", used)
	}
	if d := reserve(w); d != 0 {
		t.Fatalf("9th slot delayed by %s", d)
	}
	reserve(w)
	if d := reserve(w); d != time.Second {
		t.Fatalf("11th slot delayed by %s, want 1s", d)
	}
	// A higher remaining than ours changes nothing. (The 11th slot lies in
	// the future and does not count yet.)
	w.Observe(10)
	if used := w.Used(); used != 9 {
		t.Fatalf("used = %d, want 9", used)
	}
}

func TestWindowBlockUntil(t *testing.T) {
	clock := clocktest.New(time.Date(2026, 11, 28, 23, 0, 0, 0, time.UTC))
	w := NewWindow(100, time.Second, clock)
	w.BlockUntil(clock.Now().Add(30 * time.Second))
	if d := reserve(w); d != 30*time.Second {
		t.Fatalf("delay = %s, want 30s", d)
	}
}

func TestDailyBudgetStopsAtReserveAndResetsAtMidnight(t *testing.T) {
	clock := clocktest.New(time.Date(2026, 11, 28, 23, 0, 0, 0, time.UTC)) // 23:00 UTC
	b := NewDailyBudget(10, 2, time.UTC, clock)
	for i := 0; i < 8; i++ {
		if ok, _ := b.Take(); !ok {
			t.Fatalf("call %d refused", i+1)
		}
	}
	ok, wait := b.Take()
	if ok || wait != time.Hour {
		t.Fatalf("9th call: ok=%v wait=%s, want refused until midnight (1h)", ok, wait)
	}
	clock.Advance(time.Hour)
	if ok, _ := b.Take(); !ok {
		t.Fatal("budget did not reset at midnight")
	}
	if st := b.Status(); st.Used != 1 || !st.ResetAt.Equal(time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("status %+v", st)
	}
}

func TestDailyBudgetAdoptsServerCount(t *testing.T) {
	clock := clocktest.New(time.Date(2026, 11, 28, 23, 0, 0, 0, time.UTC))
	b := NewDailyBudget(1000, 0, time.UTC, clock)
	b.Observe(500, 1)
	if ok, _ := b.Take(); !ok {
		t.Fatal("last call refused")
	}
	if ok, _ := b.Take(); ok {
		t.Fatal("call beyond the server's daily limit allowed")
	}
}

func reserve(w *Window) time.Duration {
	d, _ := w.Reserve(context.Background())
	return d
}

// memShared is a SharedWindows kept in memory on a test clock: the slots
// of each key, in order.
type memShared struct {
	clock *clocktest.Clock
	slots map[string][]time.Time
}

func (m *memShared) Reserve(_ context.Context, key string, r Rate, after time.Duration) (time.Duration, error) {
	now := m.clock.Now()
	at := now.Add(after)
	s := m.slots[key]
	if n := len(s); n > 0 {
		at = later(at, s[n-1].Add(r.Spacing))
		if n >= r.Limit {
			at = later(at, s[n-r.Limit].Add(r.Period))
		}
	}
	m.slots[key] = append(s, at)
	return at.Sub(now), nil
}

func (m *memShared) Book(_ context.Context, key string, n int) error {
	for ; n > 0; n-- {
		at := m.clock.Now()
		if s := m.slots[key]; len(s) > 0 {
			at = later(at, s[len(s)-1])
		}
		m.slots[key] = append(m.slots[key], at)
	}
	return nil
}

func (m *memShared) Count(_ context.Context, key string, within time.Duration) (int, error) {
	now, n := m.clock.Now(), 0
	for _, at := range m.slots[key] {
		if at.After(now.Add(-within)) && !at.After(now) {
			n++
		}
	}
	return n, nil
}

func TestSharedWindowsPaceEveryProcessTogether(t *testing.T) {
	clock := clocktest.New(time.Date(2026, 11, 28, 23, 0, 0, 0, time.UTC))
	shared := &memShared{clock: clock, slots: map[string][]time.Time{}}
	a := NewWindow(4, time.Second, clock).Share(shared, "k")
	b := NewWindow(4, time.Second, clock).Share(shared, "k")
	other := NewWindow(4, time.Second, clock).Share(shared, "another budget")
	var delays []time.Duration
	for i := 0; i < 3; i++ {
		delays = append(delays, reserve(a), reserve(b))
	}
	want := []time.Duration{0, 0, 0, 0, time.Second, time.Second}
	for i := range want {
		if delays[i] != want[i] {
			t.Fatalf("delays = %v, want %v: the two windows spend one budget", delays, want)
		}
	}
	if d := reserve(other); d != 0 {
		t.Fatalf("a window of another key waited %s", d)
	}
	if used := a.Used(); used != 2 {
		t.Fatalf("a's used = %d, want its own 2 slots in the window", used)
	}
}

func TestSharedWindowBooksOnlyWhatNoSharerReserved(t *testing.T) {
	clock := clocktest.New(time.Date(2026, 11, 28, 23, 0, 0, 0, time.UTC))
	shared := &memShared{clock: clock, slots: map[string][]time.Time{}}
	a := NewWindow(10, time.Second, clock).Share(shared, "k")
	b := NewWindow(10, time.Second, clock).Share(shared, "k")
	for i := 0; i < 3; i++ {
		reserve(a)
		reserve(b)
	}
	// The server counted 6: a's 3 and b's 3, none another tool's.
	a.Observe(10 - 6)
	if n, _ := shared.Count(context.Background(), "k", time.Second); n != 6 {
		t.Fatalf("%d slots after observing only the sharers' use, want 6", n)
	}
	// It counts 8: 2 came from elsewhere, booked once for every sharer.
	a.Observe(10 - 8)
	b.Observe(10 - 8)
	if n, _ := shared.Count(context.Background(), "k", time.Second); n != 8 {
		t.Fatalf("%d slots after observing 2 foreign calls, want 8", n)
	}
	if d := reserve(b); d != 0 {
		t.Fatalf("9th slot delayed by %s", d)
	}
	reserve(b)
	if d := reserve(a); d != time.Second {
		t.Fatalf("11th slot delayed by %s, want 1s", d)
	}
}

// TestPacedWindowSpreadsItsSlots: a paced window hands out its slots one
// spacing apart, alone and shared, at the same rate as an unpaced one.
func TestPacedWindowSpreadsItsSlots(t *testing.T) {
	clock := clocktest.New(time.Date(2026, 11, 28, 23, 0, 0, 0, time.UTC))
	shared := &memShared{clock: clock, slots: map[string][]time.Time{}}
	for name, w := range map[string]*Window{
		"alone":  NewWindow(4, time.Second, clock).Paced(),
		"shared": NewWindow(4, time.Second, clock).Paced().Share(shared, "k"),
	} {
		var delays []time.Duration
		for range 5 {
			delays = append(delays, reserve(w))
		}
		want := []time.Duration{0, 250 * time.Millisecond, 500 * time.Millisecond, 750 * time.Millisecond, time.Second}
		for i := range want {
			if delays[i] != want[i] {
				t.Fatalf("%s: delays = %v, want %v", name, delays, want)
			}
		}
	}
}
