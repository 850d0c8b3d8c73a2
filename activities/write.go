package activities

import (
	"context"
	"strings"
	"time"

	"hubspot-brevo-sync/internal/httpx"
	"hubspot-brevo-sync/internal/mapping"
	"hubspot-brevo-sync/internal/store"
)

// Writer writes the contacts of a batch that need writing. The batch
// chooses one by how many there are: one by one (upserts, each confirmed
// by Brevo's answer) or one Brevo import (confirmed later by reading the
// contacts back).
type Writer interface {
	Write(ctx context.Context, b *batch, cs []mapping.Contact) error
}

// write cuts the contacts to the quota grant and hands them to the
// writers: an import for the many that an import treats like an upsert,
// one by one for the rest.
func (b *batch) write(ctx context.Context, todo []mapping.Contact, granted int) error {
	if len(todo) == 0 {
		return nil
	}
	room, err := b.room(ctx, granted)
	if err != nil {
		return err
	}
	if len(todo) > room {
		todo = todo[:room]
		b.res.QuotaShort, b.res.Last, b.res.Position = true, false, b.in.Source.Position
	}
	var bulk, single []mapping.Contact
	if len(todo) >= max(b.in.ImportMin, 1) && b.res.Sent == nil {
		if bulk, single, err = b.routeForImport(ctx, todo); err != nil {
			return err
		}
	} else {
		single = todo
	}
	if len(bulk) < max(b.in.ImportMin, 1) {
		single, bulk = append(bulk, single...), nil
	}
	if len(bulk) > 0 {
		return importWriter{later: single}.Write(ctx, b, bulk)
	}
	return upsertWriter{}.Write(ctx, b, single)
}

// room is what the quota grant leaves for this attempt: an earlier
// attempt's writes and import already used their share.
func (b *batch) room(ctx context.Context, granted int) (int, error) {
	n, err := b.a.Store.CountWritten(ctx, b.in.Integration, b.in.Key)
	if err != nil {
		return 0, err
	}
	used := n[mapping.OutcomeCreated] + n[mapping.OutcomeUpdated]
	if b.res.Sent != nil {
		used += b.res.Sent.Contacts
	}
	return max(granted-used, 0), nil
}

// upsertWriter writes contacts one by one (POST /contacts keyed by ext_id,
// or the identity-keeping paths of writeOne); Brevo's 2xx confirms each.
type upsertWriter struct{}

func (upsertWriter) Write(ctx context.Context, b *batch, cs []mapping.Contact) error {
	if len(cs) == 0 {
		return nil
	}
	known, err := b.a.Store.Records(ctx, b.in.Integration, relatedIDs(cs))
	if err != nil {
		return err
	}
	for i, c := range cs {
		if err := b.upsert(ctx, c, known, b.in.Key); err != nil {
			return err
		}
		if i%50 == 49 {
			if err := b.flush(ctx); err != nil {
				return err
			}
			b.heartbeat(ctx)
		}
	}
	return b.flush(ctx)
}

// upsert writes one contact and records how it ended under key. A refusal
// that concerns only this contact is its outcome; anything else (rate
// limits, outages, a revoked key) fails the attempt.
func (b *batch) upsert(ctx context.Context, c mapping.Contact, known map[string]store.Record, key string) error {
	var created bool
	var notes []mapping.Note
	err := retry(ctx, func() (err error) {
		created, notes, err = b.a.writeOne(ctx, b.in.Integration, b.in.BrevoListID, c, known)
		return err
	})
	now := time.Now()
	if err != nil {
		e, ok := httpx.AsError(err)
		if !ok || e.Retryable() || !contactLevel(e) {
			return err
		}
		b.fail(c, key, mapping.ReasonRejected, e.Error())
		return nil
	}
	b.progressed = true
	kind := mapping.OutcomeUpdated
	if created {
		kind = mapping.OutcomeCreated
	}
	b.written = append(b.written, store.Written{HubSpotID: c.ExtID, Email: c.Email, Hash: b.hash(c), Kind: kind, Batch: key, At: now})
	c.Notes = append(c.Notes, notes...)
	b.notes(c, kind)
	return nil
}

// notes records what the mapping or Brevo left out of a written contact,
// and its blocklisting.
func (b *batch) notes(c mapping.Contact, kind string) {
	for _, n := range c.Notes {
		b.problem(mapping.Outcome{HubSpotID: c.ExtID, Email: c.Email, Kind: kind, Reason: n.Reason, Text: n.Text})
	}
	b.consentOutcome(c, kind)
}

// fail records a contact Brevo refused (or that cannot be written), with
// the reason, under key.
func (b *batch) fail(c mapping.Contact, key, reason, text string) {
	b.written = append(b.written, store.Written{HubSpotID: c.ExtID, Email: c.Email, Kind: mapping.OutcomeFailed, Batch: key, At: time.Now()})
	b.problem(mapping.Outcome{HubSpotID: c.ExtID, Email: c.Email, Kind: mapping.OutcomeFailed, Reason: reason, Text: text})
}

// smsKey is the number as Brevo compares it (digits, country code first);
// false when the value does not clearly carry a country code.
func smsKey(sms string) (string, bool) {
	s := strings.TrimSpace(sms)
	switch {
	case strings.HasPrefix(s, "+"):
		s = s[1:]
	case strings.HasPrefix(s, "00"):
		s = s[2:]
	}
	if len(s) < mapping.MinPhoneDigits || len(s) > mapping.MaxPhoneDigits || s[0] == '0' {
		return "", false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return "", false
		}
	}
	return s, true
}
