package manage

import (
	"context"

	"hubspot-brevo-sync/internal/integration"
	"hubspot-brevo-sync/internal/mapping"
)

// Report is what `starter report` shows: the latest records that did not
// simply go through (skipped, failed, or written with a value left out),
// newest first, counted by kind and by reason, next to the integration's
// lifetime totals.
type Report struct {
	Name  string            `json:"name"`
	State integration.State `json:"state"`
	// Lifetime totals from the integration's counters.
	ContactsSynced  int64            `json:"contactsSynced"`
	ContactsSkipped int64            `json:"contactsSkipped"`
	ContactsFailed  int64            `json:"contactsFailed"`
	SkippedByReason map[string]int64 `json:"skippedByReason"`
	// DeletedInHubSpot and UnsubscribesReported: the deletions and
	// unsubscribes handled (docs/consent.md); each is an outcome in the
	// store (`starter report NAME --contact ID`).
	DeletedInHubSpot     int64 `json:"contactsDeletedInHubSpot"`
	UnsubscribesReported int64 `json:"unsubscribesReported"`
	// Consent describes the consent options in force (none: empty).
	Consent []string `json:"consent"`
	// Problems are the latest outcomes the integration keeps (at most
	// integration.MaxRecentProblems), newest first. Kind is skipped or failed
	// for records not written, created or updated for records written
	// without a value (the reason says which).
	Problems []mapping.Outcome `json:"problems"`
	// ByKind and ByReason count Problems.
	ByKind   map[string]int `json:"byKind"`
	ByReason map[string]int `json:"byReason"`
}

// NewReport builds the report from a status.
func NewReport(st integration.Status) Report {
	r := Report{
		Name: st.Name, State: st.State,
		ContactsSynced: st.ContactsSynced, ContactsSkipped: st.ContactsSkipped, ContactsFailed: st.ContactsFailed,
		DeletedInHubSpot: st.DeletedInHubSpot, UnsubscribesReported: st.UnsubscribesReported,
		SkippedByReason: map[string]int64{},
		Problems:        make([]mapping.Outcome, 0, len(st.RecentProblems)),
		ByKind:          map[string]int{},
		ByReason:        map[string]int{},
	}
	r.Consent = []string{}
	if st.Spec != nil {
		r.Consent = append(r.Consent, st.Spec.ConsentChoices()...)
	}
	for k, v := range st.SkippedByReason {
		r.SkippedByReason[k] = v
	}
	for i := len(st.RecentProblems) - 1; i >= 0; i-- {
		o := st.RecentProblems[i]
		r.Problems = append(r.Problems, o)
		r.ByKind[o.Kind]++
		r.ByReason[o.Reason]++
	}
	return r
}

// Report asks the integration for its status and builds the report.
func (m *Manager) Report(ctx context.Context, name string) (Report, error) {
	st, err := m.Status(ctx, name)
	if err != nil {
		return Report{}, err
	}
	return NewReport(st), nil
}
