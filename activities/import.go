package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
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
		sms, _ := smsKey(c.SMS())
		kind := mapping.OutcomeCreated
		if b.inBrevo[c.ExtID] {
			kind = mapping.OutcomeUpdated
		}
		pending = append(pending, store.ImportRow{HubSpotID: c.ExtID, Kind: kind, Hash: b.hash(c), Email: strings.ToLower(c.Email), SMS: sms, Contact: string(raw)})
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
	shared := sharedIdentifiers(cs)
	b.inBrevo = map[string]bool{}
	for _, c := range cs {
		email := strings.ToLower(c.Email)
		sms, smsOK := smsKey(c.SMS())
		prev := known[c.ExtID]
		switch {
		case email != "" && c.SMS() != "" && !smsOK && !shared["e:"+email] && !holders.conflict(c.ExtID, email, "") &&
			len(c.MergedFrom) == 0 && (prev.Hash == "" || strings.EqualFold(prev.Email, c.Email)):
			// Brevo refuses a number without country code: the row goes
			// without it, as the one-by-one path would write it.
			bulk = append(bulk, b.withoutSMS(c, mapping.ReasonInvalidPhone,
				fmt.Sprintf("SMS %s has no country code Brevo accepts; written without it", c.SMS())))
			b.inBrevo[c.ExtID] = holders.target(c.ExtID, email) != 0
		case email == "", c.SMS() != "" && !smsOK, len(c.MergedFrom) > 0,
			prev.Hash != "" && !strings.EqualFold(prev.Email, c.Email),
			shared["e:"+email], smsOK && shared["s:"+sms],
			holders.conflict(c.ExtID, email, sms):
			single = append(single, c)
		default:
			bulk = append(bulk, c)
			b.inBrevo[c.ExtID] = holders.target(c.ExtID, email) != 0
		}
	}
	return bulk, single, nil
}

// withoutSMS is the contact as written without its SMS, with a note;
// its hash stays the mapped values', so it is not written again while
// they do not change.
func (b *batch) withoutSMS(c mapping.Contact, reason, text string) mapping.Contact {
	if b.hashes == nil {
		b.hashes = map[string]string{}
	}
	b.hashes[c.ExtID] = ContentHash(c)
	c.Attributes = withoutKey(c.Attributes, mapping.AttrSMS)
	c.Notes = append(slices.Clone(c.Notes), mapping.Note{Reason: reason, Attribute: mapping.AttrSMS, Text: text})
	return c
}

// hash is what the store keeps for a written contact.
func (b *batch) hash(c mapping.Contact) string {
	if h, ok := b.hashes[c.ExtID]; ok {
		return h
	}
	return ContentHash(c)
}

// sharedIdentifiers finds the emails and SMS numbers two contacts of the
// batch share: such contacts go one by one, in order, so the first keeps
// the identifier and Brevo refuses it to the others.
func sharedIdentifiers(cs []mapping.Contact) map[string]bool {
	count := map[string]int{}
	emails, sms := identifiersOf(cs)
	for _, e := range emails {
		count["e:"+e]++
	}
	for _, s := range sms {
		count["s:"+s]++
	}
	shared := map[string]bool{}
	for k, n := range count {
		if n > 1 {
			shared[k] = true
		}
	}
	return shared
}

// identityHolders wraps the index's answer.
type identityHolders store.Holders

// conflict reports whether the row's identifiers are held by a Brevo
// contact other than the one the row updates (its ext_id's, else its
// email's, as an upsert adopts a contact by email), and whether its
// ext_id is on a contact with another email: an import that ignores
// EXT_ID keys the row by its email and would create a second contact.
func (h identityHolders) conflict(extID, email, sms string) bool {
	target := h.ExtID[extID]
	if target != 0 && h.Email[email] != target {
		return true
	}
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

// target is the Brevo contact a row updates, 0 when it creates one.
func (h identityHolders) target(extID, email string) int64 {
	if t := h.ExtID[extID]; t != 0 {
		return t
	}
	return h.Email[email]
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
