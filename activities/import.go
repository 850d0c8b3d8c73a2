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
// reads them back (confirm). The batch's contacts that must go one by one
// wait with them (later): the confirming batch writes them while it reads
// HubSpot, so they cost no time on the way.
type importWriter struct {
	later []mapping.Contact
}

func (w importWriter) Write(ctx context.Context, b *batch, cs []mapping.Contact) error {
	key := importKey(b.in.Key)
	rows := make([]brevo.ImportContact, 0, len(cs))
	for _, c := range cs {
		rows = append(rows, brevo.ImportContact{Email: c.Email, Attributes: withKey(c.Attributes, importExtID, c.ExtID)})
	}
	pending, err := b.importRows(cs, false)
	if err != nil {
		return err
	}
	later, err := b.importRows(w.later, true)
	if err != nil {
		return err
	}
	if err := b.a.Store.SaveImportRows(ctx, b.in.Integration, key, append(pending, later...)); err != nil {
		return err
	}
	// Brevo's clock a little before the import: every contact it writes
	// is modified after this.
	since := b.a.Brevo.ServerNow().Add(-2 * time.Second)
	var id int64
	err = retry(ctx, func() (err error) {
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
		return upsertWriter{}.Write(ctx, b, append(cs, w.later...))
	}
	if err != nil {
		return err
	}
	b.progressed = true
	b.res.Sent = &integration.Import{ProcessID: id, Batch: key, Since: since, SentAt: time.Now().UTC(), Contacts: len(cs) + len(w.later)}
	b.heartbeat(ctx)
	return nil
}

// importRows are the store's rows for contacts of an import; direct ones
// are written one by one when the import is confirmed.
func (b *batch) importRows(cs []mapping.Contact, direct bool) ([]store.ImportRow, error) {
	out := make([]store.ImportRow, 0, len(cs))
	for _, c := range cs {
		raw, err := json.Marshal(c)
		if err != nil {
			return nil, err
		}
		sms, _ := smsKey(c.SMS())
		kind := mapping.OutcomeCreated
		if b.inBrevo[c.ExtID] {
			kind = mapping.OutcomeUpdated
		}
		out = append(out, store.ImportRow{HubSpotID: c.ExtID, Kind: kind, Hash: b.hash(c), Email: strings.ToLower(c.Email),
			SMS: sms, Direct: direct, Contact: string(raw)})
	}
	return out, nil
}

// routeForImport splits the contacts into those an import writes exactly
// as the one-by-one path would and those that go one by one: merged
// records and email changes (they keep their Brevo identity through
// writeOne), two contacts of the batch with the same email, and every
// contact whose identifiers belong to another Brevo contact than the one
// it updates: Brevo's import would merge the two and delete one, where an
// upsert is refused with duplicate_parameter. A contact that can only
// fail (no email, and an SMS Brevo refuses or another contact of the
// batch has) fails here without a call.
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
	emails, sms := identifiersOf(cs)
	elsewhereEmails, elsewhereSMS, err := b.a.Store.ImportingElsewhere(ctx, b.in.Integration, emails, sms)
	if err != nil {
		return nil, nil, err
	}
	r := router{holders: holders, known: known, shared: sharedIdentifiers(cs), smsTaken: map[string]string{}, importing: b.importingSMS,
		elsewhereEmails: elsewhereEmails, elsewhereSMS: elsewhereSMS}
	b.inBrevo = map[string]bool{}
	for _, c := range cs {
		switch how, reason, text := r.route(c); how {
		case routeSingle:
			single = append(single, c)
		case routeFail:
			b.fail(c, b.in.Key, reason, text)
		default:
			if how == routeWithoutSMS {
				c = b.withoutSMS(c, reason, text)
			}
			bulk = append(bulk, c)
			b.inBrevo[c.ExtID] = holders.target(c.ExtID, strings.ToLower(c.Email)) != 0
		}
	}
	return bulk, single, nil
}

// How a contact of an import batch is written.
const (
	routeImport = iota
	routeWithoutSMS
	routeSingle
	routeFail
)

// router decides each contact's way; smsTaken remembers which contact of
// the batch has each number first.
type router struct {
	holders  identityHolders
	known    map[string]store.Record
	shared   map[string]bool
	smsTaken map[string]string
	// importing are numbers rows of unconfirmed imports hold.
	importing map[string]bool
	// elsewhereEmails and elsewhereSMS are held by rows of other
	// integrations' unconfirmed imports into the same Brevo account.
	elsewhereEmails, elsewhereSMS map[string]bool
}

func (r router) route(c mapping.Contact) (how int, reason, text string) {
	email := strings.ToLower(c.Email)
	sms, smsOK := smsKey(c.SMS())
	prev := r.known[c.ExtID]
	target := r.holders.target(c.ExtID, email)
	other := func(holder int64) bool { return holder != 0 && holder != target }
	// A row whose ext_id is on a contact with another email: an import
	// that ignores EXT_ID would key it by its email and create a second
	// contact; the upsert path updates the one keyed by the ext_id.
	movedEmail := r.holders.ExtID[c.ExtID] != 0 && r.holders.Email[email] != target
	switch {
	// A contact to blocklist that the import would create would be in
	// Brevo, not blocklisted, until its read-back: it is created one by
	// one, with the flag. One Brevo holds already gets it after the
	// import (patchInBatches).
	case c.Blocklist && target == 0,
		// Whether an import clears the blocklisting of a contact it
		// updates is not documented; the upsert never does (it names no
		// flag), so a contact blocklisted in Brevo is never imported.
		target != 0 && r.holders.Blocklisted[target],
		// Another integration's import may give the email to another
		// record first: this row's read-back would then wait for its
		// import's end to learn so. One by one, the write ends at once
		// (written, or failed with Brevo's reason).
		r.elsewhereEmails[email],
		len(c.MergedFrom) > 0, prev.Hash != "" && !strings.EqualFold(prev.Email, c.Email), movedEmail,
		other(r.holders.Email[email]), email != "" && r.shared["e:"+email], email == "" && other(r.holders.SMS[sms]):
		return routeSingle, "", ""
	}
	var why string
	switch {
	case c.SMS() == "":
	case !smsOK:
		reason, why = mapping.ReasonInvalidPhone, fmt.Sprintf("SMS %s has no country code Brevo accepts", c.SMS())
	case other(r.holders.SMS[sms]), r.importing[sms], r.elsewhereSMS[sms]:
		reason, why = mapping.ReasonDuplicateSMS, fmt.Sprintf("SMS %s belongs to another Brevo contact", c.SMS())
	case r.smsTaken[sms] != "":
		reason, why = mapping.ReasonDuplicateSMS, fmt.Sprintf("SMS %s belongs to another contact (%s)", c.SMS(), r.smsTaken[sms])
	default:
		r.smsTaken[sms] = c.ExtID
	}
	switch {
	case reason == "":
		return routeImport, "", ""
	case email == "":
		return routeFail, mapping.ReasonRejected, why + " and the contact has no email"
	}
	return routeWithoutSMS, reason, why + "; written without it"
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

// target is the Brevo contact a row updates, 0 when it creates one.
func (h identityHolders) target(extID, email string) int64 {
	if t := h.ExtID[extID]; t != 0 {
		return t
	}
	return h.Email[email]
}

func (b *batch) holders(ctx context.Context, cs []mapping.Contact) (identityHolders, error) {
	var emails, sms, ext []string
	emails, sms = identifiersOf(cs)
	for _, c := range cs {
		ext = append(ext, c.ExtID)
	}
	h, err := b.a.Store.FindHolders(ctx, identityAccount, emails, sms, ext)
	return identityHolders(h), err
}

// refreshIndex brings the identity index up to date with the contacts
// Brevo modified since its watermark (all of them the first time). A
// batch that just read Brevo back for its confirmations skips it; the
// contacts it reads also confirm the imports they show applied, so each
// row of an import is read back once.
func (b *batch) refreshIndex(ctx context.Context) error {
	if b.indexed {
		return nil
	}
	since := time.Now()
	if len(b.in.Imports) > 0 {
		var err error
		if since, err = b.rowsSince(ctx, b.in.Imports[0].Since); err != nil {
			return err
		}
	}
	read, err := b.readModified(ctx, since)
	if err != nil {
		return err
	}
	return b.confirmFrom(ctx, read)
}

// readKey names this integration's read-back watermark in the index:
// every row of its imports modified before it was checked by a read.
func (b *batch) readKey() string { return identityAccount + "/" + b.in.Integration }

// rowsSince is where a read must start to see the rows of imports sent
// after oldest that no read has checked yet.
func (b *batch) rowsSince(ctx context.Context, oldest time.Time) (time.Time, error) {
	checked, err := b.a.Store.IndexWatermark(ctx, b.readKey())
	if err != nil || checked.Before(oldest) {
		return oldest, err
	}
	return checked, nil
}

// readModified returns every contact Brevo modified since the given time.
// Brevo is listed from the index's watermark on (every contact the first
// time), oldest created first, so contacts an import creates meanwhile
// land on later pages instead of shifting the ones not read yet. What
// was modified between since and the watermark, an earlier read (this
// integration's or another's on the same account) listed already: the
// index keeps each contact as listed, and a contact is listed once
// however many integrations read it back.
//
// The integrations of one worker list the account one at a time: the
// second then lists only what changed since the first began, where at
// the same time both would list all of it. (Workers list apart: each
// lists all, which costs calls, not correctness.)
func (b *batch) readModified(ctx context.Context, since time.Time) ([]brevo.Contact, error) {
	if err := b.lockListing(ctx); err != nil {
		return nil, err
	}
	defer b.a.listing.Unlock()
	wm, err := b.a.Store.IndexWatermark(ctx, identityAccount)
	if err != nil {
		return nil, err
	}
	start := b.a.Brevo.ServerNow().Add(-2 * time.Second)
	fresh, err := b.listModified(ctx, wm)
	if err != nil {
		return nil, err
	}
	b.indexed = true
	if err := b.a.Store.SetIndexWatermark(ctx, identityAccount, start); err != nil {
		return nil, err
	}
	if err := b.a.Store.SetIndexWatermark(ctx, b.readKey(), start); err != nil {
		return nil, err
	}
	if !since.Before(wm) {
		return fresh, nil
	}
	return b.listedSince(ctx, since)
}

// lockListing waits for the worker's other listing of the account to
// end, heartbeating meanwhile: a first listing of a large account takes
// minutes.
func (b *batch) lockListing(ctx context.Context) error {
	for !b.a.listing.TryLock() {
		if err := sleep(ctx, 20*time.Millisecond); err != nil {
			return err
		}
		b.heartbeat(ctx)
	}
	return nil
}

// listModified lists the contacts Brevo modified since the given time and
// records them in the index, page by page.
func (b *batch) listModified(ctx context.Context, since time.Time) ([]brevo.Contact, error) {
	q := brevo.ContactQuery{ModifiedSince: since, Limit: brevo.MaxContactPage, Sort: brevo.SortAsc}
	var all []brevo.Contact
	for {
		var page []brevo.Contact
		var total int64
		err := retry(ctx, func() (err error) {
			page, total, err = b.a.Brevo.ListContacts(ctx, q)
			return err
		})
		if err != nil {
			return nil, err
		}
		all = append(all, page...)
		ids, err := identities(page, since)
		if err != nil {
			return nil, err
		}
		if err := b.a.Store.SaveIdentities(ctx, identityAccount, ids); err != nil {
			return nil, err
		}
		b.heartbeat(ctx)
		if !q.NextPage(page, total) {
			return all, nil
		}
	}
}

// listedSince is what the index keeps of the contacts modified since the
// given time.
func (b *batch) listedSince(ctx context.Context, since time.Time) ([]brevo.Contact, error) {
	listed, err := b.a.Store.ListedSince(ctx, identityAccount, since)
	if err != nil {
		return nil, err
	}
	out := make([]brevo.Contact, len(listed))
	for i, l := range listed {
		if err := json.Unmarshal([]byte(l), &out[i]); err != nil {
			return nil, fmt.Errorf("identity index: listed contact: %w", err)
		}
	}
	return out, nil
}

// identities are the index entries of contacts listed as modified since
// the given time. A contact's modification time is at least that, whatever
// its modifiedAt says (or leaves out): the listing's filter put it there.
func identities(cs []brevo.Contact, since time.Time) ([]store.Identity, error) {
	out := make([]store.Identity, 0, len(cs))
	for _, c := range cs {
		sms, _ := smsKey(attributeText(c.Attributes[mapping.AttrSMS]))
		listed, err := json.Marshal(c)
		if err != nil {
			return nil, fmt.Errorf("identity index: contact %d: %w", c.ID, err)
		}
		modified := c.ModifiedAt
		if modified.Before(since) {
			modified = since
		}
		out = append(out, store.Identity{BrevoID: c.ID, Email: c.Email, SMS: sms, ExtID: c.ExtID, Blocklisted: c.EmailBlacklisted,
			ModifiedAt: modified, Listed: string(listed)})
	}
	return out, nil
}
