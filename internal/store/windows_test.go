package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hubspot-brevo-sync/internal/httpx"
	"hubspot-brevo-sync/internal/store"
	"hubspot-brevo-sync/internal/store/storetest"
)

// postgresStores opens n handles on the test database, as n workers would.
func postgresStores(t *testing.T, n int) []*store.Store {
	out := make([]*store.Store, n)
	for i := range out {
		out[i] = storetest.Postgres(t, "the shared rate windows")
	}
	return out
}

func windowKey(t *testing.T) string {
	return fmt.Sprintf("test/%s/%d", t.Name(), time.Now().UnixNano())
}

// bucketOf is the number of whole periods a wait amounts to; the periods
// are an hour long, so the test's own run time never moves a wait across.
func bucketOf(d time.Duration) int { return int((d + 30*time.Minute) / time.Hour) }

func TestRateWindowsGrantLimitPerPeriod(t *testing.T) {
	w := postgresStores(t, 1)[0].RateWindows()
	ctx, key := context.Background(), windowKey(t)
	var buckets []int
	for range 7 {
		d, err := w.Reserve(ctx, key, httpx.Rate{Limit: 3, Period: time.Hour}, 0)
		require.NoError(t, err)
		buckets = append(buckets, bucketOf(d))
	}
	assert.Equal(t, []int{0, 0, 0, 1, 1, 1, 2}, buckets)
	n, err := w.Count(ctx, key, time.Minute)
	require.NoError(t, err)
	assert.Equal(t, 3, n, "the slots granted for later are not used yet")
	d, err := w.Reserve(ctx, windowKey(t), httpx.Rate{Limit: 3, Period: time.Hour}, 2*time.Hour)
	require.NoError(t, err)
	assert.Equal(t, 2, bucketOf(d), "a reservation held back waits at least that long")
}

func TestRateWindowsKeepTheSpacing(t *testing.T) {
	w := postgresStores(t, 1)[0].RateWindows()
	ctx, key := context.Background(), windowKey(t)
	rate := httpx.Rate{Limit: 10, Period: 10 * time.Hour, Spacing: time.Hour}
	var buckets []int
	for range 3 {
		d, err := w.Reserve(ctx, key, rate, 0)
		require.NoError(t, err)
		buckets = append(buckets, bucketOf(d))
	}
	assert.Equal(t, []int{0, 1, 2}, buckets, "one slot an hour, though ten fit the period")
}

func TestRateWindowsAreOneBudgetForEveryWorker(t *testing.T) {
	stores := postgresStores(t, 3)
	ctx, key := context.Background(), windowKey(t)
	var mu sync.Mutex
	buckets := map[int]int{}
	var wg sync.WaitGroup
	for i := range 30 {
		wg.Go(func() {
			d, err := stores[i%3].RateWindows().Reserve(ctx, key, httpx.Rate{Limit: 10, Period: time.Hour}, 0)
			assert.NoError(t, err)
			mu.Lock()
			buckets[bucketOf(d)]++
			mu.Unlock()
		})
	}
	wg.Wait()
	assert.Equal(t, map[int]int{0: 10, 1: 10, 2: 10}, buckets, "30 reservations by 3 workers, 10 an hour")
}

func TestRateWindowsBookUseNobodyReserved(t *testing.T) {
	w := postgresStores(t, 1)[0].RateWindows()
	ctx, key := context.Background(), windowKey(t)
	require.NoError(t, w.Book(ctx, key, 4))
	n, err := w.Count(ctx, key, time.Minute)
	require.NoError(t, err)
	assert.Equal(t, 4, n)
	d, err := w.Reserve(ctx, key, httpx.Rate{Limit: 5, Period: time.Hour}, 0)
	require.NoError(t, err)
	assert.Equal(t, 0, bucketOf(d), "the 5th slot of the hour is free")
	d, err = w.Reserve(ctx, key, httpx.Rate{Limit: 5, Period: time.Hour}, 0)
	require.NoError(t, err)
	assert.Equal(t, 1, bucketOf(d), "the booked slots are spent")
}

func TestRateWindowsNeedPostgres(t *testing.T) {
	s := openDSN(t, "sqlite:"+t.TempDir()+"/store.db")
	_, err := s.RateWindows().Reserve(context.Background(), "k", httpx.Rate{Limit: 1, Period: time.Second}, 0)
	assert.ErrorContains(t, err, "PostgreSQL")
}
