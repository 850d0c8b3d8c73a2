package workflows_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"hubspot-brevo-sync/activities"
	"hubspot-brevo-sync/internal/integration"
	"hubspot-brevo-sync/internal/quota"
)

func guardError() error {
	return temporal.NewNonRetryableApplicationError("unlink guard: 5 of 5 members left", activities.ErrTypeUnlinkGuard, nil)
}

// requireAnswered checks that an update completed with the state.
func requireAnswered(t *testing.T, u *updateOutcome, want integration.State, what string) {
	t.Helper()
	require.True(t, u.done, "%s: no answer", what)
	require.NoError(t, u.rejected, what)
	require.NoError(t, u.err, what)
	require.Equal(t, want, u.state, what)
}

// requireRefused checks that an update's validator refused it with a
// one-line reason.
func requireRefused(t *testing.T, u *updateOutcome, contains, what string) {
	t.Helper()
	require.True(t, u.done, "%s: no answer", what)
	require.Error(t, u.rejected, what)
	require.Contains(t, u.rejected.Error(), contains, what)
	require.NotContains(t, u.rejected.Error(), "\n", what)
}

// TestUpdatesAnswerWithTheStateReached: pause answers "paused" once the
// running batch ended, resume "syncing" once the pass goes on, stop
// "stopped" once the workflow is about to end.
func TestUpdatesAnswerWithTheStateReached(t *testing.T) {
	f := newFake(t, 40)
	h := newHarness(t, f)
	pause := h.updateAt(batchTime+batchTime/2, integration.UpdatePause, integration.ResumeRequest{})
	paused := h.statusAt(30 * time.Minute)
	var whilePaused int
	h.at(59*time.Minute, func() { whilePaused = len(f.inputs) })
	resume := h.updateAt(time.Hour, integration.UpdateResume, integration.ResumeRequest{})
	idle := h.statusAt(time.Hour + 30*time.Minute)
	stop := h.updateAt(time.Hour+40*time.Minute, integration.UpdateStop, integration.ResumeRequest{})
	h.run(input(tuning()))
	final := h.final()

	requireAnswered(t, pause, integration.StatePaused, "pause")
	require.Equal(t, integration.StatePaused, paused.State)
	require.Equal(t, "20", paused.Cursor.Position)
	require.Equal(t, 2, whilePaused)
	requireAnswered(t, resume, integration.StateSyncing, "resume")
	require.Equal(t, integration.StateIdle, idle.State)
	require.EqualValues(t, 40, idle.ContactsSynced)
	requireAnswered(t, stop, integration.StateStopped, "stop")
	require.Equal(t, integration.StateStopped, final.State)
}

func TestActivateUpdate(t *testing.T) {
	f := newFake(t, 3)
	h := newHarness(t, f)
	resumeDraft := h.updateAt(time.Minute, integration.UpdateResume, integration.ResumeRequest{})
	activate := h.updateAt(time.Hour, integration.UpdateActivate, integration.ResumeRequest{})
	again := h.updateAt(time.Hour+time.Minute, integration.UpdateActivate, integration.ResumeRequest{})
	h.signalAt(time.Hour+30*time.Minute, integration.SignalStop)
	in := input(tuning())
	in.Spec.Draft = true
	h.run(in)
	final := h.final()

	requireRefused(t, resumeDraft, "resume: the integration is not paused or failed", "resume of a draft")
	requireAnswered(t, activate, integration.StateSyncing, "activate")
	requireRefused(t, again, "activate: the integration is not a draft", "second activate")
	require.EqualValues(t, 3, final.ContactsSynced)
}

// TestValidatorsRefuseWhatMakesNoSense: resume of an idle integration and
// pause of a paused one are refused with one line, and change nothing.
func TestValidatorsRefuseWhatMakesNoSense(t *testing.T) {
	f := newFake(t, 10)
	h := newHarness(t, f)
	resumeIdle := h.updateAt(10*time.Minute, integration.UpdateResume, integration.ResumeRequest{})
	idle := h.statusAt(11 * time.Minute)
	h.signalAt(20*time.Minute, integration.SignalPause)
	pauseAgain := h.updateAt(30*time.Minute, integration.UpdatePause, integration.ResumeRequest{})
	paused := h.statusAt(31 * time.Minute)
	stop := h.updateAt(40*time.Minute, integration.UpdateStop, integration.ResumeRequest{})
	h.run(input(tuning()))
	final := h.final()

	requireRefused(t, resumeIdle, "resume: the integration is not paused or failed", "resume of an idle integration")
	require.Equal(t, integration.StateIdle, idle.State)
	requireRefused(t, pauseAgain, "pause: the integration is already paused", "pause of a paused integration")
	require.Equal(t, integration.StatePaused, paused.State)
	requireAnswered(t, stop, integration.StateStopped, "stop of a paused integration")
	require.Equal(t, integration.StateStopped, final.State)
}

// TestStopWhileStopping: a stop asked while the running batch ends is
// answered once stopped; a second one is refused.
func TestStopWhileStopping(t *testing.T) {
	f := newFake(t, 40)
	h := newHarness(t, f)
	stop := h.updateAt(batchTime+batchTime/4, integration.UpdateStop, integration.ResumeRequest{})
	again := h.updateAt(batchTime+batchTime/2, integration.UpdateStop, integration.ResumeRequest{})
	h.run(input(tuning()))
	final := h.final()

	requireAnswered(t, stop, integration.StateStopped, "stop")
	requireRefused(t, again, "stop: the integration is already stopping", "second stop")
	require.Equal(t, integration.StateStopped, final.State)
	require.EqualValues(t, 20, final.ContactsSynced, "the running batch ends; no other starts")
}

// TestPauseUpdateAfterAPauseSignal: a pause asked for by signal and not
// acted on yet is refused as such, not as "already syncing".
func TestPauseUpdateAfterAPauseSignal(t *testing.T) {
	f := newFake(t, 40)
	h := newHarness(t, f)
	h.signalAt(batchTime+batchTime/4, integration.SignalPause) // while batch 2 runs
	pause := h.updateAt(batchTime+batchTime/2, integration.UpdatePause, integration.ResumeRequest{})
	h.signalAt(time.Hour, integration.SignalStop)
	h.run(input(tuning()))
	h.final()

	requireRefused(t, pause, "pause: the integration is already being paused", "pause while pausing")
	require.False(t, strings.Contains(pause.rejected.Error(), string(integration.StateSyncing)), pause.rejected.Error())
}

// TestResumeUpdateOfAFailedIntegration: resume answers once the failed
// integration runs again; allowLeaves reaches the next leaves phase.
func TestResumeUpdateOfAFailedIntegration(t *testing.T) {
	f := newFake(t, 5)
	f.finish = func(in activities.FinishScanInput) (activities.FinishScanResult, error) {
		if !in.AllowLeaves {
			return activities.FinishScanResult{}, guardError()
		}
		return activities.FinishScanResult{Left: 5, Unlinked: 5}, nil
	}
	h := newHarness(t, f)
	failed := h.statusAt(10 * time.Minute)
	resume := h.updateAt(20*time.Minute, integration.UpdateResume, integration.ResumeRequest{AllowLeaves: true})
	h.signalAt(40*time.Minute, integration.SignalStop)
	h.run(input(tuning()))
	final := h.final()

	require.Equal(t, integration.StateFailed, failed.State)
	requireAnswered(t, resume, integration.StateSyncing, "resume of a failed integration")
	require.EqualValues(t, 5, final.Unlinked)
	require.Empty(t, final.LastError)
}

// TestPauseUpdateOfAFailedIntegrationEndsWithResume: a pause asked of a
// failed integration is withdrawn by the resume; it must answer then, not
// hang (a handler that never ends blocks continue-as-new for good).
func TestPauseUpdateOfAFailedIntegrationEndsWithResume(t *testing.T) {
	f := newFake(t, 5)
	failOnce := true
	f.finish = func(in activities.FinishScanInput) (activities.FinishScanResult, error) {
		if failOnce {
			failOnce = false
			return activities.FinishScanResult{}, guardError()
		}
		return activities.FinishScanResult{}, nil
	}
	tu := tuning()
	tu.MaxIdlePollsPerRun = 1
	h := newHarness(t, f)
	pause := h.updateAt(10*time.Minute, integration.UpdatePause, integration.ResumeRequest{})
	resume := h.updateAt(20*time.Minute, integration.UpdateResume, integration.ResumeRequest{})
	h.run(input(tu))
	next := h.continued()

	require.True(t, pause.done, "the pause update never answered")
	require.NoError(t, pause.err)
	require.NotEqual(t, integration.StatePaused, pause.state)
	requireAnswered(t, resume, integration.StateSyncing, "resume")
	require.Equal(t, integration.StateIdle, next.Checkpoint.State)
	require.False(t, next.Checkpoint.PauseRequested)
}

// TestStopUpdateWhenTheRunIsDueToContinueAsNew: a stop update that ends an
// idle period which also ends the run stops the workflow; the handler
// waiting for "stopped" must not be waited for by continue-as-new.
func TestStopUpdateWhenTheRunIsDueToContinueAsNew(t *testing.T) {
	f := newFake(t, 10)
	tu := tuning()
	tu.MaxIdlePollsPerRun = 1
	h := newHarness(t, f)
	stop := h.updateAt(30*time.Minute, integration.UpdateStop, integration.ResumeRequest{})
	h.run(input(tu))
	final := h.final()

	requireAnswered(t, stop, integration.StateStopped, "stop")
	require.Equal(t, integration.StateStopped, final.State)
}

// TestPauseUpdateWhenTheRunIsDueToContinueAsNew: the batch that ends a
// run's budget is also the one a pause waits for: the integration pauses
// (and answers), and continues as new only once resumed.
func TestPauseUpdateWhenTheRunIsDueToContinueAsNew(t *testing.T) {
	f := newFake(t, 40)
	tu := tuning()
	tu.MaxBatchesPerRun = 2
	h := newHarness(t, f)
	pause := h.updateAt(batchTime+batchTime/2, integration.UpdatePause, integration.ResumeRequest{})
	paused := h.statusAt(30 * time.Minute)
	resume := h.updateAt(time.Hour, integration.UpdateResume, integration.ResumeRequest{})
	h.run(input(tu))
	next := h.continued()

	requireAnswered(t, pause, integration.StatePaused, "pause")
	require.Equal(t, integration.StatePaused, paused.State)
	requireAnswered(t, resume, integration.StateSyncing, "resume")
	require.Equal(t, integration.StateSyncing, next.Checkpoint.State)
	require.False(t, next.Checkpoint.PauseRequested)
	require.Equal(t, integration.PhaseMembers, next.Checkpoint.Cursor.Phase)
}

// TestPauseUpdateWhileWaitingForTheQuota: a person can pause an
// integration the quota stopped, and is answered at once; resumed, it
// finds the quota still short and waits for it again.
func TestPauseUpdateWhileWaitingForTheQuota(t *testing.T) {
	f := newFake(t, 30)
	f.quotaLeft = 15
	h := newHarness(t, f)
	pause := h.updateAt(30*time.Minute, integration.UpdatePause, integration.ResumeRequest{})
	paused := h.statusAt(40 * time.Minute)
	resume := h.updateAt(time.Hour, integration.UpdateResume, integration.ResumeRequest{})
	again := h.statusAt(time.Hour + 30*time.Minute)
	h.at(2*time.Hour, func() {
		f.mu.Lock()
		f.quotaLeft = 100
		f.mu.Unlock()
		h.env.SignalWorkflow(quota.SignalAvailable, nil)
	})
	h.signalAt(3*time.Hour, integration.SignalStop)
	h.run(input(tuning()))
	final := h.final()

	requireAnswered(t, pause, integration.StatePaused, "pause while the quota is exhausted")
	require.Equal(t, integration.StatePaused, paused.State)
	requireAnswered(t, resume, integration.StateSyncing, "resume")
	require.Equal(t, integration.StateQuotaExceeded, again.State)
	require.EqualValues(t, 30, final.ContactsSynced)
}
