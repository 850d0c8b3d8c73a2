package integration

import (
	"time"

	"hubspot-brevo-sync/internal/mapping"
)

// Spec is what a person configured. It holds no credential: the worker
// has those.
type Spec struct {
	Name          string `json:"name"`
	HubSpotListID string `json:"hubspotListId"`
	// BrevoListID is the target list; when zero, NewBrevoList names a list
	// the integration creates on its first run.
	BrevoListID  int64         `json:"brevoListId,omitempty"`
	NewBrevoList *NewBrevoList `json:"newBrevoList,omitempty"`
	Mapping      mapping.Spec  `json:"mapping"`
	// Draft saves the integration without running it until activated.
	Draft bool `json:"draft,omitempty"`
	// OptInConfirmed records the person's confirmation that the HubSpot
	// contacts consented to receive marketing from Brevo.
	OptInConfirmed bool `json:"optInConfirmed"`
	// OnLeave says what happens to a contact that leaves the HubSpot list:
	// OnLeaveUnlink (default) removes it from the Brevo list, OnLeaveKeep
	// leaves it.
	OnLeave string `json:"onLeave,omitempty"`
	// UnlinkGuardPercent refuses to unlink more than this share of the
	// list in one pass (0: DefaultUnlinkGuardPercent; negative: off).
	UnlinkGuardPercent int `json:"unlinkGuardPercent,omitempty"`
	// ReconcileEvery is how often a full pass re-reads the whole list to
	// repair drift (0: DefaultReconcileEvery).
	ReconcileEvery time.Duration `json:"reconcileEvery,omitempty"`
	// ListSizeHint is HubSpot's count of list members when the
	// integration was created: progress is known from the first second.
	ListSizeHint int `json:"listSizeHint,omitempty"`

	// Deletions and unsubscribes (docs/consent.md). OnDelete says what
	// happens to a linked contact deleted in HubSpot: OnDeleteUnlink
	// (default: as any leaver, per OnLeave), OnDeleteDelete (deleted in
	// Brevo) or OnDeleteKeep (left in Brevo and in the list).
	OnDelete string `json:"onDelete,omitempty"`
	// ReportUnsubscribes writes the Brevo blocklistings of the list's
	// contacts to HubSpot (brevo_email_blacklisted, brevo_blacklisted_at)
	// once per poll; HubSpotSubscriptionID, when set, also unsubscribes
	// their email from that HubSpot subscription type.
	ReportUnsubscribes    bool   `json:"reportUnsubscribes,omitempty"`
	HubSpotSubscriptionID string `json:"hubspotSubscriptionId,omitempty"`
	// HubSpotConnection names the HubSpot connection read ("": the
	// HUBSPOT_* environment, DefaultConnection); HubSpotPortalID, set at
	// create time for every other connection, prefixes the ext_ids (see
	// HubSpotAccount).
	HubSpotConnection string `json:"hubspotConnection,omitempty"`
	HubSpotPortalID   string `json:"hubspotPortalId,omitempty"`
}

// What happens to a linked contact deleted (archived, GDPR-deleted) in
// HubSpot. A contact merged away is not deleted: it left.
const (
	OnDeleteUnlink = "unlink"
	OnDeleteDelete = "delete"
	OnDeleteKeep   = "keep"
)

// DeletePolicy is the OnDelete choice in force.
func (s Spec) DeletePolicy() string {
	if s.OnDelete == "" {
		return OnDeleteUnlink
	}
	return s.OnDelete
}

// NewBrevoList names a Brevo list to create.
type NewBrevoList struct {
	Name     string `json:"name"`
	FolderID int64  `json:"folderId,omitempty"`
}

// What happens to a contact that leaves the HubSpot list (or is deleted or
// merged away in HubSpot). Brevo contacts are never deleted, unless
// OnDelete says so for the contacts HubSpot deleted.
const (
	OnLeaveUnlink = "unlink"
	OnLeaveKeep   = "keep"
)

// Defaults of the Spec's options.
const (
	DefaultUnlinkGuardPercent = 20
	DefaultReconcileEvery     = 24 * time.Hour
)

// GuardPercent is the unlink guard in force (0: off).
func (s Spec) GuardPercent() int {
	if s.UnlinkGuardPercent == 0 {
		return DefaultUnlinkGuardPercent
	}
	return max(s.UnlinkGuardPercent, 0)
}

// LeavePolicy is the OnLeave choice in force.
func (s Spec) LeavePolicy() string {
	if s.OnLeave == "" {
		return OnLeaveUnlink
	}
	return s.OnLeave
}

// ReconcileInterval is the time between full passes.
func (s Spec) ReconcileInterval() time.Duration {
	if s.ReconcileEvery <= 0 {
		return DefaultReconcileEvery
	}
	return s.ReconcileEvery
}

// Tuning shapes how the workflow cuts the work into batches. It is data in
// the workflow's input and checkpoint, never a worker global: a worker
// with other defaults cannot change the commands an old history replays.
type Tuning struct {
	// PagesPerBatch is how many memberships pages (250 members each) one
	// batch of a full pass reads.
	PagesPerBatch int `json:"pagesPerBatch"`
	// SearchPagesPerBatch is how many search pages (200 contacts each) one
	// batch of changes reads.
	SearchPagesPerBatch int `json:"searchPagesPerBatch"`
	// ScanPagesPerBatch is how many memberships pages one scan batch reads
	// (ids only).
	ScanPagesPerBatch int `json:"scanPagesPerBatch"`
	// ImportMin is the fewest contacts of a batch written as one Brevo
	// import; fewer go one by one.
	ImportMin int `json:"importMin"`
	// ImportsInFlight is how many sent imports may wait for their
	// read-back while the next batches are read.
	ImportsInFlight int `json:"importsInFlight"`
	// ImportTimeout is how long an import may stay unconfirmed before the
	// process itself is asked about it.
	ImportTimeout time.Duration `json:"importTimeout"`
	// HeartbeatTimeout is how soon a batch whose worker died is retried
	// elsewhere (a batch heartbeats after every call).
	HeartbeatTimeout time.Duration `json:"heartbeatTimeout"`
	// MaxBatchesPerRun bounds one run's batches before continue-as-new.
	MaxBatchesPerRun int `json:"maxBatchesPerRun"`
	// MaxIdlePollsPerRun bounds one run's idle polls likewise.
	MaxIdlePollsPerRun int `json:"maxIdlePollsPerRun"`
}

// DefaultTuning is the one place the defaults live.
func DefaultTuning() Tuning {
	return Tuning{
		PagesPerBatch:       8,
		SearchPagesPerBatch: 10,
		ScanPagesPerBatch:   40,
		ImportMin:           50,
		ImportsInFlight:     3,
		ImportTimeout:       2 * time.Minute,
		HeartbeatTimeout:    time.Minute,
		MaxBatchesPerRun:    200,
		MaxIdlePollsPerRun:  100,
	}
}

// OrDefaults fills the zero fields from DefaultTuning.
func (t Tuning) OrDefaults() Tuning {
	d := DefaultTuning()
	fill := func(v *int, def int) {
		if *v <= 0 {
			*v = def
		}
	}
	fill(&t.PagesPerBatch, d.PagesPerBatch)
	fill(&t.SearchPagesPerBatch, d.SearchPagesPerBatch)
	fill(&t.ScanPagesPerBatch, d.ScanPagesPerBatch)
	fill(&t.ImportMin, d.ImportMin)
	fill(&t.ImportsInFlight, d.ImportsInFlight)
	fill(&t.MaxBatchesPerRun, d.MaxBatchesPerRun)
	fill(&t.MaxIdlePollsPerRun, d.MaxIdlePollsPerRun)
	if t.ImportTimeout <= 0 {
		t.ImportTimeout = d.ImportTimeout
	}
	if t.HeartbeatTimeout <= 0 {
		t.HeartbeatTimeout = d.HeartbeatTimeout
	}
	return t
}
