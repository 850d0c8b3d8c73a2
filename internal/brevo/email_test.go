package brevo_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hubspot-brevo-sync/internal/brevo"
	"hubspot-brevo-sync/internal/sandbox"
)

// TestSendEmailAlwaysCarriesHTMLContent: Brevo's spec requires htmlContent
// unless a template is used. A text-only email gets an escaped HTML part,
// so it goes through an emulator that reads the spec strictly.
func TestSendEmailAlwaysCarriesHTMLContent(t *testing.T) {
	e := newEnv(t, sandbox.Options{Brevo: sandbox.BrevoOptions{RequireHTMLContent: true}}, nil)
	mail := brevo.Email{
		Sender:      brevo.Address{Email: "sync@example.com"},
		To:          []brevo.Address{{Email: "ops@example.com"}},
		Subject:     "quota",
		TextContent: "Integrations <a> & <b> paused.\nSee below.\n\n    starter quota set --limit N\n",
	}
	_, err := e.client.SendEmail(ctx(t), mail)
	require.NoError(t, err)
	m := bodyKeys(t, e.rec.last(t))
	assert.Equal(t, mail.TextContent, m["textContent"])
	assert.Equal(t, "<html><body><p>Integrations &lt;a&gt; &amp; &lt;b&gt; paused.<br>See below.</p>"+
		"<p>    starter quota set --limit N</p></body></html>", m["htmlContent"])

	mail.HTMLContent = "<p>own</p>"
	_, err = e.client.SendEmail(ctx(t), mail)
	require.NoError(t, err)
	assert.Equal(t, "<p>own</p>", bodyKeys(t, e.rec.last(t))["htmlContent"], "a caller's HTML is sent as is")
}
