package sandbox

import (
	"fmt"
	"math"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// brevoChange is a validated write to one contact. nil pointers leave a
// field alone; a pointer to "" removes an identifier.
type brevoChange struct {
	email, sms, extID *string
	// attrs holds validated values; a nil value removes the attribute.
	attrs           map[string]any
	emailBL, smsBL  *bool
	addLists, unset []int64
}

// brevoContactBody is every field a contact write may carry (create, PUT,
// batch item).
type brevoContactBody struct {
	Email            *string        `json:"email"`
	ExtID            *string        `json:"ext_id"`
	Attributes       map[string]any `json:"attributes"`
	EmailBlacklisted *bool          `json:"emailBlacklisted"`
	SMSBlacklisted   *bool          `json:"smsBlacklisted"`
	ListIDs          []int64        `json:"listIds"`
	UnlinkListIDs    []int64        `json:"unlinkListIds"`
	UpdateEnabled    bool           `json:"updateEnabled"`
	// Batch identifiers.
	ID  int64  `json:"id"`
	SMS string `json:"sms"`
}

var (
	brevoEmailRe = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
	brevoDateRe  = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
)

func brevoValidEmail(s string) bool { return brevoEmailRe.MatchString(s) }

// brevoNormalizePhone applies the SMS rule: country code required, digits
// only, optional leading + or 00, 6 to 16 digits (the bounds of Brevo's
// HubSpot integration; the API docs give none). Stored, as Brevo shows it,
// as bare digits.
func brevoNormalizePhone(s string) (string, bool) {
	s = strings.TrimSpace(s)
	switch {
	case strings.HasPrefix(s, "+"):
		s = s[1:]
	case strings.HasPrefix(s, "00"):
		s = s[2:]
	}
	if len(s) < 6 || len(s) > 16 {
		return "", false
	}
	// Country codes never start with 0: a leading 0 here is a trunk
	// prefix, i.e. a national number without its country code.
	if s[0] == '0' {
		return "", false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return "", false
		}
	}
	return s, true
}

func (b *Brevo) attributeLocked(name string) *BrevoAttribute {
	for _, a := range b.attrs {
		if a.Name == name {
			return a
		}
	}
	return nil
}

// buildChangeLocked validates a contact write. create says whether the
// top-level email field counts (it does on POST /contacts only; PUT changes
// the email through attributes.EMAIL).
func (b *Brevo) buildChangeLocked(body brevoContactBody, create bool) (brevoChange, *brevoError) {
	ch := brevoChange{attrs: map[string]any{}, emailBL: body.EmailBlacklisted, smsBL: body.SMSBlacklisted,
		addLists: body.ListIDs, unset: body.UnlinkListIDs}
	setEmail := func(v string) *brevoError {
		v = strings.ToLower(strings.TrimSpace(v))
		if !brevoValidEmail(v) {
			return brevoInvalid("Invalid email address")
		}
		ch.email = &v
		return nil
	}
	if create && body.Email != nil && *body.Email != "" {
		if e := setEmail(*body.Email); e != nil {
			return ch, e
		}
	}
	keys := make([]string, 0, len(body.Attributes))
	for k := range body.Attributes {
		keys = append(keys, k)
	}
	sort.Strings(keys) // deterministic first error
	for _, k := range keys {
		v := body.Attributes[k]
		if k != strings.ToUpper(k) {
			return ch, brevoInvalid("Attribute name %s must be in capital letters", k)
		}
		switch k {
		case "EMAIL":
			s, ok := v.(string)
			if !ok {
				return ch, brevoInvalid("Invalid email address")
			}
			if ch.email == nil || !create {
				if e := setEmail(s); e != nil {
					return ch, e
				}
			}
			continue
		case "SMS":
			if v == nil || v == "" {
				empty := ""
				ch.sms = &empty
				continue
			}
			n, ok := brevoNormalizePhone(brevoScalarString(v))
			if !ok {
				return ch, brevoInvalid("Invalid phone number")
			}
			ch.sms = &n
			continue
		case "EXT_ID":
			s := ""
			if v != nil {
				s = brevoScalarString(v)
			}
			ch.extID = &s
			continue
		}
		a := b.attributeLocked(k)
		if a == nil {
			return ch, brevoInvalid("Attribute %s does not exist", k)
		}
		val, e := brevoAttributeValue(a, v)
		if e != nil {
			return ch, e
		}
		ch.attrs[k] = val
	}
	if body.ExtID != nil {
		s := *body.ExtID
		ch.extID = &s
	}
	if e := b.checkListsLocked(ch.addLists); e != nil {
		return ch, e
	}
	if e := b.checkListsLocked(ch.unset); e != nil {
		return ch, e
	}
	return ch, nil
}

func brevoScalarString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	default:
		return fmt.Sprint(x)
	}
}

// brevoAttributeValue checks a value against its attribute's type. nil
// removes the attribute.
func brevoAttributeValue(a *BrevoAttribute, v any) (any, *brevoError) {
	if v == nil {
		return nil, nil
	}
	if a.Category == "category" {
		f, ok := v.(float64)
		if ok && f == math.Trunc(f) {
			for _, e := range a.Enumeration {
				if e.Value == int(f) {
					return e.Value, nil
				}
			}
		}
		return nil, brevoInvalid("Invalid value %s for category attribute %s: use one of its enumeration values", brevoJSONValue(v), a.Name)
	}
	switch a.Type {
	case "date":
		s, ok := v.(string)
		if !ok || !brevoDateRe.MatchString(s) {
			return nil, brevoInvalid("Invalid date format for attribute %s, use YYYY-MM-DD", a.Name)
		}
		if _, err := time.Parse("2006-01-02", s); err != nil {
			return nil, brevoInvalid("Invalid date format for attribute %s, use YYYY-MM-DD", a.Name)
		}
		return s, nil
	case "float":
		if f, ok := v.(float64); ok {
			return f, nil
		}
		return nil, brevoInvalid("Invalid value %s for float attribute %s", brevoJSONValue(v), a.Name)
	case "boolean":
		if bv, ok := v.(bool); ok {
			return bv, nil
		}
		return nil, brevoInvalid("Invalid value %s for boolean attribute %s: use true or false", brevoJSONValue(v), a.Name)
	case "multiple-choice":
		arr, ok := v.([]any)
		if !ok {
			return nil, brevoInvalid("Invalid value %s for multiple-choice attribute %s: use an array of its options", brevoJSONValue(v), a.Name)
		}
		out := make([]string, 0, len(arr))
		for _, x := range arr {
			s, ok := x.(string)
			if !ok || !brevoContains(a.MultiCategoryOptions, s) {
				return nil, brevoInvalid("Invalid option %s for multiple-choice attribute %s", brevoJSONValue(x), a.Name)
			}
			out = append(out, s)
		}
		return out, nil
	default: // text, id, user
		switch x := v.(type) {
		case string:
			return x, nil
		case float64, bool:
			return brevoScalarString(x), nil
		}
		return nil, brevoInvalid("Invalid value %s for text attribute %s", brevoJSONValue(v), a.Name)
	}
}

func brevoContains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

func (b *Brevo) checkListsLocked(ids []int64) *brevoError {
	for _, id := range ids {
		if _, ok := b.lists[id]; !ok {
			return brevoInvalid("List %d does not exist", id)
		}
	}
	return nil
}

// checkUniqueLocked refuses a change that would give target (nil for a new
// contact) an email, SMS or ext_id another contact has. The whole call
// fails, naming every conflicting identifier.
func (b *Brevo) checkUniqueLocked(target *BrevoContact, ch brevoChange, verb string) *brevoError {
	self := int64(0)
	if target != nil {
		self = target.ID
	}
	var dup []string
	taken := func(idx map[string]int64, v *string, name string) {
		if v == nil || *v == "" {
			return
		}
		if id, ok := idx[*v]; ok && id != self {
			dup = append(dup, name)
		}
	}
	taken(b.byEmail, ch.email, "email")
	taken(b.bySMS, ch.sms, "SMS")
	taken(b.byExtID, ch.extID, "EXT_ID")
	if len(dup) == 0 {
		return nil
	}
	is := "is"
	if len(dup) > 1 {
		is = "are"
	}
	return &brevoError{status: http.StatusBadRequest, code: "duplicate_parameter", dup: dup,
		msg: fmt.Sprintf("Unable to %s contact, %s %s already associated with another Contact", verb, strings.Join(dup, " or "), is)}
}

func (b *Brevo) indexLocked(c *BrevoContact) {
	if c.Email != "" {
		b.byEmail[c.Email] = c.ID
	}
	if c.SMS != "" {
		b.bySMS[c.SMS] = c.ID
	}
	if c.ExtID != "" {
		b.byExtID[c.ExtID] = c.ID
	}
}

func (b *Brevo) unindexLocked(c *BrevoContact) {
	drop := func(idx map[string]int64, key string) {
		if key != "" && idx[key] == c.ID {
			delete(idx, key)
		}
	}
	drop(b.byEmail, c.Email)
	drop(b.bySMS, c.SMS)
	drop(b.byExtID, c.ExtID)
}

// applyLocked writes a validated, uniqueness-checked change.
func (b *Brevo) applyLocked(c *BrevoContact, ch brevoChange) {
	b.unindexLocked(c)
	if ch.email != nil && *ch.email != c.Email {
		// Brevo: changing the email of a blocklisted contact removes the
		// blocklisting, unless the same call sets the flag.
		if c.Email != "" && c.EmailBlacklisted && ch.emailBL == nil {
			c.EmailBlacklisted = false
		}
		c.Email = *ch.email
	}
	if ch.sms != nil {
		c.SMS = *ch.sms
	}
	if ch.extID != nil {
		c.ExtID = *ch.extID
	}
	b.indexLocked(c)
	for k, v := range ch.attrs {
		if v == nil {
			delete(c.Attributes, k)
		} else {
			c.Attributes[k] = v
		}
	}
	if ch.emailBL != nil {
		c.EmailBlacklisted = *ch.emailBL
	}
	if ch.smsBL != nil {
		c.SMSBlacklisted = *ch.smsBL
	}
	for _, l := range ch.addLists {
		c.addList(l)
	}
	for _, l := range ch.unset {
		c.removeList(l)
	}
	c.ModifiedAt = b.now()
}

func (b *Brevo) createContactLocked(ch brevoChange) *BrevoContact {
	b.nextID.contact++
	now := b.now()
	c := &BrevoContact{ID: b.nextID.contact, Attributes: map[string]any{}, ListIDs: []int64{}, CreatedAt: now}
	b.contacts[c.ID] = c
	b.applyLocked(c, ch)
	b.stats.ContactsCreated++
	b.stats.ContactWrites++
	return c
}

func (b *Brevo) countUpdateLocked(n int) {
	b.stats.ContactsUpdated += int64(n)
	b.stats.ContactWrites += int64(n)
}

func (b *Brevo) handleCreateContact(w http.ResponseWriter, r *http.Request) {
	var body brevoContactBody
	if !b.decode(w, r, &body) {
		return
	}
	defer b.lockSettled()()
	ch, e := b.buildChangeLocked(body, true)
	if e != nil {
		b.fail(w, e)
		return
	}
	if !brevoSet(ch.email) && !brevoSet(ch.extID) && !brevoSet(ch.sms) {
		b.fail(w, brevoMissing("An email, SMS or ext_id is mandatory to create a new contact"))
		return
	}
	var target *BrevoContact
	if body.UpdateEnabled {
		// Which contact an upsert matches when email and ext_id point to
		// different ones is undocumented; the sandbox prefers ext_id, the
		// stable key, then email, then (for SMS-only bodies) the SMS.
		switch {
		case brevoSet(ch.extID) && b.byExtID[*ch.extID] != 0:
			target = b.contacts[b.byExtID[*ch.extID]]
		case brevoSet(ch.email) && b.byEmail[*ch.email] != 0:
			target = b.contacts[b.byEmail[*ch.email]]
		case !brevoSet(ch.email) && !brevoSet(ch.extID) && brevoSet(ch.sms) && b.bySMS[*ch.sms] != 0:
			target = b.contacts[b.bySMS[*ch.sms]]
		}
	} else if brevoSet(ch.email) && b.byEmail[*ch.email] != 0 {
		b.fail(w, &brevoError{status: http.StatusBadRequest, code: "duplicate_parameter",
			msg: "Contact already exist", dup: []string{"email"}})
		return
	}
	if target == nil {
		if e := b.checkUniqueLocked(nil, ch, "create"); e != nil {
			b.fail(w, e)
			return
		}
		c := b.createContactLocked(ch)
		writeJSON(w, http.StatusCreated, map[string]int64{"id": c.ID})
		return
	}
	b.updateLocked(w, target, ch)
}

// updateLocked applies a validated change to an existing contact and
// answers 204; an identifier another contact holds fails the whole call.
func (b *Brevo) updateLocked(w http.ResponseWriter, c *BrevoContact, ch brevoChange) {
	if e := b.checkUniqueLocked(c, ch, "update"); e != nil {
		b.fail(w, e)
		return
	}
	b.applyLocked(c, ch)
	b.countUpdateLocked(1)
	w.WriteHeader(http.StatusNoContent)
}

func brevoSet(s *string) bool { return s != nil && *s != "" }

// resolveLocked finds the contact an identifier names. Without
// identifierType, GET accepts an email, a contact id or an SMS number and
// PUT only an email or a contact id, as Brevo documents.
func (b *Brevo) resolveLocked(ident, idType string, isGet bool) (*BrevoContact, *brevoError) {
	byID := func(s string) *BrevoContact {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil
		}
		return b.contacts[id]
	}
	byIdx := func(idx map[string]int64, key string) *BrevoContact {
		if id, ok := idx[key]; ok && key != "" {
			return b.contacts[id]
		}
		return nil
	}
	byAttr := func(name, v string) *BrevoContact {
		n, _ := brevoNormalizePhone(v)
		for _, c := range b.contacts {
			if s, ok := c.Attributes[name].(string); ok && (s == v || (n != "" && strings.TrimPrefix(s, "+") == n)) {
				return c
			}
		}
		return nil
	}
	var c *BrevoContact
	switch idType {
	case "":
		switch {
		case strings.Contains(ident, "@"):
			c = byIdx(b.byEmail, strings.ToLower(ident))
		default:
			c = byID(ident)
			if c == nil && isGet {
				if n, ok := brevoNormalizePhone(ident); ok {
					c = byIdx(b.bySMS, n)
				}
			}
		}
	case "email_id":
		c = byIdx(b.byEmail, strings.ToLower(ident))
	case "contact_id":
		if _, err := strconv.ParseInt(ident, 10, 64); err != nil {
			return nil, brevoInvalid("Invalid contact id")
		}
		c = byID(ident)
	case "ext_id":
		c = byIdx(b.byExtID, ident)
	case "phone_id":
		if n, ok := brevoNormalizePhone(ident); ok {
			c = byIdx(b.bySMS, n)
		}
	case "whatsapp_id":
		c = byAttr("WHATSAPP", ident)
	case "landline_number_id":
		c = byAttr("LANDLINE_NUMBER", ident)
	default:
		return nil, brevoInvalid("Invalid identifierType %s", idType)
	}
	if c == nil {
		return nil, brevoNotFound("Contact does not exist")
	}
	return c, nil
}

// contactJSON renders a contact as GET /contacts/{identifier} does; SMS
// appears among the attributes, and so does EXT_ID unless
// ContactExtIDTopLevel.
func (b *Brevo) contactJSON(c *BrevoContact, statistics bool) map[string]any {
	attrs := make(map[string]any, len(c.Attributes)+2)
	for k, v := range c.Attributes {
		attrs[k] = v
	}
	if c.SMS != "" {
		attrs["SMS"] = c.SMS
	}
	out := map[string]any{
		"id": c.ID, "emailBlacklisted": c.EmailBlacklisted, "smsBlacklisted": c.SMSBlacklisted,
		"createdAt": brevoTime(c.CreatedAt), "modifiedAt": brevoTime(c.ModifiedAt),
		"listIds": append([]int64{}, c.ListIDs...), "attributes": attrs,
	}
	switch {
	case c.ExtID == "":
	case b.opts.ContactExtIDTopLevel:
		out["ext_id"] = c.ExtID
	default:
		attrs["EXT_ID"] = c.ExtID
	}
	if c.Email != "" {
		out["email"] = c.Email
	}
	if statistics {
		out["statistics"] = map[string]any{}
	}
	return out
}

func (b *Brevo) handleGetContact(w http.ResponseWriter, r *http.Request) {
	defer b.lockSettled()()
	c, e := b.resolveLocked(r.PathValue("identifier"), r.URL.Query().Get("identifierType"), true)
	if e != nil {
		b.fail(w, e)
		return
	}
	writeJSON(w, http.StatusOK, b.contactJSON(c, true))
}

func (b *Brevo) handleUpdateContact(w http.ResponseWriter, r *http.Request) {
	var body brevoContactBody
	if !b.decode(w, r, &body) {
		return
	}
	defer b.lockSettled()()
	c, e := b.resolveLocked(r.PathValue("identifier"), r.URL.Query().Get("identifierType"), false)
	if e != nil {
		b.fail(w, e)
		return
	}
	ch, e := b.buildChangeLocked(body, false)
	if e != nil {
		b.fail(w, e)
		return
	}
	b.updateLocked(w, c, ch)
}

// handleBatch is update-only and all-or-nothing: every item is validated
// and resolved before anything is written, and a uniqueness conflict met
// while writing undoes the items already written.
func (b *Brevo) handleBatch(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Contacts []brevoContactBody `json:"contacts"`
	}
	if !b.decode(w, r, &body) {
		return
	}
	if len(body.Contacts) == 0 {
		b.fail(w, brevoMissing("contacts is missing"))
		return
	}
	defer b.lockSettled()()
	targets := make([]*BrevoContact, len(body.Contacts))
	changes := make([]brevoChange, len(body.Contacts))
	var missing []string
	for i, it := range body.Contacts {
		n := 0
		var c *BrevoContact
		if it.Email != nil && *it.Email != "" {
			n++
			c, _ = b.resolveLocked(*it.Email, "email_id", false)
		}
		if it.ID != 0 {
			n++
			c = b.contacts[it.ID]
		}
		if it.SMS != "" {
			n++
			c, _ = b.resolveLocked(it.SMS, "phone_id", false)
		}
		if n != 1 {
			b.fail(w, brevoInvalid("Contact at index %d must have exactly one identifier: email, id or sms", i))
			return
		}
		ch, e := b.buildChangeLocked(it, false)
		if e != nil {
			e.msg = fmt.Sprintf("%s (index %d)", e.msg, i)
			b.fail(w, e)
			return
		}
		if c == nil {
			missing = append(missing, strconv.Itoa(i))
		}
		targets[i], changes[i] = c, ch
	}
	if len(missing) > 0 {
		b.fail(w, brevoNotFound("No contact found for indexes "+strings.Join(missing, ",")))
		return
	}
	saved := make([]*BrevoContact, 0, len(targets))
	for i, c := range targets {
		if e := b.checkUniqueLocked(c, changes[i], "update"); e != nil {
			for j := len(saved) - 1; j >= 0; j-- {
				b.restoreLocked(saved[j])
			}
			b.fail(w, e)
			return
		}
		saved = append(saved, c.clone())
		b.applyLocked(c, changes[i])
	}
	b.countUpdateLocked(len(targets))
	w.WriteHeader(http.StatusNoContent)
}

// restoreLocked puts back a saved copy of a contact, indexes included.
func (b *Brevo) restoreLocked(old *BrevoContact) {
	if cur := b.contacts[old.ID]; cur != nil {
		b.unindexLocked(cur)
	}
	b.contacts[old.ID] = old
	b.indexLocked(old)
}
