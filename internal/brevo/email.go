package brevo

import (
	"context"
	"html"
	"net/http"
	"strings"
)

// Address is a sender or recipient.
type Address struct {
	Email string `json:"email"`
	Name  string `json:"name,omitempty"`
}

// Email is a transactional email (the sync's quota and failure notices).
type Email struct {
	Sender  Address
	To      []Address
	Subject string
	// TextContent is the plain-text part. HTMLContent is the HTML part,
	// which Brevo's spec requires unless a template is used; when it is
	// empty, SendEmail derives it from TextContent (escaped).
	TextContent string
	HTMLContent string
	Tags        []string
	// IdempotencyKey goes out as headers.idempotencyKey, so a retried
	// activity does not mail the same notice twice.
	IdempotencyKey string
}

type emailWire struct {
	Sender      Address           `json:"sender"`
	To          []Address         `json:"to"`
	Subject     string            `json:"subject"`
	HTMLContent string            `json:"htmlContent,omitempty"`
	TextContent string            `json:"textContent,omitempty"`
	Tags        []string          `json:"tags,omitempty"`
	Headers     map[string]string `json:"headers,omitempty"`
}

// SendEmail sends a transactional email and returns Brevo's message id. A
// plan without email credits left answers 402, which is KindPermanent.
func (c *Client) SendEmail(ctx context.Context, e Email) (string, error) {
	const op = "smtp.email"
	switch {
	case e.Sender.Email == "":
		return "", invalidArgument(op, "sender email is required")
	case len(e.To) == 0:
		return "", invalidArgument(op, "at least one recipient is required")
	case e.Subject == "":
		return "", invalidArgument(op, "subject is required")
	case e.HTMLContent == "" && e.TextContent == "":
		return "", invalidArgument(op, "htmlContent or textContent is required")
	}
	if e.HTMLContent == "" {
		// Brevo accepts text-only mail today and converts it, but its spec
		// makes htmlContent mandatory without a template; send both.
		e.HTMLContent = HTMLFromText(e.TextContent)
	}
	w := emailWire{Sender: e.Sender, To: e.To, Subject: e.Subject, HTMLContent: e.HTMLContent,
		TextContent: e.TextContent, Tags: e.Tags}
	if e.IdempotencyKey != "" {
		w.Headers = map[string]string{"idempotencyKey": e.IdempotencyKey}
	}
	var out struct {
		MessageID string `json:"messageId"`
	}
	if _, err := c.do(ctx, request{op: op, method: http.MethodPost, path: "/smtp/email", body: w}, &out); err != nil {
		return "", err
	}
	return out.MessageID, nil
}

// HTMLFromText renders plain text as an HTML body: every character that
// means something in HTML is escaped, blank lines separate paragraphs and
// single line breaks stay line breaks.
func HTMLFromText(text string) string {
	var b strings.Builder
	b.WriteString("<html><body>")
	for _, para := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n\n") {
		if strings.TrimSpace(para) == "" {
			continue
		}
		lines := strings.Split(strings.Trim(para, "\n"), "\n")
		for i, l := range lines {
			lines[i] = html.EscapeString(l)
		}
		b.WriteString("<p>" + strings.Join(lines, "<br>") + "</p>")
	}
	b.WriteString("</body></html>")
	return b.String()
}
