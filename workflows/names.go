// Package workflows holds the durable business process: one long-running
// workflow per integration that reads a HubSpot list page by page and
// writes it to Brevo, then keeps it up to date. Workflow code is
// deterministic: every call to HubSpot, Brevo or the worker's settings goes
// through an activity.
package workflows

import (
	"strings"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"hubspot-brevo-sync/internal/quota"
)

// Signal and query names: the starter and the Web UI use these.
const (
	SignalActivate = "activate"
	SignalPause    = "pause"
	SignalResume   = "resume"
	SignalStop     = "stop"
	SignalSyncNow  = "sync-now"
	// SignalAllowLeaves lets the next pass unlink more members than the
	// unlink guard allows (the list really shrank).
	SignalAllowLeaves = "allow-leaves"
	QueryStatus       = "status"
)

// IntegrationWorkflowType is the registered name of IntegrationWorkflow.
const IntegrationWorkflowType = "IntegrationWorkflow"

// IntegrationIDPrefix starts the workflow id of every integration.
const IntegrationIDPrefix = "integration/"

// IntegrationID is the workflow id of the named integration.
func IntegrationID(name string) string { return IntegrationIDPrefix + name }

// IntegrationName recovers the name from a workflow id.
func IntegrationName(workflowID string) string {
	return strings.TrimPrefix(workflowID, IntegrationIDPrefix)
}

// Search attributes that make integrations findable and legible in the
// Temporal Web UI. Never personal data here: search attributes are stored
// unencrypted.
var (
	SAIntegrationName  = temporal.NewSearchAttributeKeyKeyword("IntegrationName")
	SAIntegrationState = temporal.NewSearchAttributeKeyKeyword("IntegrationState")
	SAHubSpotListID    = temporal.NewSearchAttributeKeyKeyword("HubSpotListId")
	SABrevoListID      = temporal.NewSearchAttributeKeyKeyword("BrevoListId")
	SAContactsSynced   = temporal.NewSearchAttributeKeyInt64("ContactsSynced")
)

// SearchAttributes lists the custom search attributes with their types, for
// registering them in a namespace.
func SearchAttributes() map[string]enumspb.IndexedValueType {
	return map[string]enumspb.IndexedValueType{
		SAIntegrationName.GetName():  enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		SAIntegrationState.GetName(): enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		SAHubSpotListID.GetName():    enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		SABrevoListID.GetName():      enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		SAContactsSynced.GetName():   enumspb.INDEXED_VALUE_TYPE_INT,
	}
}

// Register puts the workflows on a worker (or a replayer) under the names
// the starter and the activities use.
func Register(r interface {
	RegisterWorkflowWithOptions(w any, options workflow.RegisterOptions)
}) {
	r.RegisterWorkflowWithOptions(IntegrationWorkflow, workflow.RegisterOptions{Name: IntegrationWorkflowType})
	r.RegisterWorkflowWithOptions(QuotaWorkflow, workflow.RegisterOptions{Name: quota.WorkflowType})
}
