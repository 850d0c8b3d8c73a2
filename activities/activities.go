// Package activities holds every piece of I/O the integration workflow
// needs: reading HubSpot, writing Brevo. Activities are methods on one
// struct that holds the API clients; the worker builds it once with the
// secrets from its environment, so no credential ever travels through
// workflow history.
package activities

import (
	"context"
	"errors"
	"sync"
	"time"

	"go.temporal.io/sdk/temporal"

	"hubspot-brevo-sync/internal/brevo"
	"hubspot-brevo-sync/internal/httpx"
	"hubspot-brevo-sync/internal/hubspot"
	"hubspot-brevo-sync/internal/store"
)

// Activities is registered with the worker. Workflows refer to its methods
// through a nil *Activities, which only names them.
type Activities struct {
	// HubSpot is the default connection's client (HUBSPOT_*).
	HubSpot *hubspot.Client
	Brevo   *brevo.Client
	// Store keeps list membership, what was written and per-record
	// outcomes outside workflow history.
	Store *store.Store
	// PollInterval is how long an up-to-date integration waits before it
	// looks for changes (SYNC_POLL_INTERVAL).
	PollInterval time.Duration
	// MonthlyTaskLimit starts the quota ledger (SYNC_MONTHLY_TASK_LIMIT);
	// once it exists, `starter quota set` changes the limit.
	MonthlyTaskLimit int64
	// Notify says where quota notices go.
	Notify Notifier
	// Quota, when set, is the task ledger ReserveTasks and CommitTasks use
	// instead of the quota workflow reached through the activity's
	// Temporal client. The worker leaves it nil; tests (whose activity
	// environment has no client to reach a workflow) set their own.
	Quota QuotaLedger

	// Connections, when set, resolves every HubSpot connection, the
	// default included (HubSpot is then unused): see hubspotOf.
	Connections HubSpotClients

	// listing is held while a batch lists the Brevo account (readModified).
	listing sync.Mutex
}

// Settings are the worker's settings that shape workflow behaviour. They
// reach the workflow through a local activity so a changed setting takes
// effect at the next idle period and replays stay deterministic.
type Settings struct {
	PollInterval time.Duration `json:"pollInterval"`
}

// Settings returns the worker's current settings.
func (a *Activities) Settings() (Settings, error) {
	return Settings{PollInterval: a.PollInterval}, nil
}

// ErrorType values of the Temporal application errors activities return:
// the kinds of the shared taxonomy, so a workflow (or a person reading the
// Web UI) sees the same words the clients use.
const (
	ErrTypeInvalidInput = "InvalidInput"
	// ErrTypeDailyBudget: HubSpot's daily API budget is spent. It is
	// non-retryable so the workflow sees it and waits for the reset
	// visibly (details: the time.Duration until then) rather than hiding
	// hours of waiting in an activity's retry.
	ErrTypeDailyBudget = "DailyBudgetExhausted"
)

// temporalError converts a client error into the Temporal error that drives
// the retry: permanent kinds are non-retryable, rate limits retry after the
// delay the server (or our governor) named.
func temporalError(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) {
		// The activity's context ended: the worker is shutting down (or the
		// workflow gave up on this attempt). Another attempt, on this or
		// another worker, continues from the last heartbeat.
		return temporal.NewApplicationErrorWithCause("interrupted: "+err.Error(), "Interrupted", err)
	}
	e, ok := httpx.AsError(err)
	if !ok {
		var ae *temporal.ApplicationError
		if errors.As(err, &ae) {
			return err
		}
		return temporal.NewApplicationErrorWithCause(err.Error(), "Internal", err)
	}
	if e.API == "hubspot" && e.Code == hubspot.PolicyDaily {
		return temporal.NewApplicationErrorWithOptions(e.Error(), ErrTypeDailyBudget, temporal.ApplicationErrorOptions{
			NonRetryable: true,
			Cause:        err,
			Details:      []any{e.RetryAfter},
			Category:     temporal.ApplicationErrorCategoryBenign,
		})
	}
	opts := temporal.ApplicationErrorOptions{
		NonRetryable:   !e.Retryable(),
		NextRetryDelay: e.RetryAfter,
		Cause:          err,
	}
	if e.Kind == httpx.KindRateLimited {
		// Waiting for a rate limit is part of normal operation: benign
		// errors are logged quietly and do not count as activity failures
		// in metrics.
		opts.Category = temporal.ApplicationErrorCategoryBenign
	}
	return temporal.NewApplicationErrorWithOptions(e.Error(), string(e.Kind), opts)
}
