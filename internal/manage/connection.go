package manage

import (
	"context"
	"errors"
	"fmt"

	"go.temporal.io/api/workflowservice/v1"

	"hubspot-brevo-sync/internal/hubspot"
	"hubspot-brevo-sync/internal/integration"
)

// HubSpotClients resolves a HubSpot connection's name to its client
// (connections.Registry).
type HubSpotClients interface {
	Client(name string) (*hubspot.Client, error)
}

// OnConnection is the manager with the named HubSpot connection's client
// as its HubSpot client; "" and "default" keep the HUBSPOT_* one.
func (m *Manager) OnConnection(name string) (*Manager, error) {
	if name == "" || name == integration.DefaultConnection {
		if m.HubSpot == nil {
			return nil, errors.New("no default HubSpot connection: set HUBSPOT_ACCESS_TOKEN (or the OAuth trio), or pick one with --hubspot-connection")
		}
		return m, nil
	}
	if m.Connections == nil {
		return nil, fmt.Errorf("HubSpot connection %q: no connections directory is configured", name)
	}
	hs, err := m.Connections.Client(name)
	if err != nil {
		return nil, err
	}
	mm := *m
	mm.HubSpot = hs
	return &mm, nil
}

// portalOf asks HubSpot which portal the connection's token belongs to:
// it proves the token works and fixes the ext_id prefix of a named
// connection's integration.
func (m *Manager) portalOf(ctx context.Context, name string) (string, error) {
	info, err := retried(ctx, func() (hubspot.TokenInfo, error) { return m.HubSpot.TokenInfo(ctx) })
	if err != nil {
		return "", apiError("HubSpot connection "+name, err)
	}
	if info.HubID == 0 {
		return "", fmt.Errorf("HubSpot connection %s: HubSpot did not say which portal the token belongs to", name)
	}
	return fmt.Sprint(info.HubID), nil
}

// UsingConnection names the running integrations that read the HubSpot
// connection, from their search attribute (one visibility query).
func (m *Manager) UsingConnection(ctx context.Context, connection string) ([]string, error) {
	var names []string
	var token []byte
	for {
		resp, err := m.Temporal.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Query: fmt.Sprintf("WorkflowType = '%s' AND ExecutionStatus = 'Running' AND %s = '%s'",
				integration.WorkflowType, integration.SAHubSpotConnection.GetName(), connection),
			NextPageToken: token,
		})
		if err != nil {
			return nil, temporalError(err)
		}
		for _, e := range resp.GetExecutions() {
			names = append(names, integration.Name(e.GetExecution().GetWorkflowId()))
		}
		if token = resp.GetNextPageToken(); len(token) == 0 {
			return names, nil
		}
	}
}
