package integration

import (
	"time"

	"hubspot-brevo-sync/internal/mapping"
)

// State is where an integration stands in its lifecycle.
type State string

const (
	StateDraft         State = "draft"          // saved, not activated
	StateSyncing       State = "syncing"        // a pass is under way
	StateIdle          State = "idle"           // up to date, waiting for the next poll
	StatePaused        State = "paused"         // paused by a person
	StateQuotaExceeded State = "quota_exceeded" // paused by the monthly task quota
	StateStopped       State = "stopped"        // ended by a person; the workflow completes
	StateFailed        State = "failed"         // needs a person; resumable after the fix
)

// Phases of a pass. A full pass reads every member with its properties
// (members); an incremental pass reads member ids (scan), writes the
// members that joined (joiners) and those modified since the last pass
// (changes); both end with the members that left (leaves).
const (
	PhaseMembers = "members"
	PhaseScan    = "scan"
	PhaseJoiners = "joiners"
	PhaseChanges = "changes"
	PhaseLeaves  = "leaves"
)

// Cursor is the position of the current pass.
type Cursor struct {
	Pass  int    `json:"pass"` // 1 = the initial sync
	Phase string `json:"phase,omitempty"`
	Full  bool   `json:"full,omitempty"`
	// Position continues the phase's source: a memberships cursor, a
	// search token or the last joiner id; "" is the start.
	Position string `json:"position,omitempty"`
	// Batches numbers the batches of the pass.
	Batches   int       `json:"batches"`
	StartedAt time.Time `json:"startedAt,omitzero"`
	// ModifiedAfter is the start of the last completed pass: contacts not
	// modified since then are already in Brevo.
	ModifiedAfter time.Time `json:"modifiedAfter,omitzero"`
	// Seen counts the list members this pass read, ListSize what HubSpot
	// says the list holds, Written the contacts this pass wrote (confirmed
	// by Brevo): together they show progress.
	Seen     int `json:"seen"`
	ListSize int `json:"listSize"`
	Written  int `json:"written"`
	// LeavesDeferred says the last leaves phase found the HubSpot list
	// still being recomputed and left its leavers to the next pass.
	LeavesDeferred bool `json:"leavesDeferred,omitempty"`
}

// Counters are totals over the life of the integration. They change only
// after Brevo confirmed a write, so a retried activity never counts twice.
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
	// DeletedInHubSpot counts the leavers HubSpot deleted that the sync
	// had linked (--on-delete delete or keep; unlink does not tell them
	// apart); UnsubscribesReported the Brevo blocklistings written to
	// HubSpot (--report-unsubscribes-to-hubspot).
	DeletedInHubSpot     int64 `json:"deletedInHubSpot,omitempty"`
	UnsubscribesReported int64 `json:"unsubscribesReported,omitempty"`
	// Month (YYYY-MM, UTC) and TasksThisMonth count the contacts created
	// or updated this month: the unit of the monthly task quota.
	Month          string `json:"month"`
	TasksThisMonth int64  `json:"tasksThisMonth"`
}

// Import is a Brevo import sent and not yet confirmed by reading its
// contacts back. It carries no contact: the rows are in the sync store.
type Import struct {
	ProcessID int64 `json:"processId"`
	// Batch is the key of the batch that sent it (its rows in the store).
	Batch string `json:"batch"`
	// Since is Brevo's clock just before the import was sent: its
	// contacts are modified after it.
	Since    time.Time `json:"since"`
	SentAt   time.Time `json:"sentAt"`
	Contacts int       `json:"contacts"`
	// Reservation is the quota reservation committed once it is confirmed.
	Reservation string `json:"reservation"`
}

// Checkpoint is everything the workflow carries across continue-as-new.
type Checkpoint struct {
	State       State    `json:"state"`
	BrevoListID int64    `json:"brevoListId,omitempty"`
	Tuning      Tuning   `json:"tuning"`
	Cursor      Cursor   `json:"cursor"`
	Counters    Counters `json:"counters"`
	// Imports are sent and not confirmed yet (at most ImportsInFlight).
	Imports    []Import  `json:"imports,omitempty"`
	LastSyncAt time.Time `json:"lastSyncAt,omitzero"`
	LastError  string    `json:"lastError,omitempty"`
	// Warning is a problem that does not stop the sync: an option that
	// cannot do its work (a HubSpot scope missing for reporting
	// unsubscribes). It clears once that work succeeds.
	Warning string `json:"warning,omitempty"`
	// Requests recorded from signals and updates, acted on between
	// batches.
	PauseRequested bool `json:"pauseRequested,omitempty"`
	StopRequested  bool `json:"stopRequested,omitempty"`
	SyncNow        bool `json:"syncNow,omitempty"`
	QuotaAvailable bool `json:"quotaAvailable,omitempty"`
	AllowLeaves    bool `json:"allowLeaves,omitempty"`
	// Reservations counts the quota reservations made, to name each one.
	Reservations int64 `json:"reservations,omitempty"`
	// WaitingUntil is set while the integration waits for HubSpot's daily
	// API budget to reset.
	WaitingUntil   time.Time `json:"waitingUntil,omitzero"`
	LastFullPassAt time.Time `json:"lastFullPassAt,omitzero"`
	// RecentProblems are the latest skipped and failed records (ids and
	// reasons), newest last, at most MaxRecentProblems.
	RecentProblems []mapping.Outcome `json:"recentProblems,omitempty"`
	// UnsubscribesSince is Brevo's time at the start of the last listing
	// of blocklisted contacts (--report-unsubscribes-to-hubspot): the next
	// one reads the contacts modified since, less an overlap.
	UnsubscribesSince time.Time `json:"unsubscribesSince,omitzero"`
}

// MaxRecentProblems bounds the outcomes kept in the checkpoint.
const MaxRecentProblems = 50

// Input starts (or continues) an integration workflow.
type Input struct {
	Spec Spec `json:"spec"`
	// Tuning overrides DefaultTuning on the first run (zero fields keep
	// the defaults); later runs carry the checkpoint's.
	Tuning *Tuning `json:"tuning,omitempty"`
	// Checkpoint is nil on the first run and carried on continue-as-new.
	Checkpoint *Checkpoint `json:"checkpoint,omitempty"`
}

// Status is what the status query returns; the starter prints it and
// scripts read it as JSON.
type Status struct {
	Name            string           `json:"name"`
	State           State            `json:"state"`
	HubSpotListID   string           `json:"hubspotListId"`
	BrevoListID     int64            `json:"brevoListId"`
	TasksThisMonth  int64            `json:"tasksThisMonth"`
	Month           string           `json:"month"`
	ContactsSynced  int64            `json:"contactsSynced"`
	ContactsCreated int64            `json:"contactsCreated"`
	ContactsUpdated int64            `json:"contactsUpdated"`
	Unchanged       int64            `json:"contactsUnchanged"`
	ContactsSkipped int64            `json:"contactsSkipped"`
	SkippedByReason map[string]int64 `json:"skippedByReason,omitempty"`
	ContactsFailed  int64            `json:"contactsFailed"`
	ContactsLeft    int64            `json:"contactsLeft"`
	Unlinked        int64            `json:"contactsUnlinked"`
	// DeletedInHubSpot and UnsubscribesReported: see Counters.
	DeletedInHubSpot     int64      `json:"contactsDeletedInHubSpot,omitempty"`
	UnsubscribesReported int64      `json:"unsubscribesReported,omitempty"`
	LastSyncAt           *time.Time `json:"lastSyncAt"`
	LastError            string     `json:"lastError"`
	// Warning: see Checkpoint.Warning.
	Warning string `json:"warning,omitempty"`
	// WaitingUntil is when HubSpot's daily API budget resets, while the
	// integration waits for it.
	WaitingUntil *time.Time `json:"waitingUntil,omitempty"`
	Cursor       Cursor     `json:"cursor"`
	// PendingImports counts the contacts sent in Brevo imports and not
	// confirmed yet.
	PendingImports int               `json:"pendingImports,omitempty"`
	RecentProblems []mapping.Outcome `json:"recentProblems,omitempty"`
	// Spec is the integration's configuration, mapping included.
	Spec *Spec `json:"spec,omitempty"`

	// HubSpotConnection is the spec's HubSpot connection ("default":
	// the HUBSPOT_* environment).
	HubSpotConnection string `json:"hubspotConnection,omitempty"`
}

// Progress is the share of the current pass done, 0..100: list members
// read, less those in imports not confirmed yet, against the list size;
// 100 only once the pass ended.
func (s Status) Progress() int {
	if s.State == StateIdle || s.State == StateStopped {
		return 100
	}
	if s.Cursor.ListSize <= 0 {
		return 0
	}
	done := max(s.Cursor.Seen-s.PendingImports, 0)
	return min(99, done*100/s.Cursor.ListSize)
}
