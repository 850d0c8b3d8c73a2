package sandbox

import (
	"net/http"
	"regexp"
	"strings"
)

func (b *Brevo) listJSONLocked(l *BrevoList, counts map[int64]brevoCounts) map[string]any {
	n := counts[l.ID]
	return map[string]any{
		"id": l.ID, "name": l.Name, "folderId": l.FolderID,
		"totalSubscribers": n.members, "uniqueSubscribers": n.members, "totalBlacklisted": n.blacklisted,
	}
}

func (b *Brevo) handleLists(w http.ResponseWriter, r *http.Request) {
	offset, limit, desc, ok := b.page(w, r, 10, 50)
	if !ok {
		return
	}
	defer b.lockSettled()()
	all := b.listsLocked()
	counts := b.memberCountsLocked()
	out := []map[string]any{}
	for _, l := range brevoPage(all, offset, limit, desc) {
		out = append(out, b.listJSONLocked(&l, counts))
	}
	writeJSON(w, http.StatusOK, map[string]any{"lists": out, "count": len(all)})
}

func (b *Brevo) checkNewListLocked(name string, folderID int64) *brevoError {
	if strings.TrimSpace(name) == "" {
		return brevoMissing("name is missing")
	}
	if folderID == 0 {
		return brevoMissing("folderId is missing")
	}
	if _, ok := b.folders[folderID]; !ok {
		return brevoInvalid("Folder %d does not exist", folderID)
	}
	return nil
}

func (b *Brevo) handleCreateList(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Name     string `json:"name"`
		FolderID int64  `json:"folderId"`
	}
	if !b.decode(w, r, &body) {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if e := b.checkNewListLocked(body.Name, body.FolderID); e != nil {
		b.fail(w, e)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]int64{"id": b.createListLocked(body.Name, body.FolderID)})
}

func (b *Brevo) listLocked(w http.ResponseWriter, r *http.Request) *BrevoList {
	id, ok := brevoPathID(r, "id")
	if !ok {
		b.fail(w, brevoInvalid("Invalid list id"))
		return nil
	}
	l := b.lists[id]
	if l == nil {
		b.fail(w, brevoNotFound("List ID does not exist"))
	}
	return l
}

func (b *Brevo) handleGetList(w http.ResponseWriter, r *http.Request) {
	defer b.lockSettled()()
	l := b.listLocked(w, r)
	if l == nil {
		return
	}
	out := b.listJSONLocked(l, b.memberCountsLocked())
	out["createdAt"] = brevoTime(l.CreatedAt)
	out["campaignStats"] = []any{}
	out["dynamicList"] = false
	writeJSON(w, http.StatusOK, out)
}

func (b *Brevo) handleFolders(w http.ResponseWriter, r *http.Request) {
	offset, limit, desc, ok := b.page(w, r, 10, 50)
	if !ok {
		return
	}
	defer b.lockSettled()()
	all := b.foldersLocked()
	counts := b.memberCountsLocked()
	out := []map[string]any{}
	for _, f := range brevoPage(all, offset, limit, desc) {
		var n brevoCounts
		for _, l := range b.lists {
			if l.FolderID == f.ID {
				n.members += counts[l.ID].members
				n.blacklisted += counts[l.ID].blacklisted
			}
		}
		out = append(out, map[string]any{"id": f.ID, "name": f.Name,
			"totalSubscribers": n.members, "uniqueSubscribers": n.members, "totalBlacklisted": n.blacklisted})
	}
	writeJSON(w, http.StatusOK, map[string]any{"folders": out, "count": len(all)})
}

func (b *Brevo) handleCreateFolder(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Name string `json:"name"`
	}
	if !b.decode(w, r, &body) {
		return
	}
	if strings.TrimSpace(body.Name) == "" {
		b.fail(w, brevoMissing("name is missing"))
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	writeJSON(w, http.StatusCreated, map[string]int64{"id": b.createFolderLocked(body.Name)})
}

// brevoMembersBody is the body of list add/remove: exactly one of the
// identifier arrays.
type brevoMembersBody struct {
	Emails []string `json:"emails"`
	IDs    []int64  `json:"ids"`
	ExtIDs []string `json:"extIds"`
	All    bool     `json:"all"`
}

func (b *Brevo) handleListAdd(w http.ResponseWriter, r *http.Request) {
	b.changeMembers(w, r, true)
}

// handleListRemove applies removals at once; Brevo applies them in the
// background (30-60 s observed), which the sandbox does not emulate.
func (b *Brevo) handleListRemove(w http.ResponseWriter, r *http.Request) {
	b.changeMembers(w, r, false)
}

// check refuses a members body Brevo would refuse: "all", none or more
// than one kind of identifier, more than limit of them.
func (m brevoMembersBody) check(limit int) *brevoError {
	if m.All {
		return brevoInvalid("all is not supported by the sandbox")
	}
	kinds, n := 0, 0
	for _, l := range []int{len(m.Emails), len(m.IDs), len(m.ExtIDs)} {
		if l > 0 {
			kinds++
			n = l
		}
	}
	switch {
	case kinds == 0:
		return brevoMissing("One of emails, ids or extIds is required")
	case kinds > 1:
		return brevoInvalid("Only one of emails, ids or extIds may be given")
	case n > limit:
		return brevoInvalid("A maximum of %d contacts can be added or removed at a time", limit)
	}
	return nil
}

// membersLocked pairs each identifier of the body with its contact (nil
// when unknown), in the body's order.
func (b *Brevo) membersLocked(m brevoMembersBody) (idents []any, contacts []*BrevoContact) {
	for _, e := range m.Emails {
		c, _ := b.resolveLocked(e, "email_id", false)
		idents, contacts = append(idents, e), append(contacts, c)
	}
	for _, id := range m.IDs {
		idents, contacts = append(idents, id), append(contacts, b.contacts[id])
	}
	for _, x := range m.ExtIDs {
		c, _ := b.resolveLocked(x, "ext_id", false)
		idents, contacts = append(idents, x), append(contacts, c)
	}
	return idents, contacts
}

func (b *Brevo) changeMembers(w http.ResponseWriter, r *http.Request, add bool) {
	var body brevoMembersBody
	if !b.decode(w, r, &body) {
		return
	}
	if e := body.check(b.opts.ListMembersMax); e != nil {
		b.fail(w, e)
		return
	}
	defer b.lockSettled()()
	l := b.listLocked(w, r)
	if l == nil {
		return
	}
	success, failure := []any{}, []any{}
	idents, contacts := b.membersLocked(body)
	for i, c := range contacts {
		changed := c != nil && (add && c.addList(l.ID) || !add && c.removeList(l.ID))
		if !changed {
			failure = append(failure, idents[i])
			continue
		}
		c.ModifiedAt = b.now()
		b.stats.ListChanges++
		success = append(success, idents[i])
	}
	if len(success) == 0 {
		// Real Brevo refuses a call none of whose contacts it could
		// change with a 400, not with a 201 listing them all as failures.
		msg := "Contact already removed from list and/or does not exist"
		if add {
			msg = "Contact already in list and/or does not exist"
		}
		b.fail(w, brevoInvalid("%s", msg))
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"contacts": map[string]any{"success": success, "failure": failure}})
}

var brevoAttributeNameRe = regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`)

func (b *Brevo) handleAttributes(w http.ResponseWriter, _ *http.Request) {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]BrevoAttribute, 0, len(b.attrs))
	for _, a := range b.attrs {
		out = append(out, *a)
	}
	writeJSON(w, http.StatusOK, map[string]any{"attributes": out})
}

func (b *Brevo) handleCreateAttribute(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Type                 string           `json:"type"`
		Enumeration          []BrevoEnumValue `json:"enumeration"`
		MultiCategoryOptions []string         `json:"multiCategoryOptions"`
	}
	if r.ContentLength != 0 && !b.decode(w, r, &body) {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if e := b.createAttributeLocked(BrevoAttribute{
		Name: r.PathValue("name"), Category: r.PathValue("category"), Type: body.Type,
		Enumeration: body.Enumeration, MultiCategoryOptions: body.MultiCategoryOptions,
	}); e != nil {
		b.fail(w, e)
		return
	}
	w.WriteHeader(http.StatusCreated)
}

// createAttributeLocked validates and adds an attribute: normal ones take a
// type (text by default), category ones an enumeration, multiple-choice
// ones their options. Calculated and global attributes need formulas the
// sandbox does not evaluate.
func (b *Brevo) createAttributeLocked(a BrevoAttribute) *brevoError {
	a.Name = strings.ToUpper(strings.TrimSpace(a.Name))
	a.Category = strings.ToLower(a.Category)
	if !brevoAttributeNameRe.MatchString(a.Name) {
		return brevoInvalid("Invalid attribute name %s: use letters, digits and underscores", a.Name)
	}
	if b.attributeLocked(a.Name) != nil {
		return &brevoError{status: http.StatusBadRequest, code: "duplicate_parameter", msg: "Attribute " + a.Name + " already exists"}
	}
	switch a.Category {
	case "normal":
		if a.Type == "" {
			a.Type = "text"
		}
		switch a.Type {
		case "text", "date", "float", "boolean", "user":
			a.MultiCategoryOptions = nil
		case "multiple-choice":
			if len(a.MultiCategoryOptions) == 0 {
				return brevoMissing("multiCategoryOptions is missing")
			}
		default:
			return brevoInvalid("Invalid attribute type %s for category normal", a.Type)
		}
		a.Enumeration = nil
	case "category":
		if a.Type != "" && a.Type != "category" {
			return brevoInvalid("Invalid attribute type %s for category category", a.Type)
		}
		if len(a.Enumeration) == 0 {
			return brevoMissing("enumeration is missing")
		}
		seen := map[int]bool{}
		for _, e := range a.Enumeration {
			if seen[e.Value] || e.Label == "" || len(e.Label) > 200 {
				return brevoInvalid("Invalid enumeration: values must be unique, labels 1-200 characters")
			}
			seen[e.Value] = true
		}
		a.Type, a.MultiCategoryOptions = "text", nil
	case "transactional":
		switch a.Type {
		case "", "text", "date", "float", "id", "boolean":
		default:
			return brevoInvalid("Invalid attribute type %s for category transactional", a.Type)
		}
		if a.Type == "" {
			a.Type = "text"
		}
	case "calculated", "global":
		return brevoInvalid("%s attributes are not supported by the sandbox", a.Category)
	default:
		return brevoInvalid("Invalid attribute category %s", a.Category)
	}
	b.attrs = append(b.attrs, &a)
	return nil
}
