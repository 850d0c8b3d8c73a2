package workflows_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"hubspot-brevo-sync/activities"
	"hubspot-brevo-sync/internal/integration"
	"hubspot-brevo-sync/internal/quota"
	"hubspot-brevo-sync/workflows"
)

// quotaEnv runs the quota workflow alone, with notices and wake-up
// signals recorded instead of sent.
type quotaEnv struct {
	*testsuite.TestWorkflowEnvironment
	t *testing.T

	mu      sync.Mutex
	notices []activities.QuotaNotice
	woken   []string
}

func newQuotaEnv(t *testing.T, start time.Time) *quotaEnv {
	var s testsuite.WorkflowTestSuite
	q := &quotaEnv{TestWorkflowEnvironment: s.NewTestWorkflowEnvironment(), t: t}
	q.SetStartTime(start)
	q.RegisterActivity(a)
	q.OnActivity(a.SendQuotaNotice, mock.Anything, mock.Anything).Return(func(_ context.Context, n activities.QuotaNotice) (activities.NoticeResult, error) {
		q.mu.Lock()
		defer q.mu.Unlock()
		q.notices = append(q.notices, n)
		return activities.NoticeResult{Emailed: true, Text: n.Subject()}, nil
	})
	q.OnSignalExternalWorkflow(mock.Anything, mock.Anything, "", quota.SignalAvailable, mock.Anything).Return(func(_, workflowID, _, _ string, _ any) error {
		q.mu.Lock()
		defer q.mu.Unlock()
		q.woken = append(q.woken, workflowID)
		return nil
	})
	q.SetTestTimeout(30 * time.Second)
	return q
}

// update runs an update at a delay and records its result in *out.
func (q *quotaEnv) update(at time.Duration, name string, arg any, check func(result any, err error)) {
	q.RegisterDelayedCallback(func() {
		q.UpdateWorkflow(name, "", &testsuite.TestUpdateCallback{
			OnAccept: func() {},
			OnReject: func(err error) { check(nil, err) },
			OnComplete: func(r any, err error) {
				check(r, err)
			},
		}, arg)
	}, at)
}

func (q *quotaEnv) reserve(at time.Duration, integration, id string, tasks int64, want int64) {
	q.update(at, quota.UpdateReserve, quota.ReserveRequest{Integration: integration, ID: id, Tasks: tasks}, func(r any, err error) {
		require.NoError(q.t, err)
		require.Equal(q.t, want, r.(quota.Grant).Granted, "reserve %s for %s", id, integration)
	})
}

func (q *quotaEnv) commit(at time.Duration, integration, id string, written int64) {
	q.update(at, quota.UpdateCommit, quota.CommitRequest{Integration: integration, ID: id, Written: written}, func(_ any, err error) {
		require.NoError(q.t, err)
	})
}

func (q *quotaEnv) ledger() quota.Ledger {
	v, err := q.QueryWorkflow(quota.QueryLedger)
	require.NoError(q.t, err)
	var l quota.Ledger
	require.NoError(q.t, v.Get(&l))
	return l
}

var midMonth = time.Date(2026, 11, 10, 12, 0, 0, 0, time.UTC)

func TestQuotaNoticesAreSentOncePerMonth(t *testing.T) {
	q := newQuotaEnv(t, midMonth)
	// Two integrations share a limit of 100.
	q.reserve(time.Minute, "a", "a/1", 50, 50)
	q.commit(2*time.Minute, "a", "a/1", 50)
	q.reserve(3*time.Minute, "b", "b/1", 40, 40) // 90 used or reserved: warning, as of 80
	q.commit(4*time.Minute, "b", "b/1", 30)
	q.reserve(5*time.Minute, "b", "b/2", 10, 10)
	q.commit(6*time.Minute, "b", "b/2", 10)      // 90 used: no second warning
	q.reserve(7*time.Minute, "a", "a/2", 50, 10) // partial grant: exceeded
	q.commit(8*time.Minute, "a", "a/2", 10)
	q.reserve(9*time.Minute, "b", "b/3", 5, 0) // nothing left, no second email
	q.commit(10*time.Minute, "a", "a/2", 10)   // a retried commit counts once
	var l quota.Ledger
	q.RegisterDelayedCallback(func() { l = q.ledger() }, time.Hour)
	q.ExecuteWorkflow(workflows.QuotaWorkflow, quota.Input{Limit: 100})

	require.True(t, workflow.IsContinueAsNewError(q.GetWorkflowError()), "the month ends with continue-as-new: %v", q.GetWorkflowError())
	require.EqualValues(t, 100, l.Used)
	require.Equal(t, map[string]int64{"a": 60, "b": 40}, l.PerIntegration)
	require.Empty(t, l.Reservations)
	require.Len(t, q.notices, 2, "notices: %+v", q.notices)
	require.Equal(t, quota.NoticeWarning, q.notices[0].Kind)
	require.EqualValues(t, 50, q.notices[0].Used, "the warning reports the crossing: 50 used")
	require.EqualValues(t, 30, q.notices[0].Reserved, "and 30 of b's 40 reserved")
	require.Equal(t, quota.NoticeExceeded, q.notices[1].Kind)
	require.Equal(t, []string{"a"}, q.notices[1].Waiting)
	require.Equal(t, "2026-11", q.notices[1].Month)
	require.Len(t, l.Notices, 2)
	// At the start of December the paused integrations are woken.
	require.ElementsMatch(t, []string{integration.ID("a"), integration.ID("b")}, q.woken)
}

func TestQuotaResetsAtTheMonthBoundary(t *testing.T) {
	q := newQuotaEnv(t, time.Date(2026, 11, 30, 23, 0, 0, 0, time.UTC))
	q.reserve(time.Minute, "a", "a/1", 20, 10)
	q.commit(2*time.Minute, "a", "a/1", 10)
	q.ExecuteWorkflow(workflows.QuotaWorkflow, quota.Input{Limit: 10})

	err := q.GetWorkflowError()
	require.True(t, workflow.IsContinueAsNewError(err), "%v", err)
	require.Equal(t, []string{integration.ID("a")}, q.woken, "woken at midnight UTC")

	// The next run starts December with nothing used and the limit kept.
	var next quota.Input
	require.NoError(t, converterFromCAN(err, &next))
	require.Equal(t, "2026-12", next.Ledger.Month)
	require.EqualValues(t, 0, next.Ledger.Used)
	require.EqualValues(t, 10, next.Ledger.Limit)
	require.False(t, next.Ledger.Exceeded)
	require.Empty(t, next.Ledger.Waiting)
}

func TestRaisingTheLimitWakesPausedIntegrationsAndLoweringRefuses(t *testing.T) {
	q := newQuotaEnv(t, midMonth)
	q.reserve(time.Minute, "a", "a/1", 30, 10)
	q.commit(2*time.Minute, "a", "a/1", 10)
	var afterRaise []string
	q.update(3*time.Minute, quota.UpdateSetLimit, int64(50), func(_ any, err error) { require.NoError(t, err) })
	q.RegisterDelayedCallback(func() {
		q.mu.Lock()
		afterRaise = append([]string(nil), q.woken...)
		q.mu.Unlock()
	}, 4*time.Minute)
	q.reserve(5*time.Minute, "a", "a/2", 30, 30)
	q.commit(6*time.Minute, "a", "a/2", 30)                                                                      // 40 used
	q.update(7*time.Minute, quota.UpdateSetLimit, int64(20), func(_ any, err error) { require.NoError(t, err) }) // below usage
	q.reserve(8*time.Minute, "b", "b/1", 5, 0)
	q.update(9*time.Minute, quota.UpdateSetLimit, int64(-1), func(_ any, err error) { require.Error(t, err, "negative limit accepted") })
	q.update(9*time.Minute, quota.UpdateReserve, quota.ReserveRequest{Integration: "b", ID: "", Tasks: 1}, func(_ any, err error) {
		require.Error(t, err, "a reservation without id must be rejected by the validator")
	})
	var l quota.Ledger
	q.RegisterDelayedCallback(func() { l = q.ledger() }, 10*time.Minute)
	q.ExecuteWorkflow(workflows.QuotaWorkflow, quota.Input{Limit: 10})

	require.Equal(t, []string{integration.ID("a")}, afterRaise, "raising the limit wakes the paused integration at once")
	require.EqualValues(t, 20, l.Limit)
	require.EqualValues(t, 40, l.Used)
	require.True(t, l.Waiting["b"], "b waits after lowering the limit below usage")
}

func TestExpiredReservationReturnsToThePool(t *testing.T) {
	q := newQuotaEnv(t, midMonth)
	q.reserve(time.Minute, "a", "a/1", 10, 10) // a crashes and never commits
	q.reserve(time.Minute+time.Second, "b", "b/1", 10, 0)
	q.reserve(workflows.ReservationTTL+2*time.Minute, "b", "b/2", 10, 10)
	var l quota.Ledger
	q.RegisterDelayedCallback(func() { l = q.ledger() }, workflows.ReservationTTL+3*time.Minute)
	q.ExecuteWorkflow(workflows.QuotaWorkflow, quota.Input{Limit: 10})
	require.Contains(t, l.Reservations, "b/2")
	require.NotContains(t, l.Reservations, "a/1")
}

// TestQuotaJumpToExhaustedSendsTheWarningFirst: two integrations reserve
// at once, 300 + 300 of a limit of 400. Usage goes from nothing to the
// limit in one step; the operator still gets the 80 % notice, at 320, and
// then the exhausted one.
func TestQuotaJumpToExhaustedSendsTheWarningFirst(t *testing.T) {
	q := newQuotaEnv(t, midMonth)
	q.reserve(time.Minute, "a", "a/1", 300, 300)
	q.reserve(time.Minute, "b", "b/1", 300, 100)
	q.commit(2*time.Minute, "a", "a/1", 300)
	q.commit(2*time.Minute, "b", "b/1", 100)
	var l quota.Ledger
	q.RegisterDelayedCallback(func() { l = q.ledger() }, time.Hour)
	q.ExecuteWorkflow(workflows.QuotaWorkflow, quota.Input{Limit: 400})

	require.Len(t, q.notices, 2, "notices: %+v", q.notices)
	warning, exceeded := q.notices[0], q.notices[1]
	require.Equal(t, quota.NoticeWarning, warning.Kind)
	require.EqualValues(t, 320, warning.Used+warning.Reserved, "split at the threshold")
	require.Contains(t, warning.Subject(), "80 % of the monthly task quota reached (320 of 400")
	require.Equal(t, quota.NoticeExceeded, exceeded.Kind)
	require.EqualValues(t, 400, exceeded.Used+exceeded.Reserved)
	require.Equal(t, []string{"b"}, exceeded.Waiting)
	require.True(t, l.Warned)
	require.True(t, l.Exceeded)
	require.Len(t, l.Notices, 2)
}

// TestQuotaWarningGoesOutAtTheCrossing: with 70 of 100 used, a batch of
// 13 crosses 80 %. The warning goes out when the batch is reserved and
// reports 80, not 83 after the commit; the commit sends nothing more.
func TestQuotaWarningGoesOutAtTheCrossing(t *testing.T) {
	q := newQuotaEnv(t, midMonth)
	q.reserve(time.Minute, "a", "a/1", 70, 70)
	q.commit(2*time.Minute, "a", "a/1", 70)
	q.reserve(3*time.Minute, "a", "a/2", 13, 13)
	var beforeCommit int
	q.RegisterDelayedCallback(func() {
		q.mu.Lock()
		beforeCommit = len(q.notices)
		q.mu.Unlock()
	}, 4*time.Minute)
	q.commit(5*time.Minute, "a", "a/2", 13)
	var l quota.Ledger
	q.RegisterDelayedCallback(func() { l = q.ledger() }, time.Hour)
	q.ExecuteWorkflow(workflows.QuotaWorkflow, quota.Input{Limit: 100})

	require.Equal(t, 1, beforeCommit, "the warning does not wait for the commit")
	require.Len(t, q.notices, 1, "notices: %+v", q.notices)
	n := q.notices[0]
	require.Equal(t, quota.NoticeWarning, n.Kind)
	require.EqualValues(t, 70, n.Used)
	require.EqualValues(t, 10, n.Reserved)
	require.Contains(t, n.Subject(), "80 % of the monthly task quota reached (80 of 100")
	require.EqualValues(t, 83, l.Used)
	require.Equal(t, &quota.Usage{Used: 70, Reserved: 10}, l.WarnAt)
}

// TestQuotaRunsStartedBeforeTheChangeKeepTheOldRules: a run whose history
// has no version marker (started by the previous worker build) must make
// the same decisions on replay: there, exhaustion made the warning moot.
func TestQuotaRunsStartedBeforeTheChangeKeepTheOldRules(t *testing.T) {
	q := newQuotaEnv(t, midMonth)
	q.OnGetVersion("quota-warning-at-threshold", workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
	q.reserve(time.Minute, "a", "a/1", 300, 300)
	q.reserve(time.Minute, "b", "b/1", 300, 100)
	q.commit(2*time.Minute, "a", "a/1", 300)
	q.commit(2*time.Minute, "b", "b/1", 100)
	var l quota.Ledger
	q.RegisterDelayedCallback(func() { l = q.ledger() }, time.Hour)
	q.ExecuteWorkflow(workflows.QuotaWorkflow, quota.Input{Limit: 400})

	require.Len(t, q.notices, 1, "notices: %+v", q.notices)
	require.Equal(t, quota.NoticeExceeded, q.notices[0].Kind)
	require.True(t, l.Warned)
	require.Nil(t, l.WarnAt)
}
