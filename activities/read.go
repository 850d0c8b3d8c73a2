package activities

import (
	"context"
	"encoding/json"
	"slices"
	"time"

	"go.temporal.io/sdk/temporal"

	"hubspot-brevo-sync/internal/httpx"
	"hubspot-brevo-sync/internal/hubspot"
	"hubspot-brevo-sync/internal/integration"
	"hubspot-brevo-sync/internal/mapping"
)

// transientBudget is how long one call may be retried inside an activity
// when HubSpot or Brevo answer 5xx, time out or reset the connection,
// before the activity gives up and Temporal retries it.
var transientBudget = 8 * time.Second

// retry runs one idempotent call, retrying transient failures with
// jittered backoff (httpx.Retry).
func retry(ctx context.Context, fn func() error) error {
	return httpx.Retry(ctx, transientBudget, fn)
}

// read reads the batch's source and moves the result's position.
func (b *batch) read(ctx context.Context) ([]mapping.Record, error) {
	src := b.in.Source
	b.res.Position = src.Position
	switch src.Phase {
	case "":
		b.res.Last = true
		return nil, nil
	case integration.PhaseMembers:
		ids, err := b.readMembers(ctx)
		if err != nil {
			return nil, err
		}
		return b.readContacts(ctx, ids)
	case integration.PhaseJoiners:
		ids, err := b.a.Store.Joiners(ctx, b.in.Integration, int64(b.in.Pass), src.Position, max(src.Pages, 1)*MembersPerPage)
		if err != nil {
			return nil, err
		}
		b.res.Last = len(ids) < max(src.Pages, 1)*MembersPerPage
		if len(ids) > 0 {
			b.res.Position = ids[len(ids)-1]
		}
		return b.readContacts(ctx, ids)
	case integration.PhaseChanges:
		return b.readChanges(ctx)
	}
	return nil, temporal.NewNonRetryableApplicationError("unknown batch source "+src.Phase, ErrTypeInvalidInput, nil)
}

// readMembers reads memberships pages and records their ids as seen by
// this pass's scan.
func (b *batch) readMembers(ctx context.Context) ([]string, error) {
	hs, err := b.a.hubspotOf(b.in.HubSpot)
	if err != nil {
		return nil, err
	}
	var ids []string
	for page := 0; page < max(b.in.Source.Pages, 1); page++ {
		var m hubspot.MembershipPage
		err := retry(ctx, func() (err error) {
			m, err = hs.ListMemberships(ctx, b.in.HubSpotListID, b.res.Position, MembersPerPage)
			return err
		})
		if err != nil {
			return nil, err
		}
		members := b.in.HubSpot.ExtIDs(m.RecordIDs)
		if _, err := b.a.Store.MarkSeen(ctx, b.in.Integration, int64(b.in.Pass), members); err != nil {
			return nil, err
		}
		ids = append(ids, members...)
		b.res.Position, b.res.ListSize = m.After, m.Total
		b.heartbeat(ctx)
		if m.After == "" {
			b.res.Last = true
			break
		}
	}
	b.res.Members = len(ids)
	return ids, nil
}

// readContacts batch-reads the contacts' mapped properties (ids are the
// contacts' keys, ext_ids).
func (b *batch) readContacts(ctx context.Context, ids []string) ([]mapping.Record, error) {
	hs, err := b.a.hubspotOf(b.in.HubSpot)
	if err != nil {
		return nil, err
	}
	props := b.in.Mapping.Properties()
	recordIDs := b.in.HubSpot.RecordIDs(ids)
	var records []mapping.Record
	for start := 0; start < len(recordIDs); start += hubspot.MaxBatchRead {
		chunk := recordIDs[start:min(start+hubspot.MaxBatchRead, len(recordIDs))]
		var res hubspot.BatchResult
		err := retry(ctx, func() (err error) {
			res, err = hs.BatchReadContacts(ctx, chunk, append(slices.Clone(props), propMergedIDs))
			return err
		})
		if err != nil {
			return nil, err
		}
		for _, c := range res.Contacts {
			records = append(records, toRecordOf(b.in.HubSpot, c, props))
		}
		b.res.Missing += len(res.Missing)
		b.heartbeat(ctx)
	}
	if b.in.Source.Phase == integration.PhaseJoiners {
		b.res.Members = len(ids)
	}
	return records, nil
}

// readChanges reads search pages of contacts modified in the window and
// keeps the list members among them.
func (b *batch) readChanges(ctx context.Context) ([]mapping.Record, error) {
	src := b.in.Source
	cur := hubspot.NewSearchCursor(src.Since, src.Until)
	if src.Position != "" {
		if err := json.Unmarshal([]byte(src.Position), &cur); err != nil {
			return nil, temporal.NewNonRetryableApplicationError("bad search position", ErrTypeInvalidInput, err)
		}
	}
	hs, err := b.a.hubspotOf(b.in.HubSpot)
	if err != nil {
		return nil, err
	}
	props := b.in.Mapping.Properties()
	var records []mapping.Record
	for page := 0; page < max(src.Pages, 1); page++ {
		var p hubspot.SearchPage
		err := retry(ctx, func() (err error) {
			p, err = hs.SearchContactsModified(ctx, cur, append(slices.Clone(props), propMergedIDs), hubspot.MaxSearchPage)
			return err
		})
		if err != nil {
			return nil, err
		}
		members, err := b.listMembers(ctx, p.Contacts)
		if err != nil {
			return nil, err
		}
		for _, c := range members {
			records = append(records, toRecordOf(b.in.HubSpot, c, props))
		}
		b.heartbeat(ctx)
		if p.Next == nil {
			b.res.Last, b.res.Position = true, ""
			return records, nil
		}
		cur = *p.Next
	}
	pos, err := json.Marshal(cur)
	if err != nil {
		return nil, temporal.NewNonRetryableApplicationError("encode search position", ErrTypeInvalidInput, err)
	}
	b.res.Position = string(pos)
	return records, nil
}

// listMembers keeps the contacts the store knows as list members: a
// changed contact outside the list is not ours.
func (b *batch) listMembers(ctx context.Context, cs []hubspot.Contact) ([]hubspot.Contact, error) {
	ids := make([]string, len(cs))
	for i, c := range cs {
		ids[i] = b.in.HubSpot.ExtID(c.ID)
	}
	known, err := b.a.Store.Records(ctx, b.in.Integration, ids)
	if err != nil {
		return nil, err
	}
	var out []hubspot.Contact
	for i, c := range cs {
		if known[ids[i]].InList {
			out = append(out, c)
		}
	}
	return out, nil
}
