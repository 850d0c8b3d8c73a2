package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"hubspot-brevo-sync/internal/brevo"
	"hubspot-brevo-sync/internal/httpx"
	"hubspot-brevo-sync/internal/integration"
	"hubspot-brevo-sync/internal/mapping"
	"hubspot-brevo-sync/internal/store"
)

// pendingImport is an import being confirmed: its rows not read back yet.
type pendingImport struct {
	imp  integration.Import
	rows map[string]mapping.Contact // by ext id
	// direct rows are written one by one, not looked for in Brevo.
	direct []repairRow
	kind   map[string]string // created or updated, as sent
	hash   map[string]string // what the store keeps once written
	// found counts rows read back, stale the polls that found no new one.
	found, stale int
}

// confirm reads the earlier imports back from Brevo: a contact counts as
// written only once Brevo returns it with the ext_id, email, SMS, list
// and attributes that were sent, and blocklisted if it is to be. Rows
// that came back wrong are repaired (in batches where only the ext_id or
// the blocklisting is missing, else one by one); rows still missing once
// the import has ended are written one by one (Brevo then says why one
// fails). The oldest MustConfirm
// imports are waited for; the others are confirmed if the same read-back
// shows them done.
func (b *batch) confirm(ctx context.Context) error {
	if b.in.MustConfirm <= 0 {
		// Nothing is due yet: an import read back later, with the ones
		// after it, costs fewer calls than polling each.
		return nil
	}
	pending, err := b.loadImports(ctx)
	if err != nil {
		return err
	}
	wait := 500 * time.Millisecond
	for polls := 0; ; polls++ {
		if err := b.checkAll(ctx, pending, polls); err != nil {
			return err
		}
		if pending, err = b.settle(ctx, pending); err != nil {
			return err
		}
		if len(pending) == 0 || !b.mustWait(pending[0]) {
			return nil
		}
		if err := sleep(ctx, wait); err != nil {
			return err
		}
		if polls >= 5 {
			wait = min(2*wait, 5*time.Second) // a slow import: poll less
		}
	}
}

// confirmFrom checks the imports in flight against contacts already read
// (the identity index's refresh) and confirms those it shows applied.
func (b *batch) confirmFrom(ctx context.Context, read []brevo.Contact) error {
	if len(b.in.Imports) == 0 || len(read) == 0 {
		return nil
	}
	pending, err := b.loadImports(ctx)
	if err != nil {
		return err
	}
	if err := b.checkRows(ctx, pending, read); err != nil {
		return err
	}
	_, err = b.settle(ctx, pending)
	return err
}

// checkRows checks every import with rows left against what was read.
func (b *batch) checkRows(ctx context.Context, pending []*pendingImport, read []brevo.Contact) error {
	for _, p := range pending {
		if len(p.rows) > 0 {
			if err := b.check(ctx, p, read); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkAll reads Brevo back once, if the oldest import with rows left
// looks applied, and checks every import's rows against what came back.
func (b *batch) checkAll(ctx context.Context, pending []*pendingImport, polls int) error {
	var first *pendingImport
	for _, p := range pending {
		if len(p.rows) > 0 {
			first = p
			break
		}
	}
	if first == nil {
		return nil
	}
	ready, err := b.appliedYet(ctx, first, polls)
	if err != nil || !ready {
		// Nothing read, nothing to tell: a row not read is not missing.
		return err
	}
	since, err := b.rowsSince(ctx, first.imp.Since)
	if err != nil {
		return err
	}
	read, err := b.readModified(ctx, since)
	if err != nil {
		return err
	}
	return b.checkRows(ctx, pending, read)
}

// settle confirms, oldest first, the imports whose rows are all settled,
// writing each one's one-by-one contacts first: only once the import and
// every older one are applied, so no import row still in Brevo's queue
// races them for an email or SMS. It returns the imports still pending.
func (b *batch) settle(ctx context.Context, pending []*pendingImport) ([]*pendingImport, error) {
	for len(pending) > 0 && len(pending[0].rows) == 0 {
		if err := b.writeDirect(ctx, pending[0]); err != nil {
			return nil, err
		}
		if err := b.confirmed(ctx, pending[0]); err != nil {
			return nil, err
		}
		pending = pending[1:]
	}
	return pending, nil
}

// appliedYet tells, for one call (the count of a one-contact page),
// whether Brevo modified at least as many contacts of the list as the
// oldest import has rows left since it was sent: before that, reading
// them all back is wasted. The count is the list's, since other
// integrations' imports into the same account modify contacts too. After
// a few polls the rows are read anyway (an import that refused rows never
// reaches the count).
func (b *batch) appliedYet(ctx context.Context, p *pendingImport, polls int) (bool, error) {
	if polls >= 3 || len(p.rows) == 0 {
		return true, nil
	}
	var total int64
	err := retry(ctx, func() (err error) {
		_, total, err = b.a.Brevo.ListContacts(ctx, brevo.ContactQuery{ListID: b.in.BrevoListID, ModifiedSince: p.imp.Since, Limit: 1})
		return err
	})
	return total >= int64(len(p.rows)), err
}

// mustWait reports whether the batch waits for the import.
func (b *batch) mustWait(p *pendingImport) bool {
	for i := 0; i < min(b.in.MustConfirm, len(b.in.Imports)); i++ {
		if b.in.Imports[i].ProcessID == p.imp.ProcessID {
			return true
		}
	}
	return false
}

// loadImports reads the unconfirmed rows of each import; an import with
// none left was confirmed by an earlier attempt.
func (b *batch) loadImports(ctx context.Context) ([]*pendingImport, error) {
	var out []*pendingImport
	for _, imp := range b.in.Imports {
		if b.confirmedImports[imp.ProcessID] {
			continue
		}
		rows, err := b.a.Store.ImportRows(ctx, b.in.Integration, imp.Batch)
		if err != nil {
			return nil, err
		}
		p := &pendingImport{imp: imp, rows: map[string]mapping.Contact{}, kind: map[string]string{}, hash: map[string]string{}}
		for _, r := range rows {
			var c mapping.Contact
			if err := json.Unmarshal([]byte(r.Contact), &c); err != nil {
				return nil, fmt.Errorf("import row %s: %w", r.HubSpotID, err)
			}
			if r.Direct {
				p.direct = append(p.direct, repairRow{c: c, kind: r.Kind, hash: r.Hash, why: "one by one"})
				continue
			}
			p.rows[c.ExtID], p.kind[c.ExtID], p.hash[c.ExtID] = c, r.Kind, r.Hash
		}
		out = append(out, p)
	}
	return out, nil
}

// writeDirect writes the batch's contacts that had to go one by one.
func (b *batch) writeDirect(ctx context.Context, p *pendingImport) error {
	if len(p.direct) == 0 {
		return nil
	}
	cs := make([]mapping.Contact, len(p.direct))
	for i, r := range p.direct {
		cs[i] = r.c
	}
	known, err := b.a.Store.Records(ctx, b.in.Integration, relatedIDs(cs))
	if err != nil {
		return err
	}
	for _, r := range p.direct {
		if err := b.repair(ctx, r, known, p.imp.Batch); err != nil {
			return b.keepWritten(ctx, p, err)
		}
	}
	p.direct = nil
	return b.flushImport(ctx, p)
}

// keepWritten saves, when the attempt fails, the import's rows it already
// wrote one by one: a retry neither writes them again nor counts what
// they created as updated.
func (b *batch) keepWritten(ctx context.Context, p *pendingImport, err error) error {
	if ferr := b.flushImport(context.WithoutCancel(ctx), p); ferr != nil {
		return errors.Join(err, ferr)
	}
	return err
}

// check matches an import's rows with what Brevo returned, confirms the
// right ones, repairs the wrong ones, and settles the missing ones once
// the import has ended.
func (b *batch) check(ctx context.Context, p *pendingImport, read []brevo.Contact) error {
	idx := indexContacts(read)
	var ok []store.Written
	var wrong []repairRow
	for id, c := range p.rows {
		got, found := idx.find(c)
		if !found {
			continue
		}
		kind := p.kind[id]
		if mismatch := b.mismatch(c, got); mismatch != "" {
			wrong = append(wrong, repairRow{c: c, got: &got, kind: kind, hash: p.hash[id], why: mismatch})
			continue
		}
		ok = append(ok, store.Written{HubSpotID: id, Email: c.Email, Hash: p.hash[id], Kind: kind, Batch: p.imp.Batch, At: time.Now()})
		b.notes(c, kind)
	}
	if err := b.settleRows(ctx, p, ok, wrong); err != nil {
		return err
	}
	if len(p.rows) > 0 && len(ok)+len(wrong) == 0 {
		p.stale++
	}
	if len(p.rows) > 0 && b.importEnded(ctx, p) {
		var missing []repairRow
		for _, c := range mapsValues(p.rows) {
			missing = append(missing, repairRow{c: c, hash: p.hash[c.ExtID], why: "missing"})
		}
		return b.repairRows(ctx, p, missing)
	}
	return nil
}

// settleRows saves the confirmed rows and repairs the wrong ones.
func (b *batch) settleRows(ctx context.Context, p *pendingImport, ok []store.Written, wrong []repairRow) error {
	if err := b.stampBlocklisted(ctx); err != nil {
		return err
	}
	if err := b.a.Store.ConfirmImportRows(ctx, b.in.Integration, p.imp.Batch, ok); err != nil {
		return err
	}
	for _, w := range ok {
		delete(p.rows, w.HubSpotID)
		p.found++
	}
	return b.repairRows(ctx, p, wrong)
}

// importEnded decides that the rows still missing will not come: the
// import timed out, or some of its rows came back and then nothing more
// for a few polls and a quarter of the timeout; Brevo's process (on its
// 100-an-hour budget, so asked only then) must not be queued or
// processing any more.
func (b *batch) importEnded(ctx context.Context, p *pendingImport) bool {
	age := time.Since(p.imp.SentAt)
	timedOut := b.in.ImportTimeout > 0 && age > b.in.ImportTimeout
	if !timedOut && (p.found == 0 || p.stale < 3 || age < b.in.ImportTimeout/4) {
		return false
	}
	var proc brevo.Process
	err := retry(ctx, func() (err error) {
		proc, err = b.a.Brevo.GetProcess(ctx, p.imp.ProcessID)
		return err
	})
	switch {
	case httpx.IsKind(err, httpx.KindNotFound):
		return true
	case err != nil:
		return timedOut && time.Since(p.imp.SentAt) > 3*b.in.ImportTimeout
	}
	p.stale = 0
	return proc.Done()
}

// repairRow is an import row to write again, with what Brevo returned for
// it (nil when nothing).
type repairRow struct {
	c    mapping.Contact
	got  *brevo.Contact
	kind string // what the import did to it: created or updated
	hash string // what the store keeps once written
	why  string // what differed
}

// repairRows writes rows one by one under the import's key: Brevo's
// answer confirms each, or says why it is refused.
func (b *batch) repairRows(ctx context.Context, p *pendingImport, rows []repairRow) error {
	if len(rows) == 0 {
		return nil
	}
	cs := make([]mapping.Contact, len(rows))
	for i, r := range rows {
		cs[i] = r.c
	}
	known, err := b.a.Store.Records(ctx, b.in.Integration, relatedIDs(cs))
	if err != nil {
		return err
	}
	rest, err := b.patchInBatches(ctx, rows, p.imp.Batch)
	if err != nil {
		return b.keepWritten(ctx, p, err)
	}
	for _, r := range rest {
		if err := b.repair(ctx, r, known, p.imp.Batch); err != nil {
			return b.keepWritten(ctx, p, err)
		}
	}
	for _, r := range rows {
		delete(p.rows, r.c.ExtID)
	}
	if len(rest) > 0 {
		whys := map[string]int{}
		for _, r := range rest {
			whys[r.why]++
		}
		b.res.Problems = append(b.res.Problems, mapping.Outcome{Kind: mapping.OutcomeUpdated, Reason: ReasonImportRepaired,
			Text: fmt.Sprintf("%d contacts of Brevo import %d were written again one by one after the read-back (%v)", len(rest), p.imp.ProcessID, whys)})
	}
	return b.flushImport(ctx, p)
}

// patchInBatches gives the contacts an import wrote without their ext_id
// (a Brevo that ignores EXT_ID in JSON imports) their ext_id, and those
// to blocklist their emailBlacklisted true (an import row has no flag of
// its own: the import's emailBlacklist is for all its rows), in batches
// of 100 (POST /contacts/batch, which documents both per contact), by
// the Brevo id just read. A batch Brevo refuses is left to the one-by-one
// repair, as are the rows that need more than these two.
func (b *batch) patchInBatches(ctx context.Context, rows []repairRow, key string) (rest []repairRow, err error) {
	var todo []repairRow
	for _, r := range rows {
		if b.patchable(r) {
			todo = append(todo, r)
			continue
		}
		rest = append(rest, r)
	}
	chunks := slices.Collect(slices.Chunk(todo, brevo.MaxBatchContacts))
	refused, done := make([]bool, len(chunks)), make([]bool, len(chunks))
	// A few batches at a time: one waits on its answer longer than the
	// governor spaces Brevo's per-second slots.
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(patchesInFlight)
	for i, chunk := range chunks {
		g.Go(func() error {
			err := retry(gctx, func() error { return b.a.Brevo.UpdateContactsBatch(gctx, patchItems(chunk)) })
			if e, ok := httpx.AsError(err); ok && !e.Retryable() {
				refused[i] = true
				return nil
			}
			done[i] = err == nil
			return err
		})
	}
	err = g.Wait()
	for i, chunk := range chunks {
		if refused[i] {
			rest = append(rest, chunk...)
		}
		if !done[i] {
			continue
		}
		b.progressed = true
		for _, r := range chunk {
			b.written = append(b.written, store.Written{HubSpotID: r.c.ExtID, Email: r.c.Email, Hash: r.hash, Kind: r.kind, Batch: key, At: time.Now()})
			b.notes(r.c, r.kind)
		}
	}
	if err != nil {
		return nil, err
	}
	return rest, nil
}

// patchesInFlight is how many batch updates patchInBatches sends at once.
const patchesInFlight = 3

// patchItems are the batch update items for rows read back without their
// ext_id or blocklisting, by the Brevo id just read.
func patchItems(rows []repairRow) []brevo.BatchContactUpdate {
	items := make([]brevo.BatchContactUpdate, len(rows))
	for i, r := range rows {
		items[i] = brevo.BatchContactUpdate{ID: r.got.ID, EmailBlacklisted: blocklistFlag(r.c)}
		if r.got.ExtID == "" {
			items[i].ExtID = r.c.ExtID
		}
	}
	return items
}

// patchable reports whether a row read back differs from what was sent
// only by a missing ext_id or a missing blocklisting.
func (b *batch) patchable(r repairRow) bool {
	if r.got == nil || (r.got.ExtID != "" && r.got.ExtID != r.c.ExtID) {
		return false
	}
	return b.mismatch(r.c, brevo.Contact{ExtID: r.c.ExtID, Email: r.got.Email, ListIDs: r.got.ListIDs,
		Attributes: r.got.Attributes, EmailBlacklisted: r.got.EmailBlacklisted || r.c.Blocklist}) == ""
}

// ReasonImportRepaired marks import rows written again one by one.
const ReasonImportRepaired = "import_repaired"

// repair writes one import row again. A contact Brevo returned for the
// row but without an ext_id (the import ignored EXT_ID) gets its ext_id
// and values by a PUT on its Brevo id, which the API documents; anything
// else is upserted like any contact.
func (b *batch) repair(ctx context.Context, r repairRow, known map[string]store.Record, key string) error {
	if b.hashes == nil {
		b.hashes = map[string]string{}
	}
	b.hashes[r.c.ExtID] = r.hash
	if r.got == nil || r.got.ExtID != "" {
		return b.upsert(ctx, r.c, known, key)
	}
	err := retry(ctx, func() error {
		return b.a.Brevo.UpdateContact(ctx, strconv.FormatInt(r.got.ID, 10), brevo.IdentifierContactID, brevo.ContactUpdate{
			ExtID: r.c.ExtID, Attributes: r.c.Attributes, ListIDs: []int64{b.in.BrevoListID}, EmailBlacklisted: blocklistFlag(r.c),
		})
	})
	if e, ok := httpx.AsError(err); ok && !e.Retryable() && contactLevel(e) {
		return b.upsert(ctx, r.c, known, key)
	}
	if err != nil {
		return err
	}
	b.progressed = true
	b.written = append(b.written, store.Written{HubSpotID: r.c.ExtID, Email: r.c.Email, Hash: r.hash, Kind: r.kind, Batch: key, At: time.Now()})
	b.notes(r.c, r.kind)
	return nil
}

// flushImport saves the repaired rows and forgets them as pending.
func (b *batch) flushImport(ctx context.Context, p *pendingImport) error {
	if err := b.stampBlocklisted(ctx); err != nil {
		return err
	}
	ws := slices.Clone(b.written)
	b.written = b.written[:0]
	if err := b.a.Store.ConfirmImportRows(ctx, b.in.Integration, p.imp.Batch, ws); err != nil {
		return err
	}
	return b.flush(ctx)
}

// confirmed reports an import whose rows are all settled, with the counts
// the store has for it.
func (b *batch) confirmed(ctx context.Context, p *pendingImport) error {
	if b.confirmedImports == nil {
		b.confirmedImports = map[int64]bool{}
	}
	b.confirmedImports[p.imp.ProcessID] = true
	n, err := b.a.Store.CountWritten(ctx, b.in.Integration, p.imp.Batch)
	if err != nil {
		return err
	}
	b.res.Confirmed = append(b.res.Confirmed, Confirmed{ProcessID: p.imp.ProcessID, Batch: p.imp.Batch, Tally: Tally{
		Created: n[mapping.OutcomeCreated], Updated: n[mapping.OutcomeUpdated], Failed: n[mapping.OutcomeFailed],
	}})
	return b.commit(ctx, p.imp.Reservation, strings.TrimSuffix(p.imp.Batch, importKey("")))
}

// mismatch says what differs between a row and its contact in Brevo, ""
// when nothing does.
func (b *batch) mismatch(c mapping.Contact, got brevo.Contact) string {
	switch {
	case got.ExtID != c.ExtID:
		return "ext_id"
	case !strings.EqualFold(got.Email, c.Email):
		return "email"
	case !slices.Contains(got.ListIDs, b.in.BrevoListID):
		return "list"
	case c.Blocklist && !got.EmailBlacklisted:
		return "blocklist"
	}
	for k, v := range c.Attributes {
		if k == mapping.AttrEmail {
			continue
		}
		if !sameAttribute(k, v, got.Attributes[k]) {
			return "attribute " + k
		}
	}
	return ""
}

// sameAttribute compares a value sent with the value Brevo returns: JSON
// numbers come back as floats, SMS as digits without "+", dates possibly
// with a time, empty values not at all.
func sameAttribute(name string, sent, got any) bool {
	a, b := attributeText(sent), attributeText(got)
	switch {
	case a == b:
		return true
	case name == mapping.AttrSMS:
		ka, _ := smsKey(a)
		kb, _ := smsKey(b)
		return ka != "" && ka == kb
	case len(a) == 10 && len(b) > 10 && strings.HasPrefix(b, a) && b[10] == 'T':
		return true
	}
	return false
}

// attributeText renders an attribute value for comparison.
func attributeText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case int, int64:
		return fmt.Sprint(x)
	case bool:
		return strconv.FormatBool(x)
	case []string:
		s := slices.Clone(x)
		slices.Sort(s)
		return strings.Join(s, ",")
	case []any:
		s := make([]string, len(x))
		for i, e := range x {
			s[i] = attributeText(e)
		}
		slices.Sort(s)
		return strings.Join(s, ",")
	}
	return fmt.Sprint(v)
}

// contactIndex finds read-back contacts by ext_id, email or SMS.
type contactIndex struct {
	ext, email, sms map[string]brevo.Contact
}

func indexContacts(cs []brevo.Contact) contactIndex {
	idx := contactIndex{ext: map[string]brevo.Contact{}, email: map[string]brevo.Contact{}, sms: map[string]brevo.Contact{}}
	for _, c := range cs {
		if c.ExtID != "" {
			idx.ext[c.ExtID] = c
		}
		if c.Email != "" {
			idx.email[strings.ToLower(c.Email)] = c
		}
		if k, ok := smsKey(attributeText(c.Attributes[mapping.AttrSMS])); ok {
			idx.sms[k] = c
		}
	}
	return idx
}

// find looks a row up by its ext_id, then its email (a Brevo that
// ignored EXT_ID in the import still returns the contact by it), and only
// a row without email by its SMS: a row with an email whose contact holds
// another email is not this row's, but somebody else's with the same
// number (the import refused the row), and must not be repaired into it.
func (idx contactIndex) find(c mapping.Contact) (brevo.Contact, bool) {
	if got, ok := idx.ext[c.ExtID]; ok {
		return got, true
	}
	if c.Email != "" {
		got, ok := idx.email[strings.ToLower(c.Email)]
		return got, ok
	}
	if k, ok := smsKey(c.SMS()); ok {
		got, found := idx.sms[k]
		return got, found
	}
	return brevo.Contact{}, false
}

func mapsValues(m map[string]mapping.Contact) []mapping.Contact {
	out := make([]mapping.Contact, 0, len(m))
	for _, c := range m {
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b mapping.Contact) int { return strings.Compare(a.ExtID, b.ExtID) })
	return out
}

// sleep waits, or returns when the activity is cancelled.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
