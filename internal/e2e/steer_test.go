package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"go.temporal.io/server/temporaltest"

	"hubspot-brevo-sync/internal/integration"
	"hubspot-brevo-sync/internal/manage"
)

// contractWorkflow stands in for the integration workflow with the
// updates of the contract (internal/integration): each returns the state
// reached; resume refuses an integration that is not paused; stop ends the
// workflow.
func contractWorkflow(ctx workflow.Context, _ integration.Input) (integration.State, error) {
	state := integration.StateIdle
	set := func(to integration.State) func(workflow.Context) (integration.State, error) {
		return func(workflow.Context) (integration.State, error) { state = to; return state, nil }
	}
	handlers := []struct {
		name     string
		handler  any
		validate any
	}{
		{integration.UpdatePause, set(integration.StatePaused), nil},
		{integration.UpdateStop, set(integration.StateStopped), nil},
		{integration.UpdateActivate, set(integration.StateSyncing), nil},
		{integration.UpdateResume,
			func(workflow.Context, integration.ResumeRequest) (integration.State, error) {
				state = integration.StateSyncing
				return state, nil
			},
			func(workflow.Context, integration.ResumeRequest) error {
				if state != integration.StatePaused {
					return fmt.Errorf("integration is %s, not paused", state)
				}
				return nil
			}},
	}
	for _, h := range handlers {
		if err := workflow.SetUpdateHandlerWithOptions(ctx, h.name, h.handler, workflow.UpdateHandlerOptions{Validator: h.validate}); err != nil {
			return "", err
		}
	}
	err := workflow.Await(ctx, func() bool { return state == integration.StateStopped })
	return state, err
}

// signalOnlyWorkflow is an integration workflow from before the updates.
func signalOnlyWorkflow(ctx workflow.Context, _ integration.Input) (string, error) {
	var got string
	workflow.GetSignalChannel(ctx, integration.SignalPause).Receive(ctx, &got)
	return "paused by signal", nil
}

func TestSteeringThroughTheUpdates(t *testing.T) {
	ts := temporaltest.NewServer(temporaltest.WithT(t), temporaltest.WithBaseClientOptions(client.Options{Logger: warnLogger(t)}))
	c := ts.GetDefaultClient()
	for queue, wf := range map[string]any{"contract": contractWorkflow, "signals": signalOnlyWorkflow} {
		w := worker.New(c, queue, worker.Options{})
		w.RegisterWorkflowWithOptions(wf, workflow.RegisterOptions{Name: integration.WorkflowType})
		if err := w.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(w.Stop)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for name, queue := range map[string]string{"new": "contract", "old": "signals"} {
		if _, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: integration.ID(name), TaskQueue: queue}, integration.WorkflowType, integration.Input{}); err != nil {
			t.Fatal(err)
		}
	}
	m := &manage.Manager{Temporal: c, Namespace: ts.GetDefaultNamespace()}

	_, err := m.Control(ctx, "new", integration.UpdateResume, integration.ResumeRequest{})
	if err == nil || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), "resume new refused: integration is idle, not paused") {
		t.Fatalf("resume of an idle integration: %v, want the validator's refusal in one line", err)
	}
	for _, step := range []struct {
		update string
		arg    any
		want   integration.State
	}{
		{integration.UpdatePause, nil, integration.StatePaused},
		{integration.UpdateResume, integration.ResumeRequest{AllowLeaves: true}, integration.StateSyncing},
		{integration.UpdateStop, nil, integration.StateStopped},
	} {
		reached, err := m.Control(ctx, "new", step.update, step.arg)
		if err != nil || reached != step.want {
			t.Fatalf("%s: reached %q (%v), want %q", step.update, reached, err, step.want)
		}
	}
	if _, err := m.Control(ctx, "new", integration.UpdatePause, nil); err == nil || !strings.Contains(err.Error(), `no running integration named "new"`) {
		t.Fatalf("pause of a stopped integration: %v", err)
	}

	// A workflow without the updates gets the signal.
	reached, err := m.Control(ctx, "old", integration.UpdatePause, nil)
	if err != nil || reached != "" {
		t.Fatalf("pause of a signal-only workflow: %q, %v; want the signal sent", reached, err)
	}
	var result string
	if err := c.GetWorkflow(ctx, integration.ID("old"), "").Get(ctx, &result); err != nil || result != "paused by signal" {
		t.Fatalf("signal-only workflow ended with %q, %v", result, err)
	}
}
