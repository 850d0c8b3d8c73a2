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
	// InvalidEmails are the rows the import refused for their email.
	InvalidEmails []string `json:"invalidEmails,omitempty"`
}

type brevoImportRow struct {
	Email      string         `json:"email"`
	Attributes map[string]any `json:"attributes"`
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
	duplicateEmail  int
	duplicateExtID  int
	duplicatePhone  int
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

func (b *Brevo) handleImport(w http.ResponseWriter, r *http.Request) {
	raw, err := io.ReadAll(io.LimitReader(r.Body, int64(b.opts.ImportMaxBytes)+1))
	if err != nil {
		b.fail(w, brevoInvalid("Invalid request body: %v", err))
		return
	}
	if len(raw) > b.opts.ImportMaxBytes {
		// Drain so the client reads the 400 instead of a reset connection.
		_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 256<<20))
		b.fail(w, brevoInvalid("The import body exceeds the maximum size of %d MB; use fileUrl for larger files", b.opts.ImportMaxBytes>>20))
		return
	}
	var body brevoImportBody
	if err := json.NewDecoder(bytes.NewReader(raw)).Decode(&body); err != nil {
		b.fail(w, brevoInvalid("Invalid request body: %v", err))
		return
	}
	sources := 0
	if body.JSONBody != nil {
		sources++
	}
	if body.FileBody != nil {
		sources++
	}
	if body.FileURL != nil {
		sources++
	}
	switch {
	case sources == 0:
		b.fail(w, brevoMissing("One of jsonBody, fileBody or fileUrl is required"))
		return
	case sources > 1:
		b.fail(w, brevoInvalid("Only one of jsonBody, fileBody or fileUrl may be given"))
		return
	case body.FileURL != nil:
		b.fail(w, brevoInvalid("fileUrl is not supported by the sandbox; use jsonBody or fileBody"))
		return
	}
	rows := body.JSONBody
	if body.FileBody != nil {
		var e *brevoError
		if rows, e = brevoParseCSV(*body.FileBody); e != nil {
			b.fail(w, e)
			return
		}
	}
	if len(body.ListIDs) == 0 && body.NewList == nil {
		b.fail(w, brevoMissing("listIds is missing"))
		return
	}

	b.mu.Lock()
	defer b.mu.Unlock()
	b.settleLocked()
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
		row := brevoImportRow{Attributes: map[string]any{}}
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
		b.runImportLocked(p)
		p.done = true
		p.Status = "completed"
		p.CompletedAt = p.due
		p.rows = nil
	}
}

// runImportLocked applies an import the way Brevo reports it: rows with an
// invalid email are listed in a report, rows whose identifiers clash with
// another contact or an earlier row are counted as duplicates and skipped,
// attributes the account does not have and values of the wrong type are
// dropped silently.
func (b *Brevo) runImportLocked(p *brevoProcess) {
	seenEmail, seenExt, seenSMS := map[string]bool{}, map[string]bool{}, map[string]bool{}
	updated := 0
	for _, row := range p.rows {
		ch := brevoChange{attrs: map[string]any{}, addLists: p.listIDs}
		email := strings.ToLower(strings.TrimSpace(row.Email))
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
				if v != nil {
					s := brevoScalarString(v)
					ch.extID = &s
				}
			default:
				a := b.attributeLocked(k)
				if a == nil {
					continue
				}
				if s, ok := v.(string); ok && s == "" {
					ch.attrs[k] = nil
					continue
				}
				if val, e := brevoAttributeValue(a, v); e == nil {
					ch.attrs[k] = val
				}
			}
		}
		if email != "" {
			if !brevoValidEmail(email) {
				p.InvalidEmails = append(p.InvalidEmails, row.Email)
				continue
			}
			ch.email = &email
		}
		if ch.email == nil && !brevoSet(ch.extID) && !brevoSet(ch.sms) {
			continue
		}
		switch {
		case brevoSet(ch.email) && seenEmail[*ch.email]:
			p.duplicateEmail++
			continue
		case brevoSet(ch.extID) && seenExt[*ch.extID]:
			p.duplicateExtID++
			continue
		case brevoSet(ch.sms) && seenSMS[*ch.sms]:
			p.duplicatePhone++
			continue
		}
		var target *BrevoContact
		switch {
		case brevoSet(ch.email) && b.byEmail[*ch.email] != 0:
			target = b.contacts[b.byEmail[*ch.email]]
		case brevoSet(ch.extID) && b.byExtID[*ch.extID] != 0:
			target = b.contacts[b.byExtID[*ch.extID]]
		case !brevoSet(ch.email) && brevoSet(ch.sms) && b.bySMS[*ch.sms] != 0:
			target = b.contacts[b.bySMS[*ch.sms]]
		}
		if e := b.checkUniqueLocked(target, ch, "import"); e != nil {
			switch e.dup[0] {
			case "email":
				p.duplicateEmail++
			case "EXT_ID":
				p.duplicateExtID++
			default:
				p.duplicatePhone++
			}
			continue
		}
		for _, set := range []struct {
			m map[string]bool
			v *string
		}{{seenEmail, ch.email}, {seenExt, ch.extID}, {seenSMS, ch.sms}} {
			if brevoSet(set.v) {
				set.m[*set.v] = true
			}
		}
		if p.emailBL {
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
	imp := map[string]any{
		"duplicate_email_id":           p.duplicateEmail,
		"duplicate_contact_id":         0,
		"duplicate_ext_id":             p.duplicateExtID,
		"duplicate_phone_id":           p.duplicatePhone,
		"duplicate_whatsapp_id":        0,
		"duplicate_landline_number_id": 0,
	}
	// Brevo reports invalid emails as the URL of a CSV report.
	if len(p.InvalidEmails) > 0 {
		imp["invalid_emails"] = fmt.Sprintf("%s/_sandbox/brevo/processes/%d/invalid_emails.csv", p.origin, p.ID)
	}
	p.Info = map[string]any{"import": imp}
}

// status is the process's status as of now: queued for the first third of
// the delay, then in_process until it is due.
func (p *brevoProcess) status(now time.Time) string {
	if p.done {
		return p.Status
	}
	if now.Before(p.CreatedAt.Add(p.due.Sub(p.CreatedAt) / 3)) {
		return "queued"
	}
	return "in_process"
}

func (b *Brevo) processJSONLocked(p *brevoProcess) map[string]any {
	out := map[string]any{"id": p.ID, "name": p.Name, "status": p.status(b.now()), "created_at": brevoTime(p.CreatedAt)}
	if p.done {
		out["info"] = p.Info
		out["completed_at"] = brevoTime(p.CompletedAt)
	}
	return out
}

func (b *Brevo) handleProcess(w http.ResponseWriter, r *http.Request) {
	id, ok := brevoPathID(r, "id")
	b.mu.Lock()
	defer b.mu.Unlock()
	b.settleLocked()
	p := b.processes[id]
	if !ok || p == nil {
		// The spec's example answer for an unknown process.
		b.fail(w, &brevoError{status: http.StatusNotFound, code: "invalid_parameter", msg: "processId is invalid"})
		return
	}
	writeJSON(w, http.StatusOK, b.processJSONLocked(p))
}

func (b *Brevo) handleProcesses(w http.ResponseWriter, r *http.Request) {
	offset, limit, desc, ok := b.page(w, r, 10, 50)
	if !ok {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.settleLocked()
	all := make([]*brevoProcess, 0, len(b.processes))
	for _, p := range b.processes {
		all = append(all, p)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].ID < all[j].ID })
	out := []map[string]any{}
	for _, p := range brevoPage(all, offset, limit, desc) {
		out = append(out, b.processJSONLocked(p))
	}
	writeJSON(w, http.StatusOK, map[string]any{"processes": out, "count": len(all)})
}

// Processes returns every process, by id.
func (b *Brevo) Processes() []BrevoProcess {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.settleLocked()
	return b.processesLocked()
}

func (b *Brevo) processesLocked() []BrevoProcess {
	out := make([]BrevoProcess, 0, len(b.processes))
	now := b.now()
	for _, p := range b.processes {
		bp := p.BrevoProcess
		bp.Status = p.status(now)
		bp.InvalidEmails = append([]string(nil), p.InvalidEmails...)
		out = append(out, bp)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// handleInvalidEmailsReport serves the CSV an import's info.invalid_emails
// points to.
func (b *Brevo) handleInvalidEmailsReport(w http.ResponseWriter, r *http.Request) {
	id, _ := brevoPathID(r, "id")
	b.mu.Lock()
	defer b.mu.Unlock()
	b.settleLocked()
	p := b.processes[id]
	if p == nil || !p.done {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/csv")
	var sb strings.Builder
	sb.WriteString("EMAIL;ERROR\n")
	for _, e := range p.InvalidEmails {
		sb.WriteString(e + ";invalid email\n")
	}
	_, _ = io.WriteString(w, sb.String())
}
