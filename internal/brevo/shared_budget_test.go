package brevo_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hubspot-brevo-sync/internal/brevo"
	"hubspot-brevo-sync/internal/httpx"
	"hubspot-brevo-sync/internal/sandbox"
	"hubspot-brevo-sync/internal/store/storetest"
)

// Three workers, each with its own client and governor, write to one Brevo
// account at the general tier's real limit (10 contacts requests a
// second). With the PostgreSQL store's shared windows nothing is refused;
// pacing alone, each sends its first ten at once and Brevo refuses the
// excess.
func TestWorkersSpendOneAccountBudgetThroughTheStore(t *testing.T) {
	st := storetest.Postgres(t, "the shared windows")

	shared := threeBrevoWorkers(t, st.RateWindows())
	assert.Zero(t, shared.Families["contacts"].RateLimited, "shared windows: no 429")
	assert.EqualValues(t, 3*brevoCalls, shared.Families["contacts"].Calls)

	alone := threeBrevoWorkers(t, nil)
	assert.Positive(t, alone.Families["contacts"].RateLimited, "three windows of 10 a second overrun the account's one")
}

const brevoCalls = 12 // per worker, all at once

func threeBrevoWorkers(t *testing.T, shared httpx.SharedWindows) sandbox.BrevoStats {
	limits := brevo.TierGeneral.Limits()
	sb := sandbox.New(sandbox.Options{Brevo: sandbox.BrevoOptions{
		ContactsPerSecond: limits.ContactsPerSecond, ContactsPerHour: limits.ContactsPerHour, OtherPerHour: limits.OtherPerHour}})
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	account := fmt.Sprintf("test-%d", time.Now().UnixNano()) // the database outlives the test
	ctx := context.Background()
	var wg sync.WaitGroup
	for range 3 {
		var opts []brevo.GovernorOption
		if shared != nil {
			opts = append(opts, brevo.WithSharedWindows(shared, account))
		}
		c, err := brevo.New(brevo.Config{BaseURL: srv.URL + "/v3", APIKey: sandbox.BrevoDemoKey, Governor: brevo.NewGovernor(limits, nil, opts...)})
		require.NoError(t, err)
		for range brevoCalls {
			wg.Go(func() { _, _ = c.GetList(ctx, 1) })
		}
	}
	wg.Wait()
	return sb.Brevo().Stats()
}
