package workflows_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"hubspot-brevo-sync/activities"
	"hubspot-brevo-sync/internal/integration"
	"hubspot-brevo-sync/internal/mapping"
	"hubspot-brevo-sync/internal/quota"
)

func TestFullPassOverSeveralBatchesThenIdleThenStop(t *testing.T) {
	f := newFake(t, 25)
	h := newHarness(t, f)
	idle := h.statusAt(30 * time.Minute) // well inside the first poll interval
	h.signalAt(40*time.Minute, integration.SignalStop)
	h.run(input(tuning()))
	final := h.final()

	require.Equal(t, integration.StateIdle, idle.State)
	require.EqualValues(t, 25, idle.ContactsSynced)
	require.EqualValues(t, 25, idle.ContactsCreated)
	require.EqualValues(t, 25, idle.TasksThisMonth)
	require.Equal(t, "2026-11", idle.Month)
	require.Equal(t, 2, idle.Cursor.Pass, "the next pass is prepared")
	require.Empty(t, idle.Cursor.Phase)
	require.Equal(t, 25, idle.Cursor.Seen)
	require.Equal(t, 25, idle.Cursor.ListSize)
	require.Equal(t, 100, idle.Progress())
	require.NotNil(t, idle.LastSyncAt)

	inputs, log, wrote := f.snapshot()
	require.Equal(t, []string{"batch members 1/1", "batch members 1/2", "batch members 1/3", "leaves 1"}, log)
	reservations := map[string]bool{}
	for i, in := range inputs {
		require.Equal(t, "demo", in.Integration)
		require.Equal(t, "1", in.HubSpotListID)
		require.EqualValues(t, 7, in.BrevoListID)
		require.Equal(t, spec().Mapping, in.Mapping)
		require.Equal(t, 1, in.Pass)
		require.Equal(t, fmt.Sprintf("1/%d", i+1), in.Key)
		require.Equal(t, activities.Source{Phase: integration.PhaseMembers, Position: []string{"", "10", "20"}[i], Pages: 3}, in.Source)
		require.Equal(t, 1000, in.ImportMin)
		require.Equal(t, time.Minute, in.ImportTimeout)
		require.Empty(t, in.Imports)
		require.Zero(t, in.MustConfirm)
		require.True(t, strings.HasPrefix(in.Reservation, "demo/") && strings.HasSuffix(in.Reservation, "/"+in.Key), in.Reservation)
		require.False(t, reservations[in.Reservation], "reservation %s used twice", in.Reservation)
		reservations[in.Reservation] = true
	}
	require.Len(t, wrote, 25)
	requireOnce(t, wrote)
	require.Len(t, f.finished, 1)
	require.Equal(t, activities.FinishScanInput{Integration: "demo", HubSpotListID: "1", BrevoListID: 7, Scan: 1, OnLeave: integration.OnLeaveUnlink,
		GuardPercent: integration.DefaultUnlinkGuardPercent}, f.finished[0])

	require.Equal(t, integration.StateStopped, final.State)
	require.EqualValues(t, 25, final.ContactsSynced)
	require.Equal(t, spec().Name, final.Spec.Name)
}

// TestIncrementalPass: after the full first pass, the poll runs an
// incremental pass: a membership scan, the joiners, the changes since the
// last pass started (minus the search overlap, up to this pass's start),
// then the leavers.
func TestIncrementalPass(t *testing.T) {
	f := newFake(t, 5)
	f.lists[integration.PhaseJoiners] = f.people("j", 12)
	f.lists[integration.PhaseChanges] = f.people("c", 3)
	f.scans = map[string]activities.ScanResult{
		"":   {Joined: 12, Members: 10, NextAfter: "s1", ListSize: 17},
		"s1": {Members: 7, Last: true, ListSize: 17},
	}
	f.finish = func(in activities.FinishScanInput) (activities.FinishScanResult, error) {
		if in.Scan == 2 {
			return activities.FinishScanResult{Left: 2, Unlinked: 1, Members: 17}, nil
		}
		return activities.FinishScanResult{Members: 5}, nil
	}
	h := newHarness(t, f)
	h.signalAt(pollInterval+30*time.Minute, integration.SignalStop)
	h.run(input(tuning()))
	final := h.final()

	inputs, log, _ := f.snapshot()
	require.Equal(t, []string{
		"batch members 1/1", "leaves 1",
		"scan ", "scan s1", "batch joiners 2/1", "batch joiners 2/2", "batch changes 2/3", "leaves 2",
	}, log)
	require.Len(t, f.scanned, 2)
	for _, in := range f.scanned {
		require.Equal(t, "demo", in.Integration)
		require.Equal(t, "1", in.HubSpotListID)
		require.EqualValues(t, 2, in.Scan)
		require.Equal(t, 5, in.Pages, "ScanPagesPerBatch")
	}
	joiners := inputs[1:3]
	require.Equal(t, activities.Source{Phase: integration.PhaseJoiners, Pages: 3}, joiners[0].Source)
	require.Equal(t, activities.Source{Phase: integration.PhaseJoiners, Position: "10", Pages: 3}, joiners[1].Source)
	changes := inputs[3].Source
	require.Equal(t, integration.PhaseChanges, changes.Phase)
	require.Empty(t, changes.Position, "the changes phase starts from its own beginning")
	require.Equal(t, 4, changes.Pages, "SearchPagesPerBatch")
	require.True(t, changes.Since.Equal(start.Add(-activities.SearchOverlap)),
		"the window starts an overlap before the last pass started: %v", changes.Since)
	require.True(t, changes.Until.Equal(final.Cursor.ModifiedAfter), "the window ends where this pass started")
	require.False(t, changes.Until.Before(start.Add(pollInterval)), "pass 2 starts after the poll interval")

	require.Len(t, f.finished, 2)
	require.EqualValues(t, 2, f.finished[1].Scan)
	require.EqualValues(t, 3, final.Cursor.Pass)
	require.EqualValues(t, 5+12+3, final.ContactsCreated)
	require.EqualValues(t, 2, final.ContactsLeft)
	require.EqualValues(t, 1, final.Unlinked)
	require.Equal(t, 17, final.Cursor.ListSize)
	require.Equal(t, 17, final.Cursor.Seen, "an incremental pass's progress is the scan's")
}

func TestPauseBetweenBatchesAndResumeFromTheCursor(t *testing.T) {
	f := newFake(t, 40)
	h := newHarness(t, f)
	h.signalAt(batchTime+batchTime/2, integration.SignalPause) // while batch 2 runs
	paused := h.statusAt(30 * time.Minute)
	var before, after int
	h.at(30*time.Minute, func() { before = len(f.inputs) })
	h.at(2*time.Hour-time.Minute, func() { after = len(f.inputs) })
	h.signalAt(2*time.Hour, integration.SignalResume)
	resumed := h.statusAt(2*time.Hour + 30*time.Minute)
	h.signalAt(2*time.Hour+40*time.Minute, integration.SignalStop)
	h.run(input(tuning()))
	h.final()

	require.Equal(t, integration.StatePaused, paused.State)
	require.EqualValues(t, 20, paused.ContactsSynced, "the batch running when paused ends; the next does not start")
	require.Equal(t, integration.PhaseMembers, paused.Cursor.Phase)
	require.Equal(t, "20", paused.Cursor.Position)
	require.Equal(t, 2, before)
	require.Equal(t, before, after, "no batch while paused")
	inputs, _, wrote := f.snapshot()
	require.Equal(t, "20", inputs[2].Source.Position, "resume goes on from the cursor")
	require.Equal(t, "1/3", inputs[2].Key)
	require.Equal(t, integration.StateIdle, resumed.State)
	require.EqualValues(t, 40, resumed.ContactsSynced)
	require.Len(t, wrote, 40)
	requireOnce(t, wrote)
}

func TestDraftWaitsForActivate(t *testing.T) {
	f := newFake(t, 3)
	h := newHarness(t, f)
	draft := h.statusAt(time.Hour)
	var before int
	h.at(time.Hour, func() { before = len(f.inputs) })
	h.signalAt(time.Hour, integration.SignalActivate)
	active := h.statusAt(time.Hour + 30*time.Minute)
	h.signalAt(time.Hour+40*time.Minute, integration.SignalStop)
	in := input(tuning())
	in.Spec.Draft = true
	h.run(in)
	final := h.final()

	require.Equal(t, integration.StateDraft, draft.State)
	require.Zero(t, before, "a draft reads nothing")
	require.EqualValues(t, 0, draft.ContactsSynced)
	require.Equal(t, integration.StateIdle, active.State)
	require.EqualValues(t, 3, final.ContactsSynced)
}

// TestContinueAsNewCarriesCheckpointAndTuning: a run continues as new
// after MaxBatchesPerRun batches, carrying cursor, counters, imports in
// flight and the tuning. The next run does what the carried tuning says,
// whatever the worker's defaults or the input's tuning.
func TestContinueAsNewCarriesCheckpointAndTuning(t *testing.T) {
	f := newFake(t, 50)
	tu := tuning()
	tu.MaxBatchesPerRun, tu.ImportMin = 2, 10 // every batch sends an import
	h := newHarness(t, f)
	h.run(input(tu))
	next := h.continued()

	require.Equal(t, spec(), next.Spec)
	cp := next.Checkpoint
	require.NotNil(t, cp)
	require.Equal(t, integration.StateSyncing, cp.State)
	require.EqualValues(t, 7, cp.BrevoListID)
	require.Equal(t, 1, cp.Cursor.Pass)
	require.Equal(t, integration.PhaseMembers, cp.Cursor.Phase)
	require.Equal(t, "20", cp.Cursor.Position)
	require.Equal(t, 2, cp.Cursor.Batches)
	require.Equal(t, 20, cp.Cursor.Seen)
	require.Equal(t, 50, cp.Cursor.ListSize)
	require.Equal(t, []int64{1, 2}, processIDs(cp.Imports), "the imports in flight are carried")
	require.EqualValues(t, 0, cp.Counters.Created, "imports count once confirmed, not when sent")
	require.Equal(t, 3, cp.Tuning.PagesPerBatch)
	require.Equal(t, 10, cp.Tuning.ImportMin)
	require.Equal(t, 2, cp.Tuning.MaxBatchesPerRun)
	// Every field is set: a worker with other defaults has nothing to
	// fill in, so it cannot change what this checkpoint does.
	v := reflect.ValueOf(cp.Tuning)
	for i := range v.NumField() {
		require.False(t, v.Field(i).IsZero(), "carried tuning leaves %s to the worker's defaults", v.Type().Field(i).Name)
	}

	// The next run gets other tuning in its input (as if the worker's
	// defaults or the starter changed): the carried checkpoint wins.
	runs := 1
	var last integration.Status
	for {
		next.Tuning = &integration.Tuning{PagesPerBatch: 99, ImportMin: 1, ImportsInFlight: 5, MaxBatchesPerRun: 500}
		seen := len(f.inputs)
		h = newHarness(t, f)
		h.signalAt(30*time.Minute, integration.SignalStop)
		h.run(next)
		runs++
		for _, in := range f.inputs[seen:] {
			if in.Source.Phase != "" {
				require.Equal(t, 3, in.Source.Pages, "batch %s", in.Key)
			}
			require.Equal(t, 10, in.ImportMin, "batch %s", in.Key)
			require.LessOrEqual(t, len(in.Imports), 2, "batch %s", in.Key)
		}
		if runs == 2 {
			require.Len(t, f.inputs[seen:], 2, "the carried MaxBatchesPerRun ends the second run too")
		}
		if !h.env.IsWorkflowCompleted() || h.env.GetWorkflowError() == nil {
			last = h.final()
			break
		}
		next = h.continued()
		require.Less(t, runs, 10, "the runs never end")
	}
	require.Equal(t, integration.StateStopped, last.State)
	require.EqualValues(t, 50, last.ContactsCreated)
	require.Zero(t, last.PendingImports)
	_, _, wrote := f.snapshot()
	require.Len(t, wrote, 50)
	requireOnce(t, wrote)
	keys := map[string]bool{}
	for _, in := range f.inputs {
		require.False(t, keys[in.Key], "batch key %s reused after continue-as-new", in.Key)
		keys[in.Key] = true
	}
}

// TestQuotaShortWaitsForTheQuota: a batch granted fewer tasks than it
// needs writes what it got and leaves the position; the integration waits
// in quota_exceeded until the quota workflow says tasks are available,
// then re-reads the same position under a new key and reservation.
func TestQuotaShortWaitsForTheQuota(t *testing.T) {
	f := newFake(t, 30)
	f.quotaLeft = 15
	f.skip = map[string]int{mapping.ReasonInvalidEmail: 1} // one a batch
	h := newHarness(t, f)
	exceeded := h.statusAt(time.Hour)
	exceededDetails := h.detailsAt(time.Hour)
	var wroteWhileExceeded int
	h.at(time.Hour, func() {
		f.mu.Lock()
		wroteWhileExceeded, f.quotaLeft = len(f.wrote), 100 // next month, or a higher limit
		f.mu.Unlock()
		h.env.SignalWorkflow(quota.SignalAvailable, nil)
	})
	h.signalAt(2*time.Hour, integration.SignalStop)
	h.run(input(tuning()))
	final := h.final()

	require.Equal(t, integration.StateQuotaExceeded, exceeded.State)
	require.Contains(t, *exceededDetails, "**quota_exceeded**")
	require.Contains(t, *exceededDetails, "the monthly task quota is exhausted")
	require.Equal(t, 15, wroteWhileExceeded, "never more than granted")
	require.EqualValues(t, 15, exceeded.TasksThisMonth)
	require.EqualValues(t, 1, exceeded.ContactsSkipped, "the short batch's records are counted when read again")
	require.Equal(t, 10, exceeded.Cursor.Seen)
	require.Equal(t, "10", exceeded.Cursor.Position, "the short batch did not move the cursor")
	inputs, _, wrote := f.snapshot()
	require.Len(t, inputs, 4)
	short, again := inputs[1], inputs[2]
	require.Equal(t, short.Source, again.Source, "the same position is read again")
	require.NotEqual(t, short.Key, again.Key)
	require.NotEqual(t, short.Reservation, again.Reservation)
	require.EqualValues(t, 27, final.ContactsSynced)
	require.EqualValues(t, 27, final.TasksThisMonth)
	require.Equal(t, 30, final.Cursor.Seen, "the members of the short batch are counted once")
	require.EqualValues(t, 3, final.ContactsSkipped)
	require.Equal(t, map[string]int64{mapping.ReasonInvalidEmail: 3}, final.SkippedByReason)
	require.Len(t, final.RecentProblems, 3)
	require.Len(t, wrote, 27)
	requireOnce(t, wrote)
}

// TestQuotaAvailableWhileTheShortBatchRuns: the quota workflow may wake
// the integration while the batch that found the quota short is still
// writing what it was granted. That wake-up must not be lost.
func TestQuotaAvailableWhileTheShortBatchRuns(t *testing.T) {
	f := newFake(t, 30)
	f.quotaLeft = 15
	h := newHarness(t, f)
	f.onShort = func() { // the limit is raised while the batch still writes
		f.quotaLeft = 100
		h.env.SignalWorkflow(quota.SignalAvailable, nil)
	}
	later := h.statusAt(30 * time.Minute)
	h.signalAt(40*time.Minute, integration.SignalStop)
	h.run(input(tuning()))
	h.final()

	require.Equal(t, integration.StateIdle, later.State, "still waiting for a wake-up that came")
	require.EqualValues(t, 30, later.ContactsSynced)
}

// TestImportsInFlight: a batch's import is confirmed by later batches;
// never more than ImportsInFlight are unconfirmed; the phase waits for all
// of them before the leaves; only confirmed imports are counted.
func TestImportsInFlight(t *testing.T) {
	f := newFake(t, 45)
	tu := tuning()
	tu.ImportMin = 5
	h := newHarness(t, f)
	afterTwo := h.statusAt(2*batchTime + batchTime/2)
	afterTwoDetails := h.detailsAt(2*batchTime + batchTime/2)
	afterThree := h.statusAt(3*batchTime + batchTime/2)
	idle := h.statusAt(30 * time.Minute)
	h.signalAt(40*time.Minute, integration.SignalStop)
	h.run(input(tu))
	h.final()

	require.EqualValues(t, 0, afterTwo.ContactsSynced, "sent imports are not counted")
	require.EqualValues(t, 0, afterTwo.TasksThisMonth)
	require.Equal(t, 20, afterTwo.PendingImports)
	require.Contains(t, *afterTwoDetails, "20 contacts in Brevo imports being confirmed")
	require.EqualValues(t, 10, afterThree.ContactsSynced, "batch 3 confirmed the first import")
	require.Equal(t, 20, afterThree.PendingImports)

	inputs, log, _ := f.snapshot()
	require.Equal(t, []string{
		"batch members 1/1", "batch members 1/2", "batch members 1/3", "batch members 1/4", "batch members 1/5",
		"batch confirm 1/6", "leaves 1",
	}, log)
	for i, in := range inputs {
		require.LessOrEqual(t, len(in.Imports), tu.ImportsInFlight, "batch %s", in.Key)
		if in.Source.Phase != "" {
			require.LessOrEqual(t, len(in.Imports)-in.MustConfirm+1, tu.ImportsInFlight,
				"batch %s may leave more imports unconfirmed than allowed", in.Key)
		} else {
			require.Equal(t, len(in.Imports), in.MustConfirm, "a confirm-only batch confirms everything")
			require.Equal(t, activities.Source{}, in.Source)
		}
		if i > 0 && f.results[i-1].Sent != nil {
			require.Contains(t, processIDs(in.Imports), f.results[i-1].Sent.ProcessID, "batch %s is given the import sent before", in.Key)
		}
	}
	require.Equal(t, []int64{1, 2}, processIDs(inputs[2].Imports))
	require.Equal(t, 1, inputs[2].MustConfirm)
	require.Equal(t, integration.StateIdle, idle.State)
	require.EqualValues(t, 45, idle.ContactsSynced)
	require.EqualValues(t, 45, idle.TasksThisMonth)
	require.Zero(t, idle.PendingImports)
	require.Equal(t, inputs[0].Reservation, f.results[0].Sent.Reservation, "the import commits the batch's reservation")
}

// TestStopConfirmsTheImportsInFlight: stopping mid-pass confirms what was
// sent, so every write Brevo took is counted.
func TestStopConfirmsTheImportsInFlight(t *testing.T) {
	f := newFake(t, 100)
	tu := tuning()
	tu.ImportMin = 5
	h := newHarness(t, f)
	h.signalAt(2*batchTime+batchTime/2, integration.SignalStop) // while batch 3 runs
	h.run(input(tu))
	final := h.final()

	_, log, _ := f.snapshot()
	require.Equal(t, []string{"batch members 1/1", "batch members 1/2", "batch members 1/3", "batch confirm 1/4"}, log)
	require.Equal(t, integration.StateStopped, final.State)
	require.EqualValues(t, 30, final.ContactsSynced)
	require.Zero(t, final.PendingImports)
}

// TestImportsAreConfirmedBeforeTheNextPhase: the joiners' imports are all
// confirmed before the changes phase reads, and those before the leaves.
func TestImportsAreConfirmedBeforeTheNextPhase(t *testing.T) {
	f := newFake(t, 5)
	f.lists[integration.PhaseJoiners] = f.people("j", 8)
	f.lists[integration.PhaseChanges] = f.people("c", 6)
	f.scans = map[string]activities.ScanResult{"": {Joined: 8, Members: 13, Last: true, ListSize: 13}}
	tu := tuning()
	tu.ImportMin = 5
	h := newHarness(t, f)
	h.signalAt(pollInterval+30*time.Minute, integration.SignalStop)
	h.run(input(tu))
	final := h.final()

	_, log, _ := f.snapshot()
	require.Equal(t, []string{
		"batch members 1/1", "batch confirm 1/2", "leaves 1",
		"scan ", "batch joiners 2/1", "batch confirm 2/2", "batch changes 2/3", "batch confirm 2/4", "leaves 2",
	}, log)
	require.EqualValues(t, 5+8+6, final.ContactsCreated)
}

func TestRetryableFailureIsRetriedAndCountedOnce(t *testing.T) {
	f := newFake(t, 10)
	f.fail = func(in activities.BatchInput, call int) error {
		if call < 3 {
			return temporal.NewApplicationErrorWithOptions("brevo: HTTP 429", "RateLimited", temporal.ApplicationErrorOptions{NextRetryDelay: 10 * time.Second})
		}
		return nil
	}
	h := newHarness(t, f)
	h.signalAt(30*time.Minute, integration.SignalStop)
	h.run(input(tuning()))
	final := h.final()

	require.Equal(t, 3, f.calls["1/1"], "retried under the same key")
	require.Len(t, f.calls, 1, "a retry is the same batch, not a new one")
	require.EqualValues(t, 10, final.ContactsSynced)
	require.EqualValues(t, 10, final.TasksThisMonth)
	require.Empty(t, final.LastError)
}

func TestPermanentFailureThenResumeRetries(t *testing.T) {
	f := newFake(t, 20)
	revoked := true
	f.fail = func(in activities.BatchInput, _ int) error {
		if revoked && in.Source.Position == "10" {
			return temporal.NewNonRetryableApplicationError("hubspot contacts: HTTP 401 Unauthorized", "Unauthorized", nil)
		}
		return nil
	}
	h := newHarness(t, f)
	failed := h.statusAt(30 * time.Minute)
	failedDetails := h.detailsAt(30 * time.Minute)
	h.at(time.Hour, func() {
		f.mu.Lock()
		revoked = false // a person fixed the token
		f.mu.Unlock()
		h.env.SignalWorkflow(integration.SignalResume, nil)
	})
	h.signalAt(90*time.Minute, integration.SignalStop)
	h.run(input(tuning()))
	final := h.final()

	require.Equal(t, integration.StateFailed, failed.State)
	require.Contains(t, failed.LastError, "401")
	require.Contains(t, *failedDetails, "**failed**")
	require.Contains(t, *failedDetails, "last error: hubspot contacts: HTTP 401 Unauthorized")
	require.NotContains(t, failed.LastError, "\n")
	require.EqualValues(t, 10, failed.ContactsSynced)
	require.Equal(t, "10", failed.Cursor.Position)
	require.Equal(t, 1, f.calls["1/2"], "a permanent failure is not retried by Temporal")
	inputs, _, wrote := f.snapshot()
	require.Equal(t, "10", inputs[2].Source.Position, "resume retries from the cursor")
	require.EqualValues(t, 20, final.ContactsSynced)
	require.Empty(t, final.LastError)
	requireOnce(t, wrote)
}

func TestSkippedAreCountedByReason(t *testing.T) {
	f := newFake(t, 10)
	f.skip = map[string]int{mapping.ReasonInvalidEmail: 2, mapping.ReasonNotInList: 1}
	h := newHarness(t, f)
	h.signalAt(30*time.Minute, integration.SignalStop)
	h.run(input(tuning()))
	final := h.final()

	require.EqualValues(t, 7, final.ContactsSynced)
	require.EqualValues(t, 3, final.ContactsSkipped)
	require.Equal(t, map[string]int64{mapping.ReasonInvalidEmail: 2, mapping.ReasonNotInList: 1}, final.SkippedByReason)
	require.Len(t, final.RecentProblems, 2)
	for _, p := range final.RecentProblems {
		require.Equal(t, mapping.ReasonInvalidEmail, p.Reason)
	}
}

func TestDailyBudgetWait(t *testing.T) {
	f := newFake(t, 20)
	spent := false
	f.fail = func(in activities.BatchInput, _ int) error {
		if in.Source.Position == "10" && !spent {
			spent = true
			return temporal.NewApplicationErrorWithOptions("hubspot: daily budget spent", activities.ErrTypeDailyBudget,
				temporal.ApplicationErrorOptions{NonRetryable: true, Details: []any{3 * time.Hour}})
		}
		return nil
	}
	h := newHarness(t, f)
	waiting := h.statusAt(time.Hour)
	waitingDetails := h.detailsAt(time.Hour)
	var at1h, at3h int
	h.at(time.Hour, func() { at1h = len(f.inputs) })
	h.at(3*time.Hour, func() { at3h = len(f.inputs) })
	// Stop after the reset, before the next poll.
	h.signalAt(3*time.Hour+30*time.Minute, integration.SignalStop)
	h.run(input(tuning()))
	final := h.final()

	require.Equal(t, integration.StateSyncing, waiting.State)
	require.NotNil(t, waiting.WaitingUntil, "the wait is visible in the status")
	require.Contains(t, *waitingDetails, "waiting for HubSpot's daily API budget until "+waiting.WaitingUntil.UTC().Format(time.RFC3339))
	require.True(t, waiting.WaitingUntil.After(start.Add(3*time.Hour)), "%v", waiting.WaitingUntil)
	require.Empty(t, waiting.LastError, "waiting for the budget is not a failure")
	require.EqualValues(t, 10, waiting.ContactsSynced)
	require.Equal(t, 2, at1h)
	require.Equal(t, at1h, at3h, "nothing is read while the budget is spent")
	inputs, _, _ := f.snapshot()
	require.Equal(t, "10", inputs[2].Source.Position, "after the reset the pass goes on from the cursor")
	require.EqualValues(t, 20, final.ContactsSynced)
	require.Nil(t, final.WaitingUntil)
}

// TestUnlinkGuardFailsUntilAllowed: the guard's refusal fails the
// integration; resume with allow-leaves runs the leaves phase again with
// the override, once.
func TestUnlinkGuardFailsUntilAllowed(t *testing.T) {
	f := newFake(t, 5)
	f.finish = func(in activities.FinishScanInput) (activities.FinishScanResult, error) {
		if !in.AllowLeaves {
			return activities.FinishScanResult{}, temporal.NewNonRetryableApplicationError("unlink guard: 5 of 5 members left", activities.ErrTypeUnlinkGuard, nil)
		}
		return activities.FinishScanResult{Left: 5, Unlinked: 5}, nil
	}
	h := newHarness(t, f)
	failed := h.statusAt(10 * time.Minute)
	h.signalAt(20*time.Minute, integration.SignalAllowLeaves)
	h.signalAt(20*time.Minute, integration.SignalResume)
	h.signalAt(pollInterval+40*time.Minute, integration.SignalStop)
	h.run(input(tuning()))
	final := h.final()

	require.Equal(t, integration.StateFailed, failed.State)
	require.Contains(t, failed.LastError, "unlink guard")
	var allowed []bool
	for _, in := range f.finished {
		allowed = append(allowed, in.AllowLeaves)
	}
	require.Equal(t, []bool{false, true, false}, allowed, "the override holds for one pass")
	require.EqualValues(t, 5, final.Unlinked)
}

// TestNoEmailInWhatTheWorkflowExchanges: the workflow's inputs, results,
// signals, queries and continue-as-new input carry ids and counts, never
// a contact's email (the emails are in the fake's store only).
func TestNoEmailInWhatTheWorkflowExchanges(t *testing.T) {
	scenario := func(t *testing.T, leak bool) (*fakeSync, *recorder) {
		f := newFake(t, 25)
		f.lists[integration.PhaseJoiners] = f.people("j", 6)
		f.lists[integration.PhaseChanges] = f.people("c", 7)
		f.scans = map[string]activities.ScanResult{"": {Joined: 6, Members: 31, Last: true, ListSize: 31}}
		f.skip = map[string]int{mapping.ReasonInvalidValue: 1}
		f.leak = leak
		tu := tuning()
		tu.ImportMin, tu.MaxBatchesPerRun = 5, 6
		h := newHarness(t, f)
		h.signalAt(time.Minute, integration.SignalSyncNow)
		h.at(2*time.Minute, func() { h.status() })
		var details []*string
		for _, at := range []time.Duration{batchTime / 2, 3 * batchTime / 2, time.Minute / 2, time.Minute + batchTime} {
			details = append(details, h.detailsAt(at))
		}
		defer func() {
			for _, d := range details {
				require.NotEmpty(t, *d)
				require.NotContains(t, *d, "@", "the current details show an email")
			}
		}()
		h.run(input(tu))
		next := h.continued()
		rec := h.rec
		h = newHarness(t, f)
		h.rec = rec
		h.env.SetDataConverter(rec)
		h.signalAt(pollInterval/2, integration.SignalStop)
		h.run(next)
		h.final()
		return f, h.rec
	}
	f, rec := scenario(t, false)
	require.NotEmpty(t, rec.containing(`"key":"1/1"`), "the recorder sees the activity inputs")
	require.NotEmpty(t, rec.containing(`"reason":"invalid_value"`), "the recorder sees the activity results")
	require.NotEmpty(t, rec.containing(`"checkpoint"`), "the recorder sees the continue-as-new input")
	require.Greater(t, len(f.store), 30)
	for id, email := range f.store {
		require.Empty(t, rec.containing(email), "the email of %s left the store", id)
	}
	require.Empty(t, rec.containing("@"))

	// The same check finds an email that an activity lets out.
	_, rec = scenario(t, true)
	require.NotEmpty(t, rec.containing("@example.com"))
}

// TestLeavesDeferredWhileHubSpotRecomputesTheList: a leaves phase that
// finds the list still being computed unlinks nobody and says so; the
// allowance to unlink waits for the pass that does handle the leavers.
func TestLeavesDeferredWhileHubSpotRecomputesTheList(t *testing.T) {
	f := newFake(t, 5)
	f.finish = func(in activities.FinishScanInput) (activities.FinishScanResult, error) {
		if in.Scan == 1 {
			return activities.FinishScanResult{Deferred: true, ListStatus: "PROCESSING", Unseen: 3}, nil
		}
		return activities.FinishScanResult{Left: 3, Unlinked: 3}, nil
	}
	h := newHarness(t, f)
	h.signalAt(batchTime/2, integration.SignalAllowLeaves) // before the first leaves
	deferred := h.statusAt(30 * time.Minute)
	deferredDetails := h.detailsAt(30 * time.Minute)
	h.signalAt(pollInterval+30*time.Minute, integration.SignalStop)
	h.run(input(tuning()))
	final := h.final()

	require.Equal(t, integration.StateIdle, deferred.State)
	require.True(t, deferred.Cursor.LeavesDeferred)
	require.Contains(t, *deferredDetails, "its leavers wait for the next pass")
	require.EqualValues(t, 0, deferred.ContactsLeft)
	require.Len(t, f.finished, 2)
	require.True(t, f.finished[0].AllowLeaves)
	require.True(t, f.finished[1].AllowLeaves, "the allowance waits for the pass that handles the leavers")
	require.False(t, final.Cursor.LeavesDeferred)
	require.EqualValues(t, 3, final.ContactsLeft)
	require.EqualValues(t, 3, final.Unlinked)
}

// TestFailedConfirmAtThePhaseEndResumesWithoutRereading: the imports of a
// phase are confirmed after its last batch; when that fails for good, the
// phase has been read all the same: resume confirms and goes on, it does
// not read the list again from its start (HubSpot's cursor after the last
// page is empty, like the first).
func TestFailedConfirmAtThePhaseEndResumesWithoutRereading(t *testing.T) {
	f := newFake(t, 20)
	tu := tuning()
	tu.ImportMin = 5
	revoked := true
	f.fail = func(in activities.BatchInput, _ int) error {
		if in.Source.Phase == "" && revoked {
			return temporal.NewNonRetryableApplicationError("brevo contacts: HTTP 401 Unauthorized", "Unauthorized", nil)
		}
		return nil
	}
	h := newHarness(t, f)
	failed := h.statusAt(10 * time.Minute)
	h.at(20*time.Minute, func() {
		f.mu.Lock()
		revoked = false
		f.mu.Unlock()
		h.env.SignalWorkflow(integration.SignalResume, nil)
	})
	h.signalAt(40*time.Minute, integration.SignalStop)
	h.run(input(tu))
	final := h.final()

	require.Equal(t, integration.StateFailed, failed.State)
	require.Equal(t, 20, failed.PendingImports)
	_, log, wrote := f.snapshot()
	require.Equal(t, []string{
		"batch members 1/1", "batch members 1/2", "batch confirm 1/3", // fails
		"batch confirm 1/4", "leaves 1",
	}, log)
	require.EqualValues(t, 20, final.ContactsSynced)
	require.Equal(t, 20, final.Cursor.Seen)
	requireOnce(t, wrote)
}

// TestImportsInFlightFollowTheTuning: whatever ImportsInFlight says, the
// batches use that many imports in flight, never more.
func TestImportsInFlightFollowTheTuning(t *testing.T) {
	for _, inFlight := range []int{1, 2, 3} {
		t.Run(fmt.Sprint(inFlight), func(t *testing.T) {
			f := newFake(t, 75)
			tu := tuning()
			tu.ImportMin, tu.ImportsInFlight = 5, inFlight
			h := newHarness(t, f)
			h.signalAt(30*time.Minute, integration.SignalStop)
			h.run(input(tu))
			final := h.final()

			most := 0
			for _, in := range f.inputs {
				left := len(in.Imports) - in.MustConfirm
				if in.Source.Phase != "" {
					left++ // the import this batch may send
				}
				require.LessOrEqual(t, left, inFlight, "batch %s", in.Key)
				most = max(most, left)
			}
			require.Equal(t, inFlight, most, "imports stay in flight while the next batches read")
			require.EqualValues(t, 75, final.ContactsSynced)
		})
	}
}

// TestStopWhenTheImportsCannotBeConfirmed: a stop whose confirmations fail
// for good still stops; what was not confirmed stays visible.
func TestStopWhenTheImportsCannotBeConfirmed(t *testing.T) {
	f := newFake(t, 100)
	tu := tuning()
	tu.ImportMin = 5
	f.fail = func(in activities.BatchInput, _ int) error {
		if in.Source.Phase == "" {
			return temporal.NewNonRetryableApplicationError("brevo: HTTP 401 Unauthorized", "Unauthorized", nil)
		}
		return nil
	}
	h := newHarness(t, f)
	stop := h.updateAt(2*batchTime+batchTime/2, integration.UpdateStop, integration.ResumeRequest{})
	h.run(input(tu))
	final := h.final()

	requireAnswered(t, stop, integration.StateStopped, "stop")
	require.Equal(t, integration.StateStopped, final.State)
	require.EqualValues(t, 10, final.ContactsSynced, "batch 3 confirmed the first import")
	require.Equal(t, 20, final.PendingImports, "the others were not confirmed")
}

// TestImportsConfirmedEarlyAreForgotten: a batch may confirm more imports
// than it had to (they were done); those are counted once and not given
// to later batches.
func TestImportsConfirmedEarlyAreForgotten(t *testing.T) {
	f := newFake(t, 45)
	f.eager = true
	tu := tuning()
	tu.ImportMin, tu.ImportsInFlight = 5, 3
	h := newHarness(t, f)
	h.signalAt(30*time.Minute, integration.SignalStop)
	h.run(input(tu))
	final := h.final()

	inputs, log, _ := f.snapshot()
	for i, in := range inputs[1:] {
		require.Len(t, in.Imports, 1, "batch %s is given the one import sent before it", in.Key)
		require.Equal(t, f.results[i].Sent.ProcessID, in.Imports[0].ProcessID)
	}
	require.Equal(t, "batch confirm 1/6", log[5])
	require.EqualValues(t, 45, final.ContactsSynced)
	require.EqualValues(t, 45, final.TasksThisMonth)
}
