package workflows_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"hubspot-brevo-sync/activities"
	"hubspot-brevo-sync/workflows"
)

// fakeBrevoImports serves SyncChunk and ConfirmImports for a fakeList of
// 250 members a page: every chunk becomes one import, confirmed from the
// confirmAfter-th check on.
type fakeBrevoImports struct {
	l            *fakeList
	confirmAfter int
	failed       map[int64]bool // processes that fail

	mu             sync.Mutex
	chunks         []activities.ChunkInput
	checks         int
	committedAtChk []int64 // quota committed when each check ran
	rewritten      []int64
}

func (f *fakeBrevoImports) chunk(_ context.Context, in activities.ChunkInput) (activities.ChunkResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.chunks = append(f.chunks, in)
	start := 0
	if in.After != "" {
		p, _ := strconv.Atoi(in.After)
		start = p * f.l.perPage
	}
	end := min(start+in.Pages*f.l.perPage, f.l.size)
	res := activities.ChunkResult{
		Members: end - start, ListSize: f.l.size, Pages: (end - start + f.l.perPage - 1) / f.l.perPage,
		Imports: []activities.ImportSent{{ProcessID: int64(len(f.chunks)), Contacts: end - start, Created: end - start}},
	}
	if end < f.l.size {
		res.NextAfter = strconv.Itoa(end / f.l.perPage)
	} else {
		res.Last = true
	}
	return res, nil
}

func (f *fakeBrevoImports) confirm(_ context.Context, in activities.ConfirmInput) ([]activities.ImportStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.checks++
	f.l.mu.Lock()
	f.committedAtChk = append(f.committedAtChk, f.l.committed)
	f.l.mu.Unlock()
	var out []activities.ImportStatus
	for _, id := range in.ProcessIDs {
		st := activities.ImportStatus{ProcessID: id}
		if f.checks >= f.confirmAfter {
			st.Done = true
			if f.failed[id] {
				st.Failed, st.Report = true, "Brevo import "+strconv.FormatInt(id, 10)+" failed: boom"
			}
		}
		out = append(out, st)
	}
	return out, nil
}

func (f *fakeBrevoImports) rewrite(_ context.Context, in activities.RewriteInput) (activities.UpsertResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rewritten = append(f.rewritten, in.ProcessID)
	return activities.UpsertResult{Created: 1990, Failed: 10}, nil
}

func bulkEnv(t *testing.T, l *fakeList, f *fakeBrevoImports) *testsuite.TestWorkflowEnvironment {
	env := newEnvWith(t, l, mocks{})
	env.OnActivity(a.SyncChunk, mock.Anything, mock.Anything).Return(f.chunk)
	env.OnActivity(a.ConfirmImports, mock.Anything, mock.Anything).Return(f.confirm)
	env.OnActivity(a.RewriteImport, mock.Anything, mock.Anything).Return(f.rewrite)
	return env
}

func bulkSpec(size int) workflows.IntegrationSpec {
	s := spec(false)
	s.ListSizeHint = size
	return s
}

// runUntilIdle runs the workflow, stops it once idle and returns the status
// seen while idle.
func runUntilIdle(t *testing.T, env *testsuite.TestWorkflowEnvironment, in workflows.IntegrationInput) workflows.Status {
	t.Helper()
	var idle workflows.Status
	env.RegisterDelayedCallback(func() {
		idle = query(t, env)
		env.SignalWorkflow(workflows.SignalStop, nil)
	}, 50*time.Minute)
	env.ExecuteWorkflow(workflows.IntegrationWorkflow, in)
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	return idle
}

func TestBulkPassCountsImportsOnlyOnceConfirmed(t *testing.T) {
	l := &fakeList{size: 6000, perPage: 250, quotaLeft: -1}
	f := &fakeBrevoImports{l: l, confirmAfter: 3}
	env := bulkEnv(t, l, f)
	idle := runUntilIdle(t, env, workflows.IntegrationInput{Spec: bulkSpec(6000)})

	require.Equal(t, workflows.StateIdle, idle.State)
	require.Len(t, f.chunks, 3, "6,000 members in chunks of 8 pages")
	require.Empty(t, l.fetched, "no page read one by one")
	require.Empty(t, l.written, "nothing written contact by contact")
	for i, c := range f.committedAtChk[:f.confirmAfter-1] {
		require.Zero(t, c, "check %d: quota committed before Brevo confirmed an import", i+1)
	}
	require.EqualValues(t, 6000, l.committed)
	require.EqualValues(t, 6000, idle.ContactsSynced)
	require.EqualValues(t, 6000, idle.ContactsCreated)
	require.EqualValues(t, 6000, idle.TasksThisMonth)
	require.Zero(t, idle.PendingImports)
	require.Equal(t, 6000, idle.Cursor.ListSize)
}

func TestBulkFailedImportIsWrittenContactByContact(t *testing.T) {
	l := &fakeList{size: 6000, perPage: 250, quotaLeft: -1}
	f := &fakeBrevoImports{l: l, confirmAfter: 1, failed: map[int64]bool{2: true}}
	env := bulkEnv(t, l, f)
	idle := runUntilIdle(t, env, workflows.IntegrationInput{Spec: bulkSpec(6000)})

	require.Equal(t, []int64{2}, f.rewritten)
	require.EqualValues(t, 2000+1990+2000, idle.ContactsSynced)
	require.EqualValues(t, 10, idle.ContactsFailed)
	require.EqualValues(t, 2000+1990+2000, l.committed)
	var reported bool
	for _, o := range idle.RecentProblems {
		if o.Reason == activities.ReasonImportRejected {
			reported = true
		}
	}
	require.True(t, reported, "the failed import is visible in the status: %+v", idle.RecentProblems)
}

func TestBulkPartialGrantFallsBackToPages(t *testing.T) {
	l := &fakeList{size: 6000, perPage: 250, quotaLeft: 3000}
	f := &fakeBrevoImports{l: l, confirmAfter: 1}
	env := bulkEnv(t, l, f)
	var st workflows.Status
	env.RegisterDelayedCallback(func() {
		st = query(t, env)
		env.SignalWorkflow(workflows.SignalStop, nil)
	}, 50*time.Minute)
	env.ExecuteWorkflow(workflows.IntegrationWorkflow, workflows.IntegrationInput{Spec: bulkSpec(6000)})
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())

	require.Len(t, f.chunks, 1, "the second chunk got a partial grant")
	require.Equal(t, workflows.StateQuotaExceeded, st.State)
	require.Len(t, l.written, 1000, "page by page, exactly what the quota left")
	require.EqualValues(t, 3000, l.committed)
	require.EqualValues(t, 3000, st.TasksThisMonth)
	require.Equal(t, "8", l.fetched[0], "the pages continue where the chunk stopped")
}

func TestBulkContinueAsNewCarriesPendingImports(t *testing.T) {
	old := workflows.MaxPagesPerRun
	workflows.MaxPagesPerRun = 8
	defer func() { workflows.MaxPagesPerRun = old }()
	l := &fakeList{size: 6000, perPage: 250, quotaLeft: -1}
	f := &fakeBrevoImports{l: l, confirmAfter: 100}
	env := bulkEnv(t, l, f)
	env.ExecuteWorkflow(workflows.IntegrationWorkflow, workflows.IntegrationInput{Spec: bulkSpec(6000)})
	require.True(t, env.IsWorkflowCompleted())
	var can *workflow.ContinueAsNewError
	require.True(t, errors.As(env.GetWorkflowError(), &can), "want continue-as-new, got %v", env.GetWorkflowError())
	var next workflows.IntegrationInput
	require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(can.Input, &next))
	require.NotNil(t, next.State)
	require.Len(t, next.State.PendingImports, 1)
	require.Equal(t, int64(1), next.State.PendingImports[0].Imports[0].ProcessID)
	require.NotEmpty(t, next.State.PendingImports[0].Reservation)
	require.Zero(t, l.committed, "nothing committed before confirmation")
	require.Zero(t, next.State.Counters.Created)
	require.Equal(t, 2000, next.State.Cursor.Seen)

	// The next run confirms the carried import and commits it.
	f.confirmAfter = 0
	workflows.MaxPagesPerRun = old
	env2 := bulkEnv(t, l, f)
	idle := runUntilIdle(t, env2, next)
	require.EqualValues(t, 6000, idle.ContactsSynced)
	require.EqualValues(t, 6000, l.committed)
}

func TestSmallListStaysOnThePagePath(t *testing.T) {
	l := &fakeList{size: 600, perPage: 250, quotaLeft: -1}
	f := &fakeBrevoImports{l: l, confirmAfter: 1}
	env := bulkEnv(t, l, f)
	idle := runUntilIdle(t, env, workflows.IntegrationInput{Spec: bulkSpec(600)})
	require.Empty(t, f.chunks)
	require.Len(t, l.written, 600)
	require.EqualValues(t, 600, idle.ContactsSynced)
}
