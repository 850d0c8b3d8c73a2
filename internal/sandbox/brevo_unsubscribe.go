package sandbox

import (
	"net/http"
	"strings"
)

// registerUnsubscribe adds the admin endpoint that blocklists a contact
// the way a person does who unsubscribes through a campaign's link:
//
//	POST /_sandbox/brevo/unsubscribe  {"email":"..."} -> 204, 404 if no contact has it
func (b *Brevo) registerUnsubscribe(mux *http.ServeMux) {
	mux.HandleFunc("POST /_sandbox/brevo/unsubscribe", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Email string `json:"email"`
		}
		if err := readStrictJSON(r, w, &body); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		if !b.Unsubscribe(body.Email) {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "no contact has this email"})
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

// Unsubscribe blocklists the contact with this email as a person's
// unsubscribe does: emailBlacklisted becomes true and, unless
// UnsubscribeKeepsModifiedAt, modifiedAt moves. False if no contact has
// the email.
func (b *Brevo) Unsubscribe(email string) bool {
	defer b.lockSettled()()
	id, ok := b.byEmail[strings.ToLower(strings.TrimSpace(email))]
	if !ok {
		return false
	}
	c := b.contacts[id]
	c.EmailBlacklisted = true
	if !b.opts.UnsubscribeKeepsModifiedAt {
		c.ModifiedAt = b.now()
	}
	return true
}
