package workflows

import (
	"fmt"
	"slices"
	"time"

	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"hubspot-brevo-sync/activities"
	"hubspot-brevo-sync/internal/integration"
	"hubspot-brevo-sync/internal/quota"
)

// ReservationTTL is how long reserved tasks stay held without a commit.
// An integration commits within minutes; a reservation older than this
// belongs to an integration that was stopped or terminated between reserve
// and commit, and its tasks go back to the pool.
var ReservationTTL = 2 * time.Hour

// maxCommittedIDs bounds the memory of committed reservation ids kept to
// make commits idempotent.
const maxCommittedIDs = 1000

// changeWarnAtThreshold versions the notice rules. Before it, the warning
// looked at committed usage only (so it went out after the batch that
// crossed 80 %, at 83 % say) and an exhausted quota made it moot (so a
// jump from below 80 % to the limit sent only the exhausted notice). From
// version 1 usage counts reserved tasks, the crossing is recorded where it
// happens (Ledger.WarnAt), and the warning goes out first, always. Runs
// started before keep the old rules until they continue as new.
const changeWarnAtThreshold = "quota-warning-at-threshold"

// QuotaWorkflow (registered as quota.WorkflowType) keeps the monthly task ledger of the Brevo account.
// Integrations reserve tasks before they write and commit what they wrote,
// through updates, so usage never exceeds the limit. At 80 % and when the
// quota is exhausted the operator is told, once per month; at the start of
// a month (UTC) usage resets and the integrations paused by the quota go on.
func QuotaWorkflow(ctx workflow.Context, in quota.Input) error {
	q := &ledger{l: in.Ledger, logger: workflow.GetLogger(ctx)}
	if q.l == nil {
		q.l = &quota.Ledger{Limit: in.Limit}
	}
	q.init(ctx)
	// Before setup: handlers of updates delivered with the start must see
	// the version already.
	q.warnAtThreshold = workflow.GetVersion(ctx, changeWarnAtThreshold, workflow.DefaultVersion, 1) >= 1
	// A ledger carried over from a run under the old rules may be past
	// the threshold without a warning recorded.
	q.noteWarning(q.l.Used + q.l.Reserved())
	if err := q.setup(ctx); err != nil {
		return err
	}
	for {
		// Wait for work: a notice to send, integrations to wake, the next
		// month, or a reason to continue as new.
		monthEnd := nextMonth(workflow.Now(ctx))
		_, err := workflow.AwaitWithOptions(ctx, workflow.AwaitOptions{
			Timeout:      monthEnd.Sub(workflow.Now(ctx)),
			TimerOptions: workflow.TimerOptions{Summary: "wait for the start of the next month"},
		}, func() bool {
			return q.pendingNotice() != "" || q.wakeUp || workflow.GetInfo(ctx).GetContinueAsNewSuggested()
		})
		if err != nil {
			return err
		}
		rolled := q.roll(ctx)
		if kind := q.pendingNotice(); kind != "" {
			q.notify(ctx, kind)
		}
		if q.wakeUp {
			q.wakeWaiting(ctx)
		}
		if rolled || workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
			// Handlers may be mid-flight; let them finish so no update is
			// lost, then carry the ledger over.
			// A notice or wake-up still due is derived again from the ledger
			// by the next run.
			if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
				return err
			}
			return workflow.NewContinueAsNewError(ctx, QuotaWorkflow, quota.Input{Limit: q.l.Limit, Ledger: q.l})
		}
	}
}

type ledger struct {
	l      *quota.Ledger
	logger log.Logger
	// wakeUp asks the main loop to signal the waiting integrations.
	wakeUp bool
	// warnAtThreshold: the notice rules of changeWarnAtThreshold apply.
	warnAtThreshold bool
}

func (q *ledger) init(ctx workflow.Context) {
	if q.l.PerIntegration == nil {
		q.l.PerIntegration = map[string]int64{}
	}
	if q.l.Reservations == nil {
		q.l.Reservations = map[string]quota.Reservation{}
	}
	if q.l.Waiting == nil {
		q.l.Waiting = map[string]bool{}
	}
	if q.l.Month == "" {
		q.l.Month = monthOf(workflow.Now(ctx))
	}
	// A new month may have begun while the ledger was carried over.
	q.roll(ctx)
	q.wakeUp = len(q.l.Waiting) > 0 && q.available() > 0
	q.publish(ctx)
}

func (q *ledger) setup(ctx workflow.Context) error {
	if err := workflow.SetQueryHandlerWithOptions(ctx, quota.QueryLedger, func() (quota.Ledger, error) {
		return *q.l, nil
	}, workflow.QueryHandlerOptions{Description: "Month, limit, usage, reservations and notices"}); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, quota.UpdateReserve, q.reserve, workflow.UpdateHandlerOptions{
		Validator: func(ctx workflow.Context, r quota.ReserveRequest) error {
			if r.Integration == "" || r.ID == "" || r.Tasks <= 0 {
				return fmt.Errorf("reserve needs an integration, a request id and a positive number of tasks, got %+v", r)
			}
			return nil
		},
		Description: "Reserve tasks before writing a batch",
	}); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, quota.UpdateCommit, q.commit, workflow.UpdateHandlerOptions{
		Validator: func(ctx workflow.Context, c quota.CommitRequest) error {
			if c.Integration == "" || c.ID == "" || c.Written < 0 {
				return fmt.Errorf("commit needs an integration, a request id and a non-negative count, got %+v", c)
			}
			return nil
		},
		Description: "Commit the tasks a batch spent and release the rest",
	}); err != nil {
		return err
	}
	return workflow.SetUpdateHandlerWithOptions(ctx, quota.UpdateSetLimit, q.setLimit, workflow.UpdateHandlerOptions{
		Validator: func(ctx workflow.Context, limit int64) error {
			if limit < 0 {
				return fmt.Errorf("the limit must not be negative, got %d", limit)
			}
			return nil
		},
		Description: "Change the monthly task limit",
	})
}

func (q *ledger) available() int64 { return q.l.Available() }

func (q *ledger) reserve(ctx workflow.Context, r quota.ReserveRequest) (quota.Grant, error) {
	q.roll(ctx)
	q.expire(ctx)
	if held, ok := q.l.Reservations[r.ID]; ok {
		return quota.Grant{Granted: held.Tasks, Month: q.l.Month, Remaining: q.available()}, nil
	}
	before := q.l.Used + q.l.Reserved()
	granted := min(r.Tasks, q.available())
	if granted > 0 {
		q.l.Reservations[r.ID] = quota.Reservation{Integration: r.Integration, Tasks: granted, ExpiresAt: workflow.Now(ctx).Add(ReservationTTL)}
	}
	q.noteWarning(before)
	if granted < r.Tasks {
		// This integration now waits for the quota; the first time in a
		// month that happens, the operator is told.
		q.l.Waiting[r.Integration] = true
	}
	q.publish(ctx)
	return quota.Grant{Granted: granted, Month: q.l.Month, Remaining: q.available()}, nil
}

func (q *ledger) commit(ctx workflow.Context, c quota.CommitRequest) (quota.Ledger, error) {
	if slices.Contains(q.l.Committed, c.ID) {
		return *q.l, nil
	}
	q.roll(ctx)
	before := q.l.Used + q.l.Reserved()
	// Count what was written even if the reservation expired meanwhile:
	// usage must equal the contacts actually written.
	delete(q.l.Reservations, c.ID)
	q.l.Used += c.Written
	q.l.PerIntegration[c.Integration] += c.Written
	q.l.Committed = append(q.l.Committed, c.ID)
	if n := len(q.l.Committed); n > maxCommittedIDs {
		q.l.Committed = slices.Clone(q.l.Committed[n-maxCommittedIDs:])
	}
	q.noteWarning(before)
	q.publish(ctx)
	return *q.l, nil
}

func (q *ledger) setLimit(ctx workflow.Context, limit int64) (quota.Ledger, error) {
	q.roll(ctx)
	q.logger.Info("monthly task limit changed", "From", q.l.Limit, "To", limit)
	q.l.Limit = limit
	if len(q.l.Waiting) > 0 && q.available() > 0 {
		q.wakeUp = true
	}
	// A lower limit moves the threshold, not the usage: nothing to split.
	q.noteWarning(q.l.Used + q.l.Reserved())
	q.publish(ctx)
	return *q.l, nil
}

// expire releases reservations that were never committed.
func (q *ledger) expire(ctx workflow.Context) {
	now := workflow.Now(ctx)
	for _, id := range sortedKeys(q.l.Reservations) {
		if r := q.l.Reservations[id]; now.After(r.ExpiresAt) {
			q.logger.Warn("reservation expired without commit", "ID", id, "Integration", r.Integration, "Tasks", r.Tasks)
			delete(q.l.Reservations, id)
		}
	}
}

// roll starts a new month when the calendar says so; it reports whether
// it did.
func (q *ledger) roll(ctx workflow.Context) bool {
	month := monthOf(workflow.Now(ctx))
	if month == q.l.Month {
		return false
	}
	q.logger.Info("new quota month", "From", q.l.Month, "To", month, "Used", q.l.Used)
	q.l.Month, q.l.Used = month, 0
	q.l.PerIntegration = map[string]int64{}
	q.l.Warned, q.l.Exceeded, q.l.Notices, q.l.WarnAt = false, false, nil, nil
	if len(q.l.Waiting) > 0 {
		q.wakeUp = true
	}
	// Reservations carried into the new month already count toward it.
	q.noteWarning(q.l.Reserved())
	q.publish(ctx)
	return true
}

// noteWarning records where usage (used plus reserved) first reached the
// warning threshold this month, given the usage before the change that
// reached it. A change that started below the threshold is split at it:
// the warning then reports the threshold itself (80 % of the limit, made
// of what was used and what was reserved up to there), not wherever the
// jump landed. A change that started at or past it (a lowered limit, a
// carried-over ledger) is reported as it stands.
func (q *ledger) noteWarning(before int64) {
	if !q.warnAtThreshold || q.l.Warned || q.l.WarnAt != nil || q.l.Limit <= 0 {
		return
	}
	at := quota.WarnThreshold(q.l.Limit)
	used, reserved := q.l.Used, q.l.Reserved()
	if used+reserved < at {
		return
	}
	if before < at {
		used = min(used, at)
		reserved = at - used
	}
	q.l.WarnAt = &quota.Usage{Used: used, Reserved: reserved}
}

// pendingNotice names a notice that is due and not sent this month. The
// warning comes first: a quota exhausted in one jump sends both.
func (q *ledger) pendingNotice() string {
	if !q.warnAtThreshold {
		return q.pendingNoticeV0()
	}
	switch {
	case !q.l.Warned && q.l.WarnAt != nil:
		return quota.NoticeWarning
	case !q.l.Exceeded && len(q.l.Waiting) > 0 && q.available() == 0:
		return quota.NoticeExceeded
	}
	return ""
}

// pendingNoticeV0 is pendingNotice before changeWarnAtThreshold.
func (q *ledger) pendingNoticeV0() string {
	switch {
	case !q.l.Exceeded && len(q.l.Waiting) > 0 && q.available() == 0:
		return quota.NoticeExceeded
	case !q.l.Warned && q.l.Limit > 0 && q.l.Used*100 >= q.l.Limit*quota.WarnAtPercent:
		return quota.NoticeWarning
	}
	return ""
}

// notice describes a notice of the kind: the warning as of the crossing
// (when recorded), the exhausted notice as things stand.
func (q *ledger) notice(kind string) activities.QuotaNotice {
	n := activities.QuotaNotice{Kind: kind, Month: q.l.Month, Used: q.l.Used, Reserved: q.l.Reserved(), Limit: q.l.Limit,
		Waiting: sortedKeys(q.l.Waiting)}
	if kind == quota.NoticeWarning && q.l.WarnAt != nil {
		n.Used, n.Reserved = q.l.WarnAt.Used, q.l.WarnAt.Reserved
	}
	return n
}

func (q *ledger) notify(ctx workflow.Context, kind string) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: 5 * time.Second, BackoffCoefficient: 2, MaximumInterval: 10 * time.Minute},
		Summary:             "tell the operator: quota " + kind,
	})
	notice := q.notice(kind)
	var res activities.NoticeResult
	if err := workflow.ExecuteActivity(ctx, a.SendQuotaNotice, notice).Get(ctx, &res); err != nil {
		// Only a permanent refusal (bad sender, revoked key) lands here;
		// the notice is still recorded so it is visible in the UI.
		res.Text = fmt.Sprintf("%s (could not be emailed: %v)", notice.Subject(), err)
	}
	switch kind {
	case quota.NoticeExceeded:
		q.l.Exceeded = true
		if !q.warnAtThreshold {
			q.l.Warned = true // the old rule: an exhausted quota made the 80 % notice moot
		}
	case quota.NoticeWarning:
		q.l.Warned = true
	}
	q.l.Notices = append(q.l.Notices, res.Text)
	q.publish(ctx)
}

// wakeWaiting tells the integrations paused by the quota to go on.
func (q *ledger) wakeWaiting(ctx workflow.Context) {
	q.wakeUp = false
	if q.available() == 0 {
		return
	}
	for _, name := range sortedKeys(q.l.Waiting) {
		err := workflow.SignalExternalWorkflow(ctx, integration.ID(name), "", quota.SignalAvailable, nil).Get(ctx, nil)
		if err != nil {
			// The integration is gone (stopped); nothing to wake.
			q.logger.Info("integration not woken", "Integration", name, "Error", err)
		}
		delete(q.l.Waiting, name)
	}
	q.publish(ctx)
}

func (q *ledger) publish(ctx workflow.Context) {
	d := fmt.Sprintf("**%s**: %d of %d tasks used", q.l.Month, q.l.Used, q.l.Limit)
	if q.l.Limit > 0 {
		d += fmt.Sprintf(" (%d %%)", q.l.Used*100/q.l.Limit)
	}
	if r := q.l.Reserved(); r > 0 {
		d += fmt.Sprintf(" · %d reserved", r)
	}
	if n := len(q.l.Waiting); n > 0 {
		d += fmt.Sprintf(" · %d integration(s) paused by the quota", n)
	}
	for _, n := range q.l.Notices {
		d += "\n\n" + n
	}
	workflow.SetCurrentDetails(ctx, d)
}

func monthOf(t time.Time) string { return t.UTC().Format("2006-01") }

// nextMonth is the first instant of the month after t, UTC.
func nextMonth(t time.Time) time.Time {
	y, m, _ := t.UTC().Date()
	return time.Date(y, m+1, 1, 0, 0, 0, 0, time.UTC)
}
