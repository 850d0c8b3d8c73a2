package activities

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"hubspot-brevo-sync/internal/brevo"
	"hubspot-brevo-sync/internal/httpx"
	"hubspot-brevo-sync/internal/mapping"
	"hubspot-brevo-sync/internal/store"
)

// ReasonImportRejected marks the rows of a Brevo import that Brevo refused
// (invalid emails, identifiers another contact holds).
const ReasonImportRejected = "import_rejected"

// importExtID carries the ext_id in an import row: the import schema has
// no ext_id field, the identifier goes among the attributes.
const importExtID = "EXT_ID"

// MaxChunkOutcomes bounds the per-record outcomes a chunk returns to the
// workflow (all of them are in the store).
const MaxChunkOutcomes = 50

// ChunkInput is a stretch of a full pass: Pages memberships pages read,
// mapped and written by one activity.
type ChunkInput struct {
	Integration   string       `json:"integration"`
	HubSpotListID string       `json:"hubspotListId"`
	BrevoListID   int64        `json:"brevoListId"`
	After         string       `json:"after,omitempty"`
	Spec          mapping.Spec `json:"spec"`
	Scan          int64        `json:"scan"`
	Pages         int          `json:"pages"`
	// ImportMin is the fewest contacts written as one Brevo import; fewer
	// are written one by one (POST /contacts).
	ImportMin int `json:"importMin"`
}

// ImportSent is a Brevo import a chunk started. Its contacts count only
// once Brevo reports the process completed (see ConfirmImports).
type ImportSent struct {
	ProcessID int64 `json:"processId"`
	Contacts  int   `json:"contacts"`
	// Created counts the contacts never written before, Updated the others.
	Created int `json:"created"`
	Updated int `json:"updated"`
}

// ChunkResult says what a chunk did; it never holds the contacts.
type ChunkResult struct {
	Members   int    `json:"members"`
	Missing   int    `json:"missing"`
	NextAfter string `json:"nextAfter,omitempty"`
	Last      bool   `json:"last"`
	ListSize  int    `json:"listSize"`
	Pages     int    `json:"pages"`
	// SkippedByReason counts the records the mapping left out.
	SkippedByReason map[string]int `json:"skippedByReason,omitempty"`
	// Skipped holds some of them (at most MaxChunkOutcomes).
	Skipped []mapping.Outcome `json:"skipped,omitempty"`
	// Written counts the contacts written one by one (confirmed) and the
	// unchanged ones; its outcomes are bounded.
	Written UpsertResult `json:"written"`
	// Imports are started and not confirmed yet.
	Imports []ImportSent `json:"imports,omitempty"`
}

// chunkProgress is heartbeated so a retried chunk neither imports nor
// counts twice.
type chunkProgress struct {
	Imported bool           `json:"imported"`
	Imports  []ImportSent   `json:"imports,omitempty"`
	Done     map[string]int `json:"done,omitempty"` // ext id → 1 created, 2 updated, 3 failed
	Result   UpsertResult   `json:"result"`
}

// SyncChunk reads Pages pages of list members (memberships, then batch
// reads of 100 across page boundaries), records them as seen, maps them,
// leaves out the unchanged ones and writes the rest: at least ImportMin of
// them as one Brevo import (asynchronous: confirmed later by
// ConfirmImports, which is when they count and their hashes are saved),
// the others — and those an import would treat differently from an
// upsert: no email, merged records, email changes — one by one.
func (a *Activities) SyncChunk(ctx context.Context, in ChunkInput) (ChunkResult, error) {
	if in.HubSpotListID == "" {
		return ChunkResult{}, temporal.NewNonRetryableApplicationError("no HubSpot list id", ErrTypeInvalidInput, nil)
	}
	var p chunkProgress
	if activity.HasHeartbeatDetails(ctx) {
		if err := activity.GetHeartbeatDetails(ctx, &p); err != nil {
			p = chunkProgress{}
		}
	}
	if p.Done == nil {
		p.Done = map[string]int{}
	}
	res := ChunkResult{NextAfter: in.After}
	var ids []string
	for page := 0; page < max(in.Pages, 1); page++ {
		m, err := a.HubSpot.ListMemberships(ctx, in.HubSpotListID, res.NextAfter, MembersPerPage)
		if err != nil {
			return ChunkResult{}, temporalError(err)
		}
		if _, err := a.Store.MarkSeen(ctx, in.Integration, in.Scan, m.RecordIDs); err != nil {
			return ChunkResult{}, temporalError(err)
		}
		ids = append(ids, m.RecordIDs...)
		activity.RecordHeartbeat(ctx, p)
		res.Pages++
		res.NextAfter, res.ListSize = m.After, m.Total
		if m.After == "" {
			res.Last = true
			break
		}
	}
	res.Members = len(ids)
	activity.RecordHeartbeat(ctx, p)
	// Batch reads of 100 across page boundaries: 2,000 members cost 8
	// memberships calls and 20 batch reads.
	var records []mapping.Record
	for start := 0; start < len(ids); start += 500 {
		recs, missing, err := a.readContacts(ctx, ids[start:min(start+500, len(ids))], in.Spec.Properties())
		if err != nil {
			return ChunkResult{}, err
		}
		records = append(records, recs...)
		res.Missing += missing
		activity.RecordHeartbeat(ctx, p)
	}
	mapped, _ := a.MapContacts(ctx, MapInput{Spec: in.Spec, Records: records})
	records = nil

	// Skipped records: counted, and their reasons kept in the store.
	var skipped []store.Outcome
	for _, s := range mapped.Skipped {
		if res.SkippedByReason == nil {
			res.SkippedByReason = map[string]int{}
		}
		res.SkippedByReason[s.Reason]++
		if len(res.Skipped) < MaxChunkOutcomes {
			res.Skipped = append(res.Skipped, s)
		}
		skipped = append(skipped, storeOutcome(s))
	}
	if err := a.Store.SaveOutcomes(ctx, in.Integration, skipped); err != nil {
		return ChunkResult{}, temporalError(err)
	}

	known, err := a.Store.Records(ctx, in.Integration, relatedIDs(mapped.Contacts))
	if err != nil {
		return ChunkResult{}, temporalError(err)
	}
	var bulk, single []mapping.Contact
	var rejected []store.Outcome
	emails := map[string]bool{}
	for _, c := range mapped.Contacts {
		prev := known[c.ExtID]
		switch {
		case prev.Hash == ContentHash(c):
			res.Written.Unchanged++
			continue
		case p.Done[c.ExtID] != 0:
			continue // written one by one by an earlier attempt
		}
		email := strings.ToLower(c.Email)
		if c.Email == "" {
			if _, ok := smsKey(c.SMS()); !ok {
				// Brevo refuses a number without country code, and the
				// contact has nothing else to be known by: an upsert would
				// fail, so the call is not made.
				o := mapping.Outcome{HubSpotID: c.ExtID, Kind: mapping.OutcomeFailed, Reason: mapping.ReasonRejected,
					Text: fmt.Sprintf("Brevo refuses SMS %s (no country code) and the contact has no email", c.SMS())}
				p.Result.Failed++
				p.Result.Outcomes = append(p.Result.Outcomes, o)
				p.Done[c.ExtID] = 3
				rejected = append(rejected, storeOutcome(o))
				continue
			}
		}
		if len(c.MergedFrom) > 0 || (email != "" && emails[email]) ||
			(prev.Hash != "" && prev.Email != c.Email) {
			single = append(single, c)
			continue
		}
		if email != "" {
			emails[email] = true
		}
		bulk = append(bulk, c)
	}
	if err := a.Store.SaveOutcomes(ctx, in.Integration, rejected); err != nil {
		return ChunkResult{}, temporalError(err)
	}
	if len(bulk) < max(in.ImportMin, 1) && !p.Imported {
		single = append(bulk, single...)
		bulk = nil
	}
	var owners map[string]string
	if len(bulk) > 0 {
		var leftover []mapping.Contact
		var err error
		leftover, owners, err = a.importContacts(ctx, in, bulk, known, &p)
		if err != nil {
			return ChunkResult{}, err
		}
		single = append(single, leftover...)
	}
	res.Imports = p.Imports

	// A number an import row holds must not be given to another contact
	// before Brevo processed the import: the row would be refused whole.
	// Such a contact is written without it (with a note), or fails when
	// the number is all it has, as an upsert would once the import ran.
	kept := single[:0]
	hashes := map[string]string{}
	var dupFailed []store.Outcome
	for _, c := range single {
		key, ok := smsKey(c.SMS())
		owner := owners[key]
		if !ok || owner == "" || owner == c.ExtID || p.Done[c.ExtID] != 0 {
			kept = append(kept, c)
			continue
		}
		text := fmt.Sprintf("SMS %s belongs to another contact (%s)", c.SMS(), owner)
		if c.Email == "" {
			o := mapping.Outcome{HubSpotID: c.ExtID, Kind: mapping.OutcomeFailed, Reason: mapping.ReasonDuplicateSMS, Text: text + " and the contact has no email"}
			p.Result.Failed++
			p.Result.Outcomes = append(p.Result.Outcomes, o)
			p.Done[c.ExtID] = 3
			dupFailed = append(dupFailed, storeOutcome(o))
			continue
		}
		hashes[c.ExtID] = ContentHash(c) // what the mapping gave, as an upsert would save
		c.Attributes = withoutKey(c.Attributes, mapping.AttrSMS)
		c.Notes = append(c.Notes, mapping.Note{Reason: mapping.ReasonDuplicateSMS, Attribute: mapping.AttrSMS, Text: text + "; written without it"})
		kept = append(kept, c)
	}
	single = kept
	if err := a.Store.SaveOutcomes(ctx, in.Integration, dupFailed); err != nil {
		return ChunkResult{}, temporalError(err)
	}

	// The rest, one by one; p.Done keeps a retried attempt from counting
	// them twice.
	if len(single) > 0 {
		w, err := a.writeEach(ctx, in.Integration, in.BrevoListID, single, known, hashes, func(id string, kind int, r UpsertResult) {
			p.Done[id] = kind
			p.Result = r
			activity.RecordHeartbeat(ctx, p)
		}, p.Result)
		if err != nil {
			return ChunkResult{}, err
		}
		p.Result = w
	}
	unchanged := res.Written.Unchanged
	res.Written = p.Result
	res.Written.Unchanged += unchanged
	if len(res.Written.Outcomes) > MaxChunkOutcomes {
		res.Written.Outcomes = res.Written.Outcomes[len(res.Written.Outcomes)-MaxChunkOutcomes:]
	}
	return res, nil
}

// importContacts sends contacts as Brevo imports (split at 8 MB) and
// keeps them in the store as pending. An SMS number that another record
// holds (as far as this integration knows), that appears twice in the
// import, or that is not clearly international is left out of the row:
// Brevo would refuse the whole row, where an upsert writes the contact
// without it (with a note).
//
// A contact without email whose number it cannot have is returned in
// leftover, to be written one by one (Brevo then says why it fails).
//
// owners maps the numbers of the import to the record that holds them.
func (a *Activities) importContacts(ctx context.Context, in ChunkInput, bulk []mapping.Contact, known map[string]store.Record, p *chunkProgress) (leftover []mapping.Contact, owners map[string]string, err error) {
	claims := map[string]string{}
	for _, c := range bulk {
		if key, ok := smsKey(c.SMS()); ok {
			if _, dup := claims[key]; dup {
				claims[key] = "" // twice in this import: nobody gets it here
				continue
			}
			claims[key] = c.ExtID
		}
	}
	for k, v := range claims {
		if v == "" {
			delete(claims, k)
		}
	}
	taken, err := a.Store.ClaimSMS(ctx, in.Integration, claims)
	if err != nil {
		return nil, nil, temporalError(err)
	}
	owners = make(map[string]string, len(claims)+len(taken))
	for k, v := range claims {
		owners[k] = v
	}
	for k, v := range taken {
		owners[k] = v
	}
	rows := make([]brevo.ImportContact, 0, len(bulk))
	pending := make([]store.Pending, 0, len(bulk))
	var notes []store.Outcome
	for _, c := range bulk {
		attrs := withKey(c.Attributes, importExtID, c.ExtID)
		if sms := c.SMS(); sms != "" {
			key, ok := smsKey(sms)
			switch {
			case c.Email == "" && (!ok || claims[key] != c.ExtID || taken[key] != ""):
				leftover = append(leftover, c)
				continue
			case !ok:
				delete(attrs, mapping.AttrSMS)
				notes = append(notes, storeOutcome(mapping.Outcome{HubSpotID: c.ExtID, Email: c.Email, Kind: kindFor(known, c), Reason: mapping.ReasonInvalidPhone,
					Text: fmt.Sprintf("SMS %s has no country code Brevo accepts; written without it", sms)}))
			case claims[key] != c.ExtID || taken[key] != "":
				delete(attrs, mapping.AttrSMS)
				notes = append(notes, storeOutcome(mapping.Outcome{HubSpotID: c.ExtID, Email: c.Email, Kind: kindFor(known, c), Reason: mapping.ReasonDuplicateSMS,
					Text: fmt.Sprintf("SMS %s belongs to another contact; written without it", sms)}))
			}
		}
		rows = append(rows, brevo.ImportContact{Email: c.Email, Attributes: attrs})
		raw, _ := json.Marshal(c)
		pending = append(pending, store.Pending{HubSpotID: c.ExtID, Email: c.Email, Hash: ContentHash(c), Contact: string(raw)})
		for _, n := range c.Notes {
			notes = append(notes, storeOutcome(mapping.Outcome{HubSpotID: c.ExtID, Email: c.Email, Kind: kindFor(known, c), Reason: n.Reason, Text: n.Text}))
		}
	}
	if p.Imported || len(rows) == 0 {
		return leftover, owners, nil
	}
	start := 0
	for _, group := range brevo.SplitImport(rows) {
		id, err := a.Brevo.ImportContacts(ctx, brevo.ImportRequest{
			Contacts: group, ListIDs: []int64{in.BrevoListID},
			UpdateExistingContacts: true, EmptyContactsAttributes: true, DisableNotification: true,
		})
		if err != nil {
			return nil, nil, temporalError(err)
		}
		part := pending[start : start+len(group)]
		if err := a.Store.SavePending(ctx, in.Integration, id, part); err != nil {
			return nil, nil, temporalError(err)
		}
		sent := ImportSent{ProcessID: id, Contacts: len(group)}
		for _, pc := range part {
			if known[pc.HubSpotID].Hash == "" {
				sent.Created++
			} else {
				sent.Updated++
			}
		}
		p.Imports = append(p.Imports, sent)
		start += len(group)
		activity.RecordHeartbeat(ctx, *p)
	}
	p.Imported = true
	activity.RecordHeartbeat(ctx, *p)
	if err := a.Store.SaveOutcomes(ctx, in.Integration, notes); err != nil {
		return nil, nil, temporalError(err)
	}
	return leftover, owners, nil
}

func kindFor(known map[string]store.Record, c mapping.Contact) string {
	if known[c.ExtID].Hash == "" {
		return mapping.OutcomeCreated
	}
	return mapping.OutcomeUpdated
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

// writeEach writes contacts one by one (the per-contact path of
// UpsertContacts, without its index-based progress), calling done after
// each contact with the running result.
func (a *Activities) writeEach(ctx context.Context, integration string, listID int64, cs []mapping.Contact, known map[string]store.Record,
	hashes map[string]string, done func(id string, kind int, r UpsertResult), res UpsertResult) (UpsertResult, error) {
	in := UpsertInput{Integration: integration, BrevoListID: listID}
	var written []store.Written
	var outcomes []store.Outcome
	claims := map[string]string{}
	flush := func() error {
		if err := a.Store.SaveWritten(ctx, integration, written); err != nil {
			return err
		}
		written = written[:0]
		if _, err := a.Store.ClaimSMS(ctx, integration, claims); err != nil {
			return err
		}
		clear(claims)
		err := a.Store.SaveOutcomes(ctx, integration, outcomes)
		outcomes = outcomes[:0]
		return err
	}
	for _, c := range cs {
		created, notes, err := a.writeOne(ctx, in, c, known)
		if err != nil {
			e, ok := httpx.AsError(err)
			if !ok || e.Retryable() || !contactLevel(e) {
				if ferr := flush(); ferr != nil {
					return res, temporalError(ferr)
				}
				return res, temporalError(err)
			}
			res.Failed++
			o := mapping.Outcome{HubSpotID: c.ExtID, Email: c.Email, Kind: mapping.OutcomeFailed, Reason: mapping.ReasonRejected, Text: e.Error()}
			res.Outcomes = append(res.Outcomes, o)
			outcomes = append(outcomes, storeOutcome(o))
			done(c.ExtID, 3, res)
			continue
		}
		kind, k := mapping.OutcomeUpdated, 2
		if created {
			kind, k = mapping.OutcomeCreated, 1
			res.Created++
		} else {
			res.Updated++
		}
		hash, ok := hashes[c.ExtID]
		if !ok {
			hash = ContentHash(c)
		}
		written = append(written, store.Written{HubSpotID: c.ExtID, Email: c.Email, Hash: hash})
		if key, ok := smsKey(c.SMS()); ok && len(notes) == 0 {
			claims[key] = c.ExtID
		}
		for _, n := range append(c.Notes, notes...) {
			o := mapping.Outcome{HubSpotID: c.ExtID, Email: c.Email, Kind: kind, Reason: n.Reason, Text: n.Text}
			res.Outcomes = append(res.Outcomes, o)
			outcomes = append(outcomes, storeOutcome(o))
		}
		if len(res.Outcomes) > MaxChunkOutcomes {
			res.Outcomes = res.Outcomes[len(res.Outcomes)-MaxChunkOutcomes:]
		}
		if err := flush(); err != nil {
			return res, temporalError(err)
		}
		done(c.ExtID, k, res)
	}
	return res, nil
}

// ConfirmInput names the imports to check.
type ConfirmInput struct {
	Integration string  `json:"integration"`
	ProcessIDs  []int64 `json:"processIds"`
}

// ImportStatus is what Brevo says of one import.
type ImportStatus struct {
	ProcessID int64 `json:"processId"`
	// Done: the process ended. Completed without Rejected: every row was
	// applied, and the contacts' hashes are saved.
	Done     bool `json:"done"`
	Failed   bool `json:"failed,omitempty"`
	Rejected int  `json:"rejected,omitempty"`
	// Report is Brevo's import report (or error), for people.
	Report string `json:"report,omitempty"`
}

// maxProcessPages bounds the /processes pages one ConfirmImports reads
// (100 requests an hour for the whole account).
const maxProcessPages = 4

// ConfirmImports checks imports with GET /processes (50 a call, newest
// first) rather than one call per process: the /processes family allows
// 100 requests an hour. A completed import with no rejected row has its
// contacts' hashes saved; the others are left pending for RewriteImport.
func (a *Activities) ConfirmImports(ctx context.Context, in ConfirmInput) ([]ImportStatus, error) {
	want := map[int64]bool{}
	oldest := int64(0)
	for _, id := range in.ProcessIDs {
		want[id] = true
		if oldest == 0 || id < oldest {
			oldest = id
		}
	}
	found := map[int64]brevo.Process{}
	exhausted := false
	for page := 0; page < maxProcessPages && len(found) < len(want); page++ {
		ps, err := a.Brevo.ListProcesses(ctx, page*brevo.MaxProcessPage, brevo.MaxProcessPage)
		if err != nil {
			return nil, temporalError(err)
		}
		for _, p := range ps {
			if want[p.ID] {
				found[p.ID] = p
			}
		}
		if len(ps) < brevo.MaxProcessPage || ps[len(ps)-1].ID < oldest {
			exhausted = true
			break
		}
	}
	// Older than the pages read (other jobs started since): a few are
	// read one by one.
	if !exhausted {
		asked := 0
		for _, id := range in.ProcessIDs {
			if _, ok := found[id]; ok || asked >= maxProcessPages {
				continue
			}
			asked++
			p, err := a.Brevo.GetProcess(ctx, id)
			switch {
			case httpx.IsKind(err, httpx.KindNotFound):
				p = brevo.Process{ID: id, Status: brevo.ProcessFailed, Error: "Brevo does not know the process"}
			case err != nil:
				return nil, temporalError(err)
			}
			found[id] = p
		}
	}
	out := make([]ImportStatus, 0, len(in.ProcessIDs))
	for _, id := range in.ProcessIDs {
		p, ok := found[id]
		st := ImportStatus{ProcessID: id}
		switch {
		case !ok && exhausted:
			st.Done, st.Failed, st.Report = true, true, fmt.Sprintf("Brevo does not list import process %d", id)
		case !ok, !p.Done():
		case p.Failed():
			st.Done, st.Failed, st.Report = true, true, fmt.Sprintf("Brevo import %d %s: %s", id, p.Status, p.Error)
		default:
			if _, hasReport := p.Import(); !hasReport {
				// GET /processes items may come without their report.
				var err error
				if p, err = a.Brevo.GetProcess(ctx, id); err != nil {
					return nil, temporalError(err)
				}
			}
			st.Done = true
			st.Rejected, st.Report = importRejections(p)
			if st.Rejected == 0 {
				if err := a.Store.ConfirmPending(ctx, in.Integration, id); err != nil {
					return nil, temporalError(err)
				}
			}
		}
		out = append(out, st)
	}
	return out, nil
}

// importRejections counts the rows an import report says were refused.
// Counts arrive as numbers; a report URL (invalid emails) counts as at
// least one row.
func importRejections(p brevo.Process) (int, string) {
	rep := p.ImportReport()
	keys := make([]string, 0, len(rep))
	for k := range rep {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	n := 0
	var parts []string
	for _, k := range keys {
		v := rep[k]
		if c, err := strconv.Atoi(v); err == nil {
			if c > 0 {
				n += c
				parts = append(parts, fmt.Sprintf("%s %d", k, c))
			}
			continue
		}
		if v != "" && v != "0" {
			n++
			parts = append(parts, k+" "+v)
		}
	}
	if n == 0 {
		return 0, ""
	}
	return n, fmt.Sprintf("Brevo import %d refused rows: %s", p.ID, strings.Join(parts, ", "))
}

// RewriteInput names an import whose contacts must be written one by one.
type RewriteInput struct {
	Integration string `json:"integration"`
	BrevoListID int64  `json:"brevoListId"`
	ProcessID   int64  `json:"processId"`
}

// RewriteImport writes the contacts of a failed (or partly refused)
// import one by one, like UpsertContacts: every contact ends written or
// failed with Brevo's own reason. The pending rows are dropped after.
func (a *Activities) RewriteImport(ctx context.Context, in RewriteInput) (UpsertResult, error) {
	pending, err := a.Store.PendingContacts(ctx, in.Integration, in.ProcessID)
	if err != nil {
		return UpsertResult{}, temporalError(err)
	}
	cs := make([]mapping.Contact, 0, len(pending))
	for _, p := range pending {
		var c mapping.Contact
		if err := json.Unmarshal([]byte(p.Contact), &c); err != nil {
			return UpsertResult{}, temporal.NewNonRetryableApplicationError("bad pending contact", ErrTypeInvalidInput, err)
		}
		cs = append(cs, c)
	}
	res, err := a.UpsertContacts(ctx, UpsertInput{Integration: in.Integration, BrevoListID: in.BrevoListID, Contacts: cs})
	if err != nil {
		return UpsertResult{}, err
	}
	if len(res.Outcomes) > MaxChunkOutcomes {
		res.Outcomes = res.Outcomes[len(res.Outcomes)-MaxChunkOutcomes:]
	}
	if err := a.Store.DropPending(ctx, in.Integration, in.ProcessID); err != nil {
		return UpsertResult{}, temporalError(err)
	}
	return res, nil
}
