package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// withActivity sets the options every activity of the integration uses:
// a timeout, a heartbeat for the long ones, retries without end for
// transient failures (permanent ones arrive non-retryable), and a summary
// for the Web UI.
func withActivity(ctx workflow.Context, timeout, heartbeat time.Duration, summary string) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: timeout,
		HeartbeatTimeout:    heartbeat,
		RetryPolicy:         retryPolicy(),
		Summary:             summary,
	})
}

// retryPolicy backs off to a minute: activities retry transient failures
// inside themselves first, and one that made progress asks to be retried
// sooner (NextRetryDelay).
func retryPolicy() *temporal.RetryPolicy {
	return &temporal.RetryPolicy{
		InitialInterval:    time.Second,
		BackoffCoefficient: 2,
		MaximumInterval:    time.Minute,
	}
}

// withLocal sets the options of local activities: quick ones whose
// results only the workflow needs.
func withLocal(ctx workflow.Context, summary string) workflow.Context {
	return workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout: 10 * time.Second,
		RetryPolicy:         retryPolicy(),
		Summary:             summary,
	})
}
