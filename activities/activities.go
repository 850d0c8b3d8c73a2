// Package activities holds every piece of I/O the integration workflow
// needs: reading HubSpot, writing Brevo. Activities are methods on one
// struct that holds the API clients; the worker builds it once with the
// secrets from its environment, so no credential ever travels through
// workflow history.
package activities

import (
	"errors"
	"time"

	"go.temporal.io/sdk/temporal"

	"hubspot-brevo-sync/internal/brevo"
	"hubspot-brevo-sync/internal/httpx"
	"hubspot-brevo-sync/internal/hubspot"
)

// Activities is registered with the worker. Workflows refer to its methods
// through a nil *Activities, which only names them.
type Activities struct {
	HubSpot *hubspot.Client
	Brevo   *brevo.Client
	// PollInterval is how long an up-to-date integration waits before it
	// looks for changes (SYNC_POLL_INTERVAL).
	PollInterval time.Duration
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
)

// temporalError converts a client error into the Temporal error that drives
// the retry: permanent kinds are non-retryable, rate limits retry after the
// delay the server (or our governor) named.
func temporalError(err error) error {
	if err == nil {
		return nil
	}
	e, ok := httpx.AsError(err)
	if !ok {
		var ae *temporal.ApplicationError
		if errors.As(err, &ae) {
			return err
		}
		return temporal.NewApplicationErrorWithCause(err.Error(), "Internal", err)
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
