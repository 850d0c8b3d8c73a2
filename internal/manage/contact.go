package manage

import (
	"context"
	"strings"
	"time"

	"hubspot-brevo-sync/internal/integration"
	"hubspot-brevo-sync/internal/mapping"
	"hubspot-brevo-sync/internal/store"
)

// Verdicts of a contact report: what happened to one contact.
const (
	VerdictWritten          = "written"            // in Brevo as last mapped
	VerdictLeft             = "left"               // written, then left the HubSpot list
	VerdictSkipped          = "skipped"            // not written, with the reason
	VerdictFailed           = "failed"             // Brevo refused it, with the reason
	VerdictImporting        = "importing"          // in a Brevo import not confirmed yet
	VerdictMemberNotWritten = "member_not_written" // a list member the sync has not written yet
	VerdictNotAMember       = "not_a_member"       // in HubSpot, not in the integration's list
	VerdictNotReadYet       = "not_read_yet"       // in HubSpot; the first pass has not come to it
	VerdictUnknown          = "unknown_to_hubspot" // no such contact in HubSpot
)

// ContactAnswer is what `starter report NAME --contact ID|EMAIL` says of
// one HubSpot record.
type ContactAnswer struct {
	HubSpotID string `json:"hubspotId,omitempty"`
	Email     string `json:"email,omitempty"`
	Verdict   string `json:"verdict"`
	// WrittenKind (created, updated or failed) and WrittenAt describe the
	// last write; Hash is of the values of the last good one.
	WrittenAt   *time.Time `json:"writtenAt,omitempty"`
	WrittenKind string     `json:"writtenKind,omitempty"`
	Hash        string     `json:"hash,omitempty"`
	// Outcome is the record's latest remark: why it was skipped or failed,
	// or the value a write left out.
	Outcome *store.Outcome `json:"outcome,omitempty"`
	// ListID is the integration's HubSpot list, and PassEndedAt when the
	// pass that did not find the contact in it ended.
	ListID      string     `json:"hubspotListId,omitempty"`
	PassEndedAt *time.Time `json:"passEndedAt,omitempty"`
}

// ContactAnswers says what happened to each record the sync store knows.
func ContactAnswers(facts []store.Facts) []ContactAnswer {
	out := make([]ContactAnswer, 0, len(facts))
	for _, f := range facts {
		a := ContactAnswer{HubSpotID: f.HubSpotID, Email: f.Email, Outcome: f.Outcome, Hash: f.Hash, WrittenKind: f.WrittenKind}
		if !f.WrittenAt.IsZero() {
			t := f.WrittenAt
			a.WrittenAt = &t
		}
		a.Verdict = verdictOf(f)
		if a.Email == "" && f.Outcome != nil {
			a.Email = f.Outcome.Email
		}
		out = append(out, a)
	}
	return out
}

// verdictOf picks the record's latest fate: a skip or failure newer than
// the last write (or with no write time recorded) wins over it.
func verdictOf(f store.Facts) string {
	o := f.Outcome
	refused := o != nil && (o.Kind == mapping.OutcomeSkipped || o.Kind == mapping.OutcomeFailed)
	refusedLater := refused && (f.WrittenAt.IsZero() || o.At.After(f.WrittenAt))
	switch {
	case f.Importing:
		return VerdictImporting
	case refusedLater && o.Kind == mapping.OutcomeSkipped:
		return VerdictSkipped
	case refusedLater || f.WrittenKind == mapping.OutcomeFailed:
		return VerdictFailed
	case f.Written() && !f.Member:
		return VerdictLeft
	case f.Written():
		return VerdictWritten
	case f.Member:
		return VerdictMemberNotWritten
	}
	return VerdictLeft // seen in the list once, gone before it was written
}

// AskHubSpot answers for a contact the sync store knows nothing of: HubSpot
// either has no such contact, or has one the integration never found in
// its list. status, when known, tells whether a pass has covered the
// whole list yet.
func (m *Manager) AskHubSpot(ctx context.Context, key string, status *integration.Status) (ContactAnswer, error) {
	if !strings.Contains(key, "@") && strings.Trim(key, "0123456789") != "" {
		return ContactAnswer{Verdict: VerdictUnknown}, nil // neither an id nor an email
	}
	c, found, err := retried3(ctx, func() (ContactAnswer, bool, error) {
		c, found, err := m.HubSpot.FindContact(ctx, key)
		return ContactAnswer{HubSpotID: c.ID, Email: c.Properties["email"]}, found, err
	})
	if err != nil {
		return ContactAnswer{}, apiError("HubSpot contact "+key, err)
	}
	if !found {
		return ContactAnswer{Verdict: VerdictUnknown}, nil
	}
	c.Verdict = VerdictNotAMember
	if status != nil {
		c.ListID = status.HubSpotListID
		if status.LastSyncAt != nil {
			t := *status.LastSyncAt
			c.PassEndedAt = &t
		} else {
			c.Verdict = VerdictNotReadYet
		}
	}
	return c, nil
}

// retried3 is retried for calls that also say whether they found anything.
func retried3[T any](ctx context.Context, fn func() (T, bool, error)) (T, bool, error) {
	var found bool
	out, err := retried(ctx, func() (T, error) {
		v, ok, err := fn()
		found = ok
		return v, err
	})
	return out, found, err
}
