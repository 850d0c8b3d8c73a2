package workflows_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"hubspot-brevo-sync/activities"
	"hubspot-brevo-sync/internal/mapping"
	"hubspot-brevo-sync/internal/quota"
	"hubspot-brevo-sync/workflows"
)

var a *activities.Activities

// fakeList is a HubSpot list of `size` members served in pages of
// `perPage`, each member with an email; memberships cursors are page
// numbers.
type fakeList struct {
	size, perPage int
	writeTime     time.Duration // virtual time one upsert takes
	quotaLeft     int64         // tasks the fake quota still grants; < 0: unlimited

	mu      sync.Mutex
	fetched []string // cursors asked for, in order
	written []string // ext ids written to Brevo, in order

	reservations map[string]int64
	committed    int64
}

func (l *fakeList) fetch(_ context.Context, in activities.FetchPageInput) (activities.ContactPage, error) {
	l.mu.Lock()
	l.fetched = append(l.fetched, in.After)
	l.mu.Unlock()
	page := 0
	if in.After != "" {
		page, _ = strconv.Atoi(in.After)
	}
	from, to := page*l.perPage, min((page+1)*l.perPage, l.size)
	out := activities.ContactPage{Members: to - from, ListSize: l.size}
	for i := from; i < to; i++ {
		id := strconv.Itoa(1000 + i)
		out.Records = append(out.Records, mapping.Record{ID: id, Properties: map[string]string{"email": fmt.Sprintf("c%d@example.com", i)}})
	}
	if to < l.size {
		out.NextAfter = strconv.Itoa(page + 1)
	} else {
		out.Last = true
	}
	return out, nil
}

// reserve grants what the fake quota has left (all, when quotaLeft < 0).
func (l *fakeList) reserve(_ context.Context, r quota.ReserveRequest) (quota.Grant, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.reservations == nil {
		l.reservations = map[string]int64{}
	}
	if g, ok := l.reservations[r.ID]; ok {
		return quota.Grant{Granted: g}, nil
	}
	g := r.Tasks
	if l.quotaLeft >= 0 {
		g = min(g, l.quotaLeft)
		l.quotaLeft -= g
	}
	l.reservations[r.ID] = g
	return quota.Grant{Granted: g}, nil
}

func (l *fakeList) commit(_ context.Context, c quota.CommitRequest) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.committed += c.Written
	if l.quotaLeft >= 0 {
		l.quotaLeft += l.reservations[c.ID] - c.Written // the unused rest goes back
	}
	return nil
}

func (l *fakeList) upsert(_ context.Context, in activities.UpsertInput) (activities.UpsertResult, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, c := range in.Contacts {
		l.written = append(l.written, c.ExtID)
	}
	return activities.UpsertResult{Created: len(in.Contacts)}, nil
}

func spec(draft bool) workflows.IntegrationSpec {
	return workflows.IntegrationSpec{
		Name: "demo", HubSpotListID: "1", BrevoListID: 7, Draft: draft, OptInConfirmed: true,
		Mapping: mapping.Spec{Fields: []mapping.Field{{Property: "email", Attribute: mapping.AttrEmail, PropertyType: "string"}}},
	}
}

// fetchFunc and upsertFunc replace the activities in a test; nil means
// the fake list's own.
type (
	fetchFunc  = func(context.Context, activities.FetchPageInput) (activities.ContactPage, error)
	upsertFunc = func(context.Context, activities.UpsertInput) (activities.UpsertResult, error)
)

func newEnv(t *testing.T, l *fakeList, fetch fetchFunc, upsert upsertFunc) *testsuite.TestWorkflowEnvironment {
	return newEnvWith(t, l, mocks{fetch: fetch, upsert: upsert})
}

// mocks replace activities in a test; nil ones get the fake list's or a
// default that finds nothing new.
type mocks struct {
	fetch  fetchFunc
	upsert upsertFunc
	scan   func(context.Context, activities.ScanInput) (activities.ScanResult, error)
	read   func(context.Context, activities.FetchContactsInput) (activities.ContactPage, error)
	search func(context.Context, activities.SearchInput) (activities.SearchResult, error)
	finish func(context.Context, activities.FinishScanInput) (activities.FinishScanResult, error)
}

func newEnvWith(t *testing.T, l *fakeList, m mocks) *testsuite.TestWorkflowEnvironment {
	var s testsuite.WorkflowTestSuite
	s.SetLogger(log.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	env := s.NewTestWorkflowEnvironment()
	env.RegisterActivity(a)
	env.OnActivity(a.Settings).Return(activities.Settings{PollInterval: time.Hour}, nil)
	if m.fetch == nil {
		m.fetch = l.fetch
	}
	if m.upsert == nil {
		m.upsert = l.upsert
	}
	if m.scan == nil {
		m.scan = func(context.Context, activities.ScanInput) (activities.ScanResult, error) {
			return activities.ScanResult{Last: true}, nil
		}
	}
	if m.read == nil {
		m.read = func(context.Context, activities.FetchContactsInput) (activities.ContactPage, error) {
			return activities.ContactPage{Last: true}, nil
		}
	}
	if m.search == nil {
		m.search = func(context.Context, activities.SearchInput) (activities.SearchResult, error) {
			return activities.SearchResult{}, nil
		}
	}
	if m.finish == nil {
		m.finish = func(context.Context, activities.FinishScanInput) (activities.FinishScanResult, error) {
			return activities.FinishScanResult{}, nil
		}
	}
	env.OnActivity(a.FetchPage, mock.Anything, mock.Anything).Return(m.fetch)
	env.OnActivity(a.UpsertContacts, mock.Anything, mock.Anything).After(l.writeTime).Return(m.upsert)
	env.OnActivity(a.ReserveTasks, mock.Anything, mock.Anything).Return(l.reserve)
	env.OnActivity(a.CommitTasks, mock.Anything, mock.Anything).Return(l.commit)
	env.OnActivity(a.ScanMembers, mock.Anything, mock.Anything).Return(m.scan)
	env.OnActivity(a.FetchContacts, mock.Anything, mock.Anything).Return(m.read)
	env.OnActivity(a.SearchChanged, mock.Anything, mock.Anything).Return(m.search)
	env.OnActivity(a.FinishScan, mock.Anything, mock.Anything).Return(m.finish)
	env.SetTestTimeout(30 * time.Second)
	return env
}

func query(t *testing.T, env *testsuite.TestWorkflowEnvironment) workflows.Status {
	t.Helper()
	v, err := env.QueryWorkflow(workflows.QueryStatus)
	require.NoError(t, err)
	var st workflows.Status
	require.NoError(t, v.Get(&st))
	return st
}

func TestFullRunOverSeveralPagesThenIdleThenStop(t *testing.T) {
	l := &fakeList{size: 25, perPage: 10, quotaLeft: -1}
	env := newEnv(t, l, nil, nil)
	var idle workflows.Status
	env.RegisterDelayedCallback(func() {
		idle = query(t, env)
		env.SignalWorkflow(workflows.SignalStop, nil)
	}, 30*time.Minute) // well inside the first poll interval
	env.ExecuteWorkflow(workflows.IntegrationWorkflow, workflows.IntegrationInput{Spec: spec(false)})

	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	require.Equal(t, workflows.StateIdle, idle.State)
	require.EqualValues(t, 25, idle.ContactsSynced)
	require.EqualValues(t, 25, idle.TasksThisMonth)
	require.Equal(t, 2, idle.Cursor.Pass, "the next pass is prepared")
	require.Len(t, l.written, 25)
	require.Equal(t, []string{"", "1", "2"}, l.fetched)

	var final workflows.Status
	require.NoError(t, env.GetWorkflowResult(&final))
	require.Equal(t, workflows.StateStopped, final.State)
}

// TestIncrementalPassWritesJoinersAndChangesAndHandlesLeavers: after the
// initial full pass, the poll runs an incremental pass: a membership scan
// (joiners are read and written), a search of changes since the last pass
// started (minus the overlap, up to this pass's start), and the leavers.
func TestIncrementalPassWritesJoinersAndChangesAndHandlesLeavers(t *testing.T) {
	l := &fakeList{size: 5, perPage: 10, quotaLeft: -1}
	var scans []activities.ScanInput
	var searches []activities.SearchInput
	var finishes []activities.FinishScanInput
	var joinersRead []string
	env := newEnvWith(t, l, mocks{
		scan: func(_ context.Context, in activities.ScanInput) (activities.ScanResult, error) {
			scans = append(scans, in)
			return activities.ScanResult{Joined: []string{"2000"}, Members: 5, Last: true, ListSize: 5}, nil
		},
		read: func(_ context.Context, in activities.FetchContactsInput) (activities.ContactPage, error) {
			joinersRead = append(joinersRead, in.IDs...)
			return activities.ContactPage{Records: []mapping.Record{{ID: "2000", Properties: map[string]string{"email": "new@example.com"}}}, Last: true}, nil
		},
		search: func(_ context.Context, in activities.SearchInput) (activities.SearchResult, error) {
			searches = append(searches, in)
			return activities.SearchResult{Read: 7, Records: []mapping.Record{
				{ID: "1001", Properties: map[string]string{"email": "c1-new@example.com"}},
			}}, nil
		},
		finish: func(_ context.Context, in activities.FinishScanInput) (activities.FinishScanResult, error) {
			finishes = append(finishes, in)
			return activities.FinishScanResult{Left: 1, Unlinked: 1, Members: 5}, nil
		},
	})
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(workflows.SignalStop, nil) }, 90*time.Minute)
	env.ExecuteWorkflow(workflows.IntegrationWorkflow, workflows.IntegrationInput{Spec: spec(false)})
	require.NoError(t, env.GetWorkflowError())

	require.Len(t, finishes, 2, "both passes end by handling leavers")
	require.Equal(t, []int64{1, 2}, []int64{finishes[0].Scan, finishes[1].Scan})
	require.Equal(t, "unlink", finishes[1].OnLeave)
	require.Equal(t, 20, finishes[1].GuardPercent)
	require.Len(t, scans, 1, "only the incremental pass scans ids; the full pass reads pages")
	require.EqualValues(t, 2, scans[0].Scan)
	require.Equal(t, []string{"2000"}, joinersRead)
	require.Len(t, searches, 1)
	require.True(t, searches[0].Since.Before(searches[0].Until))
	require.Equal(t, activities.SearchOverlap, searches[0].Until.Sub(searches[0].Since)-time.Hour,
		"the window starts an overlap before the last pass started and ends where this pass started")

	var final workflows.Status
	require.NoError(t, env.GetWorkflowResult(&final))
	require.EqualValues(t, 7, final.ContactsSynced, "5 initial + 1 joiner + 1 change")
	require.Equal(t, []string{"1000", "1001", "1002", "1003", "1004", "2000", "1001"}, l.written)
	require.EqualValues(t, 2, final.ContactsLeft)
	require.EqualValues(t, 2, final.Unlinked)
}

func TestUnlinkGuardFailsTheIntegrationUntilAllowed(t *testing.T) {
	l := &fakeList{size: 5, perPage: 10, quotaLeft: -1}
	var allowed []bool
	env := newEnvWith(t, l, mocks{finish: func(_ context.Context, in activities.FinishScanInput) (activities.FinishScanResult, error) {
		allowed = append(allowed, in.AllowLeaves)
		if !in.AllowLeaves {
			return activities.FinishScanResult{}, temporal.NewNonRetryableApplicationError("unlink guard: 5 of 5 members left", activities.ErrTypeUnlinkGuard, nil)
		}
		return activities.FinishScanResult{Left: 5, Unlinked: 5}, nil
	}})
	var failed workflows.Status
	env.RegisterDelayedCallback(func() {
		failed = query(t, env)
		env.SignalWorkflow(workflows.SignalAllowLeaves, nil)
		env.SignalWorkflow(workflows.SignalResume, nil)
	}, 10*time.Minute)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(workflows.SignalStop, nil) }, 30*time.Minute)
	env.ExecuteWorkflow(workflows.IntegrationWorkflow, workflows.IntegrationInput{Spec: spec(false)})
	require.NoError(t, env.GetWorkflowError())

	require.Equal(t, workflows.StateFailed, failed.State)
	require.Contains(t, failed.LastError, "unlink guard")
	require.Equal(t, []bool{false, true}, allowed)
	var final workflows.Status
	require.NoError(t, env.GetWorkflowResult(&final))
	require.Equal(t, workflows.StateStopped, final.State)
	require.EqualValues(t, 5, final.Unlinked)
}

func TestPauseBetweenPagesAndResumeFromCursor(t *testing.T) {
	l := &fakeList{size: 40, perPage: 10, quotaLeft: -1}
	// Slow writes give the signals a page boundary to land on.
	l.writeTime = time.Minute
	env := newEnv(t, l, nil, nil)
	var paused workflows.Status
	var writtenWhilePaused int
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(workflows.SignalPause, nil) }, 90*time.Second)
	env.RegisterDelayedCallback(func() {
		paused = query(t, env)
		l.mu.Lock()
		writtenWhilePaused = len(l.written)
		l.mu.Unlock()
	}, 10*time.Minute)
	env.RegisterDelayedCallback(func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		require.Equal(t, writtenWhilePaused, len(l.written), "nothing is written while paused")
		env.SignalWorkflow(workflows.SignalResume, nil)
	}, 2*time.Hour)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(workflows.SignalStop, nil) }, 3*time.Hour)
	env.ExecuteWorkflow(workflows.IntegrationWorkflow, workflows.IntegrationInput{Spec: spec(false)})
	require.NoError(t, env.GetWorkflowError())

	require.Equal(t, workflows.StatePaused, paused.State)
	require.EqualValues(t, 20, paused.ContactsSynced, "the page in flight when pausing is finished, the next is not written")
	require.Equal(t, "2", paused.Cursor.Position)
	require.Len(t, l.written, 40, "resume continues from the cursor: every contact once")
	seen := map[string]bool{}
	for _, id := range l.written {
		require.False(t, seen[id], "contact %s written twice", id)
		seen[id] = true
	}
}

func TestDraftWaitsForActivation(t *testing.T) {
	l := &fakeList{size: 3, perPage: 10, quotaLeft: -1}
	env := newEnv(t, l, nil, nil)
	var draft workflows.Status
	env.RegisterDelayedCallback(func() {
		draft = query(t, env)
		env.SignalWorkflow(workflows.SignalActivate, nil)
	}, time.Hour)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(workflows.SignalStop, nil) }, 90*time.Minute)
	env.ExecuteWorkflow(workflows.IntegrationWorkflow, workflows.IntegrationInput{Spec: spec(true)})
	require.NoError(t, env.GetWorkflowError())

	require.Equal(t, workflows.StateDraft, draft.State)
	require.EqualValues(t, 0, draft.ContactsSynced)
	var final workflows.Status
	require.NoError(t, env.GetWorkflowResult(&final))
	require.EqualValues(t, 3, final.ContactsSynced)
}

func TestContinueAsNewCarriesCursorAndCounters(t *testing.T) {
	defer func(n int) { workflows.MaxPagesPerRun = n }(workflows.MaxPagesPerRun)
	workflows.MaxPagesPerRun = 2
	l := &fakeList{size: 50, perPage: 10, quotaLeft: -1}
	env := newEnv(t, l, nil, nil)
	env.ExecuteWorkflow(workflows.IntegrationWorkflow, workflows.IntegrationInput{Spec: spec(false)})

	err := env.GetWorkflowError()
	require.True(t, workflow.IsContinueAsNewError(err), "got %v", err)
	var can *workflow.ContinueAsNewError
	require.True(t, errors.As(err, &can))
	var next workflows.IntegrationInput
	require.NoError(t, converterFromCAN(err, &next))
	require.Equal(t, "2", next.State.Cursor.After)
	require.Equal(t, 20, next.State.Cursor.Seen)
	require.EqualValues(t, 20, next.State.Counters.Created)
	require.Equal(t, "demo", next.Spec.Name)

	// The next run continues from there and writes the rest exactly once.
	env2 := newEnv(t, l, nil, nil)
	env2.RegisterDelayedCallback(func() { env2.SignalWorkflow(workflows.SignalStop, nil) }, 30*time.Minute)
	workflows.MaxPagesPerRun = 100
	env2.ExecuteWorkflow(workflows.IntegrationWorkflow, next)
	require.NoError(t, env2.GetWorkflowError())
	var final workflows.Status
	require.NoError(t, env2.GetWorkflowResult(&final))
	require.EqualValues(t, 50, final.ContactsSynced)
	require.Len(t, l.written, 50)
}

func TestRetryableFailureIsRetriedAndCountedOnce(t *testing.T) {
	l := &fakeList{size: 10, perPage: 10, quotaLeft: -1}
	attempts := 0
	env := newEnv(t, l, nil, func(ctx context.Context, in activities.UpsertInput) (activities.UpsertResult, error) {
		attempts++
		if attempts < 3 {
			return activities.UpsertResult{}, temporal.NewApplicationErrorWithOptions("brevo 429", "RateLimited",
				temporal.ApplicationErrorOptions{NextRetryDelay: 10 * time.Second})
		}
		return l.upsert(ctx, in)
	})
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(workflows.SignalStop, nil) }, 30*time.Minute)
	env.ExecuteWorkflow(workflows.IntegrationWorkflow, workflows.IntegrationInput{Spec: spec(false)})
	require.NoError(t, env.GetWorkflowError())

	var final workflows.Status
	require.NoError(t, env.GetWorkflowResult(&final))
	require.Equal(t, 3, attempts)
	require.EqualValues(t, 10, final.ContactsSynced, "a retried write counts once")
	require.EqualValues(t, 10, final.TasksThisMonth)
	require.Empty(t, final.LastError)
}

func TestPermanentFailureSurfacesAsFailedAndResumeRetries(t *testing.T) {
	l := &fakeList{size: 10, perPage: 10, quotaLeft: -1}
	revoked := true
	env := newEnv(t, l, func(ctx context.Context, in activities.FetchPageInput) (activities.ContactPage, error) {
		if revoked {
			return activities.ContactPage{}, temporal.NewNonRetryableApplicationError("hubspot lists.memberships: HTTP 401 Unauthorized", "Unauthorized", nil)
		}
		return l.fetch(ctx, in)
	}, nil)
	var failed workflows.Status
	env.RegisterDelayedCallback(func() {
		failed = query(t, env)
		revoked = false // a person fixed the token
		env.SignalWorkflow(workflows.SignalResume, nil)
	}, time.Hour)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(workflows.SignalStop, nil) }, 90*time.Minute)
	env.ExecuteWorkflow(workflows.IntegrationWorkflow, workflows.IntegrationInput{Spec: spec(false)})
	require.NoError(t, env.GetWorkflowError())

	require.Equal(t, workflows.StateFailed, failed.State)
	require.Contains(t, failed.LastError, "401")
	var final workflows.Status
	require.NoError(t, env.GetWorkflowResult(&final))
	require.EqualValues(t, 10, final.ContactsSynced)
	require.Empty(t, final.LastError)
}

func TestSkippedRecordsAreCountedByReason(t *testing.T) {
	l := &fakeList{size: 0, perPage: 10, quotaLeft: -1}
	env := newEnv(t, l, func(context.Context, activities.FetchPageInput) (activities.ContactPage, error) {
		return activities.ContactPage{
			Members: 3, Missing: 1, Last: true, ListSize: 3,
			Records: []mapping.Record{
				{ID: "1", Properties: map[string]string{"email": "ok@example.com"}},
				{ID: "2", Properties: map[string]string{"email": "not-an-email"}},
			},
		}, nil
	}, nil)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(workflows.SignalStop, nil) }, 30*time.Minute)
	env.ExecuteWorkflow(workflows.IntegrationWorkflow, workflows.IntegrationInput{Spec: spec(false)})
	require.NoError(t, env.GetWorkflowError())

	var final workflows.Status
	require.NoError(t, env.GetWorkflowResult(&final))
	require.EqualValues(t, 1, final.ContactsSynced)
	require.EqualValues(t, 2, final.ContactsSkipped)
	require.Equal(t, map[string]int64{mapping.ReasonNoIdentifier: 1, mapping.ReasonNotInList: 1}, final.SkippedByReason)
	require.Len(t, final.RecentProblems, 1)
	require.Equal(t, "2", final.RecentProblems[0].HubSpotID)
}

// converterFromCAN decodes the input a continue-as-new error carries.
func converterFromCAN(err error, into any) error {
	var can *workflow.ContinueAsNewError
	if !errors.As(err, &can) {
		return fmt.Errorf("not a continue-as-new: %v", err)
	}
	return converter.GetDefaultDataConverter().FromPayloads(can.Input, into)
}

func TestDailyBudgetExhaustionWaitsForTheResetVisibly(t *testing.T) {
	l := &fakeList{size: 20, perPage: 10, quotaLeft: -1}
	calls := 0
	env := newEnv(t, l, func(ctx context.Context, in activities.FetchPageInput) (activities.ContactPage, error) {
		calls++
		if calls == 2 { // the budget runs out after the first page
			return activities.ContactPage{}, temporal.NewApplicationErrorWithOptions("hubspot: daily budget spent", activities.ErrTypeDailyBudget,
				temporal.ApplicationErrorOptions{NonRetryable: true, Details: []any{3 * time.Hour}})
		}
		return l.fetch(ctx, in)
	}, nil)
	var waiting workflows.Status
	env.RegisterDelayedCallback(func() { waiting = query(t, env) }, time.Hour)
	// Stop after the reset but before the next poll (poll interval 1h).
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(workflows.SignalStop, nil) }, 3*time.Hour+30*time.Minute)
	env.ExecuteWorkflow(workflows.IntegrationWorkflow, workflows.IntegrationInput{Spec: spec(false)})
	require.NoError(t, env.GetWorkflowError())

	require.Equal(t, workflows.StateSyncing, waiting.State)
	require.NotNil(t, waiting.WaitingUntil, "the wait is visible in status")
	require.EqualValues(t, 10, waiting.ContactsSynced)
	require.Empty(t, waiting.LastError, "waiting for the budget is not a failure")
	var final workflows.Status
	require.NoError(t, env.GetWorkflowResult(&final))
	require.EqualValues(t, 20, final.ContactsSynced, "after the reset the pass goes on from the cursor")
	require.Nil(t, final.WaitingUntil)
}
