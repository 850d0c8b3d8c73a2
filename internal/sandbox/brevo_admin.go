package sandbox

import (
	"net/http"
	"strings"
)

// registerAdmin adds the Brevo emulator's control endpoints for tests, the
// demo and curl users (no key, no budget), besides /state and /stats:
//
//	GET    /_sandbox/brevo/contacts                 every contact, by id
//	GET    /_sandbox/brevo/contacts?email=|ext_id=|sms=  the matching contact, as a 0- or 1-item array
//	POST   /_sandbox/brevo/contacts                 a hand-made BrevoContact -> {"id":N}
//	DELETE /_sandbox/brevo/contacts/{id}            delete it
//	POST   /_sandbox/brevo/unsubscribe              {"email":"..."}: blocklist as a person's unsubscribe (brevo_unsubscribe.go)
func (b *Brevo) registerAdmin(mux *http.ServeMux) {
	mux.HandleFunc("GET /_sandbox/brevo/contacts", b.handleAdminContacts)
	mux.HandleFunc("POST /_sandbox/brevo/contacts", func(w http.ResponseWriter, r *http.Request) {
		var c BrevoContact
		if err := readStrictJSON(r, w, &c); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		id, err := b.AddContact(c)
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		writeJSON(w, http.StatusCreated, map[string]int64{"id": id})
	})
	mux.HandleFunc("DELETE /_sandbox/brevo/contacts/{id}", func(w http.ResponseWriter, r *http.Request) {
		id, _ := brevoPathID(r, "id")
		if !b.DeleteContact(id) {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such contact"})
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

func (b *Brevo) handleAdminContacts(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var (
		c     BrevoContact
		found bool
	)
	switch {
	case q.Has("email"):
		c, found = b.ContactByEmail(q.Get("email"))
	case q.Has("ext_id"):
		c, found = b.ContactByExtID(q.Get("ext_id"))
	case q.Has("sms"):
		c, found = b.ContactBySMS(q.Get("sms"))
	default:
		writeJSON(w, http.StatusOK, b.Contacts())
		return
	}
	out := []BrevoContact{}
	if found {
		out = append(out, c)
	}
	writeJSON(w, http.StatusOK, out)
}

// ContactBySMS finds a contact by its SMS number, in any of the forms the
// API accepts ("+33...", "0033...", "33...").
func (b *Brevo) ContactBySMS(sms string) (BrevoContact, bool) {
	n, ok := brevoNormalizePhone(strings.TrimSpace(sms))
	if !ok {
		return BrevoContact{}, false
	}
	defer b.lockSettled()()
	return b.contactByIndexLocked(b.bySMS, n)
}

// ContactByID finds a contact by its Brevo id.
func (b *Brevo) ContactByID(id int64) (BrevoContact, bool) {
	defer b.lockSettled()()
	c := b.contacts[id]
	if c == nil {
		return BrevoContact{}, false
	}
	return *c.clone(), true
}

// DeleteContact deletes a contact by id, as DELETE /contacts/{id} would;
// false if there is none.
func (b *Brevo) DeleteContact(id int64) bool {
	defer b.lockSettled()()
	c := b.contacts[id]
	if c == nil {
		return false
	}
	b.deleteContactLocked(c)
	return true
}
