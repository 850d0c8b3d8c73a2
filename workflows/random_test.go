package workflows_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"hubspot-brevo-sync/activities"
	"hubspot-brevo-sync/internal/integration"
	"hubspot-brevo-sync/internal/quota"
)

// TestRandomSchedules runs the integration under schedules drawn from
// fixed seeds: list sizes, tuning, a short quota, transient and permanent
// failures, HubSpot's daily budget, and pauses, resumes, sync-nows and
// quota wake-ups at any moment, by signal or update. Whatever happens, a
// stop ends it with every write counted once (or still pending in an
// import the stop could not confirm), the imports bound kept and every
// update sent before it answered. The stop comes after a resume at the
// end (even seeds: at any moment).
func TestRandomSchedules(t *testing.T) {
	for seed := uint64(1); seed <= 80; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { randomSchedule(t, seed, seed%2 == 0) })
	}
}

func randomSchedule(t *testing.T, seed uint64, stopAnywhere bool) {
	r := rand.New(rand.NewPCG(seed, 0))
	f := newFake(t, r.IntN(80))
	f.lists[integration.PhaseJoiners] = f.people("j", r.IntN(25))
	f.lists[integration.PhaseChanges] = f.people("c", r.IntN(25))
	f.scans = map[string]activities.ScanResult{"": {Members: 10, Last: true, ListSize: 10}}
	f.per = 1 + r.IntN(15)
	if r.IntN(2) == 0 {
		f.quotaLeft = r.IntN(40)
	}
	failures := r.IntN(5)
	f.fail = func(in activities.BatchInput, call int) error {
		if call > 1 || failures == 0 || r.IntN(3) != 0 {
			return nil
		}
		failures--
		switch r.IntN(3) {
		case 0: // Temporal retries it
			return temporal.NewApplicationError("brevo: HTTP 502", "Unavailable")
		case 1: // fails the integration until resumed
			return temporal.NewNonRetryableApplicationError("brevo: HTTP 401", "Unauthorized", nil)
		default:
			return dailyBudget(time.Duration(1+r.IntN(30)) * time.Minute)
		}
	}
	tu := tuning()
	tu.ImportMin = 1 + r.IntN(12)
	tu.ImportsInFlight = 1 + r.IntN(3)
	tu.MaxBatchesPerRun = 100000 // continue-as-new is tested apart
	h := newHarness(t, f)
	var updates []*updateOutcome
	var sent []time.Duration
	end := 3 * time.Hour
	for range 2 + r.IntN(6) {
		at := time.Duration(r.Int64N(int64(end - time.Minute)))
		switch r.IntN(7) {
		case 0:
			h.signalAt(at, integration.SignalPause)
		case 1:
			h.signalAt(at, integration.SignalResume)
		case 2:
			updates = append(updates, h.updateAt(at, integration.UpdatePause, integration.ResumeRequest{}))
			sent = append(sent, at)
		case 3:
			updates = append(updates, h.updateAt(at, integration.UpdateResume, integration.ResumeRequest{}))
			sent = append(sent, at)
		case 4:
			h.signalAt(at, integration.SignalSyncNow)
		default:
			h.at(at, func() {
				f.mu.Lock()
				f.quotaLeft = -1
				f.mu.Unlock()
				h.env.SignalWorkflow(quota.SignalAvailable, nil)
			})
		}
	}
	// Whatever came before: resumed, with quota and without failures, it
	// runs to the stop.
	h.at(end, func() {
		f.mu.Lock()
		f.quotaLeft, failures = -1, 0
		f.mu.Unlock()
		h.env.SignalWorkflow(integration.SignalResume, nil)
		h.env.SignalWorkflow(quota.SignalAvailable, nil)
	})
	stopAt := end + 2*time.Hour
	if stopAnywhere {
		stopAt = time.Duration(r.Int64N(int64(stopAt)))
	}
	stop := h.updateAt(stopAt, integration.UpdateStop, integration.ResumeRequest{})
	h.run(input(tu))
	final := h.final()

	requireAnswered(t, stop, integration.StateStopped, "stop")
	for i, u := range updates {
		if sent[i] < stopAt { // a workflow that ended answers nothing
			require.True(t, u.done, "update %d never answered", i)
		}
	}
	_, _, wrote := f.snapshot()
	require.EqualValues(t, len(wrote), final.ContactsCreated+int64(final.PendingImports), "every write counted once")
	require.Equal(t, final.ContactsCreated, final.TasksThisMonth)
	if !stopAnywhere {
		require.Zero(t, final.PendingImports)
		require.GreaterOrEqual(t, final.Cursor.Pass, 2, "the first pass ended")
	}
	for _, in := range f.inputs {
		left := len(in.Imports) - in.MustConfirm
		if in.Source.Phase != "" {
			left++
		}
		require.LessOrEqual(t, left, tu.ImportsInFlight, "batch %s", in.Key)
	}
}

// TestRandomSchedulesAcrossContinueAsNew: the same with runs that
// continue as new after a few batches or idle periods; the first run
// gets the schedule, every run a resume after two hours, and a run late
// in the chain a stop. Keys stay unique over the chain, the imports bound
// holds, every write is counted once.
func TestRandomSchedulesAcrossContinueAsNew(t *testing.T) {
	for seed := uint64(1); seed <= 24; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			r := rand.New(rand.NewPCG(seed, 7))
			f := newFake(t, r.IntN(80))
			f.lists[integration.PhaseJoiners] = f.people("j", r.IntN(25))
			f.lists[integration.PhaseChanges] = f.people("c", r.IntN(25))
			f.scans = map[string]activities.ScanResult{"": {Members: 10, Last: true, ListSize: 10}}
			f.per = 1 + r.IntN(15)
			if r.IntN(2) == 0 {
				f.quotaLeft = r.IntN(40)
			}
			tu := tuning()
			tu.ImportMin = 1 + r.IntN(12)
			tu.ImportsInFlight = 1 + r.IntN(3)
			tu.MaxBatchesPerRun = 1 + r.IntN(6)
			tu.MaxIdlePollsPerRun = 1 + r.IntN(3)
			in := input(tu)
			var final integration.Status
			for run := 0; ; run++ {
				require.Less(t, run, 200, "the runs never end")
				h := newHarness(t, f)
				if run == 0 {
					for range 2 + r.IntN(6) {
						at := time.Duration(r.Int64N(int64(time.Hour)))
						switch r.IntN(5) {
						case 0:
							h.signalAt(at, integration.SignalPause)
						case 1:
							h.updateAt(at, integration.UpdatePause, integration.ResumeRequest{})
						case 2:
							h.updateAt(at, integration.UpdateResume, integration.ResumeRequest{})
						case 3:
							h.signalAt(at, integration.SignalSyncNow)
						default:
							h.at(at, func() {
								f.mu.Lock()
								f.quotaLeft = -1
								f.mu.Unlock()
								h.env.SignalWorkflow(quota.SignalAvailable, nil)
							})
						}
					}
				}
				h.at(2*time.Hour, func() {
					f.mu.Lock()
					f.quotaLeft = -1
					f.mu.Unlock()
					h.env.SignalWorkflow(integration.SignalResume, nil)
					h.env.SignalWorkflow(quota.SignalAvailable, nil)
				})
				if run >= 10 {
					h.signalAt(30*time.Minute, integration.SignalStop)
				}
				h.run(in)
				if h.env.GetWorkflowError() == nil {
					final = h.final()
					break
				}
				in = h.continued()
			}
			_, _, wrote := f.snapshot()
			require.Equal(t, integration.StateStopped, final.State)
			require.EqualValues(t, len(wrote), final.ContactsCreated, "every write counted once")
			require.Zero(t, final.PendingImports)
			keys := map[string]bool{}
			for _, b := range f.inputs {
				require.False(t, keys[b.Key], "batch key %s used twice", b.Key)
				keys[b.Key] = true
				left := len(b.Imports) - b.MustConfirm
				if b.Source.Phase != "" {
					left++
				}
				require.LessOrEqual(t, left, tu.ImportsInFlight, "batch %s", b.Key)
			}
		})
	}
}
