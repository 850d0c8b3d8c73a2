package activities_test

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"hubspot-brevo-sync/activities"
	"hubspot-brevo-sync/internal/brevo"
	"hubspot-brevo-sync/internal/integration"
)

// TestBatchFailures: what fails a whole batch becomes the Temporal error
// that drives its retry, and what the attempt wrote before is kept.
func TestBatchFailures(t *testing.T) {
	tight := fastOptions()
	tight.Brevo.ContactsPerHour = 1 // the second write of the hour is a 429
	faulty := fastOptions()
	faulty.FaultRate = 1

	tests := []struct {
		name         string
		cfg          fixtureConfig
		src          activities.Source
		list         string // HubSpot list; "" the fixture's
		wantType     string
		nonRetryable bool
		nextDelay    time.Duration
		benign       bool
		// written is how many contacts got through before the failure.
		written int
	}{
		{
			name: "429 retries after the server's reset, benign",
			cfg:  fixtureConfig{opts: &tight, brevoGov: brevo.DisabledGovernor()},
			src:  members(),
			// Brevo's x-sib-ratelimit-reset for the hourly bucket: the hour
			// until the first write leaves the window.
			wantType: "RateLimited", nextDelay: time.Hour, benign: true, written: 1,
		},
		{
			name: "an outage longer than the in-activity retries is retried by Temporal",
			cfg:  fixtureConfig{opts: &faulty}, src: members(),
			wantType: "Transient",
		},
		{
			name: "wrong API key is not retried", cfg: fixtureConfig{brevoKey: "not-the-key"}, src: members(),
			wantType: "Unauthorized", nonRetryable: true,
		},
		{
			name: "unknown HubSpot list is not retried", src: members(), list: "999",
			wantType: "NotFound", nonRetryable: true,
		},
		{
			name: "unknown source is not retried", src: activities.Source{Phase: "everything"},
			wantType: activities.ErrTypeInvalidInput, nonRetryable: true,
		},
		{
			name:     "a search position that is not one is not retried",
			src:      activities.Source{Phase: integration.PhaseChanges, Position: "page 3", Until: time.Now()},
			wantType: activities.ErrTypeInvalidInput, nonRetryable: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.cfg.opts == &faulty {
				// Give up on the outage sooner than in production.
				t.Cleanup(activities.SetTransientBudget(time.Second))
			}
			f := newFixture(t, tc.cfg)
			f.addMembers(t, 0, 2)
			in := f.input(1, 1, tc.src)
			if tc.list != "" {
				in.HubSpotListID = tc.list
			}
			_, err := f.sync(t, in)
			require.Error(t, err)
			var ae *temporal.ApplicationError
			require.True(t, errors.As(err, &ae), "want an ApplicationError, got %T: %v", err, err)
			assert.Equal(t, tc.wantType, ae.Type())
			assert.Equal(t, tc.nonRetryable, ae.NonRetryable(), "non-retryable")
			assert.Equal(t, tc.nextDelay, ae.NextRetryDelay(), "next retry delay")
			assert.Equal(t, tc.benign, ae.Category() == temporal.ApplicationErrorCategoryBenign, "benign category")
			assert.Len(t, f.sb.Brevo().Contacts(), tc.written)
			n, err := f.st.CountWritten(t.Context(), "t", in.Key)
			require.NoError(t, err)
			assert.Equal(t, tc.written, n["created"], "what got through is in the store for the retry")
		})
	}
}

// TestProgressShortensTheRetry: an attempt that wrote something before an
// outage outlasted its in-activity retries asks to be retried in a second
// (its writes are kept, the next attempt goes on from them) rather than
// after a backoff grown while it succeeded; one that wrote nothing leaves
// the delay to the retry policy.
func TestProgressShortensTheRetry(t *testing.T) {
	for _, tc := range []struct {
		name  string
		after int64
		delay time.Duration
	}{
		{"after 4 writes", 4, time.Second},
		{"before any write", 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Cleanup(activities.SetTransientBudget(time.Second))
			fw := &failWrites{after: tc.after, status: http.StatusServiceUnavailable}
			f := newFixture(t, fixtureConfig{wrap: fw.wrap})
			f.addMembers(t, 0, 10)
			fw.armed.Store(true)
			_, err := f.sync(t, f.input(1, 1, members()))
			var ae *temporal.ApplicationError
			require.ErrorAs(t, err, &ae)
			assert.Equal(t, "Transient", ae.Type())
			assert.False(t, ae.NonRetryable())
			assert.Equal(t, tc.delay, ae.NextRetryDelay())
			n, err := f.st.CountWritten(t.Context(), "t", "1/1")
			require.NoError(t, err)
			assert.EqualValues(t, tc.after, n["created"])
		})
	}
}
