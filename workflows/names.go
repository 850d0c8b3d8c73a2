// Package workflows holds the durable business process: one long-running
// workflow per integration that reads a HubSpot list page by page and
// writes it to Brevo, then keeps it up to date. Workflow code is
// deterministic: every call to HubSpot, Brevo or the worker's settings goes
// through an activity.
package workflows

import (
	"go.temporal.io/sdk/workflow"

	"hubspot-brevo-sync/internal/integration"
	"hubspot-brevo-sync/internal/quota"
)

const (
	SignalActivate          = integration.SignalActivate
	SignalPause             = integration.SignalPause
	SignalResume            = integration.SignalResume
	SignalStop              = integration.SignalStop
	SignalSyncNow           = integration.SignalSyncNow
	SignalAllowLeaves       = integration.SignalAllowLeaves
	QueryStatus             = integration.QueryStatus
	IntegrationWorkflowType = integration.WorkflowType
)

var (
	IntegrationID      = integration.ID
	SAIntegrationState = integration.SAIntegrationState
	SABrevoListID      = integration.SABrevoListID
	SAContactsSynced   = integration.SAContactsSynced
	SearchAttributes   = integration.SearchAttributes
)

// Register puts the workflows on a worker (or a replayer) under the names
// the starter and the activities use.
func Register(r interface {
	RegisterWorkflowWithOptions(w any, options workflow.RegisterOptions)
}) {
	r.RegisterWorkflowWithOptions(IntegrationWorkflow, workflow.RegisterOptions{Name: IntegrationWorkflowType})
	r.RegisterWorkflowWithOptions(QuotaWorkflow, workflow.RegisterOptions{Name: quota.WorkflowType})
}
