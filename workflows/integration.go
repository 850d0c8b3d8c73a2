package workflows

import (
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"hubspot-brevo-sync/activities"
	"hubspot-brevo-sync/internal/mapping"
	"hubspot-brevo-sync/internal/quota"
)

// MaxPagesPerRun bounds the pages one workflow run writes before it
// continues as new, even when the server has not suggested it yet, so the
// history of a run stays small whatever the list size.
var MaxPagesPerRun = 200

// UpsertHeartbeatTimeout is how soon a write batch whose worker died is
// retried elsewhere. The batch heartbeats after every contact, so a
// minute without one means the worker is gone.
var UpsertHeartbeatTimeout = time.Minute

// MaxIdleCyclesPerRun bounds the idle polls of one run for the same reason.
var MaxIdleCyclesPerRun = 100

// a names the activities; its methods are never called on this nil value.
var a *activities.Activities

// IntegrationWorkflow syncs one HubSpot list into one Brevo list: an
// initial pass over the whole list, then a pass every poll interval that
// writes what changed. People steer it with signals; the status query
// shows where it stands.
func IntegrationWorkflow(ctx workflow.Context, in IntegrationInput) (Status, error) {
	w := &integration{spec: in.Spec, st: in.State}
	if w.st == nil {
		w.st = &IntegrationState{State: StateSyncing, BrevoListID: in.Spec.BrevoListID, Cursor: Cursor{Pass: 1}}
		if in.Spec.Draft {
			w.st.State = StateDraft
		}
	}
	w.logger = log.With(workflow.GetLogger(ctx), "Integration", in.Spec.Name)
	if err := w.setup(ctx); err != nil {
		return w.status(), err
	}
	return w.run(ctx)
}

type integration struct {
	spec   IntegrationSpec
	st     *IntegrationState
	logger log.Logger

	pagesThisRun int
	idleThisRun  int
	// bulkOff turns chunks off for the rest of the run: the quota granted
	// less than a chunk needs.
	bulkOff bool

	// published holds the search attribute values last upserted, so only a
	// change costs a history event.
	published struct {
		done   bool
		state  State
		synced int64
	}
}

func (w *integration) setup(ctx workflow.Context) error {
	if err := workflow.SetQueryHandlerWithOptions(ctx, QueryStatus, func() (Status, error) {
		return w.status(), nil
	}, workflow.QueryHandlerOptions{Description: "State, counters and cursor of the integration"}); err != nil {
		return err
	}
	// Signals only set flags; the main loop acts on them at safe points
	// (between pages), so a pause never cuts a write in half.
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			w.receiveSignal(ctx)
		}
	})
	w.publish(ctx)
	return nil
}

func (w *integration) signalChannels(ctx workflow.Context) map[string]workflow.ReceiveChannel {
	return map[string]workflow.ReceiveChannel{
		SignalActivate:        workflow.GetSignalChannel(ctx, SignalActivate),
		SignalPause:           workflow.GetSignalChannel(ctx, SignalPause),
		SignalResume:          workflow.GetSignalChannel(ctx, SignalResume),
		SignalStop:            workflow.GetSignalChannel(ctx, SignalStop),
		SignalSyncNow:         workflow.GetSignalChannel(ctx, SignalSyncNow),
		quota.SignalAvailable: workflow.GetSignalChannel(ctx, quota.SignalAvailable),
		SignalAllowLeaves:     workflow.GetSignalChannel(ctx, SignalAllowLeaves),
	}
}

// signalNames lists the signals in a fixed order: selectors and draining
// must not depend on map iteration.
var signalNames = []string{SignalActivate, SignalPause, SignalResume, SignalStop, SignalSyncNow, quota.SignalAvailable, SignalAllowLeaves}

// receiveSignal waits for one signal and records it.
func (w *integration) receiveSignal(ctx workflow.Context) {
	sel := workflow.NewSelector(ctx)
	chans := w.signalChannels(ctx)
	for _, name := range signalNames {
		sel.AddReceive(chans[name], func(c workflow.ReceiveChannel, _ bool) {
			c.Receive(ctx, nil)
			w.onSignal(name)
		})
	}
	sel.Select(ctx)
}

// drainSignals records signals that arrived but were not read yet, so none
// is lost across continue-as-new.
func (w *integration) drainSignals(ctx workflow.Context) {
	chans := w.signalChannels(ctx)
	for _, name := range signalNames {
		for chans[name].ReceiveAsync(nil) {
			w.onSignal(name)
		}
	}
}

func (w *integration) onSignal(name string) {
	w.logger.Info("signal received", "Signal", name, "State", w.st.State)
	switch name {
	case SignalActivate:
		if w.st.State == StateDraft {
			w.st.State = StateSyncing
		}
	case SignalPause:
		w.st.PauseRequested = true
	case SignalResume:
		w.st.PauseRequested = false
		if w.st.State == StateFailed {
			w.st.State = StateSyncing
			w.st.LastError = ""
		}
	case SignalStop:
		w.st.StopRequested = true
	case SignalSyncNow:
		w.st.SyncNow = true
	case quota.SignalAvailable:
		w.st.QuotaAvailable = true
	case SignalAllowLeaves:
		w.st.AllowLeaves = true
	}
}

// run is the business process: wait while drafted, paused or failed; run a
// pass; wait for the next poll; repeat, continuing as new now and then.
func (w *integration) run(ctx workflow.Context) (Status, error) {
	for {
		switch {
		case w.st.StopRequested:
			// Imports already sent are counted before the workflow ends.
			if err := w.awaitImports(ctx); err != nil {
				w.logger.Warn("imports not confirmed before stopping", "Error", err)
			}
			w.setState(ctx, StateStopped)
			return w.status(), nil
		case w.st.State == StateDraft:
			w.publish(ctx)
			w.await(ctx, func() bool { return w.st.State != StateDraft || w.st.StopRequested })
			continue
		case w.st.State == StateFailed:
			w.publish(ctx)
			w.await(ctx, func() bool { return w.st.State != StateFailed || w.st.StopRequested })
			continue
		case w.st.PauseRequested:
			w.setState(ctx, StatePaused)
			w.await(ctx, func() bool { return !w.st.PauseRequested || w.st.StopRequested })
			if !w.st.StopRequested {
				w.setState(ctx, StateSyncing)
			}
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
		if !done {
			if w.shouldContinueAsNew(ctx) {
				return w.status(), w.continueAsNew(ctx)
			}
			continue // paused or stopped between pages
		}
		w.finishPass(ctx)
		w.idle(ctx)
		if w.shouldContinueAsNew(ctx) {
			return w.status(), w.continueAsNew(ctx)
		}
	}
}

// await blocks until cond holds.
func (w *integration) await(ctx workflow.Context, cond func() bool) {
	// Await returns an error only when ctx is canceled, which ends the run.
	_ = workflow.Await(ctx, cond)
}

func (w *integration) interrupted() bool {
	return w.st.PauseRequested || w.st.StopRequested
}

// errQuotaExhausted ends a pass early: the quota granted fewer tasks than
// the page needs.
var errQuotaExhausted = errors.New("monthly task quota exhausted")

// writeRecords maps and writes a batch of records read from HubSpot, then
// counts it. Tasks are reserved on the quota ledger first and at most the
// granted number of contacts is written; when that is less than the batch
// needs, the written ids are kept in the cursor and errQuotaExhausted
// returned: the same batch is read again once the quota allows and
// finished without writing those twice.
func (w *integration) writeRecords(ctx workflow.Context, page activities.ContactPage) error {
	var mapped activities.MapResult
	if len(page.Records) > 0 {
		lctx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
			StartToCloseTimeout: 10 * time.Second,
			Summary:             "map HubSpot properties to Brevo attributes",
		})
		if err := workflow.ExecuteLocalActivity(lctx, a.MapContacts, activities.MapInput{Spec: w.spec.Mapping, Records: page.Records}).Get(ctx, &mapped); err != nil {
			return err
		}
	}
	todo := w.notWrittenYet(mapped.Contacts)
	var written activities.UpsertResult
	if len(todo) > 0 || len(mapped.Skipped) > 0 {
		var grant grant
		if len(todo) > 0 {
			var err error
			if grant, err = w.reserve(ctx, len(todo), false); err != nil {
				return err
			}
		}
		batch := todo[:grant.Granted]
		// The upsert also records the skipped records' reasons in the
		// store, so `starter report --contact` can explain them.
		if err := w.upsert(ctx, batch, mapped.Skipped, &written); err != nil {
			return err
		}
		if len(batch) > 0 {
			if err := w.commit(ctx, grant.id, written.Created+written.Updated); err != nil {
				return err
			}
		}
		w.countWrites(ctx, written)
		if len(batch) < len(todo) {
			for _, c := range batch {
				w.st.Cursor.Written = append(w.st.Cursor.Written, c.ExtID)
			}
			w.publish(ctx)
			return errQuotaExhausted
		}
	}
	w.countPage(page, mapped)
	w.st.Cursor.Written = nil
	w.st.LastSyncAt = workflow.Now(ctx)
	w.pagesThisRun++
	return nil
}

// notWrittenYet leaves out the contacts of a page already written before
// the quota ran out in its middle.
func (w *integration) notWrittenYet(contacts []mapping.Contact) []mapping.Contact {
	if len(w.st.Cursor.Written) == 0 {
		return contacts
	}
	done := make(map[string]bool, len(w.st.Cursor.Written))
	for _, id := range w.st.Cursor.Written {
		done[id] = true
	}
	var out []mapping.Contact
	for _, c := range contacts {
		if !done[c.ExtID] {
			out = append(out, c)
		}
	}
	return out
}

type grant struct {
	id      string
	Granted int
}

// reserve asks the quota ledger for tasks. The request id is stable for
// this reservation (run chain + sequence), so a retried activity gets the
// same grant. allOrNothing is for requests with a smaller fallback: a
// refusal then neither pauses the integration nor notifies anyone.
func (w *integration) reserve(ctx workflow.Context, tasks int, allOrNothing bool) (grant, error) {
	w.st.Reservations++
	id := fmt.Sprintf("%s/%s/%d", w.spec.Name, workflow.GetInfo(ctx).FirstRunID, w.st.Reservations)
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute,
		RetryPolicy:         retryPolicy(),
		Summary:             fmt.Sprintf("reserve %d tasks of the monthly quota", tasks),
	})
	var g quota.Grant
	if err := workflow.ExecuteActivity(actx, a.ReserveTasks, quota.ReserveRequest{
		Integration: w.spec.Name, ID: id, Tasks: int64(tasks), AllOrNothing: allOrNothing,
	}).Get(ctx, &g); err != nil {
		return grant{}, err
	}
	return grant{id: id, Granted: int(min(g.Granted, int64(tasks)))}, nil
}

func (w *integration) commit(ctx workflow.Context, id string, written int) error {
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute,
		RetryPolicy:         retryPolicy(),
		Summary:             fmt.Sprintf("commit %d tasks to the monthly quota", written),
	})
	return workflow.ExecuteActivity(actx, a.CommitTasks, quota.CommitRequest{
		Integration: w.spec.Name, ID: id, Written: int64(written),
	}).Get(ctx, nil)
}

func (w *integration) upsert(ctx workflow.Context, batch []mapping.Contact, skipped []mapping.Outcome, written *activities.UpsertResult) error {
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 15 * time.Minute,
		HeartbeatTimeout:    UpsertHeartbeatTimeout,
		RetryPolicy:         retryPolicy(),
		Summary:             fmt.Sprintf("write %d contacts to Brevo list %d", len(batch), w.st.BrevoListID),
	})
	return workflow.ExecuteActivity(actx, a.UpsertContacts, activities.UpsertInput{
		Integration: w.spec.Name, BrevoListID: w.st.BrevoListID, Contacts: batch, Skipped: skipped,
	}).Get(ctx, written)
}

// countWrites adds confirmed writes to the counters.
func (w *integration) countWrites(ctx workflow.Context, written activities.UpsertResult) {
	c := &w.st.Counters
	if month := workflow.Now(ctx).UTC().Format("2006-01"); c.Month != month {
		c.Month, c.TasksThisMonth = month, 0
	}
	c.Created += int64(written.Created)
	c.Updated += int64(written.Updated)
	c.Unchanged += int64(written.Unchanged)
	c.Failed += int64(written.Failed)
	c.TasksThisMonth += int64(written.Created + written.Updated)
	w.remember(written.Outcomes)
}

// countPage adds what a finished page left unwritten: unchanged, skipped
// and vanished members. It runs once per page, also when the quota split
// the page's writes.
func (w *integration) countPage(page activities.ContactPage, mapped activities.MapResult) {
	c := &w.st.Counters
	if c.SkippedByReason == nil {
		c.SkippedByReason = map[string]int64{}
	}
	for _, s := range mapped.Skipped {
		c.Skipped++
		c.SkippedByReason[s.Reason]++
	}
	if page.Missing > 0 {
		c.Skipped += int64(page.Missing)
		c.SkippedByReason[mapping.ReasonNotInList] += int64(page.Missing)
	}
	w.remember(mapped.Skipped)
}

// remember keeps the latest problem records, bounded.
func (w *integration) remember(outcomes []mapping.Outcome) {
	w.st.RecentProblems = append(w.st.RecentProblems, outcomes...)
	if n := len(w.st.RecentProblems); n > MaxRecentProblems {
		w.st.RecentProblems = append([]mapping.Outcome(nil), w.st.RecentProblems[n-MaxRecentProblems:]...)
	}
}

// ensureBrevoList creates the Brevo list named in the spec on first use.
func (w *integration) ensureBrevoList(ctx workflow.Context) error {
	if w.st.BrevoListID != 0 {
		return nil
	}
	if w.spec.NewBrevoList == nil {
		return temporal.NewNonRetryableApplicationError("the integration names no Brevo list", activities.ErrTypeInvalidInput, nil)
	}
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute,
		RetryPolicy:         retryPolicy(),
		Summary:             fmt.Sprintf("create Brevo list %q", w.spec.NewBrevoList.Name),
	})
	var id int64
	if err := workflow.ExecuteActivity(actx, a.EnsureBrevoList, activities.NewListInput{
		Name: w.spec.NewBrevoList.Name, FolderID: w.spec.NewBrevoList.FolderID,
	}).Get(ctx, &id); err != nil {
		return err
	}
	w.st.BrevoListID = id
	return workflow.UpsertTypedSearchAttributes(ctx, SABrevoListID.ValueSet(fmt.Sprint(id)))
}

// finishPass closes a completed pass: the next pass writes only contacts
// modified after this one started.
func (w *integration) finishPass(ctx workflow.Context) {
	if w.st.Cursor.Full {
		w.st.LastFullPassAt = w.st.Cursor.StartedAt
	}
	w.st.Cursor = Cursor{
		Pass:          w.st.Cursor.Pass + 1,
		ModifiedAfter: w.st.Cursor.StartedAt,
		ListSize:      w.st.Cursor.ListSize,
	}
	w.st.LastSyncAt = workflow.Now(ctx)
}

// idle waits for the poll interval, a sync-now signal, a pause or a stop.
func (w *integration) idle(ctx workflow.Context) {
	w.setState(ctx, StateIdle)
	settings := w.settings(ctx)
	w.st.SyncNow = false
	_, _ = workflow.AwaitWithOptions(ctx, workflow.AwaitOptions{
		Timeout:      settings.PollInterval,
		TimerOptions: workflow.TimerOptions{Summary: "wait for the next poll"},
	}, func() bool { return w.st.SyncNow || w.interrupted() })
	w.st.SyncNow = false
	w.idleThisRun++
}

func (w *integration) settings(ctx workflow.Context) activities.Settings {
	lctx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout: 5 * time.Second,
		Summary:             "read worker settings",
	})
	var s activities.Settings
	if err := workflow.ExecuteLocalActivity(lctx, a.Settings).Get(ctx, &s); err != nil || s.PollInterval <= 0 {
		s.PollInterval = 5 * time.Minute
	}
	return s
}

// waitForQuota pauses the integration until the quota ledger says tasks
// are available again (next month, raised limit), or a person stops it.
func (w *integration) waitForQuota(ctx workflow.Context) {
	w.st.QuotaAvailable = false
	w.setState(ctx, StateQuotaExceeded)
	w.await(ctx, func() bool { return w.st.QuotaAvailable || w.st.StopRequested })
	w.st.QuotaAvailable = false
	if !w.st.StopRequested {
		w.setState(ctx, StateSyncing)
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
func (w *integration) waitForDailyBudget(ctx workflow.Context, err error) {
	var ae *temporal.ApplicationError
	var wait time.Duration
	if errors.As(err, &ae) && ae.HasDetails() {
		_ = ae.Details(&wait)
	}
	wait = max(wait, time.Minute)
	w.st.WaitingUntil = workflow.Now(ctx).Add(wait)
	w.publish(ctx)
	_, _ = workflow.AwaitWithOptions(ctx, workflow.AwaitOptions{
		Timeout:      wait,
		TimerOptions: workflow.TimerOptions{Summary: "wait for HubSpot's daily API budget to reset"},
	}, w.interrupted)
	w.st.WaitingUntil = time.Time{}
	w.publish(ctx)
}

// fail records a failure that needs a person; resume retries from the
// cursor.
func (w *integration) fail(ctx workflow.Context, err error) {
	msg := err.Error()
	var ae *temporal.ApplicationError
	if errors.As(err, &ae) {
		msg = ae.Error()
	}
	w.logger.Error("integration failed", "Error", msg)
	w.st.LastError = msg
	w.setState(ctx, StateFailed)
}

func (w *integration) shouldContinueAsNew(ctx workflow.Context) bool {
	return workflow.GetInfo(ctx).GetContinueAsNewSuggested() ||
		w.pagesThisRun >= MaxPagesPerRun || w.idleThisRun >= MaxIdleCyclesPerRun
}

func (w *integration) continueAsNew(ctx workflow.Context) error {
	w.drainSignals(ctx)
	w.logger.Info("continuing as new", "Pass", w.st.Cursor.Pass, "Seen", w.st.Cursor.Seen)
	return workflow.NewContinueAsNewError(ctx, IntegrationWorkflow, IntegrationInput{Spec: w.spec, State: w.st})
}

// retryPolicy retries transient failures without end, backing off to five
// minutes; permanent ones arrive as non-retryable errors and fail the pass.
func retryPolicy() *temporal.RetryPolicy {
	return &temporal.RetryPolicy{
		InitialInterval:    time.Second,
		BackoffCoefficient: 2,
		MaximumInterval:    5 * time.Minute,
	}
}

func (w *integration) setState(ctx workflow.Context, s State) {
	if w.st.State == s {
		return
	}
	w.st.State = s
	w.publish(ctx)
}

func (w *integration) status() Status {
	c := w.st.Counters
	s := Status{
		Name:            w.spec.Name,
		State:           w.st.State,
		HubSpotListID:   w.spec.HubSpotListID,
		BrevoListID:     w.st.BrevoListID,
		TasksThisMonth:  c.TasksThisMonth,
		Month:           c.Month,
		ContactsSynced:  c.Created + c.Updated,
		ContactsCreated: c.Created,
		ContactsUpdated: c.Updated,
		Unchanged:       c.Unchanged,
		ContactsSkipped: c.Skipped,
		SkippedByReason: c.SkippedByReason,
		ContactsFailed:  c.Failed,
		ContactsLeft:    c.Left,
		Unlinked:        c.Unlinked,
		LastError:       w.st.LastError,
		Cursor:          w.st.Cursor,
		PendingImports:  w.pendingImportContacts(),
		RecentProblems:  w.st.RecentProblems,
		Spec:            &w.spec,
	}
	if !w.st.LastSyncAt.IsZero() {
		t := w.st.LastSyncAt
		s.LastSyncAt = &t
	}
	if !w.st.WaitingUntil.IsZero() {
		t := w.st.WaitingUntil
		s.WaitingUntil = &t
	}
	return s
}

// publish shows the state in the Web UI: search attributes for lists and
// queries, current details for people.
func (w *integration) publish(ctx workflow.Context) {
	c := w.st.Counters
	synced := c.Created + c.Updated
	if p := &w.published; !p.done || p.state != w.st.State || p.synced != synced {
		if err := workflow.UpsertTypedSearchAttributes(ctx,
			SAIntegrationState.ValueSet(string(w.st.State)),
			SAContactsSynced.ValueSet(synced),
		); err != nil {
			w.logger.Warn("search attributes not updated", "Error", err)
		}
		p.done, p.state, p.synced = true, w.st.State, synced
	}
	workflow.SetCurrentDetails(ctx, w.details())
}

func (w *integration) details() string {
	c, cur := w.st.Counters, w.st.Cursor
	d := fmt.Sprintf("**%s** · pass %d", w.st.State, cur.Pass)
	if cur.ListSize > 0 {
		d += fmt.Sprintf(" · %d / %d list members read", cur.Seen, cur.ListSize)
	}
	if n := w.pendingImportContacts(); n > 0 {
		d += fmt.Sprintf(" · %d contacts in Brevo imports not confirmed yet", n)
	}
	d += fmt.Sprintf("\n\ncreated %d · updated %d · unchanged %d · skipped %d · failed %d · tasks %s: %d",
		c.Created, c.Updated, c.Unchanged, c.Skipped, c.Failed, c.Month, c.TasksThisMonth)
	if !w.st.WaitingUntil.IsZero() {
		d += "\n\nwaiting for HubSpot's daily API budget until " + w.st.WaitingUntil.UTC().Format(time.RFC3339)
	}
	if w.st.State == StateQuotaExceeded {
		d += "\n\nthe monthly task quota is exhausted: waiting for next month or a higher limit (starter quota set --limit N)"
	}
	if w.st.LastError != "" {
		d += "\n\nlast error: " + w.st.LastError
	}
	return d
}
