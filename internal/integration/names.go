// Package integration is the contract of the integration workflow: its
// type and id, the names of its signals, updates and query, its input, the
// status it reports and the search attributes it keeps. The starter, the
// manage and metrics packages talk to integrations through this package
// alone, never through workflows/ or activities/.
package integration

import (
	"strings"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
)

// WorkflowType is the registered name of the integration workflow.
const WorkflowType = "IntegrationWorkflow"

// IDPrefix starts the workflow id of every integration.
const IDPrefix = "integration/"

// ID is the workflow id of the named integration.
func ID(name string) string { return IDPrefix + name }

// Name recovers the integration's name from a workflow id.
func Name(workflowID string) string { return strings.TrimPrefix(workflowID, IDPrefix) }

// Signals steer an integration from anywhere (the Web UI, the Temporal
// CLI); each only records the wish, acted on between batches.
const (
	SignalActivate = "activate"
	SignalPause    = "pause"
	SignalResume   = "resume"
	SignalStop     = "stop"
	SignalSyncNow  = "sync-now"
	// SignalAllowLeaves lets the next pass unlink more members than the
	// unlink guard allows (the list really shrank).
	SignalAllowLeaves = "allow-leaves"
)

// Updates do what the signals of the same name do, but refuse what makes
// no sense in the current state (their validators) and return the state
// the integration reached, so a person learns "paused" once it is.
const (
	UpdateActivate = SignalActivate
	UpdatePause    = SignalPause
	UpdateResume   = SignalResume
	UpdateStop     = SignalStop
)

// ResumeRequest is the argument of the resume update.
type ResumeRequest struct {
	// AllowLeaves overrides the unlink guard for the next pass.
	AllowLeaves bool `json:"allowLeaves,omitempty"`
}

// QueryStatus returns the Status.
const QueryStatus = "status"

// Search attributes make integrations findable and legible in the Web UI.
// Never personal data here: search attributes are stored unencrypted.
var (
	SAIntegrationName  = temporal.NewSearchAttributeKeyKeyword("IntegrationName")
	SAIntegrationState = temporal.NewSearchAttributeKeyKeyword("IntegrationState")
	SAHubSpotListID    = temporal.NewSearchAttributeKeyKeyword("HubSpotListId")
	SABrevoListID      = temporal.NewSearchAttributeKeyKeyword("BrevoListId")
	SAContactsSynced   = temporal.NewSearchAttributeKeyInt64("ContactsSynced")
)

// SAHubSpotConnection is the integration's HubSpot connection: its name,
// never its credentials.
var SAHubSpotConnection = temporal.NewSearchAttributeKeyKeyword("HubSpotConnection")

// SearchAttributes lists the custom search attributes with their types,
// for registering them in a namespace.
func SearchAttributes() map[string]enumspb.IndexedValueType {
	return map[string]enumspb.IndexedValueType{
		SAIntegrationName.GetName():  enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		SAIntegrationState.GetName(): enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		SAHubSpotListID.GetName():    enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		SABrevoListID.GetName():      enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		SAContactsSynced.GetName():   enumspb.INDEXED_VALUE_TYPE_INT,

		SAHubSpotConnection.GetName(): enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	}
}
