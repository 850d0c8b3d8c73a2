package brevo

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"hubspot-brevo-sync/internal/httpx"
)

// MaxImportBodyBytes is the largest import request the client sends. Brevo
// accepts 10 MB of jsonBody and recommends staying around 8 MB.
const MaxImportBodyBytes = 8 << 20

// ImportContact is one row of an import. SMS, EXT_ID and the other
// identifier attributes go inside Attributes; the import schema has no
// ext_id field of its own.
type ImportContact struct {
	Email      string         `json:"email,omitempty"`
	Attributes map[string]any `json:"attributes,omitempty"`
}

// ImportRequest is POST /contacts/import with a jsonBody. Attributes the
// account does not have are dropped silently by Brevo.
type ImportRequest struct {
	Contacts []ImportContact
	// ListIDs are required (the newList alternative is not used).
	ListIDs []int64
	// UpdateExistingContacts defaults to true on Brevo's side; the client
	// always sends it, so the Go zero value means "do not update".
	UpdateExistingContacts bool
	// EmptyContactsAttributes lets empty values erase existing ones (only
	// with UpdateExistingContacts).
	EmptyContactsAttributes bool
	DisableNotification     bool
	NotifyURL               string
}

type importWire struct {
	JSONBody                []ImportContact `json:"jsonBody"`
	ListIDs                 []int64         `json:"listIds"`
	UpdateExistingContacts  bool            `json:"updateExistingContacts"`
	EmptyContactsAttributes bool            `json:"emptyContactsAttributes"`
	DisableNotification     bool            `json:"disableNotification"`
	NotifyURL               string          `json:"notifyUrl,omitempty"`
}

// ImportContacts starts an asynchronous import and returns its process id;
// the contacts exist only once the process has completed (see GetProcess).
// A body over MaxImportBodyBytes is refused before sending, wrapping
// ErrImportTooLarge: split the contacts. Brevo's import endpoint has timed
// out with 524 after accepting work, so retrying a Transient failure here can
// import twice — harmless for an upsert-style import, but worth knowing.
func (c *Client) ImportContacts(ctx context.Context, r ImportRequest) (int64, error) {
	const op = "contacts.import"
	if len(r.Contacts) == 0 {
		return 0, invalidArgument(op, "no contacts to import")
	}
	if len(r.ListIDs) == 0 {
		return 0, invalidArgument(op, "an import needs at least one list id")
	}
	body, err := json.Marshal(importWire{
		JSONBody: r.Contacts, ListIDs: r.ListIDs,
		UpdateExistingContacts: r.UpdateExistingContacts, EmptyContactsAttributes: r.EmptyContactsAttributes,
		DisableNotification: r.DisableNotification, NotifyURL: r.NotifyURL,
	})
	if err != nil {
		return 0, invalidArgument(op, "encode import: "+err.Error())
	}
	if len(body) > MaxImportBodyBytes {
		return 0, &httpx.Error{API: apiName, Op: op, Kind: httpx.KindValidation, Err: ErrImportTooLarge,
			Message: fmt.Sprintf("import body of %d contacts is %.1f MB, over the %d MB the client sends in one import; split it",
				len(r.Contacts), float64(len(body))/(1<<20), MaxImportBodyBytes>>20)}
	}
	var out struct {
		ProcessID int64 `json:"processId"`
	}
	if _, err := c.do(ctx, request{op: op, method: http.MethodPost, path: "/contacts/import", body: body}, &out); err != nil {
		return 0, err
	}
	return out.ProcessID, nil
}

// importEnvelope is room left in MaxImportBodyBytes for everything around
// jsonBody (list ids, flags, notify URL).
const importEnvelope = 64 << 10

// SplitImport cuts contacts into groups small enough for one ImportContacts
// call each, in order. A single contact too large on its own still gets a
// group of its own, and ImportContacts will refuse it.
func SplitImport(contacts []ImportContact) [][]ImportContact {
	var groups [][]ImportContact
	start, size := 0, 0
	for i, c := range contacts {
		raw, err := json.Marshal(c)
		n := len(raw) + 1 // the comma between items
		if err != nil {
			n = 0 // ImportContacts reports the encoding error
		}
		if i > start && size+n > MaxImportBodyBytes-importEnvelope {
			groups = append(groups, contacts[start:i])
			start, size = i, 0
		}
		size += n
	}
	if start < len(contacts) {
		groups = append(groups, contacts[start:])
	}
	return groups
}

// Process statuses. The v4 contract lists queued, processing, completed,
// failed and cancelled; in_process is the older spelling of processing and
// is still in the newest Python SDK's enum.
const (
	ProcessQueued     = "queued"
	ProcessInProcess  = "in_process"
	ProcessProcessing = "processing"
	ProcessCompleted  = "completed"
	ProcessFailed     = "failed"
	ProcessCancelled  = "cancelled"
)

// Process is a background job (import, export) as /processes reports it.
type Process struct {
	ID     int64
	Name   string
	Status string
	// Info holds the import/export report. The value types inside
	// info.import differ between sources (counts, URLs of CSV reports), so
	// it stays raw; see Import. GET /processes list items may lack it even
	// for completed processes (the v4 spec marks it optional and Brevo's
	// own mock omits it there); GET /processes/{id} carries it.
	Info        json.RawMessage `json:",omitempty"`
	Error       string          `json:",omitempty"`
	ExportURL   string          `json:",omitempty"`
	CreatedAt   time.Time
	CompletedAt time.Time
}

type processWire struct {
	ID          int64           `json:"id"`
	Name        string          `json:"name"`
	Status      string          `json:"status"`
	Info        json.RawMessage `json:"info"`
	Error       string          `json:"error"`
	ExportURL   string          `json:"export_url"`
	CreatedAt   string          `json:"created_at"`
	CompletedAt string          `json:"completed_at"`
}

func (w processWire) process() Process {
	p := Process{ID: w.ID, Name: w.Name, Status: w.Status, Error: w.Error, ExportURL: w.ExportURL,
		CreatedAt: parseTime(w.CreatedAt), CompletedAt: parseTime(w.CompletedAt)}
	if len(w.Info) > 0 && string(w.Info) != "null" {
		p.Info = w.Info
	}
	return p
}

// status is the status in the spelling of the constants: Brevo's enum is
// lower case, but nothing promises it stays so, and "canceled" is the
// other spelling of cancelled.
func (p Process) status() string {
	s := strings.ToLower(strings.TrimSpace(p.Status))
	if s == "canceled" {
		return ProcessCancelled
	}
	return s
}

// Done reports whether the process has finished, successfully or not.
// Unknown statuses count as still running: Brevo has added statuses before,
// and the caller's timeout bounds the wait.
func (p Process) Done() bool {
	return p.status() == ProcessCompleted || p.Failed()
}

// Failed reports whether the process ended without completing. A failed or
// cancelled import may have applied some of its rows or none.
func (p Process) Failed() bool {
	s := p.status()
	return s == ProcessFailed || s == ProcessCancelled
}

// ImportReport is info.import of an import process: per category
// (invalid_emails, duplicate_email_id, duplicate_ext_id, ...) either a
// count of refused rows or the URL of a CSV report listing them. Brevo's
// sources disagree on which categories come as which (the v4 Node SDK
// types them all as numbers, the v4 Python SDK duplicate_email_id as a
// URL, public code downloads each as a URL), so every category may be
// either.
type ImportReport struct {
	Counts map[string]int64
	// Reports are categories that came as a URL instead of a count. Brevo
	// gives no URL for a category without rows (null), so each stands for
	// at least one refused row.
	Reports map[string]string
}

// Refused adds up the refused rows: the counts, plus one for each report
// URL. exact is false when a URL stood in for a count, so the true number
// may be higher.
func (r ImportReport) Refused() (rows int64, exact bool) {
	for _, n := range r.Counts {
		rows += max(n, 0)
	}
	return rows + int64(len(r.Reports)), len(r.Reports) == 0
}

// Import parses info.import. ok is false when the process carries no
// import report at all, which for a completed import listed by
// ListProcesses means "read it with GetProcess", not "nothing refused".
func (p Process) Import() (report ImportReport, ok bool) {
	var info struct {
		Import map[string]json.RawMessage `json:"import"`
	}
	if len(p.Info) == 0 || json.Unmarshal(p.Info, &info) != nil || info.Import == nil {
		return ImportReport{}, false
	}
	report = ImportReport{Counts: map[string]int64{}, Reports: map[string]string{}}
	for k, raw := range info.Import {
		var v any
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if dec.Decode(&v) != nil {
			continue
		}
		switch x := v.(type) {
		case json.Number:
			if n, err := strconv.ParseFloat(x.String(), 64); err == nil {
				report.Counts[k] = int64(n)
			}
		case string:
			x = strings.TrimSpace(x)
			if n, err := strconv.ParseInt(x, 10, 64); err == nil {
				report.Counts[k] = n
			} else if x != "" {
				report.Reports[k] = x
			}
		}
		// null (no rows in the category) and other types say nothing.
	}
	return report, true
}

// ImportReport returns info.import as strings: counts as decimal numbers,
// report URLs as they are. Empty when the process has no import report;
// Import tells that apart from an empty report.
func (p Process) ImportReport() map[string]string {
	rep, _ := p.Import()
	out := make(map[string]string, len(rep.Counts)+len(rep.Reports))
	for k, n := range rep.Counts {
		out[k] = strconv.FormatInt(n, 10)
	}
	for k, u := range rep.Reports {
		out[k] = u
	}
	return out
}

// GetProcess reads one process. The /processes family has only 100
// requests an hour on the general tier: poll sparingly, or use
// ListProcesses to check many at once.
func (c *Client) GetProcess(ctx context.Context, id int64) (Process, error) {
	var w processWire
	_, err := c.do(ctx, request{op: "processes.get", method: http.MethodGet,
		path: "/processes/" + strconv.FormatInt(id, 10)}, &w)
	if err != nil {
		return Process{}, err
	}
	return w.process(), nil
}

// MaxProcessPage is Brevo's largest page of /processes.
const MaxProcessPage = 50

// ListProcesses reads a page of processes, newest first: one call covers up
// to 50 processes of the hourly-limited family. Items may come without
// their report (see Process.Import): read those with GetProcess.
func (c *Client) ListProcesses(ctx context.Context, offset, limit int) ([]Process, error) {
	if limit <= 0 || limit > MaxProcessPage {
		limit = MaxProcessPage
	}
	q := pageQuery(offset, limit)
	q.Set("sort", "desc")
	var out struct {
		Processes []processWire `json:"processes"`
	}
	if _, err := c.do(ctx, request{op: "processes.list", method: http.MethodGet, path: "/processes", query: q}, &out); err != nil {
		return nil, err
	}
	ps := make([]Process, len(out.Processes))
	for i, w := range out.Processes {
		ps[i] = w.process()
	}
	return ps, nil
}
