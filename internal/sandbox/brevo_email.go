package sandbox

import (
	"fmt"
	"net/http"
	"strings"
)

type brevoAddress struct {
	Email string `json:"email"`
	Name  string `json:"name"`
	ID    int64  `json:"id"`
}

// handleSendEmail records a transactional email. A repeated
// headers.idempotencyKey returns the first message id without recording
// (or sending) again.
func (b *Brevo) handleSendEmail(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Sender      *brevoAddress  `json:"sender"`
		To          []brevoAddress `json:"to"`
		Subject     string         `json:"subject"`
		HTMLContent string         `json:"htmlContent"`
		TextContent string         `json:"textContent"`
		TemplateID  int64          `json:"templateId"`
		Tags        []string       `json:"tags"`
		Headers     map[string]any `json:"headers"`
	}
	if !b.decode(w, r, &body) {
		return
	}
	switch {
	case body.Sender == nil || (body.Sender.Email == "" && body.Sender.ID == 0):
		b.fail(w, brevoMissing("sender is missing"))
		return
	case body.Sender.Email != "" && !brevoValidEmail(body.Sender.Email):
		b.fail(w, brevoInvalid("valid sender email required"))
		return
	case len(body.To) == 0:
		b.fail(w, brevoMissing("to is missing"))
		return
	}
	for _, t := range body.To {
		if !brevoValidEmail(t.Email) {
			b.fail(w, brevoInvalid("email is not valid in to"))
			return
		}
	}
	if body.TemplateID == 0 {
		switch {
		case strings.TrimSpace(body.Subject) == "":
			b.fail(w, brevoMissing("subject is missing"))
			return
		case body.HTMLContent == "" && (body.TextContent == "" || b.opts.RequireHTMLContent):
			b.fail(w, brevoMissing("htmlContent is missing"))
			return
		}
	}
	key, _ := body.Headers["idempotencyKey"].(string)

	b.mu.Lock()
	defer b.mu.Unlock()
	if id, ok := b.emailByKey[key]; ok && key != "" {
		writeJSON(w, http.StatusCreated, map[string]string{"messageId": id})
		return
	}
	b.nextID.message++
	now := b.now()
	id := fmt.Sprintf("<%s.%d@smtp-relay.sandbox.brevo>", now.UTC().Format("20060102150405"), b.nextID.message)
	to := make([]string, len(body.To))
	for i, t := range body.To {
		to[i] = t.Email
	}
	sender := body.Sender.Email
	if sender == "" {
		sender = fmt.Sprintf("sender#%d", body.Sender.ID)
	}
	b.emails = append(b.emails, BrevoEmail{
		MessageID: id, Sender: sender, To: to, Subject: body.Subject,
		TextContent: body.TextContent, HTMLContent: body.HTMLContent, Tags: body.Tags,
		IdempotencyKey: key, SentAt: now,
	})
	b.stats.EmailsSent++
	if key != "" {
		b.emailByKey[key] = id
	}
	writeJSON(w, http.StatusCreated, map[string]string{"messageId": id})
}
