package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// BrevoDemoKey is the API key the Brevo emulator accepts by default. It is
// public on purpose: the sandbox holds no real data.
const BrevoDemoKey = "sandbox-brevo-key"

// Defaults of BrevoOptions: Brevo's general-tier limits and documented
// maxima.
const (
	brevoDefaultContactsPerSecond = 10
	brevoDefaultContactsPerHour   = 36_000
	brevoDefaultOtherPerHour      = 100
	brevoDefaultEmailPerSecond    = 1_000
	brevoDefaultListMembersMax    = 150
	brevoDefaultImportMaxBytes    = 10 << 20
	brevoDefaultImportDelay       = 1500 * time.Millisecond
)

// BrevoOptions configure the Brevo emulator. Every zero value means the real
// value.
type BrevoOptions struct {
	// APIKeys are the keys accepted in the api-key header; default
	// BrevoDemoKey.
	APIKeys []string
	// ContactsPerSecond and ContactsPerHour limit the /v3/contacts family.
	ContactsPerSecond int
	ContactsPerHour   int
	// OtherPerHour limits every other endpoint (/v3/processes).
	OtherPerHour int
	// EmailPerSecond limits POST /v3/smtp/email.
	EmailPerSecond int
	// ListMembersMax is the most identifiers one list add/remove may carry.
	ListMembersMax int
	// ImportMaxBytes bounds the request body of POST /v3/contacts/import.
	ImportMaxBytes int
	// ImportDelay is how long an import process runs before it completes
	// and its contacts appear; negative means it completes at the next read.
	ImportDelay time.Duration
	// Language picks the names of the default name attributes: "fr" gives
	// PRENOM/NOM (as French accounts have), anything else FIRSTNAME/LASTNAME.
	Language string
	// Attributes replace the default attribute set (EMAIL, SMS, EXT_ID and
	// the two name attributes) when non-nil.
	Attributes []BrevoAttribute
	// RequireHTMLContent refuses POST /v3/smtp/email without htmlContent
	// (or a template), as Brevo's spec reads; by default text-only mail is
	// accepted, as Brevo does today.
	RequireHTMLContent bool
	// Now is the clock; default time.Now.
	Now func() time.Time

	// Plan is the account's plan type GET /account reports: free (the
	// default), payAsYouGo, subscription, or enterprise (a subscription
	// with "enterprise": true).
	Plan string
	// Senders are the account's senders (GET /senders); nil gives one
	// active sender.
	Senders []BrevoSender

	// The options below choose between behaviours nobody here has observed
	// on the real Brevo. Their zero values are the defaults BrevoVariants
	// starts from; every client must cope with every variant.

	// ImportKeepsExtID: an EXT_ID inside a JSON import row's attributes sets
	// the contact's ext_id and identifies the row. Brevo documents EXT_ID
	// as a column of file imports (fileBody, where the sandbox always
	// keeps it); for jsonBody it is undocumented, so the default is the
	// pessimistic case: dropped silently like any unknown attribute
	// (neither set nor used to match).
	ImportKeepsExtID bool
	// ProcessListInfo: GET /processes list items carry info (the import
	// report). GET /processes/{id} always does. The default is without, as
	// in Brevo's own mock of the list and its v4 spec marking it optional.
	ProcessListInfo bool
	// ImportConflicts decides an import row whose identifiers (EXT_ID,
	// email, SMS) belong to different existing contacts: "merge" (the
	// default, as Brevo's help center documents it) keeps and updates the
	// contact with the higher-priority identifier (EXT_ID > email > SMS)
	// and deletes the other; "duplicate" refuses the row and counts it
	// under the duplicate_* category of the lower-priority identifier.
	ImportConflicts string
	// ImportOutcome is how import processes end: "completed" (default),
	// "failed" or "cancelled". A failed or cancelled import applies no row
	// and carries no report.
	ImportOutcome string
	// ImportReportValues shapes info.import: "mixed" (default: counts as
	// numbers, invalid_emails and duplicate_email_id as URLs of CSV reports,
	// null when empty, as the v4 Python SDK types them), "counts" (all
	// numbers, as the v4 Node SDK and its mock) or "urls" (every category
	// with rows as a URL, null otherwise, as public client code reads them).
	ImportReportValues string
	// ContactExtIDTopLevel: contact reads (GET /contacts/{identifier} and
	// the listings) show the ext_id as a top-level "ext_id" field instead
	// of attributes.EXT_ID. The v4 spec shows neither; public client code
	// reads it among the attributes, the default.
	ContactExtIDTopLevel bool
	// LegacyProcessStatus makes running processes report "in_process", the
	// older spelling, instead of v4's "processing".
	LegacyProcessStatus bool
	// UnsubscribeKeepsModifiedAt: a person's unsubscribe (Unsubscribe, as
	// through a campaign's link) blocklists the contact without moving its
	// modifiedAt, so modifiedSince listings miss it. Nobody here has
	// observed which Brevo does; the default moves it.
	UnsubscribeKeepsModifiedAt bool
	// ImportUnblocklists: an import without emailBlacklist un-blocklists
	// the existing contacts it updates (its default false read as a value).
	// Brevo documents the flag only as blocklisting all rows when true;
	// the default leaves their blocklisting alone.
	ImportUnblocklists bool
}

// Values of BrevoOptions.ImportConflicts, ImportOutcome and
// ImportReportValues.
const (
	BrevoConflictsMerge     = "merge"
	BrevoConflictsDuplicate = "duplicate"

	BrevoImportCompleted = "completed"
	BrevoImportFailed    = "failed"
	BrevoImportCancelled = "cancelled"

	BrevoReportMixed  = "mixed"
	BrevoReportCounts = "counts"
	BrevoReportURLs   = "urls"
)

func (o BrevoOptions) withDefaults() BrevoOptions {
	if len(o.APIKeys) == 0 {
		o.APIKeys = []string{BrevoDemoKey}
	}
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&o.ContactsPerSecond, brevoDefaultContactsPerSecond)
	def(&o.ContactsPerHour, brevoDefaultContactsPerHour)
	def(&o.OtherPerHour, brevoDefaultOtherPerHour)
	def(&o.EmailPerSecond, brevoDefaultEmailPerSecond)
	def(&o.ListMembersMax, brevoDefaultListMembersMax)
	def(&o.ImportMaxBytes, brevoDefaultImportMaxBytes)
	switch {
	case o.ImportDelay == 0:
		o.ImportDelay = brevoDefaultImportDelay
	case o.ImportDelay < 0:
		o.ImportDelay = 0
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Plan == "" {
		o.Plan = "free"
	}
	if o.Senders == nil {
		o.Senders = brevoDefaultSenders
	}
	if o.ImportConflicts == "" {
		o.ImportConflicts = BrevoConflictsMerge
	}
	if o.ImportOutcome == "" {
		o.ImportOutcome = BrevoImportCompleted
	}
	if o.ImportReportValues == "" {
		o.ImportReportValues = BrevoReportMixed
	}
	return o
}

// Validate reports option values the emulator does not know, so that a
// misspelt flag fails at start rather than silently meaning the default.
func (o BrevoOptions) Validate() error {
	check := func(name, v string, allowed ...string) error {
		if v == "" {
			return nil
		}
		for _, a := range allowed {
			if v == a {
				return nil
			}
		}
		return fmt.Errorf("brevo %s %q: want one of %s", name, v, strings.Join(allowed, ", "))
	}
	return errors.Join(
		check("import conflicts", o.ImportConflicts, BrevoConflictsMerge, BrevoConflictsDuplicate),
		check("import outcome", o.ImportOutcome, BrevoImportCompleted, BrevoImportFailed, BrevoImportCancelled),
		check("import report values", o.ImportReportValues, BrevoReportMixed, BrevoReportCounts, BrevoReportURLs),
	)
}

// BrevoVariant is one combination of the unobserved behaviours that
// BrevoVariants enumerates.
type BrevoVariant struct {
	// Name reads like "extid=kept,info=absent,conflicts=merge".
	Name string
	// Apply sets the variant's options on o and returns it.
	Apply func(o BrevoOptions) BrevoOptions
}

// BrevoVariants returns every combination of ImportKeepsExtID,
// ProcessListInfo and ImportConflicts, the defaults first, and the
// defaults with ImportUnblocklists, so that a test can run the same
// scenario against each.
func BrevoVariants() []BrevoVariant {
	var out []BrevoVariant
	for _, keep := range []bool{false, true} {
		for _, info := range []bool{false, true} {
			for _, conflicts := range []string{BrevoConflictsMerge, BrevoConflictsDuplicate} {
				keep, info, conflicts := keep, info, conflicts
				name := fmt.Sprintf("extid=%s,info=%s,conflicts=%s",
					map[bool]string{false: "dropped", true: "kept"}[keep],
					map[bool]string{false: "absent", true: "listed"}[info], conflicts)
				out = append(out, BrevoVariant{Name: name, Apply: func(o BrevoOptions) BrevoOptions {
					o.ImportKeepsExtID, o.ProcessListInfo, o.ImportConflicts = keep, info, conflicts
					return o
				}})
			}
		}
	}
	// Whether an import clears the blocklisting of the contacts it updates
	// is independent of the rest: one more variant, not twice as many.
	defaults := out[0]
	return append(out, BrevoVariant{Name: defaults.Name + ",import=unblocklists", Apply: func(o BrevoOptions) BrevoOptions {
		o = defaults.Apply(o)
		o.ImportUnblocklists = true
		return o
	}})
}

// BrevoAttribute is a contact attribute of the emulated account.
type BrevoAttribute struct {
	Name     string `json:"name"`
	Category string `json:"category"`
	// Type is text, date, float, boolean, multiple-choice (normal), id
	// (transactional); category attributes report "text" as Brevo does.
	Type                 string           `json:"type,omitempty"`
	Enumeration          []BrevoEnumValue `json:"enumeration,omitempty"`
	MultiCategoryOptions []string         `json:"multiCategoryOptions,omitempty"`
}

// BrevoEnumValue is one option of a category attribute.
type BrevoEnumValue struct {
	Value int    `json:"value"`
	Label string `json:"label"`
}

func brevoDefaultAttributes(language string) []BrevoAttribute {
	first, last := "FIRSTNAME", "LASTNAME"
	if strings.EqualFold(language, "fr") {
		first, last = "PRENOM", "NOM"
	}
	text := func(n string) BrevoAttribute { return BrevoAttribute{Name: n, Category: "normal", Type: "text"} }
	return []BrevoAttribute{text("EMAIL"), text("SMS"), text(first), text(last), text("EXT_ID")}
}

// BrevoContact is a contact of the emulated account. Email, SMS and ExtID
// are its identifiers; Attributes holds every other attribute (the API
// shows SMS and EXT_ID among the attributes as Brevo does).
type BrevoContact struct {
	ID               int64          `json:"id"`
	Email            string         `json:"email,omitempty"`
	SMS              string         `json:"sms,omitempty"`
	ExtID            string         `json:"extId,omitempty"`
	Attributes       map[string]any `json:"attributes"`
	EmailBlacklisted bool           `json:"emailBlacklisted"`
	SMSBlacklisted   bool           `json:"smsBlacklisted"`
	ListIDs          []int64        `json:"listIds"`
	CreatedAt        time.Time      `json:"createdAt"`
	ModifiedAt       time.Time      `json:"modifiedAt"`
}

func (c *BrevoContact) clone() *BrevoContact {
	cp := *c
	cp.Attributes = make(map[string]any, len(c.Attributes))
	for k, v := range c.Attributes {
		cp.Attributes[k] = v
	}
	cp.ListIDs = append([]int64{}, c.ListIDs...)
	return &cp
}

func (c *BrevoContact) inList(id int64) bool {
	i := sort.Search(len(c.ListIDs), func(i int) bool { return c.ListIDs[i] >= id })
	return i < len(c.ListIDs) && c.ListIDs[i] == id
}

func (c *BrevoContact) addList(id int64) bool {
	if c.inList(id) {
		return false
	}
	c.ListIDs = append(c.ListIDs, id)
	sort.Slice(c.ListIDs, func(i, j int) bool { return c.ListIDs[i] < c.ListIDs[j] })
	return true
}

func (c *BrevoContact) removeList(id int64) bool {
	for i, l := range c.ListIDs {
		if l == id {
			c.ListIDs = append(c.ListIDs[:i], c.ListIDs[i+1:]...)
			return true
		}
	}
	return false
}

// BrevoList is a contact list.
type BrevoList struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	FolderID  int64     `json:"folderId"`
	CreatedAt time.Time `json:"createdAt"`
}

// BrevoFolder is a folder of lists.
type BrevoFolder struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// BrevoEmail is a transactional email the emulator accepted.
type BrevoEmail struct {
	MessageID      string    `json:"messageId"`
	Sender         string    `json:"sender"`
	To             []string  `json:"to"`
	Subject        string    `json:"subject"`
	TextContent    string    `json:"textContent,omitempty"`
	HTMLContent    string    `json:"htmlContent,omitempty"`
	Tags           []string  `json:"tags,omitempty"`
	IdempotencyKey string    `json:"idempotencyKey,omitempty"`
	SentAt         time.Time `json:"sentAt"`
}

// BrevoFamilyStats counts the calls of one rate-limit family.
type BrevoFamilyStats struct {
	Calls       int64 `json:"calls"`
	RateLimited int64 `json:"rateLimited"`
}

// BrevoStats is what the emulator has seen, for tests and the demo.
type BrevoStats struct {
	// Families are keyed contacts, other, email.
	Families map[string]BrevoFamilyStats `json:"families"`
	// Endpoints count calls per route pattern, e.g. "POST /v3/contacts".
	Endpoints    map[string]int64 `json:"endpoints"`
	Unauthorized int64            `json:"unauthorized"`
	// ContactWrites = ContactsCreated + ContactsUpdated, whichever endpoint
	// (upsert, update, batch, import) made them.
	ContactWrites   int64 `json:"contactWrites"`
	ContactsCreated int64 `json:"contactsCreated"`
	ContactsUpdated int64 `json:"contactsUpdated"`
	// ContactsDeleted counts contacts deleted by DELETE /contacts/{id} or
	// merged away by an import.
	ContactsDeleted int64 `json:"contactsDeleted"`
	// ListChanges counts memberships added or removed by the list endpoints.
	ListChanges int64 `json:"listChanges"`
	EmailsSent  int64 `json:"emailsSent"`
}

// Rate-limit families of the emulated account.
const (
	brevoFamContacts = "contacts"
	brevoFamOther    = "other"
	brevoFamEmail    = "email"
)

// Brevo emulates the Brevo API v3 endpoints the sync uses. All methods are
// safe for concurrent use.
type Brevo struct {
	opts BrevoOptions
	keys map[string]bool

	contactsSecond, contactsHour, other, email *rollingLimit

	mu         sync.Mutex
	contacts   map[int64]*BrevoContact
	byEmail    map[string]int64
	bySMS      map[string]int64
	byExtID    map[string]int64
	lists      map[int64]*BrevoList
	folders    map[int64]*BrevoFolder
	attrs      []*BrevoAttribute
	processes  map[int64]*brevoProcess
	emails     []BrevoEmail
	emailByKey map[string]string
	nextID     struct{ contact, list, folder, process, message int64 }
	stats      BrevoStats
}

// NewBrevo builds an emulator with the default attributes, folder 1
// "HubSpot sync" and list 1 "Newsletter" in it.
func NewBrevo(o BrevoOptions) *Brevo {
	o = o.withDefaults()
	b := &Brevo{
		opts:           o,
		keys:           map[string]bool{},
		contactsSecond: newRollingLimit(o.ContactsPerSecond, time.Second),
		contactsHour:   newRollingLimit(o.ContactsPerHour, time.Hour),
		other:          newRollingLimit(o.OtherPerHour, time.Hour),
		email:          newRollingLimit(o.EmailPerSecond, time.Second),
		contacts:       map[int64]*BrevoContact{},
		byEmail:        map[string]int64{},
		bySMS:          map[string]int64{},
		byExtID:        map[string]int64{},
		lists:          map[int64]*BrevoList{},
		folders:        map[int64]*BrevoFolder{},
		processes:      map[int64]*brevoProcess{},
		emailByKey:     map[string]string{},
		stats: BrevoStats{
			Families:  map[string]BrevoFamilyStats{},
			Endpoints: map[string]int64{},
		},
	}
	for _, k := range o.APIKeys {
		b.keys[k] = true
	}
	attrs := o.Attributes
	if attrs == nil {
		attrs = brevoDefaultAttributes(o.Language)
	}
	for _, a := range attrs {
		a := a
		a.Name = strings.ToUpper(a.Name)
		b.attrs = append(b.attrs, &a)
	}
	folder := b.CreateFolder("HubSpot sync")
	if _, err := b.CreateList("Newsletter", folder); err != nil {
		panic(err) // the folder was just created
	}
	return b
}

func (b *Brevo) now() time.Time { return b.opts.Now() }

// register mounts the API under /v3 and the admin endpoints under
// /_sandbox/brevo.
func (b *Brevo) register(mux *http.ServeMux) {
	c, o, e := brevoFamContacts, brevoFamOther, brevoFamEmail
	b.route(mux, "POST /v3/contacts", c, b.handleCreateContact)
	b.route(mux, "GET /v3/contacts", c, b.handleContacts)
	b.route(mux, "GET /v3/contacts/{identifier}", c, b.handleGetContact)
	b.route(mux, "DELETE /v3/contacts/{identifier}", c, b.handleDeleteContact)
	b.route(mux, "PUT /v3/contacts/{identifier}", c, b.handleUpdateContact)
	b.route(mux, "POST /v3/contacts/batch", c, b.handleBatch)
	b.route(mux, "POST /v3/contacts/import", c, b.handleImport)
	b.route(mux, "GET /v3/contacts/lists", c, b.handleLists)
	b.route(mux, "POST /v3/contacts/lists", c, b.handleCreateList)
	b.route(mux, "GET /v3/contacts/lists/{id}", c, b.handleGetList)
	b.route(mux, "GET /v3/contacts/lists/{id}/contacts", c, b.handleListContacts)
	b.route(mux, "POST /v3/contacts/lists/{id}/contacts/add", c, b.handleListAdd)
	b.route(mux, "POST /v3/contacts/lists/{id}/contacts/remove", c, b.handleListRemove)
	b.route(mux, "GET /v3/contacts/folders", c, b.handleFolders)
	b.route(mux, "POST /v3/contacts/folders", c, b.handleCreateFolder)
	b.route(mux, "GET /v3/contacts/attributes", c, b.handleAttributes)
	b.route(mux, "POST /v3/contacts/attributes/{category}/{name}", c, b.handleCreateAttribute)
	b.route(mux, "GET /v3/processes", o, b.handleProcesses)
	b.route(mux, "GET /v3/processes/{id}", o, b.handleProcess)
	b.route(mux, "GET /v3/account", o, b.handleAccount)
	b.route(mux, "GET /v3/senders", o, b.handleSenders)
	b.route(mux, "POST /v3/smtp/email", e, b.handleSendEmail)
	mux.HandleFunc("/v3/", func(w http.ResponseWriter, r *http.Request) {
		b.fail(w, &brevoError{status: http.StatusNotFound, code: "document_not_found",
			msg: "The sandbox does not emulate " + r.Method + " " + r.URL.Path})
	})

	b.registerDeletes(mux)
	b.registerAdmin(mux)
	b.registerUnsubscribe(mux)
	mux.HandleFunc("GET /_sandbox/brevo/state", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, b.State())
	})
	mux.HandleFunc("GET /_sandbox/brevo/stats", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, b.Stats())
	})
	mux.HandleFunc("GET /_sandbox/brevo/processes/{id}/{report}", b.handleImportReport)
}

// route wraps an API handler with what every Brevo endpoint does first:
// count, authenticate, apply the family's rate limit. The Date header is
// the emulator's clock, the one its modifiedAt times come from, as a real
// server's are one clock.
func (b *Brevo) route(mux *http.ServeMux, pattern, family string, h http.HandlerFunc) {
	mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Date", b.now().UTC().Format(http.TimeFormat))
		b.mu.Lock()
		b.stats.Endpoints[pattern]++
		fs := b.stats.Families[family]
		fs.Calls++
		b.stats.Families[family] = fs
		b.mu.Unlock()

		if !b.keys[r.Header.Get("api-key")] {
			b.mu.Lock()
			b.stats.Unauthorized++
			b.mu.Unlock()
			b.fail(w, &brevoError{status: http.StatusUnauthorized, code: "unauthorized", msg: "Key not found"})
			return
		}
		if !b.admit(w, family) {
			b.mu.Lock()
			fs := b.stats.Families[family]
			fs.RateLimited++
			b.stats.Families[family] = fs
			b.mu.Unlock()
			// Brevo's 429 body has no code, and there is no Retry-After.
			writeJSON(w, http.StatusTooManyRequests, map[string]string{"message": "Too Many Requests"})
			return
		}
		h(w, r)
	})
}

// admit applies the family's limits and sets the x-sib-ratelimit-* headers.
// Where two limits apply (contacts: per second and per hour) the headers
// describe the one with fewer requests left, or the one that refused.
func (b *Brevo) admit(w http.ResponseWriter, family string) bool {
	now := b.now()
	type verdict struct {
		ok        bool
		limit     int
		remaining int
		reset     time.Duration
	}
	check := func(l *rollingLimit) verdict {
		ok, rem, reset := l.admit(now)
		return verdict{ok, l.limit, rem, reset}
	}
	var vs []verdict
	switch family {
	case brevoFamContacts:
		vs = append(vs, check(b.contactsSecond))
		if vs[0].ok {
			vs = append(vs, check(b.contactsHour))
		}
	case brevoFamEmail:
		vs = append(vs, check(b.email))
	default:
		vs = append(vs, check(b.other))
	}
	show := vs[0]
	for _, v := range vs[1:] {
		if !v.ok || v.remaining < show.remaining {
			show = v
		}
	}
	h := w.Header()
	h.Set("x-sib-ratelimit-limit", strconv.Itoa(show.limit))
	h.Set("x-sib-ratelimit-remaining", strconv.Itoa(show.remaining))
	h.Set("x-sib-ratelimit-reset", strconv.Itoa(int(math.Ceil(show.reset.Seconds()))))
	return show.ok
}

// brevoError is Brevo's error body plus its status.
type brevoError struct {
	status int
	code   string
	msg    string
	dup    []string
}

func (b *Brevo) fail(w http.ResponseWriter, e *brevoError) {
	body := map[string]any{"code": e.code, "message": e.msg}
	if len(e.dup) > 0 {
		body["metadata"] = map[string]any{"duplicate_identifiers": e.dup}
	}
	writeJSON(w, e.status, body)
}

func brevoInvalid(format string, args ...any) *brevoError {
	return &brevoError{status: http.StatusBadRequest, code: "invalid_parameter", msg: fmt.Sprintf(format, args...)}
}

func brevoMissing(format string, args ...any) *brevoError {
	return &brevoError{status: http.StatusBadRequest, code: "missing_parameter", msg: fmt.Sprintf(format, args...)}
}

func brevoNotFound(msg string) *brevoError {
	return &brevoError{status: http.StatusNotFound, code: "document_not_found", msg: msg}
}

// decode reads a JSON body; a body Brevo could not parse is a 400.
func (b *Brevo) decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := readJSON(r, w, v); err != nil {
		b.fail(w, brevoInvalid("Invalid request body: %v", err))
		return false
	}
	return true
}

// page reads limit/offset/sort with Brevo's defaults and maxima; a limit
// over the maximum is a 400, not a silent clamp.
func (b *Brevo) page(w http.ResponseWriter, r *http.Request, defLimit, maxLimit int) (offset, limit int, desc bool, ok bool) {
	q := r.URL.Query()
	limit, offset, desc = defLimit, 0, true
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			b.fail(w, brevoInvalid("limit must be a non-negative integer"))
			return 0, 0, false, false
		}
		if n > maxLimit {
			b.fail(w, &brevoError{status: http.StatusBadRequest, code: "out_of_range",
				msg: fmt.Sprintf("Limit exceeds max value: %d", maxLimit)})
			return 0, 0, false, false
		}
		limit = n
	}
	if v := q.Get("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			b.fail(w, brevoInvalid("offset must be a non-negative integer"))
			return 0, 0, false, false
		}
		offset = n
	}
	switch q.Get("sort") {
	case "", "desc":
	case "asc":
		desc = false
	default:
		b.fail(w, brevoInvalid("sort must be asc or desc"))
		return 0, 0, false, false
	}
	return offset, limit, desc, true
}

// brevoPage cuts one page out of items sorted ascending by id.
func brevoPage[T any](items []T, offset, limit int, desc bool) []T {
	if desc {
		for i, j := 0, len(items)-1; i < j; i, j = i+1, j-1 {
			items[i], items[j] = items[j], items[i]
		}
	}
	if offset >= len(items) {
		return []T{}
	}
	return items[offset:min(offset+limit, len(items))]
}

func brevoTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z07:00")
}

// ---- Go API for tests and the demo -------------------------------------

// Contacts returns a copy of every contact, by id.
func (b *Brevo) Contacts() []BrevoContact {
	defer b.lockSettled()()
	return b.sortedContactsLocked(func(*BrevoContact) bool { return true })
}

func (b *Brevo) sortedContactsLocked(keep func(*BrevoContact) bool) []BrevoContact {
	out := []BrevoContact{}
	for _, c := range b.contacts {
		if keep(c) {
			out = append(out, *c.clone())
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// ContactByExtID finds a contact by EXT_ID.
func (b *Brevo) ContactByExtID(extID string) (BrevoContact, bool) {
	defer b.lockSettled()()
	return b.contactByIndexLocked(b.byExtID, extID)
}

// ContactByEmail finds a contact by email (case-insensitive).
func (b *Brevo) ContactByEmail(email string) (BrevoContact, bool) {
	defer b.lockSettled()()
	return b.contactByIndexLocked(b.byEmail, strings.ToLower(strings.TrimSpace(email)))
}

func (b *Brevo) contactByIndexLocked(idx map[string]int64, key string) (BrevoContact, bool) {
	id, ok := idx[key]
	if !ok || key == "" {
		return BrevoContact{}, false
	}
	return *b.contacts[id].clone(), true
}

// ListMembers returns the contacts in a list, by id.
func (b *Brevo) ListMembers(listID int64) []BrevoContact {
	defer b.lockSettled()()
	return b.sortedContactsLocked(func(c *BrevoContact) bool { return c.inList(listID) })
}

// Lists returns every list, by id.
func (b *Brevo) Lists() []BrevoList {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.listsLocked()
}

func (b *Brevo) listsLocked() []BrevoList {
	out := make([]BrevoList, 0, len(b.lists))
	for _, l := range b.lists {
		out = append(out, *l)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Folders returns every folder, by id.
func (b *Brevo) Folders() []BrevoFolder {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.foldersLocked()
}

func (b *Brevo) foldersLocked() []BrevoFolder {
	out := make([]BrevoFolder, 0, len(b.folders))
	for _, f := range b.folders {
		out = append(out, *f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Emails returns the transactional emails accepted so far, in order.
func (b *Brevo) Emails() []BrevoEmail {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]BrevoEmail{}, b.emails...)
}

// CreateFolder adds a folder and returns its id.
func (b *Brevo) CreateFolder(name string) int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.createFolderLocked(name)
}

func (b *Brevo) createFolderLocked(name string) int64 {
	b.nextID.folder++
	b.folders[b.nextID.folder] = &BrevoFolder{ID: b.nextID.folder, Name: name}
	return b.nextID.folder
}

// CreateList adds a list to an existing folder and returns its id.
func (b *Brevo) CreateList(name string, folderID int64) (int64, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if e := b.checkNewListLocked(name, folderID); e != nil {
		return 0, fmt.Errorf("%s", e.msg)
	}
	return b.createListLocked(name, folderID), nil
}

func (b *Brevo) createListLocked(name string, folderID int64) int64 {
	b.nextID.list++
	b.lists[b.nextID.list] = &BrevoList{ID: b.nextID.list, Name: name, FolderID: folderID, CreatedAt: b.now()}
	return b.nextID.list
}

// CreateAttribute adds a contact attribute, with the API's validation.
func (b *Brevo) CreateAttribute(a BrevoAttribute) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if e := b.createAttributeLocked(a); e != nil {
		return fmt.Errorf("%s", e.msg)
	}
	return nil
}

// AddContact stores a contact as given (for seeding, e.g. one that is
// already blacklisted in Brevo) after the API's uniqueness checks; the id is
// assigned.
func (b *Brevo) AddContact(c BrevoContact) (int64, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	ch := brevoChange{attrs: map[string]any{}, emailBL: &c.EmailBlacklisted, smsBL: &c.SMSBlacklisted, addLists: c.ListIDs}
	if c.Email != "" {
		e := strings.ToLower(c.Email)
		ch.email = &e
	}
	if c.SMS != "" {
		s, ok := brevoNormalizePhone(c.SMS)
		if !ok {
			return 0, fmt.Errorf("invalid phone number %q", c.SMS)
		}
		ch.sms = &s
	}
	if c.ExtID != "" {
		ch.extID = &c.ExtID
	}
	for k, v := range c.Attributes {
		ch.attrs[k] = v
	}
	if e := b.checkListsLocked(ch.addLists); e != nil {
		return 0, fmt.Errorf("%s", e.msg)
	}
	if e := b.checkUniqueLocked(nil, ch, "create"); e != nil {
		return 0, fmt.Errorf("%s", e.msg)
	}
	if ch.email == nil && ch.sms == nil && ch.extID == nil {
		return 0, fmt.Errorf("a contact needs an email, SMS or ext_id")
	}
	return b.createContactLocked(ch).ID, nil
}

// Stats returns a copy of the counters.
func (b *Brevo) Stats() BrevoStats {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.stats
	s.Families = make(map[string]BrevoFamilyStats, len(b.stats.Families))
	for k, v := range b.stats.Families {
		s.Families[k] = v
	}
	s.Endpoints = make(map[string]int64, len(b.stats.Endpoints))
	for k, v := range b.stats.Endpoints {
		s.Endpoints[k] = v
	}
	return s
}

// BrevoListState is a list with its member count, for the state endpoint.
type BrevoListState struct {
	BrevoList
	Members int `json:"members"`
}

// BrevoState is everything the emulator holds (GET /_sandbox/brevo/state).
type BrevoState struct {
	Contacts   []BrevoContact   `json:"contacts"`
	Lists      []BrevoListState `json:"lists"`
	Folders    []BrevoFolder    `json:"folders"`
	Attributes []BrevoAttribute `json:"attributes"`
	Processes  []BrevoProcess   `json:"processes"`
	Emails     []BrevoEmail     `json:"emails"`
}

// State returns a snapshot of the whole account.
func (b *Brevo) State() BrevoState {
	defer b.lockSettled()()
	s := BrevoState{
		Contacts: b.sortedContactsLocked(func(*BrevoContact) bool { return true }),
		Folders:  b.foldersLocked(),
		Emails:   append([]BrevoEmail{}, b.emails...),
	}
	counts := b.memberCountsLocked()
	for _, l := range b.listsLocked() {
		s.Lists = append(s.Lists, BrevoListState{BrevoList: l, Members: counts[l.ID].members})
	}
	for _, a := range b.attrs {
		s.Attributes = append(s.Attributes, *a)
	}
	s.Processes = b.processesLocked()
	return s
}

type brevoCounts struct{ members, blacklisted int }

func (b *Brevo) memberCountsLocked() map[int64]brevoCounts {
	out := map[int64]brevoCounts{}
	for _, c := range b.contacts {
		for _, l := range c.ListIDs {
			n := out[l]
			n.members++
			if c.EmailBlacklisted {
				n.blacklisted++
			}
			out[l] = n
		}
	}
	return out
}

// brevoQueryInt64 parses a path id.
func brevoPathID(r *http.Request, name string) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	return id, err == nil && id > 0
}

// brevoJSONNumber renders a JSON value for messages.
func brevoJSONValue(v any) string {
	raw, _ := json.Marshal(v)
	return string(raw)
}
