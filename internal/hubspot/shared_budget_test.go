package hubspot_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hubspot-brevo-sync/internal/httpx"
	"hubspot-brevo-sync/internal/hubspot"
	"hubspot-brevo-sync/internal/sandbox"
	"hubspot-brevo-sync/internal/store/storetest"
)

// Three workers, each with its own client and governor, call one portal at
// HubSpot Free's real limits (100 calls per 10 s, search 5 a second). With
// the PostgreSQL store's shared windows they spend one budget and nothing
// is refused; pacing alone, each believes the whole budget its own and the
// sandbox refuses the excess: search has no headers to learn from, and
// the first burst goes out before any header arrives. That last part is a
// race on an unloaded network, so the control run answers slowly: every
// worker's burst is out before the first answer could teach it anything.
func TestWorkersSpendOneBudgetThroughTheStore(t *testing.T) {
	st := storetest.Postgres(t, "the shared windows")

	shared := threeWorkers(t, st.RateWindows(), 0)
	assert.Zero(t, shared.RateLimited, "shared windows: no 429 (by policy %v)", shared.RateLimitedByPolicy)
	assert.Equal(t, 3*burstCalls, shared.ByFamily["lists.get"], "every burst call answered")

	alone := threeWorkers(t, nil, 500*time.Millisecond)
	t.Logf("pacing alone: 429s by policy %v", alone.RateLimitedByPolicy)
	assert.Positive(t, alone.RateLimitedByPolicy["SECONDLY"], "three search windows of 5 a second overrun the account's one")
	assert.Positive(t, alone.RateLimitedByPolicy["TEN_SECONDLY_ROLLING"], "three burst windows of 100 overrun the app's one")
}

// The rate headers count every worker's calls. With a shared window those
// are in the window already, so a worker books as another's only what no
// worker reserved: here another tool's 20 calls on the same app.
func TestSharedWindowBooksOnlyAnotherToolsUse(t *testing.T) {
	st := storetest.Postgres(t, "the shared windows")
	e := newEnv(t, sandbox.Options{HubSpot: sandbox.HubSpotOptions{BurstLimit: 100, BurstWindow: 10 * time.Second, DailyLimit: 1_000_000}})
	e.hs.Seed(sandbox.SeedOptions{Contacts: 5, Seed: 1})
	connection := fmt.Sprintf("test-%d", time.Now().UnixNano())
	worker := func() *hubspot.Client {
		gov := hubspot.NewGovernor(hubspot.TierFree.Limits(), nil, hubspot.WithSharedWindows(st.RateWindows(), connection))
		return e.client(func(cfg *hubspot.Config) { cfg.Governor = gov })
	}
	a, b := worker(), worker()
	tool := e.client(func(cfg *hubspot.Config) { cfg.Governor = hubspot.NewGovernor(hubspot.TierFree.Limits(), nil) })
	ctx := context.Background()
	slots := func() int {
		n, err := st.RateWindows().Count(ctx, "hubspot/"+connection+"/burst", time.Minute)
		require.NoError(t, err)
		return n
	}
	call := func(c *hubspot.Client, n int) {
		for range n {
			_, err := c.GetList(ctx, "1")
			require.NoError(t, err)
		}
	}
	call(a, 50)
	call(b, 1) // its response says 51 used: a's 50 and its own
	assert.Equal(t, 51, slots(), "the other worker's calls are not booked again")
	call(tool, 20)
	call(b, 1) // 72 used, 52 of them reserved
	assert.Equal(t, 72, slots(), "another tool's 20 calls are booked once")
	call(a, 1)
	assert.Equal(t, 73, slots(), "and not again by the other worker")
}

const (
	burstCalls  = 40 // per worker, all at once
	searchCalls = 8
)

// threeWorkers makes every worker's calls at once and returns what the
// sandbox saw. A nil shared gives each governor windows of its own; latency
// delays every answer.
func threeWorkers(t *testing.T, shared httpx.SharedWindows, latency time.Duration) sandbox.HubSpotStats {
	e := newEnv(t, sandbox.Options{Latency: latency, HubSpot: sandbox.HubSpotOptions{
		BurstLimit: 100, BurstWindow: 10 * time.Second, DailyLimit: 1_000_000, SearchPerSecond: 5}})
	e.hs.Seed(sandbox.SeedOptions{Contacts: 5, Seed: 1})
	connection := fmt.Sprintf("test-%d", time.Now().UnixNano()) // the database outlives the test
	ctx := context.Background()
	var wg sync.WaitGroup
	for range 3 {
		var opts []hubspot.GovernorOption
		if shared != nil {
			opts = append(opts, hubspot.WithSharedWindows(shared, connection))
		}
		gov := hubspot.NewGovernor(hubspot.TierFree.Limits(), nil, opts...)
		c := e.client(func(cfg *hubspot.Config) { cfg.Governor = gov })
		for range burstCalls {
			wg.Go(func() { _, _ = c.GetList(ctx, "1") })
		}
		for range searchCalls {
			wg.Go(func() {
				_, _ = c.SearchContactsModified(ctx, hubspot.NewSearchCursor(time.Unix(0, 0), time.Time{}), nil, 10)
			})
		}
	}
	wg.Wait()
	return e.hs.Stats()
}
