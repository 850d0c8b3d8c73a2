package sandbox

import (
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// hsFirstContactID is the first record id handed out; real ids are large
// numbers, and starting away from 1 keeps ids and list ids from looking alike.
const hsFirstContactID = 100_001

// hsTimeLayout is how HubSpot writes datetimes: UTC, milliseconds, "Z".
const hsTimeLayout = "2006-01-02T15:04:05.000Z"

func hsTime(t time.Time) string { return t.UTC().Format(hsTimeLayout) }

// Properties the emulator maintains itself; the state API refuses them.
var hsManagedProps = map[string]bool{
	"hs_object_id":         true,
	"createdate":           true,
	"lastmodifieddate":     true,
	"hs_lastmodifieddate":  true,
	"hs_merged_object_ids": true,
	"hs_email_domain":      true,
}

type hsContact struct {
	id    int64
	props map[string]string // set values only; managed ones included
	// createdAt and updatedAt are kept to the millisecond, as HubSpot does;
	// updatedMs is updatedAt in epoch ms for the search engine.
	createdAt  time.Time
	updatedAt  time.Time
	updatedMs  int64
	archived   bool
	archivedAt time.Time
	mergedInto int64
	// rank orders records that tie in a search sort. It is stable but
	// deliberately unrelated to the id, so a client relying on ties coming
	// back in id order fails here as it might against HubSpot.
	rank uint64
}

func (c *hsContact) live() bool { return !c.archived && c.mergedInto == 0 }

func (c *hsContact) touch(t time.Time) {
	t = t.UTC().Truncate(time.Millisecond)
	c.updatedAt = t
	c.updatedMs = t.UnixMilli()
	c.props["lastmodifieddate"] = hsTime(t)
	c.props["hs_lastmodifieddate"] = hsTime(t)
}

func hsRank(id int64) uint64 {
	f := fnv.New64a()
	_, _ = f.Write([]byte(strconv.FormatInt(id, 10)))
	return f.Sum64()
}

type hsList struct {
	id             int64
	name           string
	processingType string // MANUAL, DYNAMIC or SNAPSHOT
	rule           *ListRule
	version        int
	createdAt      time.Time
	updatedAt      time.Time
	members        []int64 // ascending record ids
	joined         map[int64]time.Time
	// processing is the processingStatus of a list HubSpot is recomputing
	// (SetListProcessing); "" when its members are complete.
	processing string
}

// visibleMembers are the members a memberships read returns. While the
// list is being processed, only about half of them are (those with an even
// rank, the same ones on every read), like a recompute that has reached
// some records and not others.
func (l *hsList) visibleMembers() []int64 {
	if l.processing == "" {
		return l.members
	}
	out := make([]int64, 0, len(l.members)/2+1)
	for _, id := range l.members {
		if hsRank(id)%2 == 0 {
			out = append(out, id)
		}
	}
	return out
}

// ListRule is the filter of a DYNAMIC list: contacts whose Property equals
// Value are members, re-evaluated whenever a contact changes.
type ListRule struct {
	Property string `json:"property"`
	Value    string `json:"value"`
}

func (r *ListRule) matches(c *hsContact) bool {
	return r != nil && c.live() && c.props[r.Property] == r.Value
}

func (l *hsList) has(id int64) bool {
	_, ok := l.joined[id]
	return ok
}

func (l *hsList) add(id int64, at time.Time) bool {
	if l.has(id) {
		return false
	}
	l.joined[id] = at
	i := sort.Search(len(l.members), func(i int) bool { return l.members[i] >= id })
	if i == len(l.members) {
		l.members = append(l.members, id)
	} else {
		l.members = append(l.members, 0)
		copy(l.members[i+1:], l.members[i:])
		l.members[i] = id
	}
	return true
}

func (l *hsList) remove(id int64) bool {
	if !l.has(id) {
		return false
	}
	delete(l.joined, id)
	i := sort.Search(len(l.members), func(i int) bool { return l.members[i] >= id })
	l.members = append(l.members[:i], l.members[i+1:]...)
	return true
}

// Errors of the state API.
var (
	ErrHubSpotNotFound = errors.New("hubspot sandbox: no such object")
	ErrHubSpotConflict = errors.New("hubspot sandbox: conflict")
	ErrHubSpotInvalid  = errors.New("hubspot sandbox: invalid input")
)

// HubSpotContact is a contact as the state API shows it.
type HubSpotContact struct {
	ID         string            `json:"id"`
	Properties map[string]string `json:"properties"`
	CreatedAt  time.Time         `json:"createdAt"`
	UpdatedAt  time.Time         `json:"updatedAt"`
	Archived   bool              `json:"archived"`
	// MergedInto is the surviving record of a merged-away contact.
	MergedInto string `json:"mergedInto,omitempty"`
}

func (c *hsContact) view() HubSpotContact {
	v := HubSpotContact{
		ID:         strconv.FormatInt(c.id, 10),
		Properties: hsCopyMap(c.props),
		CreatedAt:  c.createdAt,
		UpdatedAt:  c.updatedAt,
		Archived:   c.archived,
	}
	if c.mergedInto != 0 {
		v.MergedInto = strconv.FormatInt(c.mergedInto, 10)
	}
	return v
}

func hsParseID(s string) (int64, bool) {
	id, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	return id, err == nil && id > 0
}

// Contact returns the record with this id as stored (merged-away and
// archived records included), or false.
func (h *HubSpot) Contact(id string) (HubSpotContact, bool) {
	n, ok := hsParseID(id)
	if !ok {
		return HubSpotContact{}, false
	}
	h.mu.RLock()
	defer h.mu.RUnlock()
	c := h.contacts[n]
	if c == nil {
		return HubSpotContact{}, false
	}
	return c.view(), true
}

// ContactIDs returns the ids of live contacts, ascending.
func (h *HubSpot) ContactIDs() []string {
	h.mu.RLock()
	defer h.mu.RUnlock()
	out := make([]string, 0, len(h.order))
	for _, c := range h.order {
		if c.live() {
			out = append(out, strconv.FormatInt(c.id, 10))
		}
	}
	return out
}

// checkProps refuses unknown and emulator-managed properties, as HubSpot
// refuses unknown and read-only ones.
func (h *HubSpot) checkProps(props map[string]string) error {
	for k := range props {
		if hsManagedProps[k] {
			return fmt.Errorf("%w: %s is a read only property", ErrHubSpotInvalid, k)
		}
		h.mu.RLock()
		_, ok := h.propertyLocked(k)
		h.mu.RUnlock()
		if !ok {
			return fmt.Errorf("%w: property %q does not exist", ErrHubSpotInvalid, k)
		}
	}
	return nil
}

// setPropsLocked applies values; "" clears a property, as in HubSpot.
func (h *HubSpot) setPropsLocked(c *hsContact, props map[string]string) error {
	if email, ok := props["email"]; ok {
		key := strings.ToLower(strings.TrimSpace(email))
		if other, taken := h.byEmail[key]; taken && key != "" && other != c.id {
			return fmt.Errorf("%w: Contact already exists. Existing ID: %d", ErrHubSpotConflict, other)
		}
		if old := strings.ToLower(strings.TrimSpace(c.props["email"])); old != "" && h.byEmail[old] == c.id {
			delete(h.byEmail, old)
		}
		delete(c.props, "hs_email_domain")
		if key != "" {
			h.byEmail[key] = c.id
			if at := strings.LastIndexByte(key, '@'); at > 0 && at < len(key)-1 {
				c.props["hs_email_domain"] = key[at+1:]
			}
		}
	}
	for k, v := range props {
		if k == "email" {
			v = strings.TrimSpace(v)
		}
		if v == "" {
			delete(c.props, k)
		} else {
			c.props[k] = v
		}
	}
	return nil
}

func (h *HubSpot) newContactLocked(at time.Time) *hsContact {
	at = at.UTC().Truncate(time.Millisecond)
	id := h.nextID
	h.nextID++
	c := &hsContact{id: id, props: map[string]string{}, createdAt: at, rank: hsRank(id)}
	c.props["hs_object_id"] = strconv.FormatInt(id, 10)
	c.props["createdate"] = hsTime(at)
	c.touch(at)
	h.contacts[id] = c
	h.order = append(h.order, c)
	return c
}

// reevaluateLocked updates the dynamic lists after c changed.
func (h *HubSpot) reevaluateLocked(c *hsContact, at time.Time) {
	for _, l := range h.lists {
		if l.processingType != "DYNAMIC" {
			continue
		}
		if l.rule.matches(c) {
			if l.add(c.id, at) {
				l.updatedAt = at
			}
		} else if l.remove(c.id) {
			l.updatedAt = at
		}
	}
}

// CreateContact adds a contact with the given properties and returns its id.
// An email already in use is ErrHubSpotConflict, as HubSpot's 409.
func (h *HubSpot) CreateContact(props map[string]string) (string, error) {
	if err := h.checkProps(props); err != nil {
		return "", err
	}
	now := h.now()
	h.mu.Lock()
	defer h.mu.Unlock()
	if email := strings.ToLower(strings.TrimSpace(props["email"])); email != "" {
		if other, taken := h.byEmail[email]; taken {
			return "", fmt.Errorf("%w: Contact already exists. Existing ID: %d", ErrHubSpotConflict, other)
		}
	}
	c := h.newContactLocked(now)
	_ = h.setPropsLocked(c, props)
	h.reevaluateLocked(c, now)
	return strconv.FormatInt(c.id, 10), nil
}

// UpdateContact sets properties ("" clears one) and bumps lastmodifieddate
// to now, as any change in HubSpot does.
func (h *HubSpot) UpdateContact(id string, props map[string]string) error {
	if err := h.checkProps(props); err != nil {
		return err
	}
	now := h.now()
	h.mu.Lock()
	defer h.mu.Unlock()
	c, err := h.liveLocked(id)
	if err != nil {
		return err
	}
	if err := h.setPropsLocked(c, props); err != nil {
		return err
	}
	c.touch(now)
	h.reevaluateLocked(c, now)
	return nil
}

func (h *HubSpot) liveLocked(id string) (*hsContact, error) {
	n, ok := hsParseID(id)
	if !ok {
		return nil, fmt.Errorf("%w: contact %q", ErrHubSpotNotFound, id)
	}
	c := h.contacts[n]
	if c == nil || !c.live() {
		return nil, fmt.Errorf("%w: contact %q", ErrHubSpotNotFound, id)
	}
	return c, nil
}

// ArchiveContact soft-deletes a contact: it disappears from lists, search
// and batch reads (unless archived=true is asked for).
func (h *HubSpot) ArchiveContact(id string) error {
	return h.archive(id, false)
}

// archive archives a live contact and, forGood, forgets it entirely.
func (h *HubSpot) archive(id string, forGood bool) error {
	now := h.now()
	h.mu.Lock()
	defer h.mu.Unlock()
	c, err := h.liveLocked(id)
	if err != nil {
		return err
	}
	h.archiveLocked(c, now)
	if forGood {
		delete(h.contacts, c.id)
		h.order = slices.DeleteFunc(h.order, func(o *hsContact) bool { return o == c })
	}
	return nil
}

func (h *HubSpot) archiveLocked(c *hsContact, now time.Time) {
	c.archived = true
	c.archivedAt = now.UTC().Truncate(time.Millisecond)
	if email := strings.ToLower(c.props["email"]); email != "" && h.byEmail[email] == c.id {
		delete(h.byEmail, email)
	}
	for _, l := range h.lists {
		if l.remove(c.id) {
			l.updatedAt = now
		}
	}
}

// MergeContacts merges secondary into primary the way HubSpot does today: a
// new record with a new id takes the primary's values (the secondary fills
// gaps), lists hs_merged_object_ids, and both old ids are archived aliases
// of it (reading an old id answers with the new record). It returns the
// new id.
func (h *HubSpot) MergeContacts(primaryID, secondaryID string) (string, error) {
	now := h.now()
	h.mu.Lock()
	defer h.mu.Unlock()
	p, err := h.liveLocked(primaryID)
	if err != nil {
		return "", err
	}
	s, err := h.liveLocked(secondaryID)
	if err != nil {
		return "", err
	}
	if p.id == s.id {
		return "", fmt.Errorf("%w: cannot merge a contact with itself", ErrHubSpotInvalid)
	}
	merged := []string{}
	for _, c := range []*hsContact{p, s} {
		if prev := c.props["hs_merged_object_ids"]; prev != "" {
			merged = append(merged, strings.Split(prev, ";")...)
		}
		merged = append(merged, strconv.FormatInt(c.id, 10))
	}
	values := map[string]string{}
	for k, v := range s.props {
		if !hsManagedProps[k] {
			values[k] = v
		}
	}
	for k, v := range p.props {
		if !hsManagedProps[k] {
			values[k] = v
		}
	}
	var lists []*hsList
	for _, l := range h.lists {
		if l.processingType != "DYNAMIC" && (l.has(p.id) || l.has(s.id)) {
			lists = append(lists, l)
		}
	}
	h.archiveLocked(p, now)
	h.archiveLocked(s, now)

	n := h.newContactLocked(now)
	n.createdAt = p.createdAt
	if s.createdAt.Before(n.createdAt) {
		n.createdAt = s.createdAt
	}
	n.props["createdate"] = hsTime(n.createdAt)
	_ = h.setPropsLocked(n, values)
	n.props["hs_merged_object_ids"] = strings.Join(merged, ";")
	for _, old := range []*hsContact{p, s} {
		old.mergedInto = n.id
		h.alias[old.id] = n.id
	}
	for old, to := range h.alias {
		if to == p.id || to == s.id {
			h.alias[old] = n.id
		}
	}
	for _, l := range lists {
		l.add(n.id, now)
		l.updatedAt = now
	}
	h.reevaluateLocked(n, now)
	return strconv.FormatInt(n.id, 10), nil
}

// resolveLocked follows merge aliases to the record HubSpot would answer
// with for id.
func (h *HubSpot) resolveLocked(id int64) *hsContact {
	if to, ok := h.alias[id]; ok {
		id = to
	}
	return h.contacts[id]
}

// CreateList creates a MANUAL (static) contact list and returns its id.
func (h *HubSpot) CreateList(name string) (string, error) {
	return h.createList(name, "MANUAL", nil)
}

// CreateDynamicList creates a DYNAMIC list whose members are the contacts
// matching rule, kept up to date as contacts change.
func (h *HubSpot) CreateDynamicList(name string, rule ListRule) (string, error) {
	if _, ok := hsSchemaByName[rule.Property]; !ok {
		return "", fmt.Errorf("%w: property %q does not exist", ErrHubSpotInvalid, rule.Property)
	}
	return h.createList(name, "DYNAMIC", &rule)
}

func (h *HubSpot) createList(name, processingType string, rule *ListRule) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", fmt.Errorf("%w: list name is empty", ErrHubSpotInvalid)
	}
	now := h.now()
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, l := range h.lists {
		if strings.EqualFold(l.name, name) {
			return "", fmt.Errorf("%w: a list named %q already exists", ErrHubSpotConflict, name)
		}
	}
	l := h.addListLocked(h.nextList, name, processingType, rule, now)
	if rule != nil {
		for _, c := range h.order {
			if rule.matches(c) {
				l.add(c.id, now)
			}
		}
	}
	return strconv.FormatInt(l.id, 10), nil
}

func (h *HubSpot) addListLocked(id int64, name, processingType string, rule *ListRule, now time.Time) *hsList {
	l := &hsList{id: id, name: name, processingType: processingType, rule: rule, version: 1,
		createdAt: now, updatedAt: now, joined: map[int64]time.Time{}}
	h.lists[id] = l
	if id >= h.nextList {
		h.nextList = id + 1
	}
	return l
}

// AddToList adds live contacts to a MANUAL list; members already in it stay.
func (h *HubSpot) AddToList(listID string, contactIDs ...string) error {
	return h.changeList(listID, contactIDs, true)
}

// RemoveFromList removes contacts from a MANUAL list.
func (h *HubSpot) RemoveFromList(listID string, contactIDs ...string) error {
	return h.changeList(listID, contactIDs, false)
}

func (h *HubSpot) changeList(listID string, contactIDs []string, add bool) error {
	now := h.now()
	h.mu.Lock()
	defer h.mu.Unlock()
	l, err := h.listLocked(listID)
	if err != nil {
		return err
	}
	if l.processingType == "DYNAMIC" {
		return fmt.Errorf("%w: list %s is DYNAMIC; its members follow its filter", ErrHubSpotInvalid, listID)
	}
	ids := make([]int64, 0, len(contactIDs))
	for _, s := range contactIDs {
		id, ok := hsParseID(s)
		if !ok {
			return fmt.Errorf("%w: contact id %q", ErrHubSpotInvalid, s)
		}
		if add {
			if c := h.contacts[id]; c == nil || !c.live() {
				return fmt.Errorf("%w: contact %q", ErrHubSpotNotFound, s)
			}
		}
		ids = append(ids, id)
	}
	changed := false
	for _, id := range ids {
		if add {
			changed = l.add(id, now) || changed
		} else {
			changed = l.remove(id) || changed
		}
	}
	if changed {
		l.updatedAt = now
	}
	return nil
}

func (h *HubSpot) listLocked(listID string) (*hsList, error) {
	n, ok := hsParseID(listID)
	if !ok {
		return nil, fmt.Errorf("%w: list %q", ErrHubSpotNotFound, listID)
	}
	l := h.lists[n]
	if l == nil {
		return nil, fmt.Errorf("%w: list %q", ErrHubSpotNotFound, listID)
	}
	return l, nil
}

// SetListProcessing marks a list as being recomputed by HubSpot: its
// processingStatus becomes status (e.g. "PROCESSING") and memberships reads
// return only part of its members until it is set back. An empty status,
// or the emulator's complete spelling (HubSpotOptions.ListCompleteStatus),
// ends the processing.
func (h *HubSpot) SetListProcessing(listID, status string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	l, err := h.listLocked(listID)
	if err != nil {
		return err
	}
	status = strings.TrimSpace(status)
	if strings.EqualFold(status, h.opts.ListCompleteStatus) {
		status = ""
	}
	l.processing = status
	return nil
}

// ListMembers returns a list's member ids, ascending.
func (h *HubSpot) ListMembers(listID string) ([]string, error) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	l, err := h.listLocked(listID)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(l.members))
	for i, id := range l.members {
		out[i] = strconv.FormatInt(id, 10)
	}
	return out, nil
}

// ExpireTokens makes every issued OAuth access token expire now, so the
// next call with one is answered 401 EXPIRED_AUTHENTICATION.
func (h *HubSpot) ExpireTokens() {
	now := h.now()
	h.authMu.Lock()
	defer h.authMu.Unlock()
	for tok, exp := range h.issued {
		if exp.After(now) {
			h.issued[tok] = now
		}
	}
}
