// Package workflows holds the durable business process: one long-running
// workflow per integration that syncs a HubSpot list into a Brevo list in
// batches and keeps it up to date, and the quota workflow that keeps the
// monthly task ledger. Workflow code is deterministic: every call to
// HubSpot, Brevo or the worker's settings goes through an activity. Its
// contract (names, input, status) is internal/integration.
package workflows

import (
	"go.temporal.io/sdk/workflow"

	"hubspot-brevo-sync/internal/integration"
	"hubspot-brevo-sync/internal/quota"
)

// Register puts the workflows on a worker (or a replayer) under the names
// the starter and the activities use.
func Register(r interface {
	RegisterWorkflowWithOptions(w any, options workflow.RegisterOptions)
}) {
	r.RegisterWorkflowWithOptions(IntegrationWorkflow, workflow.RegisterOptions{Name: integration.WorkflowType})
	r.RegisterWorkflowWithOptions(QuotaWorkflow, workflow.RegisterOptions{Name: quota.WorkflowType})
}
