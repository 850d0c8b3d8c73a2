package workflows_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"hubspot-brevo-sync/activities"
	"hubspot-brevo-sync/internal/integration"
	"hubspot-brevo-sync/internal/mapping"
)

// TestNewBrevoListIsCreatedOnce: an integration that names a list to
// create gets its id on the first run, writes to it, and carries it over
// continue-as-new instead of creating it again.
func TestNewBrevoListIsCreatedOnce(t *testing.T) {
	f := newFake(t, 30)
	in := input(tuning())
	in.Tuning.MaxBatchesPerRun = 2
	in.Spec.BrevoListID = 0
	in.Spec.NewBrevoList = &integration.NewBrevoList{Name: "HubSpot demo", FolderID: 3}
	h := newHarness(t, f)
	h.run(in)
	next := h.continued()
	h = newHarness(t, f)
	h.signalAt(30*time.Minute, integration.SignalStop)
	h.run(next)
	final := h.final()

	require.Equal(t, []activities.NewListInput{{Name: "HubSpot demo", FolderID: 3}}, f.newLists)
	require.EqualValues(t, brevoListID, next.Checkpoint.BrevoListID)
	for _, b := range f.inputs {
		require.EqualValues(t, brevoListID, b.BrevoListID, "batch %s", b.Key)
	}
	require.EqualValues(t, brevoListID, f.finished[0].BrevoListID)
	require.EqualValues(t, brevoListID, final.BrevoListID)
}

func TestNoBrevoListFailsTheIntegration(t *testing.T) {
	f := newFake(t, 3)
	in := input(tuning())
	in.Spec.BrevoListID = 0
	h := newHarness(t, f)
	failed := h.statusAt(10 * time.Minute)
	h.signalAt(20*time.Minute, integration.SignalStop)
	h.run(in)
	final := h.final()

	require.Equal(t, integration.StateFailed, failed.State)
	require.Contains(t, failed.LastError, "names no Brevo list")
	require.Empty(t, f.inputs)
	require.Equal(t, integration.StateStopped, final.State)
}

// TestPollIntervalIsTheWorkersCurrentSetting: each idle period reads the
// setting again; an unreadable setting waits the default five minutes.
func TestPollIntervalIsTheWorkersCurrentSetting(t *testing.T) {
	f := newFake(t, 5)
	f.poll = 2 * time.Hour
	h := newHarness(t, f)
	h.at(time.Hour, func() {
		f.mu.Lock()
		f.poll, f.unreadable = 30*time.Minute, true
		f.mu.Unlock()
	})
	h.at(2*time.Hour+3*time.Minute, func() {
		f.mu.Lock()
		f.unreadable = false
		f.mu.Unlock()
	})
	passes := map[time.Duration]int{}
	for _, at := range []time.Duration{time.Hour, 2*time.Hour + time.Minute, 2*time.Hour + 8*time.Minute, 2*time.Hour + 38*time.Minute} {
		h.at(at, func() { passes[at] = h.status().Cursor.Pass })
	}
	h.signalAt(2*time.Hour+45*time.Minute, integration.SignalStop)
	h.run(input(tuning()))
	h.final()

	require.Equal(t, 2, passes[time.Hour], "the first idle period lasts the two hours the setting says")
	require.Equal(t, 3, passes[2*time.Hour+time.Minute])
	require.Equal(t, 4, passes[2*time.Hour+8*time.Minute], "an unreadable setting waits five minutes")
	require.Equal(t, 5, passes[2*time.Hour+38*time.Minute], "the new setting (30 minutes) applies from the next idle period")
}

func TestSyncNowEndsTheIdlePeriod(t *testing.T) {
	f := newFake(t, 5)
	h := newHarness(t, f)
	h.signalAt(10*time.Minute, integration.SignalSyncNow)
	second := h.statusAt(11 * time.Minute)
	h.signalAt(20*time.Minute, integration.SignalStop)
	h.run(input(tuning()))
	h.final()

	require.Equal(t, integration.StateIdle, second.State)
	require.Equal(t, 3, second.Cursor.Pass, "the incremental pass ran at once")
	require.Len(t, f.finished, 2)
}

// TestReconcilePassIsFull: a pass is full again once ReconcileEvery has
// passed since the last full one; the others are incremental.
func TestReconcilePassIsFull(t *testing.T) {
	f := newFake(t, 5)
	h := newHarness(t, f)
	h.signalAt(3*time.Hour+30*time.Minute, integration.SignalStop)
	in := input(tuning())
	in.Spec.ReconcileEvery = 2 * time.Hour
	h.run(in)
	h.final()

	var phases []string
	for _, b := range f.inputs {
		phases = append(phases, fmt.Sprintf("%d %s", b.Pass, b.Source.Phase))
	}
	// Passes start at about 0, 1h, 2h and 3h: the third is two hours
	// after the first.
	require.Equal(t, []string{"1 members", "2 joiners", "2 changes", "3 members", "4 joiners", "4 changes"}, phases)
	require.Len(t, f.scanned, 2, "only incremental passes scan")
}

func TestContinueAsNewWhenTemporalSuggestsIt(t *testing.T) {
	f := newFake(t, 40)
	h := newHarness(t, f)
	h.env.SetContinueAsNewSuggested(true)
	h.run(input(tuning()))
	next := h.continued()

	require.Len(t, f.inputs, 1, "the run ends after the batch under way")
	require.Equal(t, "10", next.Checkpoint.Cursor.Position)
}

// TestTasksThisMonthStartOverInANewMonth: the task count is per calendar
// month (UTC); the totals go on.
func TestTasksThisMonthStartOverInANewMonth(t *testing.T) {
	f := newFake(t, 5)
	f.lists[integration.PhaseChanges] = f.people("c", 2)
	f.scans = map[string]activities.ScanResult{"": {Members: 5, Last: true, ListSize: 5}}
	h := newHarness(t, f)
	h.env.SetStartTime(time.Date(2026, 11, 30, 23, 30, 0, 0, time.UTC))
	november := h.statusAt(10 * time.Minute)
	h.signalAt(pollInterval+10*time.Minute, integration.SignalStop)
	h.run(input(tuning()))
	final := h.final()

	require.Equal(t, "2026-11", november.Month)
	require.EqualValues(t, 5, november.TasksThisMonth)
	require.Equal(t, "2026-12", final.Month)
	require.EqualValues(t, 2, final.TasksThisMonth)
	require.EqualValues(t, 7, final.ContactsSynced)
}

func TestRecentProblemsAreBounded(t *testing.T) {
	f := newFake(t, 120)
	f.per = 30
	f.skip = map[string]int{mapping.ReasonInvalidPhone: 20}
	h := newHarness(t, f)
	h.signalAt(30*time.Minute, integration.SignalStop)
	h.run(input(tuning()))
	final := h.final()

	require.EqualValues(t, 4*20, final.ContactsSkipped)
	require.Len(t, final.RecentProblems, integration.MaxRecentProblems)
	require.Equal(t, "m109", final.RecentProblems[integration.MaxRecentProblems-1].HubSpotID, "the newest are kept")
}

// TestStopEndsEveryWait: a stop ends a draft, a failed integration and the
// wait for HubSpot's daily budget.
func TestStopEndsEveryWait(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(f *fakeSync, in *integration.Input)
		want  integration.State
	}{
		{"draft", func(_ *fakeSync, in *integration.Input) { in.Spec.Draft = true }, integration.StateDraft},
		{"failed", func(f *fakeSync, _ *integration.Input) { f.fail = permanently }, integration.StateFailed},
		{"daily budget", func(f *fakeSync, _ *integration.Input) { f.fail = budgetSpent }, integration.StateSyncing},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, 5)
			in := input(tuning())
			tc.setup(f, &in)
			h := newHarness(t, f)
			waiting := h.statusAt(time.Hour)
			stop := h.updateAt(time.Hour, integration.UpdateStop, integration.ResumeRequest{})
			h.run(in)
			final := h.final()

			require.Equal(t, tc.want, waiting.State)
			requireAnswered(t, stop, integration.StateStopped, "stop")
			require.Equal(t, integration.StateStopped, final.State)
		})
	}
}

func permanently(activities.BatchInput, int) error {
	return temporalNonRetryable("brevo: HTTP 401 Unauthorized", "Unauthorized")
}

func budgetSpent(activities.BatchInput, int) error {
	return dailyBudget(24 * time.Hour)
}

// TestPauseDuringTheScan: the scan stops between its calls and goes on
// from where it was.
func TestPauseDuringTheScan(t *testing.T) {
	f := newFake(t, 5)
	f.scans = map[string]activities.ScanResult{
		"":   {Members: 1000, NextAfter: "s1", ListSize: 2500},
		"s1": {Members: 1000, NextAfter: "s2", ListSize: 2500},
		"s2": {Members: 500, Last: true, ListSize: 2500},
	}
	h := newHarness(t, f)
	// Pass 2 starts after batch 1 (10s) and the poll interval; its first
	// scan call runs for the next 10s.
	h.signalAt(pollInterval+batchTime+batchTime/2, integration.SignalPause)
	paused := h.statusAt(pollInterval + 10*time.Minute)
	h.signalAt(pollInterval+20*time.Minute, integration.SignalResume)
	h.signalAt(pollInterval+30*time.Minute, integration.SignalStop)
	h.run(input(tuning()))
	final := h.final()

	require.Equal(t, integration.StatePaused, paused.State)
	require.Equal(t, integration.PhaseScan, paused.Cursor.Phase)
	require.Equal(t, "s1", paused.Cursor.Position)
	require.Equal(t, 1000, paused.Cursor.Seen)
	require.Equal(t, 40, paused.Progress())
	var afters []string
	for _, in := range f.scanned {
		afters = append(afters, in.After)
	}
	require.Equal(t, []string{"", "s1", "s2"}, afters, "the scan goes on from its cursor")
	require.Equal(t, 2500, final.Cursor.Seen)
}

// TestPauseConfirmsTheImportsInFlight: a paused integration has nothing
// in flight: what it sent is confirmed and counted before it pauses.
func TestPauseConfirmsTheImportsInFlight(t *testing.T) {
	f := newFake(t, 100)
	tu := tuning()
	tu.ImportMin = 5
	h := newHarness(t, f)
	h.signalAt(2*batchTime+batchTime/2, integration.SignalPause) // while batch 3 runs
	paused := h.statusAt(30 * time.Minute)
	h.signalAt(time.Hour, integration.SignalStop)
	h.run(input(tu))
	h.final()

	require.Equal(t, integration.StatePaused, paused.State)
	require.Zero(t, paused.PendingImports)
	require.EqualValues(t, 30, paused.ContactsSynced)
	_, log, _ := f.snapshot()
	require.Equal(t, []string{"batch members 1/1", "batch members 1/2", "batch members 1/3", "batch confirm 1/4"}, log)
}

// TestSearchAttributeFollowsTheState: the IntegrationState search
// attribute (lists in the Web UI, `starter list` without a worker) shows
// the state the integration is in, also while its first batch after an
// activation or a resume runs.
func TestSearchAttributeFollowsTheState(t *testing.T) {
	f := newFake(t, 40)
	revoked := true
	f.fail = func(in activities.BatchInput, _ int) error {
		if revoked && in.Source.Position == "20" {
			return temporalNonRetryable("brevo: HTTP 401 Unauthorized", "Unauthorized")
		}
		return nil
	}
	h := newHarness(t, f)
	draft := h.stateAt(time.Hour)
	h.signalAt(time.Hour, integration.SignalActivate)
	activated := h.stateAt(time.Hour + batchTime/2) // the first batch runs
	failed := h.stateAt(2 * time.Hour)
	h.at(2*time.Hour, func() {
		f.mu.Lock()
		revoked = false
		f.mu.Unlock()
		h.env.SignalWorkflow(integration.SignalResume, nil)
	})
	resumed := h.stateAt(2*time.Hour + batchTime/2)
	idle := h.stateAt(3 * time.Hour)
	h.signalAt(3*time.Hour, integration.SignalStop)
	in := input(tuning())
	in.Spec.Draft = true
	h.run(in)
	h.final()

	require.Equal(t, "draft", *draft)
	require.Equal(t, "syncing", *activated)
	require.Equal(t, "failed", *failed)
	require.Equal(t, "syncing", *resumed)
	require.Equal(t, "idle", *idle)
	require.Equal(t, "stopped", h.states[len(h.states)-1])
}

// TestRegisteredUnderTheContractName: the starter starts integrations by
// the contract's type name, which Register gives the workflow.
func TestRegisteredUnderTheContractName(t *testing.T) {
	f := newFake(t, 5)
	h := newHarness(t, f) // registers the workflows
	h.signalAt(30*time.Minute, integration.SignalStop)
	h.env.ExecuteWorkflow(integration.WorkflowType, input(tuning()))
	final := h.final()

	require.Equal(t, integration.StateStopped, final.State)
	require.EqualValues(t, 5, final.ContactsSynced)
}

// TestScanFailureResumesFromTheScanCursor: a scan call that fails for good
// fails the integration; resume scans on from where it was.
func TestScanFailureResumesFromTheScanCursor(t *testing.T) {
	f := newFake(t, 5)
	f.scans = map[string]activities.ScanResult{
		"":   {Members: 1000, NextAfter: "s1", ListSize: 1500},
		"s1": {Members: 500, Last: true, ListSize: 1500},
	}
	revoked := true
	f.scanFail = func(in activities.ScanInput) error {
		if revoked && in.After == "s1" {
			return temporalNonRetryable("hubspot lists: HTTP 403 Forbidden", "Forbidden")
		}
		return nil
	}
	h := newHarness(t, f)
	failed := h.statusAt(pollInterval + 10*time.Minute)
	h.at(pollInterval+20*time.Minute, func() {
		f.mu.Lock()
		revoked = false
		f.mu.Unlock()
		h.env.SignalWorkflow(integration.SignalResume, nil)
	})
	h.signalAt(pollInterval+30*time.Minute, integration.SignalStop)
	h.run(input(tuning()))
	final := h.final()

	require.Equal(t, integration.StateFailed, failed.State)
	require.Contains(t, failed.LastError, "403")
	require.Equal(t, integration.PhaseScan, failed.Cursor.Phase)
	require.Equal(t, "s1", failed.Cursor.Position)
	var afters []string
	for _, in := range f.scanned {
		afters = append(afters, in.After)
	}
	require.Equal(t, []string{"", "s1", "s1"}, afters)
	require.Equal(t, 1500, final.Cursor.Seen, "the members read before the failure count once")
	require.Empty(t, final.LastError)
}

// TestInputTuningOverridesTheDefaultsItSets: the first run's tuning is the
// input's, its zero fields the defaults; without one, the defaults.
func TestInputTuningOverridesTheDefaultsItSets(t *testing.T) {
	d := integration.DefaultTuning()
	for _, tc := range []struct {
		name   string
		tuning *integration.Tuning
		pages  int
	}{
		{"none", nil, d.PagesPerBatch},
		{"some", &integration.Tuning{PagesPerBatch: d.PagesPerBatch + 1}, d.PagesPerBatch + 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, 5)
			h := newHarness(t, f)
			h.signalAt(30*time.Minute, integration.SignalStop)
			h.run(integration.Input{Spec: spec(), Tuning: tc.tuning})
			h.final()

			require.Len(t, f.inputs, 1)
			in := f.inputs[0]
			require.Equal(t, tc.pages, in.Source.Pages)
			require.Equal(t, d.ImportMin, in.ImportMin)
			require.Equal(t, d.ImportTimeout, in.ImportTimeout)
		})
	}
}
