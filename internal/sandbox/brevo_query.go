package sandbox

import (
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// brevoContactFilter is what the contact listings select by.
type brevoContactFilter struct {
	lists                       map[int64]bool // any of them; empty: every contact
	modifiedSince, createdSince time.Time
}

func (f brevoContactFilter) keep(c *BrevoContact) bool {
	if len(f.lists) > 0 {
		in := false
		for _, l := range c.ListIDs {
			in = in || f.lists[l]
		}
		if !in {
			return false
		}
	}
	// Brevo says "modified after"; the sandbox includes the bound, which
	// a client overlapping its windows cannot tell from excluding it.
	if !f.modifiedSince.IsZero() && c.ModifiedAt.Before(f.modifiedSince) {
		return false
	}
	return f.createdSince.IsZero() || !c.CreatedAt.Before(f.createdSince)
}

// brevoParseSince reads a filter date-time (YYYY-MM-DDTHH:mm:ss.SSSZ, or
// with an offset, as Brevo recommends passing the time zone).
func brevoParseSince(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, true
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	return t, err == nil
}

// contactFilter reads modifiedSince, createdSince and listIds (repeated,
// comma-separated or indexed as listIds[0]); a bad value is a 400.
func (b *Brevo) contactFilter(w http.ResponseWriter, r *http.Request, withLists bool) (brevoContactFilter, bool) {
	q := r.URL.Query()
	f := brevoContactFilter{lists: map[int64]bool{}}
	var ok bool
	for name, dst := range map[string]*time.Time{"modifiedSince": &f.modifiedSince, "createdSince": &f.createdSince} {
		if *dst, ok = brevoParseSince(q.Get(name)); !ok {
			b.fail(w, brevoInvalid("%s must be a UTC date-time (YYYY-MM-DDTHH:mm:ss.SSSZ)", name))
			return f, false
		}
	}
	if !withLists {
		return f, true
	}
	for key, vals := range q {
		if key != "listIds" && !strings.HasPrefix(key, "listIds[") {
			continue
		}
		for _, v := range vals {
			for _, part := range strings.Split(v, ",") {
				id, err := strconv.ParseInt(strings.TrimSpace(part), 10, 64)
				if err != nil || id <= 0 {
					b.fail(w, brevoInvalid("listIds must be list ids"))
					return f, false
				}
				f.lists[id] = true
			}
		}
	}
	if len(f.lists) > 0 && q.Get("segmentId") != "" {
		b.fail(w, brevoInvalid("Either listIds or segmentId can be passed"))
		return f, false
	}
	return f, true
}

// writeContactPageLocked answers a contact listing: {"contacts": [...], "count": n}
// with contacts in the shape of GET /contacts/{identifier}, without
// statistics.
func (b *Brevo) writeContactPageLocked(w http.ResponseWriter, f brevoContactFilter, offset, limit int, desc bool) {
	var match []*BrevoContact
	for _, c := range b.contacts {
		if f.keep(c) {
			match = append(match, c)
		}
	}
	sort.Slice(match, func(i, j int) bool { return match[i].ID < match[j].ID })
	out := []map[string]any{}
	for _, c := range brevoPage(match, offset, limit, desc) {
		out = append(out, b.contactJSON(c, false))
	}
	writeJSON(w, http.StatusOK, map[string]any{"contacts": out, "count": len(match)})
}

// handleContacts is GET /contacts: limit up to 1000 (default 50).
func (b *Brevo) handleContacts(w http.ResponseWriter, r *http.Request) {
	offset, limit, desc, ok := b.page(w, r, 50, 1000)
	if !ok {
		return
	}
	f, ok := b.contactFilter(w, r, true)
	if !ok {
		return
	}
	defer b.lockSettled()()
	for l := range f.lists {
		if b.lists[l] == nil {
			b.fail(w, brevoNotFound("List ID does not exist"))
			return
		}
	}
	b.writeContactPageLocked(w, f, offset, limit, desc)
}

// handleListContacts is GET /contacts/lists/{id}/contacts: limit up to 500.
func (b *Brevo) handleListContacts(w http.ResponseWriter, r *http.Request) {
	offset, limit, desc, ok := b.page(w, r, 50, 500)
	if !ok {
		return
	}
	f, ok := b.contactFilter(w, r, false)
	if !ok {
		return
	}
	defer b.lockSettled()()
	l := b.listLocked(w, r)
	if l == nil {
		return
	}
	f.lists[l.ID] = true
	b.writeContactPageLocked(w, f, offset, limit, desc)
}

// handleDeleteContact is DELETE /contacts/{identifier}: without
// identifierType only an email or a contact id, as for PUT.
func (b *Brevo) handleDeleteContact(w http.ResponseWriter, r *http.Request) {
	defer b.lockSettled()()
	c, e := b.resolveLocked(r.PathValue("identifier"), r.URL.Query().Get("identifierType"), false)
	if e != nil {
		b.fail(w, e)
		return
	}
	b.deleteContactLocked(c)
	w.WriteHeader(http.StatusNoContent)
}
