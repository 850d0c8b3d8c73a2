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
	f.polls = []time.Duration{2 * time.Hour, 0, 30 * time.Minute}
	h := newHarness(t, f)
	passes := map[time.Duration]int{}
	for _, at := range []time.Duration{time.Hour, 2*time.Hour + time.Minute, 2*time.Hour + 6*time.Minute, 2*time.Hour + 37*time.Minute} {
		h.at(at, func() { passes[at] = h.status().Cursor.Pass })
	}
	h.signalAt(2*time.Hour+40*time.Minute, integration.SignalStop)
	h.run(input(tuning()))
	h.final()

	require.Equal(t, 2, passes[time.Hour], "the first idle period lasts the two hours the setting says")
	require.Equal(t, 3, passes[2*time.Hour+time.Minute])
	require.Equal(t, 4, passes[2*time.Hour+6*time.Minute], "an unreadable setting waits five minutes")
	require.Equal(t, 5, passes[2*time.Hour+37*time.Minute], "the new setting (30 minutes) applies from the next idle period")
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
