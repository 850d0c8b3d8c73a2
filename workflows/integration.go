package workflows

import (
	"errors"
	"time"

	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"hubspot-brevo-sync/activities"
	"hubspot-brevo-sync/internal/integration"
)

// a names the activities; its methods are never called on this nil value.
var a *activities.Activities

// IntegrationWorkflow syncs one HubSpot list into one Brevo list: an
// initial pass over the whole list, then a pass every poll interval that
// writes what changed. People steer it with signals or updates; the
// status query shows where it stands.
func IntegrationWorkflow(ctx workflow.Context, in integration.Input) (integration.Status, error) {
	w := newRun(ctx, in)
	if err := w.setup(ctx); err != nil {
		return w.status(), err
	}
	return w.loop(ctx)
}

// run is one workflow run of an integration.
type run struct {
	spec   integration.Spec
	cp     *integration.Checkpoint
	logger log.Logger

	batchesThisRun int
	idleThisRun    int
	// published holds the search attribute values last upserted, so only a
	// change costs a history event.
	published struct {
		done   bool
		state  integration.State
		synced int64
	}
}

func newRun(ctx workflow.Context, in integration.Input) *run {
	w := &run{spec: in.Spec, cp: in.Checkpoint}
	if w.cp == nil {
		tuning := integration.DefaultTuning()
		if in.Tuning != nil {
			tuning = in.Tuning.OrDefaults()
		}
		w.cp = &integration.Checkpoint{
			State: integration.StateSyncing, BrevoListID: in.Spec.BrevoListID, Tuning: tuning,
			Cursor: integration.Cursor{Pass: 1, ListSize: in.Spec.ListSizeHint},
		}
		if in.Spec.Draft {
			w.cp.State = integration.StateDraft
		}
	}
	// A checkpoint carried from a run before a tuning field existed gets
	// that field's default; fields it has are never changed.
	w.cp.Tuning = w.cp.Tuning.OrDefaults()
	w.logger = log.With(workflow.GetLogger(ctx), "Integration", in.Spec.Name)
	return w
}

// loop is the business process: wait while drafted, paused or failed; run
// a pass; wait for the next poll; repeat, continuing as new now and then.
func (w *run) loop(ctx workflow.Context) (integration.Status, error) {
	for {
		switch {
		case w.cp.StopRequested:
			return w.stop(ctx)
		case w.cp.State == integration.StateDraft, w.cp.State == integration.StateFailed:
			state := w.cp.State
			w.publish(ctx)
			w.await(ctx, func() bool { return w.cp.State != state || w.cp.StopRequested })
			continue
		case w.cp.PauseRequested:
			w.pause(ctx)
			continue
		}
		done, err := w.pass(ctx)
		switch {
		case errors.Is(err, errQuotaExhausted):
			w.waitForQuota(ctx)
			continue
		case isDailyBudgetExhausted(err):
			w.waitForDailyBudget(ctx, err)
			continue
		case err != nil:
			w.fail(ctx, err)
			continue
		}
		if done {
			full := w.cp.Cursor.Full
			w.finishPass(ctx)
			if err := w.reportUnsubscribes(ctx, full); err != nil {
				w.fail(ctx, err)
				continue
			}
			w.idle(ctx)
		}
		if w.shouldContinueAsNew(ctx) && w.readyToContinueAsNew(ctx) {
			return w.status(), w.continueAsNew(ctx)
		}
	}
}

// stop confirms the imports already sent, so they are counted, and ends
// the workflow once every update handler has answered.
func (w *run) stop(ctx workflow.Context) (integration.Status, error) {
	if err := w.drainImports(ctx); err != nil {
		w.logger.Warn("imports not confirmed before stopping", "Error", err)
	}
	w.setState(ctx, integration.StateStopped)
	_ = workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) })
	return w.status(), nil
}

func (w *run) pause(ctx workflow.Context) {
	w.setState(ctx, integration.StatePaused)
	w.await(ctx, func() bool { return !w.cp.PauseRequested || w.cp.StopRequested })
	if !w.cp.StopRequested {
		w.setState(ctx, integration.StateSyncing)
	}
}

// await blocks until cond holds.
func (w *run) await(ctx workflow.Context, cond func() bool) {
	// Await returns an error only when ctx is canceled, which ends the run.
	_ = workflow.Await(ctx, cond)
}

func (w *run) interrupted() bool {
	return w.cp.PauseRequested || w.cp.StopRequested
}

// mustYield reports whether the pass must stop between batches: paused,
// stopped, or the run should continue as new.
func (w *run) mustYield(ctx workflow.Context) bool {
	return w.interrupted() || w.shouldContinueAsNew(ctx)
}

// finishPass closes a completed pass: the next pass writes only contacts
// modified after this one started.
func (w *run) finishPass(ctx workflow.Context) {
	cur := w.cp.Cursor
	if cur.Full {
		w.cp.LastFullPassAt = cur.StartedAt
	}
	w.cp.Cursor = integration.Cursor{
		Pass: cur.Pass + 1, ModifiedAfter: cur.StartedAt, ListSize: cur.ListSize,
		Seen: cur.Seen, Written: cur.Written, LeavesDeferred: cur.LeavesDeferred,
	}
	w.cp.LastSyncAt = workflow.Now(ctx)
}

// idle waits for the poll interval, a sync-now signal, a pause or a stop.
func (w *run) idle(ctx workflow.Context) {
	w.setState(ctx, integration.StateIdle)
	w.cp.SyncNow = false
	_, _ = workflow.AwaitWithOptions(ctx, workflow.AwaitOptions{
		Timeout:      w.pollInterval(ctx),
		TimerOptions: workflow.TimerOptions{Summary: "wait for the next poll"},
	}, func() bool { return w.cp.SyncNow || w.interrupted() })
	w.cp.SyncNow = false
	w.idleThisRun++
}

// pollInterval is the worker's setting, read through a local activity so
// a changed setting takes effect at the next idle period and replays stay
// deterministic.
func (w *run) pollInterval(ctx workflow.Context) time.Duration {
	var s activities.Settings
	if err := workflow.ExecuteLocalActivity(withLocal(ctx, "read worker settings"), a.Settings).Get(ctx, &s); err != nil || s.PollInterval <= 0 {
		return 5 * time.Minute
	}
	return s.PollInterval
}

// waitForQuota pauses the integration until the quota ledger says tasks
// are available again (next month, raised limit), or a person pauses or
// stops it. The ledger may say so while the short batch still runs, so
// a signal received before the wait counts: at worst one more batch finds
// the quota short again and waits again.
func (w *run) waitForQuota(ctx workflow.Context) {
	w.setState(ctx, integration.StateQuotaExceeded)
	w.await(ctx, func() bool { return w.cp.QuotaAvailable || w.interrupted() })
	w.cp.QuotaAvailable = false
	if !w.interrupted() {
		w.setState(ctx, integration.StateSyncing)
	}
}

// isDailyBudgetExhausted reports whether HubSpot's daily API budget (as
// the governor counts it) stopped the pass.
func isDailyBudgetExhausted(err error) bool {
	var ae *temporal.ApplicationError
	return errors.As(err, &ae) && ae.Type() == activities.ErrTypeDailyBudget
}

// waitForDailyBudget sleeps until HubSpot's daily budget resets, visibly,
// instead of retrying into 429s; pause and stop still work meanwhile.
func (w *run) waitForDailyBudget(ctx workflow.Context, err error) {
	var ae *temporal.ApplicationError
	var wait time.Duration
	if errors.As(err, &ae) && ae.HasDetails() {
		_ = ae.Details(&wait)
	}
	wait = max(wait, time.Minute)
	w.cp.WaitingUntil = workflow.Now(ctx).Add(wait)
	w.publish(ctx)
	_, _ = workflow.AwaitWithOptions(ctx, workflow.AwaitOptions{
		Timeout:      wait,
		TimerOptions: workflow.TimerOptions{Summary: "wait for HubSpot's daily API budget to reset"},
	}, w.interrupted)
	w.cp.WaitingUntil = time.Time{}
	w.publish(ctx)
}

// fail records a failure that needs a person; resume retries from the
// cursor.
func (w *run) fail(ctx workflow.Context, err error) {
	msg := activityMessage(err)
	w.logger.Error("integration failed", "Error", msg)
	w.cp.LastError = msg
	w.setState(ctx, integration.StateFailed)
}

// activityMessage is the one line of an activity's error: the
// application error's own message, without the activity's wrapping.
func activityMessage(err error) string {
	var ae *temporal.ApplicationError
	if errors.As(err, &ae) {
		return ae.Error()
	}
	return err.Error()
}

func (w *run) shouldContinueAsNew(ctx workflow.Context) bool {
	t := w.cp.Tuning
	return workflow.GetInfo(ctx).GetContinueAsNewSuggested() ||
		w.batchesThisRun >= t.MaxBatchesPerRun || w.idleThisRun >= t.MaxIdlePollsPerRun
}

// readyToContinueAsNew waits for the update handlers to finish, unless a
// pause or stop is asked for meanwhile (or already was): the pause and
// stop handlers wait for the loop to act on them, so the loop acts first
// and continues as new later.
func (w *run) readyToContinueAsNew(ctx workflow.Context) bool {
	w.await(ctx, func() bool { return w.interrupted() || workflow.AllHandlersFinished(ctx) })
	return !w.interrupted()
}

func (w *run) continueAsNew(ctx workflow.Context) error {
	w.drainSignals(ctx)
	w.logger.Info("continuing as new", "Pass", w.cp.Cursor.Pass, "Seen", w.cp.Cursor.Seen)
	return workflow.NewContinueAsNewError(ctx, IntegrationWorkflow, integration.Input{Spec: w.spec, Checkpoint: w.cp})
}
