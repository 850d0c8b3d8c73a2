package hubspot

import (
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hubspot-brevo-sync/internal/clocktest"
	"hubspot-brevo-sync/internal/httpx"
)

// take is acquire of a daily-capped (private app) call without the slot time.
func take(g *Governor, ctx context.Context, b budget, op string) error {
	_, err := g.acquire(ctx, b, op, true)
	return err
}

func rateHeaders(max, remaining, intervalMS int) http.Header {
	h := http.Header{}
	h.Set(hdrMax, strconv.Itoa(max))
	h.Set(hdrRemaining, strconv.Itoa(remaining))
	h.Set(hdrInterval, strconv.Itoa(intervalMS))
	return h
}

func TestGovernorDailyBudgetRefusesUntilMidnight(t *testing.T) {
	clock := clocktest.New(time.Date(2026, 5, 4, 23, 0, 0, 0, time.UTC))
	g := NewGovernor(Limits{Burst: 1000, BurstPeriod: time.Second, Daily: 50}, clock, WithDailyReserve(0))
	ctx := context.Background()
	for i := 0; i < 50; i++ {
		require.NoError(t, take(g, ctx, budgetStandard, "lists.get"))
	}
	err := take(g, ctx, budgetSearch, "contacts.search")
	e, ok := httpx.AsError(err)
	require.True(t, ok, "got %v", err)
	assert.Equal(t, httpx.KindRateLimited, e.Kind)
	assert.Equal(t, PolicyDaily, e.Code)
	assert.Equal(t, time.Hour, e.RetryAfter, "until UTC midnight")
	assert.Equal(t, 0, e.Status, "refused without calling the server")
	st := g.Stats()
	assert.Equal(t, 50, st.DailyUsed)
	assert.Equal(t, int64(1), st.RefusedDaily)
	assert.Equal(t, time.Date(2026, 5, 5, 0, 0, 0, 0, time.UTC), st.DailyResetAt)

	clock.Advance(time.Hour)
	assert.NoError(t, take(g, ctx, budgetStandard, "lists.get"), "a new day, a new budget")
}

func TestGovernorDailyReserveAndLocation(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no time zone data")
	}
	clock := clocktest.New(time.Date(2026, 5, 4, 21, 0, 0, 0, time.UTC)) // 23:00 in Berlin
	g := NewGovernor(Limits{Burst: 1_000_000, BurstPeriod: time.Second, Daily: 1000}, clock, WithDailyLocation(berlin))
	ctx := context.Background()
	n := 0
	for take(g, ctx, budgetStandard, "x") == nil {
		n++
	}
	assert.Equal(t, 990, n, "1% is kept in reserve by default")
	err = take(g, ctx, budgetStandard, "x")
	e, _ := httpx.AsError(err)
	require.NotNil(t, e)
	assert.Equal(t, time.Hour, e.RetryAfter, "until midnight in the account's time zone")
}

func TestGovernorDailyFollowsHeadersAndServer429(t *testing.T) {
	clock := clocktest.New(time.Date(2026, 5, 4, 20, 0, 0, 0, time.UTC))
	g := NewGovernor(Limits{Daily: 250_000}, clock)
	h := rateHeaders(100, 99, 10_000)
	h.Set(hdrDaily, "250000")
	h.Set(hdrDailyRemaining, "2500") // other tools spent the rest
	g.observe(budgetStandard, h, clock.Now())
	err := take(g, context.Background(), budgetStandard, "x")
	require.Error(t, err, "2,500 left is the reserve")

	g2 := NewGovernor(Limits{}, clock)
	e := &httpx.Error{Kind: httpx.KindRateLimited, Code: PolicyDaily}
	g2.rateLimited(budgetStandard, e)
	assert.Equal(t, 4*time.Hour, e.RetryAfter, "a DAILY 429 waits for the reset")
	assert.Error(t, take(g2, context.Background(), budgetStandard, "x"))
}

func TestGovernorObservedLowerRemainingSlowsDown(t *testing.T) {
	clock := clocktest.New(time.Date(2026, 5, 4, 12, 0, 0, 0, time.UTC))
	g := NewGovernor(Limits{Burst: 100, BurstPeriod: 10 * time.Second, Daily: 1_000_000}, clock)
	ctx := context.Background()
	require.Equal(t, 95, g.Stats().BurstLimit, "5% below the published limit")
	require.Equal(t, 10500*time.Millisecond, g.Stats().BurstPeriod)

	// The server says 10 of 100 are left: someone else used 90. Our own
	// margin of 5 leaves 5 calls before we must wait for the window.
	g.observe(budgetStandard, rateHeaders(100, 10, 10_000), clock.Now())
	for i := 0; i < 5; i++ {
		require.NoError(t, take(g, ctx, budgetStandard, "x"))
	}
	assert.Empty(t, clock.Slept(), "no waiting while budget is left")
	require.NoError(t, take(g, ctx, budgetStandard, "x"))
	slept := clock.Slept()
	require.Len(t, slept, 1)
	assert.InDelta(t, (10500 * time.Millisecond).Seconds(), slept[0].Seconds(), 0.01, "the sixth call waits a window")

	// Without the observation all 95 go at once.
	clock2 := clocktest.New(clock.Now())
	g2 := NewGovernor(Limits{Burst: 100, BurstPeriod: 10 * time.Second}, clock2)
	for i := 0; i < 95; i++ {
		require.NoError(t, take(g2, ctx, budgetStandard, "x"))
	}
	assert.Empty(t, clock2.Slept())
	require.NoError(t, take(g2, ctx, budgetStandard, "x"))
	assert.Len(t, clock2.Slept(), 1)
}

func TestGovernorAdoptsServerFigures(t *testing.T) {
	clock := clocktest.New(time.Date(2026, 5, 4, 12, 0, 0, 0, time.UTC))
	g := NewGovernor(Limits{Burst: 190, BurstPeriod: 10 * time.Second}, clock)
	g.observe(budgetStandard, rateHeaders(20, 19, 2_000), clock.Now())
	st := g.Stats()
	assert.Equal(t, 19, st.BurstLimit)
	assert.Equal(t, 2100*time.Millisecond, st.BurstPeriod)
	assert.Equal(t, 1, st.BurstUsed, "the call the server counted carries over")
}

func TestGovernorSearchBudgetAndBlocks(t *testing.T) {
	clock := clocktest.New(time.Date(2026, 5, 4, 12, 0, 0, 0, time.UTC))
	g := NewGovernor(Limits{}, clock)
	ctx := context.Background()
	for i := 0; i < 5; i++ {
		require.NoError(t, take(g, ctx, budgetSearch, "contacts.search"))
	}
	// 4 of the 5 searches a second, paced: one every 1.05 s / 4.
	assert.Equal(t, []time.Duration{262500 * time.Microsecond, 262500 * time.Microsecond, 262500 * time.Microsecond, 262500 * time.Microsecond}, clock.Slept())
	assert.Equal(t, 0, g.Stats().BurstUsed, "search does not spend the burst window")

	// A TEN_SECONDLY 429 holds the burst window back for its RetryAfter.
	e := &httpx.Error{Kind: httpx.KindRateLimited, Code: PolicyTenSecondly, RetryAfter: 10 * time.Second}
	g.rateLimited(budgetStandard, e)
	require.NoError(t, take(g, ctx, budgetStandard, "lists.get"))
	slept := clock.Slept()
	assert.Equal(t, 10*time.Second, slept[len(slept)-1])
	assert.Equal(t, int64(1), g.Stats().RateLimited)
}

func TestGovernorWaitHonoursContext(t *testing.T) {
	g := NewGovernor(Limits{Burst: 2, BurstPeriod: time.Hour}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	require.NoError(t, take(g, ctx, budgetStandard, "x"))
	err := take(g, ctx, budgetStandard, "x")
	e, ok := httpx.AsError(err)
	require.True(t, ok)
	assert.Equal(t, httpx.KindTransient, e.Kind, "a deadline, not a cancellation")
}

func TestGovernorAdoptsServerDailyAllowance(t *testing.T) {
	clock := clocktest.New(time.Date(2026, 5, 4, 12, 0, 0, 0, time.UTC))
	g := NewGovernor(Limits{Daily: 100_000_000}, clock) // configured for a bigger plan than the account has
	h := rateHeaders(100, 99, 10_000)
	h.Set(hdrDaily, "1000000")
	h.Set(hdrDailyRemaining, "999000")
	g.observe(budgetStandard, h, clock.Now())
	st := g.Stats()
	assert.Equal(t, 1_000_000, st.DailyLimit)
	assert.Equal(t, 1_000, st.DailyUsed)
	// The reserve follows the real allowance (1% of 1,000,000, not of 100,000,000).
	assert.NoError(t, take(g, context.Background(), budgetStandard, "x"))
}

func TestSendLogCountsAcrossGrowth(t *testing.T) {
	base := time.Date(2026, 5, 4, 12, 0, 0, 0, time.UTC)
	l := newSendLog(2) // 8 slots
	for i := 0; i < 10; i++ {
		l.add(base.Add(time.Duration(i) * time.Second))
	}
	assert.Equal(t, 8, l.count(time.Time{}, base.Add(time.Hour)), "the ring keeps the newest 8")
	assert.Equal(t, 3, l.count(base.Add(6*time.Second), base.Add(9*time.Second)))
	l.add(base) // out of order: clamped to the newest
	assert.Equal(t, 2, l.count(base.Add(8*time.Second), base.Add(9*time.Second)))
	l.grow(5)
	assert.Equal(t, 8, l.count(time.Time{}, base.Add(time.Hour)), "growth keeps the entries")
	for i := 0; i < 12; i++ {
		l.add(base.Add(time.Minute + time.Duration(i)*time.Second))
	}
	assert.Equal(t, 20, l.count(time.Time{}, base.Add(time.Hour)))
	assert.Equal(t, 12, l.count(base.Add(time.Minute-time.Millisecond), base.Add(time.Hour)))
}
