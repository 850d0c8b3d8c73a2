package activities

import (
	"context"
	"time"

	"hubspot-brevo-sync/internal/brevo"
	"hubspot-brevo-sync/internal/mapping"
	"hubspot-brevo-sync/internal/store"
)

// blocklistFlag is the emailBlacklisted a write sends: true for a contact
// that opted out in HubSpot, else nothing. Never false: lifting a HubSpot
// opt-out must not undo a Brevo unsubscribe (docs/consent.md).
func blocklistFlag(c mapping.Contact) *bool {
	if c.Blocklist {
		return brevo.Bool(true)
	}
	return nil
}

// consentOutcome records, for a contact Brevo confirmed written, that the
// write blocklisted it: an outcome for the report and a stamp in the
// store (saved by stampBlocklisted before the write itself is).
func (b *batch) consentOutcome(c mapping.Contact, kind string) {
	if !c.Blocklist {
		return
	}
	b.blocklisted = append(b.blocklisted, c.ExtID)
	b.problem(mapping.Outcome{HubSpotID: c.ExtID, Email: c.Email, Kind: kind, Reason: mapping.ReasonBlocklisted,
		Text: mapping.PropEmailOptOut + " is true in HubSpot: blocklisted in Brevo (emailBlacklisted)"})
}

// stampBlocklisted saves which records the sync blocklisted. It runs
// before the writes are saved: a crash in between stamps them again on
// the retry, never leaves a confirmed blocklisting unstamped.
func (b *batch) stampBlocklisted(ctx context.Context) error {
	if len(b.blocklisted) == 0 {
		return nil
	}
	if err := b.a.Store.MarkBlocklisted(ctx, b.in.Integration, b.blocklisted, time.Now()); err != nil {
		return err
	}
	b.blocklisted = b.blocklisted[:0]
	return nil
}

// unlinkNotMarketing handles the records skipped as non-marketing
// contacts like list leavers: those the sync wrote are removed from the
// Brevo list and marked unlinked (a record that becomes a marketing
// contact again is written and linked again), unless --on-leave keep.
// The unlink guard does not apply: it protects against a misread list,
// and a non-marketing status is read from each contact itself.
func (b *batch) unlinkNotMarketing(ctx context.Context) error {
	if len(b.notMarketing) == 0 {
		return nil
	}
	ids := make([]string, len(b.notMarketing))
	for i, o := range b.notMarketing {
		ids[i] = o.HubSpotID
	}
	known, err := b.linkedRecords(ctx, ids)
	if err != nil {
		return err
	}
	keep := b.in.OnLeave == OnLeaveKeep
	var linked []string
	for _, o := range b.notMarketing {
		if _, ok := known[o.HubSpotID]; ok {
			linked = append(linked, o.HubSpotID)
			o.Text += "; removed from the Brevo list"
			if keep {
				o.Text = mapping.PropMarketableStatus + " is false: kept in the Brevo list (--on-leave keep), no longer updated"
			}
		}
		b.problem(o)
	}
	b.notMarketing = nil
	if keep {
		return nil
	}
	if len(linked) > 0 {
		n, err := b.a.unlink(ctx, b.in.Integration, b.in.BrevoListID, linked, b.in.Key)
		b.progressed = b.progressed || err == nil || n > 0
		if err != nil {
			return err
		}
	}
	// Counted from the store, so an earlier attempt's unlinks count too.
	n, err := b.a.Store.CountWritten(ctx, b.in.Integration, b.in.Key)
	b.res.Unlinked = n[store.KindUnlinked]
	return err
}

// linkedRecords are the records among ids whose contact the sync wrote
// into the Brevo list and did not unlink since. A record in an import
// not confirmed yet makes the batch confirm the imports first: the
// import would link it again after the removal.
func (b *batch) linkedRecords(ctx context.Context, ids []string) (map[string]store.Record, error) {
	known, err := b.a.Store.Records(ctx, b.in.Integration, ids)
	if err != nil {
		return nil, err
	}
	for _, r := range known {
		if r.Importing && len(b.in.Imports) > 0 {
			b.in.MustConfirm = len(b.in.Imports)
			if err := b.confirm(ctx); err != nil {
				return nil, err
			}
			if known, err = b.a.Store.Records(ctx, b.in.Integration, ids); err != nil {
				return nil, err
			}
			break
		}
	}
	for id, r := range known {
		if r.Hash == "" || r.Hash == store.HashUnlinked {
			delete(known, id)
		}
	}
	return known, nil
}
