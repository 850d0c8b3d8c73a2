package workflows

import (
	"time"

	"hubspot-brevo-sync/activities"
	"hubspot-brevo-sync/internal/integration"
	"hubspot-brevo-sync/internal/mapping"
)

// The contract's types, until the pipeline moves onto it whole.
type (
	State           = integration.State
	IntegrationSpec = integration.Spec
	NewBrevoList    = integration.NewBrevoList
	Status          = integration.Status
)

const (
	StateDraft         = integration.StateDraft
	StateSyncing       = integration.StateSyncing
	StateIdle          = integration.StateIdle
	StatePaused        = integration.StatePaused
	StateQuotaExceeded = integration.StateQuotaExceeded
	StateStopped       = integration.StateStopped
	StateFailed        = integration.StateFailed
)

// Cursor is the position of the current pass over the HubSpot list.
// A full pass reads every member with its properties (phase list); an
// incremental pass reads member ids (scan), then the contacts modified
// since the last pass (changes); both end by handling the members that
// left (leaves).
type Cursor struct {
	Phase string `json:"phase,omitempty"`
	Full  bool   `json:"full,omitempty"`
	// Last says the current phase has read everything; what remains is
	// writing Pending.
	Last bool `json:"last,omitempty"`
	// Pending are list joiners found by the scan and not written yet.
	Pending []string `json:"pending,omitempty"`
	// SearchToken continues the search of the changes phase.
	SearchToken string    `json:"searchToken,omitempty"`
	Pass        int       `json:"pass"`            // 1 = the initial import
	After       string    `json:"after,omitempty"` // HubSpot memberships cursor of the next page to write
	StartedAt   time.Time `json:"startedAt,omitzero"`
	// ModifiedAfter is the start of the last completed pass: contacts not
	// modified since then are already in Brevo and are not written again.
	ModifiedAfter time.Time `json:"modifiedAfter,omitzero"`
	// Seen counts the list members this pass has covered, ListSize what
	// HubSpot says the list holds; together they show progress.
	Seen     int `json:"seen"`
	ListSize int `json:"listSize"`
	// Written lists the HubSpot ids of the page at After that were already
	// written when the quota ran out in the middle of it; the page is read
	// again and those are left out.
	Written []string `json:"written,omitempty"`
	// Bulk says this full pass goes on in chunks to its end.
	Bulk bool `json:"bulk,omitempty"`
}

// Counters are totals over the life of the integration. They change only
// after Brevo confirmed a write, so a retried or replayed activity never
// counts twice.
type Counters struct {
	Created         int64            `json:"created"`
	Updated         int64            `json:"updated"`
	Unchanged       int64            `json:"unchanged"`
	Skipped         int64            `json:"skipped"`
	SkippedByReason map[string]int64 `json:"skippedByReason,omitempty"`
	Failed          int64            `json:"failed"`
	// Left counts members that left the HubSpot list (or were deleted or
	// merged away there); Unlinked those removed from the Brevo list.
	Left     int64 `json:"left"`
	Unlinked int64 `json:"unlinked"`
	// Month (YYYY-MM, UTC) and TasksThisMonth count the contacts created or
	// updated this month: the unit of Brevo's task quota.
	Month          string `json:"month"`
	TasksThisMonth int64  `json:"tasksThisMonth"`
}

// MaxRecentProblems bounds the per-record outcomes kept in workflow state.
const MaxRecentProblems = 200

// IntegrationState is everything the workflow carries across
// continue-as-new.
type IntegrationState struct {
	State       State     `json:"state"`
	BrevoListID int64     `json:"brevoListId,omitempty"`
	Cursor      Cursor    `json:"cursor"`
	Counters    Counters  `json:"counters"`
	LastSyncAt  time.Time `json:"lastSyncAt,omitzero"`
	LastError   string    `json:"lastError,omitempty"`
	// PauseRequested and StopRequested are set by signals and acted on
	// between pages.
	PauseRequested bool `json:"pauseRequested,omitempty"`
	StopRequested  bool `json:"stopRequested,omitempty"`
	SyncNow        bool `json:"syncNow,omitempty"`
	// QuotaAvailable is set when the quota workflow says tasks are
	// available again.
	QuotaAvailable bool `json:"quotaAvailable,omitempty"`
	// Reservations counts the quota reservations made, to name each one.
	Reservations int64 `json:"reservations,omitempty"`
	// WaitingUntil is set while the integration waits for HubSpot's daily
	// API budget to reset.
	WaitingUntil time.Time `json:"waitingUntil,omitzero"`
	// AllowLeaves overrides the unlink guard for the next pass.
	AllowLeaves bool `json:"allowLeaves,omitempty"`
	// LastFullPassAt is the start of the last full pass (the initial one
	// or a reconciliation).
	LastFullPassAt time.Time `json:"lastFullPassAt,omitzero"`
	// RecentProblems are the latest skipped and failed records, newest last.
	RecentProblems []mapping.Outcome `json:"recentProblems,omitempty"`
	// PendingImports are the chunks of a full pass written as Brevo
	// imports that Brevo has not confirmed yet. Their contacts count (and
	// their tasks are committed) only once confirmed.
	PendingImports []PendingImport `json:"pendingImports,omitempty"`
	// ImportsCheckedAt is when /processes was last read, to space the
	// checks within its 100 requests an hour.
	ImportsCheckedAt time.Time `json:"importsCheckedAt,omitzero"`
	// Chunks numbers the chunks written.
	Chunks int `json:"chunks,omitempty"`
}

// PendingImport is one chunk's unconfirmed imports and its open quota
// reservation.
type PendingImport struct {
	Chunk       int    `json:"chunk"`
	Reservation string `json:"reservation"`
	// Written counts the chunk's contacts already confirmed (written one by
	// one, or imports confirmed); committed with the reservation.
	Written int                     `json:"written"`
	Imports []activities.ImportSent `json:"imports"`
}

// IntegrationInput starts (or continues) an integration workflow.
type IntegrationInput struct {
	Spec IntegrationSpec `json:"spec"`
	// State is nil on the first run and carried over on continue-as-new.
	State *IntegrationState `json:"state,omitempty"`
}
