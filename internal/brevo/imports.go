package brevo

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
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

// Process statuses. queued/in_process/completed are the original set; the
// v4 contract adds processing, failed and cancelled.
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
	// info.import differ between sources (URLs of CSV reports, counts), so
	// it stays raw; see ImportReport.
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

// Done reports whether the process has finished, successfully or not.
// Unknown statuses count as still running: Brevo has added statuses before,
// and the caller's timeout bounds the wait.
func (p Process) Done() bool {
	return p.Status == ProcessCompleted || p.Failed()
}

// Failed reports whether the process ended without completing.
func (p Process) Failed() bool {
	return p.Status == ProcessFailed || p.Status == ProcessCancelled
}

// ImportReport returns info.import as strings: counts as decimal numbers,
// report URLs as they are. Empty when the process has no import report.
func (p Process) ImportReport() map[string]string {
	var info struct {
		Import map[string]any `json:"import"`
	}
	if len(p.Info) == 0 || json.Unmarshal(p.Info, &info) != nil {
		return map[string]string{}
	}
	out := make(map[string]string, len(info.Import))
	for k, v := range info.Import {
		if v != nil {
			out[k] = attributeString(v)
		}
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
// to 50 processes of the hourly-limited family.
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
