package workflows_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"

	"hubspot-brevo-sync/activities"
	"hubspot-brevo-sync/internal/integration"
)

// reportFake answers ReportUnsubscribes: each call reports one contact and
// returns a watermark an hour after the Since it was given (or after the
// start), unless fail says otherwise.
type reportFake struct {
	mu     sync.Mutex
	inputs []activities.ReportUnsubscribesInput
	fail   func(call int) error
}

func (r *reportFake) mock(h *harness) {
	h.env.OnActivity(a.ReportUnsubscribes, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.ReportUnsubscribesInput) (activities.ReportUnsubscribesResult, error) {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.inputs = append(r.inputs, in)
			if r.fail != nil {
				if err := r.fail(len(r.inputs)); err != nil {
					return activities.ReportUnsubscribesResult{}, err
				}
			}
			return activities.ReportUnsubscribesResult{Reported: 1, Own: 1, Until: start.Add(time.Duration(len(r.inputs)) * time.Hour)}, nil
		}).Maybe()
}

func consentInput() integration.Input {
	in := input(tuning())
	in.Spec.OnDelete, in.Spec.ReportUnsubscribes, in.Spec.HubSpotSubscriptionID = integration.OnDeleteDelete, true, "77"
	return in
}

// TestUnsubscribesAreReportedAfterEachPass: once a pass, after its leaves;
// the full pass lists everything (no Since), the next starts from the
// watermark the last one returned; deletions and reports are counted.
func TestUnsubscribesAreReportedAfterEachPass(t *testing.T) {
	f := newFake(t, 5)
	f.finish = func(in activities.FinishScanInput) (activities.FinishScanResult, error) {
		if in.Scan == 2 {
			return activities.FinishScanResult{Left: 2, DeletedInHubSpot: 2, Members: 3}, nil
		}
		return activities.FinishScanResult{Members: 5}, nil
	}
	h := newHarness(t, f)
	r := &reportFake{}
	r.mock(h)
	details := h.detailsAt(pollInterval + 20*time.Minute)
	h.signalAt(pollInterval+30*time.Minute, integration.SignalStop)
	h.run(consentInput())
	final := h.final()

	require.Len(t, r.inputs, 2)
	require.True(t, r.inputs[0].Since.IsZero(), "the full pass lists the whole Brevo list")
	require.True(t, r.inputs[1].Since.Equal(start.Add(time.Hour)), "the next listing starts at the watermark: %v", r.inputs[1].Since)
	for _, in := range r.inputs {
		require.Equal(t, "demo", in.Integration)
		require.EqualValues(t, 7, in.BrevoListID)
		require.Equal(t, "77", in.SubscriptionID)
	}
	for _, in := range f.finished {
		require.Equal(t, integration.OnDeleteDelete, in.OnDelete)
	}
	require.EqualValues(t, 2, final.UnsubscribesReported)
	require.EqualValues(t, 2, final.DeletedInHubSpot)
	require.Contains(t, *details, "on-delete delete: ")
	require.Contains(t, *details, "unsubscribed from subscription type 77")
	require.Contains(t, *details, "deleted in HubSpot 2 · Brevo unsubscribes reported to HubSpot 2")
}

// TestNoReportWithoutTheOption: an integration without the option never
// asks Brevo for unsubscribes, and passes no --on-delete.
func TestNoReportWithoutTheOption(t *testing.T) {
	f := newFake(t, 5)
	h := newHarness(t, f)
	r := &reportFake{}
	r.mock(h)
	h.signalAt(pollInterval+30*time.Minute, integration.SignalStop)
	h.run(input(tuning()))
	final := h.final()
	require.Empty(t, r.inputs)
	require.Zero(t, final.UnsubscribesReported)
	for _, in := range f.finished {
		require.Empty(t, in.OnDelete)
	}
}

// TestMissingScopeWarnsAndKeepsSyncing: a report refused for want of a
// scope leaves the integration syncing, with the one line as a warning;
// the next poll reports again from the same watermark and clears it.
func TestMissingScopeWarnsAndKeepsSyncing(t *testing.T) {
	f := newFake(t, 5)
	h := newHarness(t, f)
	r := &reportFake{fail: func(call int) error {
		if call == 1 {
			return temporalNonRetryable("--report-unsubscribes-to-hubspot needs the HubSpot scope crm.objects.contacts.write", activities.ErrTypeMissingScope)
		}
		return nil
	}}
	r.mock(h)
	warned := h.statusAt(10 * time.Minute)
	later := h.statusAt(pollInterval + 10*time.Minute)
	h.signalAt(pollInterval+20*time.Minute, integration.SignalStop)
	h.run(consentInput())
	final := h.final()

	require.NotEqual(t, integration.StateFailed, warned.State)
	require.Contains(t, warned.Warning, "crm.objects.contacts.write")
	require.GreaterOrEqual(t, len(r.inputs), 2, "the next poll tries again")
	require.True(t, r.inputs[1].Since.IsZero(), "nothing was reported: the watermark did not move")
	require.Empty(t, later.Warning, "cleared once a report succeeded")
	require.NotZero(t, final.UnsubscribesReported)
}
