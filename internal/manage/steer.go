package manage

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"hubspot-brevo-sync/internal/integration"
)

// Control runs one of the steering updates (activate, pause, resume,
// stop) and returns the state the integration reached. A refusal of the
// update's validator ("resume" of an integration that is not paused) is
// one line naming the update and the integration.
//
// An integration whose workflow code predates the updates gets the signal
// of the same name instead (and allow-leaves first, for a resume that
// asks for it); the state is then "", as nobody waits for it.
func (m *Manager) Control(ctx context.Context, name, update string, arg any) (integration.State, error) {
	var args []any
	if arg != nil {
		args = []any{arg}
	}
	h, err := m.Temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID:   integration.ID(name),
		UpdateName:   update,
		Args:         args,
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	var reached integration.State
	if err == nil {
		err = h.Get(ctx, &reached)
	}
	if err != nil && strings.Contains(err.Error(), "unknown update "+update) {
		return "", m.signalInstead(ctx, name, update, arg)
	}
	if err != nil {
		return "", controlError(name, update, err)
	}
	return reached, nil
}

func (m *Manager) signalInstead(ctx context.Context, name, update string, arg any) error {
	if r, ok := arg.(integration.ResumeRequest); ok && r.AllowLeaves {
		if err := m.Signal(ctx, name, integration.SignalAllowLeaves); err != nil {
			return err
		}
	}
	return m.Signal(ctx, name, update)
}

// controlError makes an update's failure one line: the validator's or the
// handler's message, or what Temporal said.
func controlError(name, update string, err error) error {
	var app *temporal.ApplicationError
	var notFound *serviceerror.NotFound
	switch {
	case errors.As(err, &notFound):
		return integrationError(name, err)
	case errors.As(err, &app):
		// The workflow's messages may name the update themselves.
		msg := strings.TrimPrefix(firstLine(app.Message()), update+": ")
		return fmt.Errorf("%s %s refused: %s", update, name, msg)
	}
	return temporalError(err)
}
