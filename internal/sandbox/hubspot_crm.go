package sandbox

import (
	"encoding/base64"
	"fmt"
	"hash/fnv"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// hsDefaultProps are returned when a read names no properties.
var hsDefaultProps = []string{"firstname", "lastname", "email"}

// hsAlwaysProps come back with every contact, asked for or not.
var hsAlwaysProps = []string{"createdate", "lastmodifieddate", "hs_object_id"}

// hsRequestedProps is the property set of a read: the requested ones (or
// the defaults) plus the ones HubSpot always adds, without repeats.
func hsRequestedProps(requested []string) []string {
	if len(requested) == 0 {
		requested = hsDefaultProps
	}
	seen := map[string]bool{}
	out := make([]string, 0, len(requested)+len(hsAlwaysProps))
	for _, p := range append(append([]string(nil), requested...), hsAlwaysProps...) {
		p = strings.TrimSpace(p)
		if p != "" && !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out
}

// hsObjectJSON renders a contact as SimplePublicObject. Requested
// properties without a value are null; unknown ones are left out.
func hsObjectJSON(c *hsContact, props []string) map[string]any {
	values := make(map[string]any, len(props))
	for _, p := range props {
		if v, ok := c.props[p]; ok {
			values[p] = v
		} else if _, known := hsSchemaByName[p]; known {
			values[p] = nil
		}
	}
	m := map[string]any{
		"id":         strconv.FormatInt(c.id, 10),
		"properties": values,
		"createdAt":  hsTime(c.createdAt),
		"updatedAt":  hsTime(c.updatedAt),
		"archived":   c.archived,
	}
	if c.archived {
		m["archivedAt"] = hsTime(c.archivedAt)
	}
	return m
}

func (h *HubSpot) listJSON(l *hsList, definition bool) map[string]any {
	m := map[string]any{
		"listId":           strconv.FormatInt(l.id, 10),
		"listVersion":      l.version,
		"name":             l.name,
		"objectTypeId":     "0-1",
		"processingType":   l.processingType,
		"processingStatus": h.listStatus(l),
		"createdAt":        hsTime(l.createdAt),
		"updatedAt":        hsTime(l.updatedAt),
		"filtersUpdatedAt": hsTime(l.createdAt),
		"createdById":      "1",
		"updatedById":      "1",
	}
	if definition {
		m["size"] = len(l.members)
		m["deletedAt"] = nil
	} else {
		m["additionalProperties"] = map[string]string{"hs_list_size": strconv.Itoa(len(l.members))}
	}
	return m
}

// listStatus is the processingStatus a list shows.
func (h *HubSpot) listStatus(l *hsList) string {
	if l.processing != "" {
		return l.processing
	}
	return h.opts.ListCompleteStatus
}

func (h *HubSpot) handleGetList(w http.ResponseWriter, r *http.Request) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	l, err := h.listLocked(r.PathValue("listId"))
	if err != nil {
		h.fail(w, http.StatusNotFound, "OBJECT_NOT_FOUND", fmt.Sprintf("List with id %s does not exist.", r.PathValue("listId")), nil)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"list": h.listJSON(l, true)})
}

func (h *HubSpot) handleListByName(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	h.mu.RLock()
	defer h.mu.RUnlock()
	if r.PathValue("objectTypeId") == "0-1" {
		for _, l := range h.lists {
			if strings.EqualFold(l.name, name) {
				writeJSON(w, http.StatusOK, map[string]any{"list": h.listJSON(l, true)})
				return
			}
		}
	}
	h.fail(w, http.StatusNotFound, "OBJECT_NOT_FOUND", fmt.Sprintf("List with name %q does not exist.", name), nil)
}

func (h *HubSpot) handleSearchLists(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Query           string      `json:"query"`
		Offset          int         `json:"offset"`
		Count           *int        `json:"count"`
		ProcessingTypes []string    `json:"processingTypes"`
		ObjectTypeID    string      `json:"objectTypeId"`
		ListIDs         []hsFlexStr `json:"listIds"`
	}
	if err := readJSON(r, w, &body); err != nil {
		h.validationError(w, "Invalid input JSON: "+err.Error())
		return
	}
	count := 20
	if body.Count != nil {
		count = *body.Count
	}
	if count < 1 || count > h.opts.ListSearchCountMax {
		h.validationError(w, fmt.Sprintf("count must be between 1 and %d", h.opts.ListSearchCountMax))
		return
	}
	if body.Offset < 0 {
		h.validationError(w, "offset must not be negative")
		return
	}
	ids := map[string]bool{}
	for _, id := range body.ListIDs {
		ids[string(id)] = true
	}
	types := map[string]bool{}
	for _, t := range body.ProcessingTypes {
		types[strings.ToUpper(t)] = true
	}
	query := strings.ToLower(strings.TrimSpace(body.Query))

	h.mu.RLock()
	defer h.mu.RUnlock()
	var matched []*hsList
	for _, l := range h.lists {
		switch {
		case body.ObjectTypeID != "" && body.ObjectTypeID != "0-1",
			len(types) > 0 && !types[l.processingType],
			len(ids) > 0 && !ids[strconv.FormatInt(l.id, 10)],
			query != "" && !strings.Contains(strings.ToLower(l.name), query):
			continue
		}
		matched = append(matched, l)
	}
	sort.Slice(matched, func(i, j int) bool { return matched[i].id < matched[j].id })
	start := min(body.Offset, len(matched))
	end := min(start+count, len(matched))
	out := make([]map[string]any, 0, end-start)
	for _, l := range matched[start:end] {
		out = append(out, h.listJSON(l, false))
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"lists":   out,
		"hasMore": end < len(matched),
		"offset":  end,
		"total":   len(matched),
	})
}

// Membership cursors are opaque, like HubSpot's: they name the list and
// the last record returned, with a checksum, so a record id, a cursor of
// another list or an edited cursor is refused.
func hsMembershipCursor(listID, recordID int64) string {
	payload := fmt.Sprintf("m1|%d|%d", listID, recordID)
	return base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "%s|%08x", payload, hsChecksum(payload)))
}

func hsParseMembershipCursor(s string, listID int64) (int64, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return 0, false
	}
	parts := strings.Split(string(raw), "|")
	if len(parts) != 4 || parts[0] != "m1" || parts[1] != strconv.FormatInt(listID, 10) {
		return 0, false
	}
	if parts[3] != fmt.Sprintf("%08x", hsChecksum(strings.Join(parts[:3], "|"))) {
		return 0, false
	}
	id, err := strconv.ParseInt(parts[2], 10, 64)
	return id, err == nil
}

func hsChecksum(s string) uint32 {
	f := fnv.New32a()
	_, _ = f.Write([]byte("hubspot-sandbox:" + s))
	return f.Sum32()
}

// pageLimit reads a page's limit query parameter (def when absent) and
// answers HubSpot's validation error for one outside 1..most.
func (h *HubSpot) pageLimit(w http.ResponseWriter, q url.Values, def, most int) (int, bool) {
	s := q.Get("limit")
	if s == "" {
		return def, true
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > most {
		h.validationError(w, fmt.Sprintf("limit must be between 1 and %d, got %s", most, s))
		return 0, false
	}
	return n, true
}

func (h *HubSpot) handleMemberships(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, ok := h.pageLimit(w, q, 100, h.opts.MembershipsPageMax)
	if !ok {
		return
	}
	h.mu.RLock()
	defer h.mu.RUnlock()
	l, err := h.listLocked(r.PathValue("listId"))
	if err != nil {
		h.fail(w, http.StatusNotFound, "OBJECT_NOT_FOUND", fmt.Sprintf("List with id %s does not exist.", r.PathValue("listId")), nil)
		return
	}
	members := l.visibleMembers()
	start := 0
	if after := q.Get("after"); after != "" {
		last, ok := hsParseMembershipCursor(after, l.id)
		if !ok {
			h.validationError(w, "Invalid paging cursor 'after'.")
			return
		}
		start = sort.Search(len(members), func(i int) bool { return members[i] > last })
	}
	end := min(start+limit, len(members))
	results := make([]map[string]string, 0, end-start)
	for _, id := range members[start:end] {
		results = append(results, map[string]string{
			"recordId":            strconv.FormatInt(id, 10),
			"membershipTimestamp": hsTime(l.joined[id]),
		})
	}
	resp := map[string]any{"results": results, "total": len(members)}
	if end < len(members) {
		after := hsMembershipCursor(l.id, members[end-1])
		resp["paging"] = map[string]any{"next": map[string]string{
			"after": after,
			"link":  fmt.Sprintf("%s?after=%s&limit=%d", r.URL.Path, after, limit),
		}}
	}
	writeJSON(w, http.StatusOK, resp)
}

// withinBatchLimit answers HubSpot's error for a batch of more inputs
// than its batch endpoints take.
func (h *HubSpot) withinBatchLimit(w http.ResponseWriter, n int) bool {
	if n > h.opts.BatchReadMax {
		h.validationError(w, fmt.Sprintf("Batch input limit exceeded: at most %d inputs are allowed, got %d.", h.opts.BatchReadMax, n))
		return false
	}
	return true
}

func (h *HubSpot) handleBatchRead(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Properties []string `json:"properties"`
		IDProperty string   `json:"idProperty"`
		Inputs     []struct {
			ID hsFlexStr `json:"id"`
		} `json:"inputs"`
	}
	if err := readJSON(r, w, &body); err != nil {
		h.validationError(w, "Invalid input JSON: "+err.Error())
		return
	}
	if !h.withinBatchLimit(w, len(body.Inputs)) {
		return
	}
	switch body.IDProperty {
	case "", "hs_object_id", "email":
	default:
		h.validationError(w, fmt.Sprintf("idProperty %q is not a unique identifier property.", body.IDProperty))
		return
	}
	archived := r.URL.Query().Get("archived") == "true"
	props := hsRequestedProps(body.Properties)
	started := hsTime(h.now())

	h.mu.RLock()
	defer h.mu.RUnlock()
	results := make([]map[string]any, 0, len(body.Inputs))
	var missing []string
	returned := map[int64]bool{}
	for _, in := range body.Inputs {
		key := strings.TrimSpace(string(in.ID))
		var c *hsContact
		if body.IDProperty == "email" {
			if id, ok := h.byEmail[strings.ToLower(key)]; ok {
				c = h.contacts[id]
			}
		} else if id, ok := hsParseID(key); ok {
			c = h.resolveLocked(id)
		}
		if c == nil || c.archived != archived {
			missing = append(missing, key)
			continue
		}
		if !returned[c.id] {
			returned[c.id] = true
			results = append(results, hsObjectJSON(c, props))
		}
	}
	resp := map[string]any{
		"status":      "COMPLETE",
		"results":     results,
		"startedAt":   started,
		"completedAt": hsTime(h.now()),
	}
	status := http.StatusOK
	if len(missing) > 0 {
		status = http.StatusMultiStatus
		resp["numErrors"] = 1
		resp["errors"] = []map[string]any{{
			"status":      "error",
			"category":    "OBJECT_NOT_FOUND",
			"message":     "Could not get some CONTACT objects, they may be deleted or not exist. Check that ids are valid.",
			"context":     map[string][]string{"ids": missing},
			"subCategory": "crm.objects.OBJECT_NOT_FOUND",
		}}
	}
	writeJSON(w, status, resp)
}

// hsQueryList reads a comma-separated (or repeated) query parameter.
func hsQueryList(q url.Values, name string) []string {
	var out []string
	for _, v := range q[name] {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

func (h *HubSpot) handleListContacts(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, ok := h.pageLimit(w, q, 10, h.opts.ContactsPageMax)
	if !ok {
		return
	}
	var after int64
	if s := q.Get("after"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			h.validationError(w, "Invalid paging cursor 'after'.")
			return
		}
		after = n
	}
	archived := q.Get("archived") == "true"
	props := hsRequestedProps(hsQueryList(q, "properties"))

	h.mu.RLock()
	defer h.mu.RUnlock()
	start := sort.Search(len(h.order), func(i int) bool { return h.order[i].id >= after })
	results := make([]map[string]any, 0, limit)
	i := start
	for ; i < len(h.order) && len(results) < limit; i++ {
		c := h.order[i]
		if c.mergedInto != 0 || c.archived != archived {
			continue
		}
		results = append(results, hsObjectJSON(c, props))
	}
	// The next cursor is the next record's id, as HubSpot's is in practice.
	for ; i < len(h.order); i++ {
		if c := h.order[i]; c.mergedInto == 0 && c.archived == archived {
			break
		}
	}
	resp := map[string]any{"results": results}
	if i < len(h.order) {
		next := strconv.FormatInt(h.order[i].id, 10)
		resp["paging"] = map[string]any{"next": map[string]string{
			"after": next,
			"link":  fmt.Sprintf("%s?after=%s&limit=%d", r.URL.Path, next, limit),
		}}
	}
	writeJSON(w, http.StatusOK, resp)
}

func (h *HubSpot) handleGetContact(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	key := r.PathValue("contactId")
	props := hsRequestedProps(hsQueryList(q, "properties"))
	archived := q.Get("archived") == "true"
	h.mu.RLock()
	defer h.mu.RUnlock()
	var c *hsContact
	switch q.Get("idProperty") {
	case "email":
		if id, ok := h.byEmail[strings.ToLower(strings.TrimSpace(key))]; ok {
			c = h.contacts[id]
		}
	case "", "hs_object_id":
		if id, ok := hsParseID(key); ok {
			c = h.resolveLocked(id)
		}
	default:
		h.validationError(w, fmt.Sprintf("idProperty %q is not a unique identifier property.", q.Get("idProperty")))
		return
	}
	if c == nil || c.archived != archived {
		h.fail(w, http.StatusNotFound, "OBJECT_NOT_FOUND", "Object not found.  objectId are usually numeric.", nil)
		return
	}
	writeJSON(w, http.StatusOK, hsObjectJSON(c, props))
}

func (h *HubSpot) handleProperties(w http.ResponseWriter, r *http.Request) {
	archived := r.URL.Query().Get("archived") == "true"
	at := hsTime(hsSchemaTime)
	results := make([]map[string]any, 0, len(hsSchema))
	for _, p := range hsSchema {
		if p.Archived == archived {
			results = append(results, hsPropertyJSON(p, at))
		}
	}
	h.mu.RLock()
	for _, name := range slices.Sorted(maps.Keys(h.created)) {
		if !archived {
			results = append(results, hsPropertyJSON(*h.created[name], at))
		}
	}
	h.mu.RUnlock()
	writeJSON(w, http.StatusOK, map[string]any{"results": results})
}
