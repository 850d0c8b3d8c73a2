package sandbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"
)

// BrevoProcess is a background process as the state API shows it.
type BrevoProcess struct {
	ID          int64          `json:"id"`
	Name        string         `json:"name"`
	Status      string         `json:"status"`
	Info        map[string]any `json:"info,omitempty"`
	CreatedAt   time.Time      `json:"createdAt"`
	CompletedAt time.Time      `json:"completedAt,omitempty"`
	Error       string         `json:"error,omitempty"`
	// InvalidEmails are the rows the import refused for their email.
	InvalidEmails []string `json:"invalidEmails,omitempty"`
	// Merged counts the contacts the import deleted by merging them into
	// the contact of a row (ImportConflicts "merge").
	Merged int `json:"merged,omitempty"`
}

type brevoImportRow struct {
	Email      string         `json:"email"`
	Attributes map[string]any `json:"attributes"`
	// fromFile marks rows of a fileBody, where EXT_ID is a documented
	// column.
	fromFile bool
}

type brevoProcess struct {
	BrevoProcess
	due    time.Time
	done   bool
	origin string // scheme://host the import was posted to, for report URLs

	rows            []brevoImportRow
	listIDs         []int64
	updateExisting  bool
	emptyAttributes bool
	emailBL, smsBL  bool
	// refused lists the identifiers of skipped rows per report category.
	refused map[string][]string
}

// brevoImportBody is POST /contacts/import.
type brevoImportBody struct {
	JSONBody []brevoImportRow `json:"jsonBody"`
	FileBody *string          `json:"fileBody"`
	FileURL  *string          `json:"fileUrl"`
	ListIDs  []int64          `json:"listIds"`
	NewList  *struct {
		ListName string `json:"listName"`
		FolderID int64  `json:"folderId"`
	} `json:"newList"`
	UpdateExistingContacts  *bool  `json:"updateExistingContacts"`
	EmptyContactsAttributes bool   `json:"emptyContactsAttributes"`
	EmailBlacklist          bool   `json:"emailBlacklist"`
	SMSBlacklist            bool   `json:"smsBlacklist"`
	DisableNotification     bool   `json:"disableNotification"`
	NotifyURL               string `json:"notifyUrl"`
}

// readImport reads and checks the body of POST /contacts/import: its size,
// exactly one source (fileUrl is not emulated) and a target list. It
// returns the rows of jsonBody or of the parsed fileBody.
func (b *Brevo) readImport(r *http.Request) (body brevoImportBody, rows []brevoImportRow, e *brevoError) {
	raw, err := io.ReadAll(io.LimitReader(r.Body, int64(b.opts.ImportMaxBytes)+1))
	if err != nil {
		return body, nil, brevoInvalid("Invalid request body: %v", err)
	}
	if len(raw) > b.opts.ImportMaxBytes {
		// Drain so the client reads the 400 instead of a reset connection.
		_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 256<<20))
		return body, nil, brevoInvalid("The import body exceeds the maximum size of %d MB; use fileUrl for larger files", b.opts.ImportMaxBytes>>20)
	}
	if err := json.NewDecoder(bytes.NewReader(raw)).Decode(&body); err != nil {
		return body, nil, brevoInvalid("Invalid request body: %v", err)
	}
	sources := 0
	for _, given := range []bool{body.JSONBody != nil, body.FileBody != nil, body.FileURL != nil} {
		if given {
			sources++
		}
	}
	switch {
	case sources == 0:
		return body, nil, brevoMissing("One of jsonBody, fileBody or fileUrl is required")
	case sources > 1:
		return body, nil, brevoInvalid("Only one of jsonBody, fileBody or fileUrl may be given")
	case body.FileURL != nil:
		return body, nil, brevoInvalid("fileUrl is not supported by the sandbox; use jsonBody or fileBody")
	case len(body.ListIDs) == 0 && body.NewList == nil:
		return body, nil, brevoMissing("listIds is missing")
	case body.FileBody != nil:
		rows, e = brevoParseCSV(*body.FileBody)
		return body, rows, e
	}
	return body, body.JSONBody, nil
}

func (b *Brevo) handleImport(w http.ResponseWriter, r *http.Request) {
	body, rows, e := b.readImport(r)
	if e != nil {
		b.fail(w, e)
		return
	}
	defer b.lockSettled()()
	if e := b.checkListsLocked(body.ListIDs); e != nil {
		b.fail(w, e)
		return
	}
	lists := append([]int64{}, body.ListIDs...)
	if body.NewList != nil {
		if e := b.checkNewListLocked(body.NewList.ListName, body.NewList.FolderID); e != nil {
			b.fail(w, e)
			return
		}
		lists = append(lists, b.createListLocked(body.NewList.ListName, body.NewList.FolderID))
	}
	update := body.UpdateExistingContacts == nil || *body.UpdateExistingContacts
	now := b.now()
	b.nextID.process++
	p := &brevoProcess{
		BrevoProcess: BrevoProcess{ID: b.nextID.process, Name: "IMPORTUSER", Status: "queued", CreatedAt: now},
		due:          now.Add(b.opts.ImportDelay),
		origin:       "http://" + r.Host,
		rows:         rows, listIDs: lists, updateExisting: update,
		emptyAttributes: body.EmptyContactsAttributes && update,
		emailBL:         body.EmailBlacklist, smsBL: body.SMSBlacklist,
	}
	b.processes[p.ID] = p
	writeJSON(w, http.StatusAccepted, map[string]int64{"processId": p.ID})
}

// brevoParseCSV reads a fileBody: semicolon-separated, header row of
// attribute names (EMAIL among them).
func brevoParseCSV(s string) ([]brevoImportRow, *brevoError) {
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	if len(lines) == 0 || strings.TrimSpace(lines[0]) == "" {
		return nil, brevoInvalid("fileBody has no header row")
	}
	header := strings.Split(lines[0], ";")
	var rows []brevoImportRow
	for _, line := range lines[1:] {
		if strings.TrimSpace(line) == "" {
			continue
		}
		row := brevoImportRow{Attributes: map[string]any{}, fromFile: true}
		for i, cell := range strings.Split(line, ";") {
			if i >= len(header) {
				break
			}
			name := strings.ToUpper(strings.TrimSpace(header[i]))
			if name == "EMAIL" {
				row.Email = strings.TrimSpace(cell)
				continue
			}
			row.Attributes[name] = cell
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// lockSettled takes the emulator's lock with the due imports applied, as
// every handler and accessor that reads state begins; defer the unlock it
// returns.
func (b *Brevo) lockSettled() (unlock func()) {
	b.mu.Lock()
	b.settleLocked()
	return b.mu.Unlock
}

// settleLocked completes the import processes that are due, oldest first.
// Imports are applied lazily, at the first read after their delay, which is
// indistinguishable from a background worker for anyone using the API.
func (b *Brevo) settleLocked() {
	now := b.now()
	var due []*brevoProcess
	for _, p := range b.processes {
		if !p.done && !now.Before(p.due) {
			due = append(due, p)
		}
	}
	sort.Slice(due, func(i, j int) bool { return due[i].ID < due[j].ID })
	for _, p := range due {
		p.done = true
		p.CompletedAt = p.due
		p.Status = b.opts.ImportOutcome
		switch p.Status {
		case BrevoImportFailed:
			p.Error = "The import could not be processed"
		case BrevoImportCancelled:
		default:
			b.runImportLocked(p)
		}
		p.rows = nil
	}
}

// Import report categories (info.import keys).
const (
	brevoRepInvalidEmails = "invalid_emails"
	brevoRepDupEmail      = "duplicate_email_id"
	brevoRepDupExtID      = "duplicate_ext_id"
	brevoRepDupPhone      = "duplicate_phone_id"
)

var brevoReportCategories = []string{brevoRepInvalidEmails, "duplicate_contact_id", brevoRepDupExtID,
	brevoRepDupEmail, brevoRepDupPhone, "duplicate_whatsapp_id", "duplicate_landline_number_id"}

// refuse records a row the import skipped, under its report category.
func (p *brevoProcess) refuse(category, ident string) {
	if p.refused == nil {
		p.refused = map[string][]string{}
	}
	p.refused[category] = append(p.refused[category], ident)
	if category == brevoRepInvalidEmails {
		p.InvalidEmails = append(p.InvalidEmails, ident)
	}
}

// importChangeLocked turns a row into a change the way Brevo's import
// reads it: attributes the account does not have and values of the wrong
// type are dropped silently, empty values are skipped unless the import
// empties attributes. EXT_ID is an identifier in file rows, in JSON rows
// only with ImportKeepsExtID.
func (b *Brevo) importChangeLocked(p *brevoProcess, row brevoImportRow) (ch brevoChange, email string) {
	ch = brevoChange{attrs: map[string]any{}, addLists: p.listIDs}
	email = strings.ToLower(strings.TrimSpace(row.Email))
	for k, v := range row.Attributes {
		k = strings.ToUpper(k)
		if s, ok := v.(string); (v == nil || ok && s == "") && !p.emptyAttributes {
			continue
		}
		switch k {
		case "EMAIL":
			if s, ok := v.(string); ok && email == "" {
				email = strings.ToLower(strings.TrimSpace(s))
			}
		case "SMS":
			if v == nil || v == "" {
				empty := ""
				ch.sms = &empty
			} else if n, ok := brevoNormalizePhone(brevoScalarString(v)); ok {
				ch.sms = &n
			}
		case "EXT_ID":
			if v != nil && (row.fromFile || b.opts.ImportKeepsExtID) {
				s := brevoScalarString(v)
				ch.extID = &s
			}
		default:
			if a := b.attributeLocked(k); a != nil {
				if s, ok := v.(string); ok && s == "" {
					ch.attrs[k] = nil
				} else if val, e := brevoAttributeValue(a, v); e == nil {
					ch.attrs[k] = val
				}
			}
		}
	}
	return ch, email
}

// brevoImportSeen catches identifiers repeated within one import: the
// later rows are duplicates.
type brevoImportSeen struct{ email, ext, sms map[string]bool }

// repeated names the report category of the first identifier of ch an
// earlier row had, or "".
func (s brevoImportSeen) repeated(ch brevoChange) string {
	switch {
	case brevoSet(ch.extID) && s.ext[*ch.extID]:
		return brevoRepDupExtID
	case brevoSet(ch.email) && s.email[*ch.email]:
		return brevoRepDupEmail
	case brevoSet(ch.sms) && s.sms[*ch.sms]:
		return brevoRepDupPhone
	}
	return ""
}

func (s brevoImportSeen) add(ch brevoChange) {
	for _, set := range []struct {
		m map[string]bool
		v *string
	}{{s.email, ch.email}, {s.ext, ch.extID}, {s.sms, ch.sms}} {
		if brevoSet(set.v) {
			set.m[*set.v] = true
		}
	}
}

// runImportLocked applies an import the way Brevo reports it: rows with an
// invalid email go to the invalid_emails report, rows repeating an earlier
// row's identifier or clashing with other contacts are counted as
// duplicates and skipped.
func (b *Brevo) runImportLocked(p *brevoProcess) {
	seen := brevoImportSeen{map[string]bool{}, map[string]bool{}, map[string]bool{}}
	updated := 0
	for _, row := range p.rows {
		ch, email := b.importChangeLocked(p, row)
		if email != "" {
			if !brevoValidEmail(email) {
				p.refuse(brevoRepInvalidEmails, row.Email)
				continue
			}
			ch.email = &email
		}
		ident := brevoRowIdent(ch)
		if ident == "" {
			continue
		}
		if cat := seen.repeated(ch); cat != "" {
			p.refuse(cat, ident)
			continue
		}
		target, cat := b.importTargetLocked(p, ch)
		if cat != "" {
			p.refuse(cat, ident)
			continue
		}
		seen.add(ch)
		if p.emailBL || b.opts.ImportUnblocklists && target != nil && p.updateExisting {
			ch.emailBL = &p.emailBL
		}
		if p.smsBL {
			ch.smsBL = &p.smsBL
		}
		if target == nil {
			b.createContactLocked(ch)
			continue
		}
		if !p.updateExisting {
			ch = brevoChange{addLists: p.listIDs}
		}
		b.applyLocked(target, ch)
		updated++
	}
	b.countUpdateLocked(updated)
	p.Info = map[string]any{"import": b.importReport(p)}
}

func brevoRowIdent(ch brevoChange) string {
	for _, v := range []*string{ch.email, ch.extID, ch.sms} {
		if brevoSet(v) {
			return *v
		}
	}
	return ""
}

// importTargetLocked finds the existing contact a row updates (nil: a new
// contact) or the report category under which the row is refused. The row
// is keyed by its EXT_ID, else its email, else its SMS when the contact
// holding that SMS has no other email or ext_id. Its other identifiers may
// belong to other contacts: with ImportConflicts "merge" those are merged
// into the target, as Brevo's help center documents (the contact of the
// higher-priority identifier is kept, the others deleted); with
// "duplicate" the row is refused. A new contact whose SMS another contact
// holds is refused either way.
func (b *Brevo) importTargetLocked(p *brevoProcess, ch brevoChange) (*BrevoContact, string) {
	type ident struct {
		v   *string
		idx map[string]int64
		cat string
	}
	idents := []ident{{ch.extID, b.byExtID, brevoRepDupExtID}, {ch.email, b.byEmail, brevoRepDupEmail}, {ch.sms, b.bySMS, brevoRepDupPhone}}
	var target *BrevoContact
	var losers []*BrevoContact
	for i, id := range idents {
		if !brevoSet(id.v) || id.idx[*id.v] == 0 {
			continue
		}
		c := b.contacts[id.idx[*id.v]]
		switch {
		case target == nil && (i < 2 || brevoLacksRowIdentifiers(c, ch)):
			target = c
		case target == nil:
			return nil, id.cat // a new contact cannot take another's SMS
		case c.ID != target.ID:
			if b.opts.ImportConflicts != BrevoConflictsMerge || !p.updateExisting {
				return nil, id.cat
			}
			losers = append(losers, c)
		}
	}
	for _, c := range losers {
		b.deleteContactLocked(c)
		p.Merged++
	}
	return target, ""
}

// brevoLacksRowIdentifiers reports whether c, found by the row's SMS, has
// none of the higher identifiers the row brings (email, EXT_ID): then the
// row is the same person, as in the help center's example of an SMS-only
// contact re-imported with an email. A contact with another email is
// somebody else.
func brevoLacksRowIdentifiers(c *BrevoContact, ch brevoChange) bool {
	return (!brevoSet(ch.email) || c.Email == "") && (!brevoSet(ch.extID) || c.ExtID == "")
}

// deleteContactLocked removes a contact and its identifiers.
func (b *Brevo) deleteContactLocked(c *BrevoContact) {
	b.unindexLocked(c)
	delete(b.contacts, c.ID)
	b.stats.ContactsDeleted++
}

// importReport renders info.import in the shape ImportReportValues picks.
func (b *Brevo) importReport(p *brevoProcess) map[string]any {
	imp := map[string]any{}
	for _, cat := range brevoReportCategories {
		n := len(p.refused[cat])
		asURL := false
		switch b.opts.ImportReportValues {
		case BrevoReportURLs:
			asURL = true
		case BrevoReportMixed:
			asURL = cat == brevoRepInvalidEmails || cat == brevoRepDupEmail
		}
		switch {
		case !asURL:
			imp[cat] = n
		case n == 0:
			imp[cat] = nil
		default:
			imp[cat] = fmt.Sprintf("%s/_sandbox/brevo/processes/%d/%s.csv", p.origin, p.ID, cat)
		}
	}
	return imp
}

// status is the process's status as of now: queued for the first third of
// the delay, then processing (in_process with LegacyProcessStatus) until it
// is due.
func (b *Brevo) processStatus(p *brevoProcess, now time.Time) string {
	switch {
	case p.done:
		return p.Status
	case now.Before(p.CreatedAt.Add(p.due.Sub(p.CreatedAt) / 3)):
		return "queued"
	case b.opts.LegacyProcessStatus:
		return "in_process"
	}
	return "processing"
}

// processJSONLocked renders a process; listed says it is an item of
// GET /processes, which carries info only with ProcessListInfo.
func (b *Brevo) processJSONLocked(p *brevoProcess, listed bool) map[string]any {
	out := map[string]any{"id": p.ID, "name": p.Name, "status": b.processStatus(p, b.now()), "created_at": brevoTime(p.CreatedAt)}
	if !p.done {
		return out
	}
	out["completed_at"] = brevoTime(p.CompletedAt)
	if p.Info != nil && (!listed || b.opts.ProcessListInfo) {
		out["info"] = p.Info
	}
	if p.Error != "" {
		out["error"] = p.Error
	}
	return out
}

func (b *Brevo) handleProcess(w http.ResponseWriter, r *http.Request) {
	id, ok := brevoPathID(r, "id")
	defer b.lockSettled()()
	p := b.processes[id]
	if !ok || p == nil {
		// The spec's example answer for an unknown process.
		b.fail(w, &brevoError{status: http.StatusNotFound, code: "invalid_parameter", msg: "processId is invalid"})
		return
	}
	writeJSON(w, http.StatusOK, b.processJSONLocked(p, false))
}

func (b *Brevo) handleProcesses(w http.ResponseWriter, r *http.Request) {
	offset, limit, desc, ok := b.page(w, r, 10, 50)
	if !ok {
		return
	}
	defer b.lockSettled()()
	all := make([]*brevoProcess, 0, len(b.processes))
	for _, p := range b.processes {
		all = append(all, p)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].ID < all[j].ID })
	out := []map[string]any{}
	for _, p := range brevoPage(all, offset, limit, desc) {
		out = append(out, b.processJSONLocked(p, true))
	}
	writeJSON(w, http.StatusOK, map[string]any{"processes": out, "count": len(all)})
}

// Processes returns every process, by id.
func (b *Brevo) Processes() []BrevoProcess {
	defer b.lockSettled()()
	return b.processesLocked()
}

func (b *Brevo) processesLocked() []BrevoProcess {
	out := make([]BrevoProcess, 0, len(b.processes))
	now := b.now()
	for _, p := range b.processes {
		bp := p.BrevoProcess
		bp.Status = b.processStatus(p, now)
		bp.InvalidEmails = append([]string(nil), p.InvalidEmails...)
		out = append(out, bp)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// handleImportReport serves the CSV a URL in an import's info.import points
// to: the rows refused under that category.
func (b *Brevo) handleImportReport(w http.ResponseWriter, r *http.Request) {
	id, _ := brevoPathID(r, "id")
	cat := strings.TrimSuffix(r.PathValue("report"), ".csv")
	defer b.lockSettled()()
	p := b.processes[id]
	if p == nil || !p.done || !brevoContains(brevoReportCategories, cat) {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/csv")
	var sb strings.Builder
	sb.WriteString("IDENTIFIER;ERROR\n")
	for _, x := range p.refused[cat] {
		sb.WriteString(x + ";" + strings.ReplaceAll(cat, "_", " ") + "\n")
	}
	_, _ = io.WriteString(w, sb.String())
}
