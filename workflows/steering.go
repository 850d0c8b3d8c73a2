package workflows

import (
	"fmt"

	"go.temporal.io/sdk/workflow"

	"hubspot-brevo-sync/internal/integration"
	"hubspot-brevo-sync/internal/quota"
)

// signalNames lists the signals in a fixed order: selectors and draining
// must not depend on map iteration.
var signalNames = []string{
	integration.SignalActivate, integration.SignalPause, integration.SignalResume, integration.SignalStop,
	integration.SignalSyncNow, quota.SignalAvailable, integration.SignalAllowLeaves,
}

// setup registers the query, the updates and the signal loop. Signals and
// updates only record a wish; the main loop acts on it between batches,
// so a pause never cuts a write in half.
func (w *run) setup(ctx workflow.Context) error {
	if err := workflow.SetQueryHandlerWithOptions(ctx, integration.QueryStatus, func() (integration.Status, error) {
		return w.status(), nil
	}, workflow.QueryHandlerOptions{Description: "State, counters and cursor of the integration"}); err != nil {
		return err
	}
	if err := w.registerUpdates(ctx); err != nil {
		return err
	}
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			w.receiveSignal(ctx)
		}
	})
	w.publish(ctx)
	return nil
}

// receiveSignal waits for one signal and records it.
func (w *run) receiveSignal(ctx workflow.Context) {
	sel := workflow.NewSelector(ctx)
	for _, name := range signalNames {
		sel.AddReceive(workflow.GetSignalChannel(ctx, name), func(c workflow.ReceiveChannel, _ bool) {
			c.Receive(ctx, nil)
			w.onSignal(name)
		})
	}
	sel.Select(ctx)
}

// drainSignals records signals that arrived but were not read yet, so none
// is lost across continue-as-new.
func (w *run) drainSignals(ctx workflow.Context) {
	for _, name := range signalNames {
		for workflow.GetSignalChannel(ctx, name).ReceiveAsync(nil) {
			w.onSignal(name)
		}
	}
}

func (w *run) onSignal(name string) {
	w.logger.Info("signal received", "Signal", name, "State", w.cp.State)
	switch name {
	case integration.SignalActivate:
		if w.cp.State == integration.StateDraft {
			w.cp.State = integration.StateSyncing
		}
	case integration.SignalPause:
		w.cp.PauseRequested = true
	case integration.SignalResume:
		w.cp.PauseRequested = false
		if w.cp.State == integration.StateFailed {
			w.cp.State, w.cp.LastError = integration.StateSyncing, ""
		}
	case integration.SignalStop:
		w.cp.StopRequested = true
	case integration.SignalSyncNow:
		w.cp.SyncNow = true
	case quota.SignalAvailable:
		w.cp.QuotaAvailable = true
	case integration.SignalAllowLeaves:
		w.cp.AllowLeaves = true
	}
}

// steer is one update: a validator that refuses what makes no sense now,
// the wish it records, and the states that answer it.
type steer struct {
	name    string
	refuse  func(s integration.State, cp *integration.Checkpoint) string
	reached func(s integration.State) bool
}

var steers = []steer{
	{integration.UpdateActivate,
		func(s integration.State, _ *integration.Checkpoint) string {
			return unless(s == integration.StateDraft, "is not a draft")
		},
		func(s integration.State) bool { return s != integration.StateDraft }},
	{integration.UpdatePause,
		func(s integration.State, cp *integration.Checkpoint) string {
			return unless(!cp.PauseRequested && s != integration.StatePaused && s != integration.StateStopped, "is already "+string(s))
		},
		func(s integration.State) bool { return s == integration.StatePaused || s == integration.StateStopped }},
	{integration.UpdateResume,
		func(s integration.State, cp *integration.Checkpoint) string {
			return unless(cp.PauseRequested || s == integration.StatePaused || s == integration.StateFailed, "is not paused or failed")
		},
		func(s integration.State) bool { return s != integration.StatePaused && s != integration.StateFailed }},
	{integration.UpdateStop,
		func(s integration.State, cp *integration.Checkpoint) string {
			return unless(!cp.StopRequested && s != integration.StateStopped, "is already stopping")
		},
		func(s integration.State) bool { return s == integration.StateStopped }},
}

func unless(ok bool, why string) string {
	if ok {
		return ""
	}
	return why
}

// registerUpdates offers the steering signals as updates: they answer
// with the state reached ("paused" once the integration is paused).
func (w *run) registerUpdates(ctx workflow.Context) error {
	for _, s := range steers {
		err := workflow.SetUpdateHandlerWithOptions(ctx, s.name,
			func(ctx workflow.Context, req integration.ResumeRequest) (integration.State, error) {
				if req.AllowLeaves {
					w.onSignal(integration.SignalAllowLeaves)
				}
				w.onSignal(s.name)
				err := workflow.Await(ctx, func() bool { return s.reached(w.cp.State) })
				return w.cp.State, err
			},
			workflow.UpdateHandlerOptions{
				Validator: func(req integration.ResumeRequest) error {
					if why := s.refuse(w.cp.State, w.cp); why != "" {
						return fmt.Errorf("%s: the integration %s", s.name, why)
					}
					return nil
				},
				Description: "like the " + s.name + " signal; returns the state reached",
			})
		if err != nil {
			return err
		}
	}
	return nil
}
