package brevo

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"hubspot-brevo-sync/internal/httpx"
)

// IdentifierType says how the identifier in /contacts/{identifier} is to be
// read. Without it Brevo guesses (GET: email, id or SMS; PUT: email or id
// only), so the sync always says.
type IdentifierType string

const (
	IdentifierEmail     IdentifierType = "email_id"
	IdentifierContactID IdentifierType = "contact_id"
	IdentifierExtID     IdentifierType = "ext_id"
	IdentifierPhone     IdentifierType = "phone_id"
	IdentifierWhatsApp  IdentifierType = "whatsapp_id"
	IdentifierLandline  IdentifierType = "landline_number_id"
)

// Bool returns a pointer to v, for the tri-state blacklist flags.
func Bool(v bool) *bool { return &v }

// ContactUpsert is the body of POST /contacts.
//
// The blacklist flags are tri-state on purpose: nil leaves Brevo's value
// alone, and only an explicit false un-blacklists. Sending false by default
// would resubscribe everyone who unsubscribed in Brevo.
type ContactUpsert struct {
	Email string `json:"email,omitempty"`
	ExtID string `json:"ext_id,omitempty"`
	// Attributes are keyed by upper-case attribute names that exist in the
	// account; SMS goes here.
	Attributes       map[string]any `json:"attributes,omitempty"`
	EmailBlacklisted *bool          `json:"emailBlacklisted,omitempty"`
	SMSBlacklisted   *bool          `json:"smsBlacklisted,omitempty"`
	// ListIDs are added to; upsert never removes a list.
	ListIDs []int64 `json:"listIds,omitempty"`
	// UpdateEnabled turns the create into an upsert. Which existing contact
	// it matches when email and ext_id point to different contacts is not
	// documented (reference §12).
	UpdateEnabled bool `json:"updateEnabled,omitempty"`
}

// UpsertResult reports what POST /contacts did. Brevo returns the id only
// when it created the contact (201); an update is a bare 204.
type UpsertResult struct {
	Created bool
	ID      int64
}

// identifierAttributes can identify a contact on create besides email and
// ext_id.
var identifierAttributes = []string{"SMS", "WHATSAPP", "LANDLINE_NUMBER", "EXT_ID"}

// UpsertContact creates a contact or, with UpdateEnabled, updates the one
// that matches. A uniqueness conflict on any identifier (say an SMS number
// already on another contact) refuses the whole call with KindDuplicate and
// Fields naming the identifiers.
func (c *Client) UpsertContact(ctx context.Context, u ContactUpsert) (UpsertResult, error) {
	const op = "contacts.upsert"
	if u.Email == "" && u.ExtID == "" && !hasAnyAttribute(u.Attributes, identifierAttributes) {
		return UpsertResult{}, invalidArgument(op, "a contact needs an email, an ext_id or an SMS attribute")
	}
	var out struct {
		ID int64 `json:"id"`
	}
	status, err := c.do(ctx, request{op: op, method: http.MethodPost, path: "/contacts", body: u}, &out)
	if err != nil {
		return UpsertResult{}, err
	}
	return UpsertResult{Created: status == http.StatusCreated, ID: out.ID}, nil
}

func hasAnyAttribute(attrs map[string]any, names []string) bool {
	for _, n := range names {
		if v, ok := attrs[n]; ok && v != nil && v != "" {
			return true
		}
	}
	return false
}

// ContactUpdate is the body of PUT /contacts/{identifier}. To change the
// email, set Attributes["EMAIL"] — and only when it really changes: Brevo
// has answered an echo of the current address with "Contact already exist".
// Changing the email of a blacklisted contact un-blacklists it (Brevo's
// documented side effect), so callers must decide that deliberately.
type ContactUpdate struct {
	Attributes       map[string]any `json:"attributes,omitempty"`
	ExtID            string         `json:"ext_id,omitempty"`
	EmailBlacklisted *bool          `json:"emailBlacklisted,omitempty"`
	SMSBlacklisted   *bool          `json:"smsBlacklisted,omitempty"`
	ListIDs          []int64        `json:"listIds,omitempty"`
	UnlinkListIDs    []int64        `json:"unlinkListIds,omitempty"`
}

// UpdateContact updates one existing contact.
func (c *Client) UpdateContact(ctx context.Context, identifier string, idType IdentifierType, u ContactUpdate) error {
	const op = "contacts.update"
	if identifier == "" {
		return invalidArgument(op, "empty contact identifier")
	}
	_, err := c.do(ctx, request{op: op, method: http.MethodPut, path: "/contacts/" + segment(identifier),
		query: identifierQuery(idType), body: u}, nil)
	return err
}

func identifierQuery(t IdentifierType) url.Values {
	if t == "" {
		return nil
	}
	return url.Values{"identifierType": {string(t)}}
}

// Contact is a contact as GET /contacts/{identifier} and the contact
// listings return it.
type Contact struct {
	ID    int64
	Email string
	// ExtID is read from a top-level ext_id (or extId) when Brevo sends
	// one, else from attributes.EXT_ID. The v4 spec shows neither in its
	// responses; EXT_ID among the attributes is what public client code
	// observes, and the spec calls it "the EXT_ID attribute".
	ExtID string
	// SMS is attributes.SMS reduced to digits (see NormalizeSMS): Brevo
	// shows numbers without "+", so compare through NormalizeSMS.
	SMS              string
	Attributes       map[string]any
	EmailBlacklisted bool
	SMSBlacklisted   bool
	ListIDs          []int64
	// ListUnsubscribed is only present when per-list unsubscription is on.
	ListUnsubscribed []int64
	CreatedAt        time.Time
	ModifiedAt       time.Time
}

type contactWire struct {
	ID               int64          `json:"id"`
	Email            string         `json:"email"`
	ExtID            any            `json:"ext_id"`
	ExtIDCamel       any            `json:"extId"`
	Attributes       map[string]any `json:"attributes"`
	EmailBlacklisted bool           `json:"emailBlacklisted"`
	SMSBlacklisted   bool           `json:"smsBlacklisted"`
	ListIDs          []int64        `json:"listIds"`
	ListUnsubscribed []int64        `json:"listUnsubscribed"`
	CreatedAt        string         `json:"createdAt"`
	ModifiedAt       string         `json:"modifiedAt"`
}

func (w contactWire) contact() Contact {
	c := Contact{
		ID: w.ID, Email: w.Email, Attributes: w.Attributes,
		EmailBlacklisted: w.EmailBlacklisted, SMSBlacklisted: w.SMSBlacklisted,
		ListIDs: w.ListIDs, ListUnsubscribed: w.ListUnsubscribed,
		CreatedAt: parseTime(w.CreatedAt), ModifiedAt: parseTime(w.ModifiedAt),
	}
	if c.Attributes == nil {
		c.Attributes = map[string]any{}
	}
	for _, v := range []any{w.ExtID, w.ExtIDCamel, c.Attributes["EXT_ID"]} {
		if v != nil && attributeString(v) != "" {
			c.ExtID = attributeString(v)
			break
		}
	}
	if v, ok := c.Attributes["SMS"]; ok && v != nil {
		c.SMS = NormalizeSMS(attributeString(v))
	}
	return c
}

// NormalizeSMS reduces a phone number to the digits Brevo stores: "+",
// spaces and punctuation go, and so does a leading international "00"
// ("0033 6..." and "+33 6..." are the same number). It does not add a
// missing country code.
func NormalizeSMS(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	d := b.String()
	if strings.HasPrefix(strings.TrimSpace(s), "00") {
		d = strings.TrimPrefix(d, "00")
	}
	return d
}

// attributeString renders an attribute value the way it was meant: JSON
// numbers arrive as float64, and an ext_id of 12345 must not read "12345.0".
func attributeString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	default:
		return fmt.Sprint(x)
	}
}

// parseTime reads Brevo's timestamps ("2017-05-02T16:40:31Z", also with
// milliseconds and an offset). An unreadable one is left zero rather than
// failing the whole contact.
func parseTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t
}

// GetContact reads one contact; KindNotFound when it does not exist.
func (c *Client) GetContact(ctx context.Context, identifier string, idType IdentifierType) (Contact, error) {
	const op = "contacts.get"
	if identifier == "" {
		return Contact{}, invalidArgument(op, "empty contact identifier")
	}
	var w contactWire
	if _, err := c.do(ctx, request{op: op, method: http.MethodGet, path: "/contacts/" + segment(identifier),
		query: identifierQuery(idType)}, &w); err != nil {
		return Contact{}, err
	}
	return w.contact(), nil
}

// MaxBatchContacts is how many contacts one POST /contacts/batch carries.
// Brevo documents no maximum; public integrations use 100.
const MaxBatchContacts = 100

// BatchContactUpdate is one item of POST /contacts/batch: exactly one of
// Email, ID and SMS identifies the contact. ExtID here sets EXT_ID; it is
// not a lookup key.
type BatchContactUpdate struct {
	Email            string         `json:"email,omitempty"`
	ID               int64          `json:"id,omitempty"`
	SMS              string         `json:"sms,omitempty"`
	ExtID            string         `json:"ext_id,omitempty"`
	Attributes       map[string]any `json:"attributes,omitempty"`
	EmailBlacklisted *bool          `json:"emailBlacklisted,omitempty"`
	SMSBlacklisted   *bool          `json:"smsBlacklisted,omitempty"`
	ListIDs          []int64        `json:"listIds,omitempty"`
	UnlinkListIDs    []int64        `json:"unlinkListIds,omitempty"`
}

func (u BatchContactUpdate) identifier() (string, int) {
	n := 0
	id := ""
	if u.Email != "" {
		n, id = n+1, u.Email
	}
	if u.ID != 0 {
		n, id = n+1, strconv.FormatInt(u.ID, 10)
	}
	if u.SMS != "" {
		n, id = n+1, u.SMS
	}
	return id, n
}

var batchIndexes = regexp.MustCompile(`indexes\s+([\d,\s]+)`)

// UpdateContactsBatch updates existing contacts in calls of
// MaxBatchContacts. Each call is all-or-nothing on Brevo's side (one unknown
// contact fails it with 404 and nothing in it is applied), but calls before
// a failing one stay applied. On a 404 the error's message is rewritten to
// indexes into items and Fields lists the identifiers of the contacts not
// found, so the caller can create them and retry.
func (c *Client) UpdateContactsBatch(ctx context.Context, items []BatchContactUpdate) error {
	const op = "contacts.batch"
	for i, it := range items {
		if _, n := it.identifier(); n != 1 {
			return invalidArgument(op, fmt.Sprintf("item %d: exactly one of email, id and sms must identify the contact (got %d)", i, n))
		}
	}
	for start := 0; start < len(items); start += MaxBatchContacts {
		chunk := items[start:min(start+MaxBatchContacts, len(items))]
		body := struct {
			Contacts []BatchContactUpdate `json:"contacts"`
		}{chunk}
		_, err := c.do(ctx, request{op: op, method: http.MethodPost, path: "/contacts/batch", body: body}, nil)
		if err != nil {
			return batchError(err, chunk, start)
		}
	}
	return nil
}

func batchError(err error, chunk []BatchContactUpdate, start int) error {
	var e *httpx.Error
	if !errors.As(err, &e) {
		return err
	}
	applied := ""
	if start > 0 {
		applied = fmt.Sprintf("; items 0-%d were applied", start-1)
	}
	if e.Kind == httpx.KindNotFound {
		if m := batchIndexes.FindStringSubmatch(e.Message); m != nil {
			var global []string
			var fields []string
			inRange := true
			for _, f := range strings.Split(m[1], ",") {
				i, convErr := strconv.Atoi(strings.TrimSpace(f))
				if convErr != nil {
					continue
				}
				if i < 0 || i >= len(chunk) {
					inRange = false
					continue
				}
				global = append(global, strconv.Itoa(start+i))
				id, _ := chunk[i].identifier()
				fields = append(fields, id)
			}
			// Brevo does not say whether its indexes count from 0 (the
			// sandbox does); names are only attached when all fit.
			if inRange && len(global) > 0 {
				e.Message = "no contact found for items " + strings.Join(global, ",")
				e.Fields = fields
			}
		}
	}
	e.Message += fmt.Sprintf(" (batch of items %d-%d%s)", start, start+len(chunk)-1, applied)
	return e
}
