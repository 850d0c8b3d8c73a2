package brevo

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

func newFakeClock() *clocktest.Clock {
	return clocktest.New(time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC))
}

func rateHeaders(limit, remaining, reset string) http.Header {
	h := http.Header{}
	if limit != "" {
		h.Set(headerLimit, limit)
	}
	if remaining != "" {
		h.Set(headerRemaining, remaining)
	}
	if reset != "" {
		h.Set(headerReset, reset)
	}
	return h
}

func TestFamilyOf(t *testing.T) {
	assert.Equal(t, FamilyContacts, familyOf(http.MethodPost, "/contacts"))
	assert.Equal(t, FamilyContacts, familyOf(http.MethodPost, "/contacts/lists/3/contacts/add"))
	assert.Equal(t, FamilyContacts, familyOf(http.MethodGet, "/contacts/attributes"))
	assert.Equal(t, FamilyEmail, familyOf(http.MethodPost, "/smtp/email"))
	assert.Equal(t, FamilyOther, familyOf(http.MethodGet, "/smtp/emails"))
	assert.Equal(t, FamilyOther, familyOf(http.MethodGet, "/processes/7"))
	assert.Equal(t, FamilyOther, familyOf(http.MethodGet, "/contactsfoo"))
}

func TestGovernorHoldsFamilyBackWhenRemainingIsZero(t *testing.T) {
	clock := newFakeClock()
	g := NewGovernor(TierGeneral.Limits(), clock)
	g.observe(FamilyContacts, rateHeaders("10", "0", "2"), http.StatusOK)

	require.NoError(t, g.wait(context.Background(), "op", FamilyOther))
	assert.Zero(t, clock.SleptFor(), "other families are not held back")

	require.NoError(t, g.wait(context.Background(), "op", FamilyContacts))
	assert.GreaterOrEqual(t, clock.SleptFor(), 2*time.Second)
}

// TestGovernorDoesNotHoldForItsOwnSpending: ten calls of its own spend
// the second, and Brevo says so (remaining 0, reset 1 s); the eleventh
// goes when the first leaves the window, not a whole reset after the
// tenth.
func TestGovernorDoesNotHoldForItsOwnSpending(t *testing.T) {
	clock := newFakeClock()
	g := NewGovernor(Limits{ContactsPerSecond: 10}, clock)
	start := clock.Now()
	for i := range 10 {
		require.NoError(t, g.wait(context.Background(), "op", FamilyContacts))
		g.observe(FamilyContacts, rateHeaders("10", strconv.Itoa(9-i), "1"), http.StatusOK)
	}
	require.NoError(t, g.wait(context.Background(), "op", FamilyContacts))
	took := clock.Now().Sub(start)
	assert.GreaterOrEqual(t, took, time.Second+secondPadding, "ten in the window")
	assert.Less(t, took, 1500*time.Millisecond, "and no reset on top")

	// Spent by someone else (one call of ours, remaining 0): held a reset.
	g = NewGovernor(Limits{ContactsPerSecond: 10}, clock)
	require.NoError(t, g.wait(context.Background(), "op", FamilyContacts))
	g.observe(FamilyContacts, rateHeaders("10", "0", "2"), http.StatusOK)
	before := clock.Now()
	require.NoError(t, g.wait(context.Background(), "op", FamilyContacts))
	assert.GreaterOrEqual(t, clock.Now().Sub(before), 2*time.Second)
}

func TestGovernorRefusesLongWaitsWithoutSleeping(t *testing.T) {
	clock := newFakeClock()
	g := NewGovernor(TierGeneral.Limits(), clock)
	g.observe(FamilyOther, rateHeaders("100", "0", "1800"), http.StatusOK)

	err := g.wait(context.Background(), "processes.get", FamilyOther)
	e, ok := httpx.AsError(err)
	require.True(t, ok, "%v", err)
	assert.Equal(t, httpx.KindRateLimited, e.Kind)
	assert.Equal(t, 30*time.Minute, e.RetryAfter)
	assert.Zero(t, clock.SleptFor())

	// A context deadline shorter than the wait refuses too.
	g.SetMaxWait(time.Hour)
	c, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	require.True(t, httpx.IsKind(g.wait(c, "processes.get", FamilyOther), httpx.KindRateLimited))

	var other FamilyStatus
	for _, fs := range g.Status() {
		if fs.Family == FamilyOther {
			other = fs
		}
	}
	assert.Equal(t, 100, other.ServerLimit)
	assert.Equal(t, clock.Now().Add(30*time.Minute), other.BlockedUntil)
}

func TestGovernorKeepsHourlyMargin(t *testing.T) {
	clock := newFakeClock()
	g := NewGovernor(Limits{OtherPerHour: 100}, clock)
	for i := 0; i < 99; i++ {
		require.NoError(t, g.wait(context.Background(), "op", FamilyOther))
	}
	assert.Zero(t, clock.SleptFor())
	err := g.wait(context.Background(), "op", FamilyOther)
	require.True(t, httpx.IsKind(err, httpx.KindRateLimited), "the 100th call of the hour is left for others: %v", err)
}

func TestGovernorObservesOthersSpending(t *testing.T) {
	clock := newFakeClock()
	g := NewGovernor(Limits{ContactsPerSecond: 10}, clock)
	require.NoError(t, g.wait(context.Background(), "op", FamilyContacts))
	// The server says 2 left after our single call: 7 were sent by others.
	g.observe(FamilyContacts, rateHeaders("10", "2", "1"), http.StatusOK)
	for i := 0; i < 2; i++ {
		require.NoError(t, g.wait(context.Background(), "op", FamilyContacts))
	}
	assert.Less(t, clock.SleptFor(), time.Second, "ten calls fit the window, paced")
	require.NoError(t, g.wait(context.Background(), "op", FamilyContacts))
	assert.GreaterOrEqual(t, clock.SleptFor(), time.Second, "the eleventh call in the window waits for the first to leave it")
}

func TestGovernor429RetryAfter(t *testing.T) {
	g := NewGovernor(TierGeneral.Limits(), newFakeClock())
	assert.Equal(t, 5*time.Second, g.observe(FamilyContacts, rateHeaders("36000", "0", "5"), http.StatusTooManyRequests))
	assert.Equal(t, time.Second, g.observe(FamilyContacts, http.Header{}, http.StatusTooManyRequests))
	assert.Equal(t, time.Minute, g.observe(FamilyOther, http.Header{}, http.StatusTooManyRequests))
	assert.Zero(t, g.observe(FamilyContacts, rateHeaders("10", "3", "1"), http.StatusOK))
	// A reset longer than the window it describes is capped at the window:
	// the per-second bucket never asks for 850 s.
	assert.Equal(t, 2*time.Second, g.observe(FamilyContacts, rateHeaders("10", "0", "850"), http.StatusTooManyRequests))
	assert.Equal(t, 850*time.Second, g.observe(FamilyContacts, rateHeaders("36000", "0", "850"), http.StatusTooManyRequests))

	d := DisabledGovernor()
	d.observe(FamilyContacts, rateHeaders("10", "0", "3600"), http.StatusOK)
	require.NoError(t, d.wait(context.Background(), "op", FamilyContacts))
}

func TestClassifyMessages(t *testing.T) {
	assert.Equal(t, []string{"SMS", "EXT_ID"}, identifiersIn("Unable to update contact, SMS or EXT_ID are already associated with another Contact"))
	assert.Equal(t, []string{"email"}, identifiersIn("Unable to create contact, email is already associated with another Contact"))
	assert.Equal(t, []string{"email"}, identifiersIn("Contact already exist"))
	assert.Empty(t, identifiersIn("Attribute LIFECYCLE already exists"))
}

func TestSegmentEscapesPlus(t *testing.T) {
	assert.Equal(t, "a%2Bb%40x.com", segment("a+b@x.com"))
	assert.Equal(t, "hs%2F1%20x", segment("hs/1 x"))
}

func TestBucketForMatchesByLimit(t *testing.T) {
	g := NewGovernor(TierGeneral.Limits(), newFakeClock())
	st := g.fam[FamilyContacts]
	hour, second := st.buckets[0], st.buckets[1]
	assert.Equal(t, time.Hour, hour.w.Period())
	assert.Same(t, second, st.bucketFor(10, true))
	assert.Same(t, hour, st.bucketFor(36000, true))
	// An account on another tier than configured.
	assert.Same(t, second, st.bucketFor(20, true))
	assert.Same(t, hour, st.bucketFor(72000, true))
	assert.Same(t, second, st.bucketFor(0, false))
	assert.Equal(t, 99, g.fam[FamilyOther].bucketFor(100, true).w.Limit(), "1 % margin")
}
