package manage

import (
	"context"
	"errors"
	"fmt"
	"sort"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/converter"

	"hubspot-brevo-sync/internal/integration"
)

// Signal sends one of the steering signals (activate, pause, resume, stop,
// sync-now) to a running integration.
func (m *Manager) Signal(ctx context.Context, name, signal string) error {
	err := m.Temporal.SignalWorkflow(ctx, integration.ID(name), "", signal, nil)
	return integrationError(name, err)
}

// Status asks a running integration for its status. A finished one (stopped)
// is described from its result.
func (m *Manager) Status(ctx context.Context, name string) (integration.Status, error) {
	var st integration.Status
	v, err := m.Temporal.QueryWorkflow(ctx, integration.ID(name), "", integration.QueryStatus)
	if err == nil {
		err = v.Get(&st)
		return st, err
	}
	var notFound *serviceerror.NotFound
	if !errors.As(err, &notFound) {
		// A closed workflow answers queries from its last state on a live
		// worker; when that fails, try its result.
		if rerr := m.Temporal.GetWorkflow(ctx, integration.ID(name), "").Get(ctx, &st); rerr == nil {
			return st, nil
		}
	}
	return st, integrationError(name, err)
}

// List returns the status of every integration the namespace knows, most
// recent first; integrations that are not running come from their search
// attributes.
func (m *Manager) List(ctx context.Context) ([]integration.Status, error) {
	var out []integration.Status
	seen := map[string]bool{}
	var token []byte
	for {
		resp, err := m.Temporal.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Query:         fmt.Sprintf("WorkflowType = '%s'", integration.WorkflowType),
			NextPageToken: token,
		})
		if err != nil {
			return nil, temporalError(err)
		}
		for _, e := range resp.GetExecutions() {
			name := integration.Name(e.GetExecution().GetWorkflowId())
			if seen[name] {
				continue // an older run of a re-created integration
			}
			seen[name] = true
			st, err := m.Status(ctx, name)
			if err != nil {
				st = statusFromSearchAttributes(name, e.GetSearchAttributes().GetIndexedFields())
			}
			out = append(out, st)
		}
		if token = resp.GetNextPageToken(); len(token) == 0 {
			break
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func statusFromSearchAttributes(name string, fields map[string]*commonpb.Payload) integration.Status {
	st := integration.Status{Name: name}
	decode := func(key string, into any) {
		if p, ok := fields[key]; ok {
			_ = converter.GetDefaultDataConverter().FromPayload(p, into)
		}
	}
	var state string
	decode(integration.SAIntegrationState.GetName(), &state)
	st.State = integration.State(state)
	decode(integration.SAHubSpotListID.GetName(), &st.HubSpotListID)
	decode(integration.SAHubSpotConnection.GetName(), &st.HubSpotConnection)
	decode(integration.SAContactsSynced.GetName(), &st.ContactsSynced)
	return st
}

// integrationError makes Temporal's answers about one integration legible.
func integrationError(name string, err error) error {
	if err == nil {
		return nil
	}
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return fmt.Errorf("%w named %q (see `starter list`)", ErrNoIntegration, name)
	}
	return temporalError(err)
}

// ErrNoIntegration is what errors about an integration Temporal does not
// know wrap (errors.Is).
var ErrNoIntegration = errors.New("no running integration")

// temporalError shortens errors from the Temporal client to one line.
func temporalError(err error) error {
	var unavailable *serviceerror.Unavailable
	if errors.As(err, &unavailable) {
		return fmt.Errorf("the Temporal service is unavailable (TEMPORAL_ADDRESS): %s", unavailable.Message)
	}
	return fmt.Errorf("temporal: %w", err)
}
