// Package mapping turns HubSpot property values into Brevo attribute values.
// It is pure (no I/O, no clock), so the workflow may call it through a local
// activity and tests can drive every rule with a table. Its types are shared
// by the workflow, the activities and the starter.
package mapping

import (
	"fmt"
	"math"
	"net/mail"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Brevo attribute names with a special meaning.
const (
	AttrEmail = "EMAIL" // maps to the contact's email identifier, not an attribute
	AttrSMS   = "SMS"
)

// Field maps one HubSpot property onto one Brevo attribute. The starter
// fills in the types from both APIs when the integration is created, so
// mapping needs no lookups at sync time.
type Field struct {
	Property      string `json:"property"`      // HubSpot property name
	Attribute     string `json:"attribute"`     // Brevo attribute name, upper case
	PropertyType  string `json:"propertyType"`  // HubSpot type: string, number, date, datetime, bool, enumeration, phone_number
	FieldType     string `json:"fieldType"`     // HubSpot fieldType: text, select, checkbox, booleancheckbox, phonenumber, ...
	AttributeType string `json:"attributeType"` // Brevo type: text, float, date, boolean, category, multiple-choice
	// Labels maps HubSpot option values to their labels, for enumerations
	// written to Brevo text attributes (people read labels, not values).
	Labels map[string]string `json:"labels,omitempty"`
	// Categories maps HubSpot option values to Brevo category ids, for
	// enumerations written to Brevo category attributes.
	Categories map[string]int `json:"categories,omitempty"`
	// Choices are the options of a Brevo multiple-choice attribute, in
	// Brevo's order. Brevo refuses a whole contact whose value holds an
	// option it does not know, so such values are left out with a note.
	// Empty: the labels are written unchecked.
	Choices []string `json:"choices,omitempty"`
}

// Spec is the whole mapping of an integration.
type Spec struct {
	Fields []Field `json:"fields"`
	// DefaultCountryCode (digits, e.g. "49") prefixes national phone numbers
	// (those without + or 00). Empty sends numbers as they are.
	DefaultCountryCode string `json:"defaultCountryCode,omitempty"`
	// Consent holds the consent options (consent.go).
	Consent Consent `json:"consent,omitzero"`
}

// Properties lists the HubSpot properties the spec reads, in field order,
// then those the consent options read.
func (s Spec) Properties() []string {
	out := make([]string, 0, len(s.Fields))
	seen := map[string]bool{}
	add := func(p string) {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	for _, f := range s.Fields {
		add(f.Property)
	}
	for _, p := range s.Consent.Properties() {
		add(p)
	}
	return out
}

// HasIdentifier reports whether email or SMS is mapped; Brevo cannot create
// a contact without one of them.
func (s Spec) HasIdentifier() bool {
	for _, f := range s.Fields {
		if f.Attribute == AttrEmail || f.Attribute == AttrSMS {
			return true
		}
	}
	return false
}

// Record is one HubSpot contact as read: its id and the string values of
// the requested properties (absent or null values are missing keys).
type Record struct {
	ID         string            `json:"id"`
	Properties map[string]string `json:"properties"`
	// MergedFrom are the ids HubSpot merged into this record.
	MergedFrom []string `json:"mergedFrom,omitempty"`
}

// Contact is a record mapped for Brevo. ExtID is the HubSpot record id, the
// contact's stable identity in Brevo.
type Contact struct {
	ExtID      string         `json:"extId"`
	Email      string         `json:"email,omitempty"`
	Attributes map[string]any `json:"attributes,omitempty"`
	// Notes say which values were left out and why; the contact is still
	// written.
	Notes []Note `json:"notes,omitempty"`
	// MergedFrom are the HubSpot ids merged into this one; a Brevo contact
	// keyed by one of them is re-keyed rather than duplicated.
	MergedFrom []string `json:"mergedFrom,omitempty"`
	// Blocklist: the contact opted out in HubSpot and is written with
	// emailBlacklisted true (Consent.SyncOptOuts). False sends nothing.
	Blocklist bool `json:"blocklist,omitempty"`
}

// SMS returns the mapped SMS number, if any.
func (c Contact) SMS() string {
	s, _ := c.Attributes[AttrSMS].(string)
	return s
}

// Reason kinds, stable strings used in counters and reports.
const (
	ReasonNoIdentifier  = "no_identifier"   // neither a valid email nor a valid SMS
	ReasonInvalidEmail  = "invalid_email"   // email present but not an address
	ReasonInvalidPhone  = "invalid_phone"   // phone not 6-16 digits
	ReasonInvalidValue  = "invalid_value"   // a value that does not fit the attribute type
	ReasonUnknownOption = "unknown_option"  // an enumeration value with no Brevo category
	ReasonDuplicateSMS  = "duplicate_sms"   // another Brevo contact holds the number
	ReasonRejected      = "rejected"        // Brevo refused the contact
	ReasonNotInList     = "not_in_list"     // HubSpot no longer has the member
	ReasonUnchanged     = "unchanged_since" // not modified since the last pass
)

// Note records why one value of a contact was not written.
type Note struct {
	Reason    string `json:"reason"`
	Attribute string `json:"attribute"`
	Text      string `json:"text"`
}

// Skip says why a whole record is not written.
type Skip struct {
	Reason string `json:"reason"`
	Text   string `json:"text"`
}

func (s *Skip) Error() string { return s.Reason + ": " + s.Text }

// Map converts one record. A nil *Skip means the contact can be written;
// values that cannot be converted are left out and noted.
func Map(spec Spec, r Record) (Contact, *Skip) {
	c := Contact{ExtID: r.ID, Attributes: map[string]any{}, MergedFrom: r.MergedFrom}
	if skip := spec.Consent.notMarketing(r); skip != nil {
		return c, skip
	}
	var emailNote *Note
	for _, f := range spec.Fields {
		raw, ok := r.Properties[f.Property]
		raw = strings.TrimSpace(raw)
		if !ok || raw == "" {
			continue
		}
		switch f.Attribute {
		case AttrEmail:
			addr, err := normalizeEmail(raw)
			if err != nil {
				emailNote = &Note{Reason: ReasonInvalidEmail, Attribute: AttrEmail, Text: fmt.Sprintf("%q is not an email address", raw)}
				c.Notes = append(c.Notes, *emailNote)
				continue
			}
			c.Email = addr
			continue
		case AttrSMS:
			phone, err := NormalizePhone(raw, spec.DefaultCountryCode)
			if err != nil {
				c.Notes = append(c.Notes, Note{Reason: ReasonInvalidPhone, Attribute: AttrSMS, Text: err.Error()})
				continue
			}
			c.Attributes[AttrSMS] = phone
			continue
		}
		if f.AttributeType == "multiple-choice" {
			// Known options are written even when others are left out.
			v, note := multipleChoice(f, raw)
			if note != nil {
				c.Notes = append(c.Notes, *note)
			}
			if len(v) > 0 {
				c.Attributes[f.Attribute] = v
			}
			continue
		}
		v, note := convert(f, raw)
		if note != nil {
			c.Notes = append(c.Notes, *note)
			continue
		}
		c.Attributes[f.Attribute] = v
	}
	if len(c.Attributes) == 0 {
		c.Attributes = nil
	}
	if c.Email == "" && c.SMS() == "" {
		text := "no email and no SMS mapped value"
		if len(c.Notes) > 0 {
			parts := make([]string, 0, len(c.Notes))
			for _, n := range c.Notes {
				if n.Attribute == AttrEmail || n.Attribute == AttrSMS {
					parts = append(parts, n.Text)
				}
			}
			if len(parts) > 0 {
				text = "neither a valid email nor a valid SMS: " + strings.Join(parts, "; ")
			}
		}
		return c, &Skip{Reason: ReasonNoIdentifier, Text: text}
	}
	c.Blocklist = spec.Consent.blocklist(r, c)
	return c, nil
}

func normalizeEmail(s string) (string, error) {
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || !strings.Contains(s[strings.LastIndexByte(s, '@')+1:], ".") {
		return "", fmt.Errorf("invalid email")
	}
	return strings.ToLower(s), nil
}

// Phone length bounds, in digits (country code included), from Brevo's own
// HubSpot integration.
const (
	MinPhoneDigits = 6
	MaxPhoneDigits = 16
)

// NormalizePhone strips the separators people type (spaces, dashes, dots,
// brackets, slashes), keeps a leading + (a leading 00 is read as +), prefixes
// defaultCC to national numbers when given, and checks the 6-16 digit rule.
func NormalizePhone(raw, defaultCC string) (string, error) {
	s := strings.TrimSpace(raw)
	plus := strings.HasPrefix(s, "+")
	var digits strings.Builder
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits.WriteRune(r)
		case r == '+' && i == 0:
		case r == ' ' || r == '-' || r == '.' || r == '(' || r == ')' || r == '/' || unicode.IsSpace(r):
		default:
			return "", fmt.Errorf("phone %q contains %q", raw, r)
		}
	}
	d := digits.String()
	switch {
	case plus:
	case strings.HasPrefix(d, "00"):
		d, plus = d[2:], true
	case defaultCC != "":
		d, plus = defaultCC+strings.TrimPrefix(d, "0"), true
	}
	if n := len(d); n < MinPhoneDigits || n > MaxPhoneDigits {
		return "", fmt.Errorf("phone %q has %d digits, want %d-%d", raw, n, MinPhoneDigits, MaxPhoneDigits)
	}
	if plus {
		return "+" + d, nil
	}
	return d, nil
}

// convert turns one HubSpot string value into the Go value Brevo expects for
// the attribute type.
func convert(f Field, raw string) (any, *Note) {
	bad := func(reason, format string, args ...any) (any, *Note) {
		return nil, &Note{Reason: reason, Attribute: f.Attribute, Text: fmt.Sprintf(format, args...)}
	}
	switch f.AttributeType {
	case "float":
		n, err := strconv.ParseFloat(raw, 64)
		if err != nil || math.IsNaN(n) || math.IsInf(n, 0) {
			return bad(ReasonInvalidValue, "%s: %q is not a number", f.Property, raw)
		}
		return n, nil
	case "boolean":
		switch strings.ToLower(raw) {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
		return bad(ReasonInvalidValue, "%s: %q is not true or false", f.Property, raw)
	case "date":
		d, err := ParseDate(raw)
		if err != nil {
			return bad(ReasonInvalidValue, "%s: %v", f.Property, err)
		}
		return d, nil
	case "category":
		id, ok := f.Categories[raw]
		if !ok {
			return bad(ReasonUnknownOption, "%s: option %q has no Brevo category", f.Property, raw)
		}
		return id, nil
	case "multiple-choice":
		v, note := multipleChoice(f, raw)
		if len(v) == 0 && note != nil {
			return nil, note
		}
		return v, nil
	default: // text and anything Brevo may add later
		if f.PropertyType == "enumeration" {
			parts := strings.Split(raw, ";")
			for i, v := range parts {
				parts[i] = f.label(strings.TrimSpace(v))
			}
			return strings.Join(parts, ", "), nil
		}
		if f.PropertyType == "date" || f.PropertyType == "datetime" {
			if d, err := ParseDate(raw); err == nil {
				return d, nil
			}
		}
		return raw, nil
	}
}

// multipleChoice turns a ";"-joined HubSpot value into the Brevo options
// it holds: the option labels, spelled as the Brevo attribute spells them
// when its choices are known. Values without a Brevo option are left out;
// the note names them.
func multipleChoice(f Field, raw string) ([]string, *Note) {
	var out, unknown []string
	seen := map[string]bool{}
	for _, v := range strings.Split(raw, ";") {
		if v = strings.TrimSpace(v); v == "" {
			continue
		}
		opt, ok := f.choice(v)
		if !ok {
			unknown = append(unknown, strconv.Quote(v))
			continue
		}
		if !seen[opt] {
			seen[opt] = true
			out = append(out, opt)
		}
	}
	if len(unknown) > 0 {
		return out, &Note{Reason: ReasonUnknownOption, Attribute: f.Attribute,
			Text: fmt.Sprintf("%s: option %s has no Brevo choice", f.Property, strings.Join(unknown, ", "))}
	}
	return out, nil
}

// choice finds the Brevo option of a HubSpot option value: the option
// equal to its label, else one equal to its label or value ignoring case.
func (f Field) choice(v string) (string, bool) {
	l := f.label(v)
	if len(f.Choices) == 0 {
		return l, true
	}
	for _, c := range f.Choices {
		if c == l {
			return c, true
		}
	}
	for _, c := range f.Choices {
		if strings.EqualFold(c, l) || strings.EqualFold(c, v) {
			return c, true
		}
	}
	return "", false
}

func (f Field) label(v string) string {
	if l, ok := f.Labels[v]; ok && l != "" {
		return l
	}
	return v
}

// ParseDate reads the forms HubSpot uses for date and datetime values
// (YYYY-MM-DD, RFC 3339 timestamps, epoch milliseconds) and returns the
// UTC calendar date as Brevo wants it: YYYY-MM-DD.
func ParseDate(raw string) (string, error) {
	t, ok := parseDateTime(raw)
	if !ok {
		return "", fmt.Errorf("%q is not a date", raw)
	}
	// Years outside 1-9999 do not fit YYYY-MM-DD (found by FuzzParseDate:
	// "0000-01-01T00:00:00+01:00" is year -1 in UTC).
	if y := t.Year(); y < 1 || y > 9999 {
		return "", fmt.Errorf("%q is not a date between years 1 and 9999", raw)
	}
	return t.Format("2006-01-02"), nil
}

func parseDateTime(raw string) (time.Time, bool) {
	if t, err := time.Parse("2006-01-02", raw); err == nil {
		return t, true
	}
	if t, err := time.Parse(time.RFC3339Nano, raw); err == nil {
		return t.UTC(), true
	}
	if ms, err := strconv.ParseInt(raw, 10, 64); err == nil && len(raw) >= 10 {
		return time.UnixMilli(ms).UTC(), true
	}
	return time.Time{}, false
}

// Outcome kinds: every contact of every pass ends as exactly one of them.
const (
	OutcomeCreated   = "created"
	OutcomeUpdated   = "updated"
	OutcomeUnchanged = "unchanged"
	OutcomeSkipped   = "skipped"
	OutcomeFailed    = "failed"
)

// Outcome is the fate of one contact that did not simply go through: it was
// skipped, failed, or written with values left out. Kept for reports.
type Outcome struct {
	HubSpotID string `json:"hubspotId"`
	Email     string `json:"email,omitempty"`
	Kind      string `json:"kind"`   // one of the Outcome* constants
	Reason    string `json:"reason"` // one of the Reason* constants
	Text      string `json:"text"`
}

// Compatible refuses a mapping whose HubSpot values could never fit the
// Brevo attribute, e.g. a date into a boolean. Text takes anything.
func Compatible(f Field) error {
	clash := func() error {
		return fmt.Errorf("HubSpot %s (%s) values do not fit a Brevo %s attribute", f.PropertyType, f.FieldType, f.AttributeType)
	}
	switch f.AttributeType {
	case "text", "":
		return nil
	case "float":
		if f.PropertyType != "number" {
			return clash()
		}
	case "date":
		if f.PropertyType != "date" && f.PropertyType != "datetime" {
			return clash()
		}
	case "boolean":
		if f.PropertyType != "bool" && f.FieldType != "booleancheckbox" {
			return clash()
		}
	case "category":
		if f.PropertyType != "enumeration" || f.FieldType == "checkbox" {
			return clash()
		}
	case "multiple-choice":
		if f.PropertyType != "enumeration" {
			return clash()
		}
	default:
		return fmt.Errorf("Brevo %s attributes cannot be written by a sync", f.AttributeType)
	}
	return nil
}

// MapAll maps records, returning the contacts to write and the records
// skipped, with why.
func MapAll(spec Spec, records []Record) (contacts []Contact, skipped []Outcome) {
	for _, r := range records {
		c, skip := Map(spec, r)
		if skip != nil {
			skipped = append(skipped, Outcome{HubSpotID: r.ID, Email: r.Properties["email"], Kind: OutcomeSkipped, Reason: skip.Reason, Text: skip.Text})
			continue
		}
		contacts = append(contacts, c)
	}
	return contacts, skipped
}
