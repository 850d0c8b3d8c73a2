package activities_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hubspot-brevo-sync/activities"
	"hubspot-brevo-sync/internal/quota"
)

// TestQuotaNoticeIsEmailedWithHTMLAndText: Brevo's spec requires
// htmlContent (or a template) on POST /smtp/email, so both parts go out;
// the HTML part escapes what people typed (integration names).
func TestQuotaNoticeIsEmailedWithHTMLAndText(t *testing.T) {
	f := newFixture(t, fixtureConfig{})
	f.acts.Notify = activities.Notifier{To: "ops@example.com", Sender: "sync@example.com"}
	n := activities.QuotaNotice{Kind: quota.NoticeExceeded, Month: "2026-11", Used: 390, Reserved: 10, Limit: 400,
		Waiting: []string{"news<b>&letters"}}
	v, err := f.env(nil).ExecuteActivity(f.acts.SendQuotaNotice, n)
	require.NoError(t, err)
	var res activities.NoticeResult
	require.NoError(t, v.Get(&res))
	assert.True(t, res.Emailed)

	emails := f.sb.Brevo().Emails()
	require.Len(t, emails, 1)
	mail := emails[0]
	assert.Equal(t, n.Subject(), mail.Subject)
	assert.Equal(t, n.Text(), mail.TextContent)
	assert.Contains(t, mail.TextContent, "news<b>&letters", "the text part is plain text")
	require.NotEmpty(t, mail.HTMLContent)
	assert.Contains(t, mail.HTMLContent, "news&lt;b&gt;&amp;letters", "escaped in HTML")
	assert.NotContains(t, mail.HTMLContent, "<b>")
	assert.Contains(t, mail.HTMLContent, "<pre><code>starter quota set --limit N</code></pre>")
	assert.True(t, strings.HasPrefix(mail.HTMLContent, "<html><body><p>Month 2026-11 (UTC): 390 of 400 tasks used (97 %), 10 more being written."))
}

func TestQuotaWarningSubjectCountsReservedTasks(t *testing.T) {
	n := activities.QuotaNotice{Kind: quota.NoticeWarning, Month: "2026-11", Used: 0, Reserved: 320, Limit: 400}
	assert.Equal(t, "hubspot-brevo-sync: 80 % of the monthly task quota reached (320 of 400, 2026-11)", n.Subject())
	assert.Contains(t, n.Text(), "0 of 400 tasks used (0 %), 320 more being written")
	assert.Contains(t, n.HTML(), "Syncing goes on.")
}
