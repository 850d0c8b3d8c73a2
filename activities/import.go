package activities

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"hubspot-brevo-sync/internal/brevo"
	"hubspot-brevo-sync/internal/integration"
	"hubspot-brevo-sync/internal/mapping"
	"hubspot-brevo-sync/internal/store"
)

// identityAccount names the Brevo account in the identity index: a worker
// writes to one account.
const identityAccount = "brevo"

// importExtID carries the ext_id in an import row. Whether Brevo honours
// it in a JSON import is undocumented: the read-back repairs what it did
// not set.
const importExtID = "EXT_ID"

// importWriter sends the contacts as one Brevo import. Brevo confirms
// nothing by answering: the rows wait in the store until a later batch
// reads them back (confirm).
type importWriter struct{}

func (importWriter) Write(ctx context.Context, b *batch, cs []mapping.Contact) error {
	key := importKey(b.in.Key)
	rows := make([]brevo.ImportContact, 0, len(cs))
	pending := make([]store.ImportRow, 0, len(cs))
	for _, c := range cs {
		rows = append(rows, brevo.ImportContact{Email: c.Email, Attributes: withKey(c.Attributes, importExtID, c.ExtID)})
		raw, err := json.Marshal(c)
		if err != nil {
			return err
		}
		pending = append(pending, store.ImportRow{HubSpotID: c.ExtID, Hash: ContentHash(c), Contact: string(raw)})
	}
	if err := b.a.Store.SaveImportRows(ctx, b.in.Integration, key, pending); err != nil {
		return err
	}
	// Brevo's clock a little before the import: every contact it writes
	// is modified after this.
	since := b.a.Brevo.ServerNow().Add(-2 * time.Second)
	var id int64
	err := retry(ctx, func() (err error) {
		id, err = b.a.Brevo.ImportContacts(ctx, brevo.ImportRequest{
			Contacts: rows, ListIDs: []int64{b.in.BrevoListID},
			UpdateExistingContacts: true, EmptyContactsAttributes: true, DisableNotification: true,
		})
		return err
	})
	if errors.Is(err, brevo.ErrImportTooLarge) {
		if err := b.a.Store.DropImportRows(ctx, b.in.Integration, key); err != nil {
			return err
		}
		return upsertWriter{}.Write(ctx, b, cs)
	}
	if err != nil {
		return err
	}
	b.progressed = true
	b.res.Sent = &integration.Import{ProcessID: id, Batch: key, Since: since, SentAt: time.Now().UTC(), Contacts: len(cs)}
	b.heartbeat(ctx)
	return nil
}

// routeForImport splits the contacts into those an import writes exactly
// as an upsert would and those that go one by one: no email (an import
// row is known by its email), an SMS without country code (the upsert
// path writes the contact without it, with a note), merged records and
// email changes (they keep their Brevo identity through writeOne), a
// second row with the same email or SMS, and every row whose identifiers
// belong to another Brevo contact than the one it updates: Brevo's import
// would merge the two and delete one, where an upsert is refused with
// duplicate_parameter.
func (b *batch) routeForImport(ctx context.Context, cs []mapping.Contact) (bulk, single []mapping.Contact, err error) {
	if err := b.refreshIndex(ctx); err != nil {
		return nil, nil, err
	}
	known, err := b.a.Store.Records(ctx, b.in.Integration, relatedIDs(cs))
	if err != nil {
		return nil, nil, err
	}
	holders, err := b.holders(ctx, cs)
	if err != nil {
		return nil, nil, err
	}
	seen := map[string]bool{}
	for _, c := range cs {
		email := strings.ToLower(c.Email)
		sms, smsOK := smsKey(c.SMS())
		prev := known[c.ExtID]
		switch {
		case email == "", c.SMS() != "" && !smsOK, len(c.MergedFrom) > 0,
			prev.Hash != "" && !strings.EqualFold(prev.Email, c.Email),
			seen["e:"+email], smsOK && seen["s:"+sms],
			holders.conflict(c.ExtID, email, sms):
			single = append(single, c)
		default:
			bulk = append(bulk, c)
		}
		seen["e:"+email] = true
		if smsOK {
			seen["s:"+sms] = true
		}
	}
	return bulk, single, nil
}

// identityHolders wraps the index's answer.
type identityHolders store.Holders

// conflict reports whether the row's identifiers are held by a Brevo
// contact other than the one the row updates (its ext_id's, else its
// email's, as an upsert adopts a contact by email).
func (h identityHolders) conflict(extID, email, sms string) bool {
	target := h.ExtID[extID]
	if target == 0 {
		target = h.Email[email]
	}
	for _, holder := range []int64{h.Email[email], h.SMS[sms]} {
		if holder != 0 && holder != target {
			return true
		}
	}
	return false
}

func (b *batch) holders(ctx context.Context, cs []mapping.Contact) (identityHolders, error) {
	var emails, sms, ext []string
	for _, c := range cs {
		emails = append(emails, strings.ToLower(c.Email))
		if k, ok := smsKey(c.SMS()); ok {
			sms = append(sms, k)
		}
		ext = append(ext, c.ExtID)
	}
	h, err := b.a.Store.FindHolders(ctx, identityAccount, emails, sms, ext)
	return identityHolders(h), err
}

// refreshIndex brings the identity index up to date with the contacts
// Brevo modified since its watermark (all of them the first time). A
// batch that just read Brevo back for its confirmations skips it.
func (b *batch) refreshIndex(ctx context.Context) error {
	if b.indexed {
		return nil
	}
	wm, err := b.a.Store.IndexWatermark(ctx, identityAccount)
	if err != nil {
		return err
	}
	_, err = b.readModified(ctx, wm)
	return err
}

// readModified reads every contact Brevo modified since the given time
// (every contact when it is zero), records their identities and moves
// the index's watermark when the read covered it.
func (b *batch) readModified(ctx context.Context, since time.Time) ([]brevo.Contact, error) {
	wm, err := b.a.Store.IndexWatermark(ctx, identityAccount)
	if err != nil {
		return nil, err
	}
	start := b.a.Brevo.ServerNow().Add(-2 * time.Second)
	var all []brevo.Contact
	for offset := 0; ; offset += brevo.MaxContactPage {
		var page []brevo.Contact
		err := retry(ctx, func() (err error) {
			page, _, err = b.a.Brevo.ListContacts(ctx, brevo.ContactQuery{ModifiedSince: since, Offset: offset, Limit: brevo.MaxContactPage})
			return err
		})
		if err != nil {
			return nil, err
		}
		all = append(all, page...)
		if err := b.a.Store.SaveIdentities(ctx, identityAccount, identities(page)); err != nil {
			return nil, err
		}
		b.heartbeat(ctx)
		if len(page) < brevo.MaxContactPage {
			break
		}
	}
	if !since.After(wm) {
		if err := b.a.Store.SetIndexWatermark(ctx, identityAccount, start); err != nil {
			return nil, err
		}
		b.indexed = true
	}
	return all, nil
}

func identities(cs []brevo.Contact) []store.Identity {
	out := make([]store.Identity, 0, len(cs))
	for _, c := range cs {
		sms, _ := smsKey(attributeText(c.Attributes[mapping.AttrSMS]))
		out = append(out, store.Identity{BrevoID: c.ID, Email: c.Email, SMS: sms, ExtID: c.ExtID})
	}
	return out
}
