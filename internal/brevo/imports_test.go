package brevo_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hubspot-brevo-sync/internal/brevo"
	"hubspot-brevo-sync/internal/sandbox"
)

func TestProcessStatuses(t *testing.T) {
	cases := []struct {
		status       string
		done, failed bool
	}{
		{"queued", false, false},
		{"in_process", false, false},
		{"processing", false, false},
		{"completed", true, false},
		{"failed", true, true},
		{"cancelled", true, true},
		{"canceled", true, true},
		{"Completed", true, false},
		{" FAILED ", true, true},
		{"something_new", false, false},
	}
	for _, tc := range cases {
		p := brevo.Process{Status: tc.status}
		assert.Equal(t, tc.done, p.Done(), "Done(%q)", tc.status)
		assert.Equal(t, tc.failed, p.Failed(), "Failed(%q)", tc.status)
	}
}

func TestImportReportTakesNumbersAndURLs(t *testing.T) {
	body := `{"id":217,"name":"IMPORTUSER","status":"completed","info":{"import":{
		"invalid_emails":2,"duplicate_contact_id":0,"duplicate_ext_id":"1",
		"duplicate_email_id":"https://example.com/report/dup_emails.csv",
		"duplicate_phone_id":null,"duplicate_whatsapp_id":1.0,"duplicate_landline_number_id":""}}}`
	c := cannedClient(t, 200, body, nil)
	p, err := c.GetProcess(ctx(t), 217)
	require.NoError(t, err)
	rep, ok := p.Import()
	require.True(t, ok)
	assert.Equal(t, map[string]int64{"invalid_emails": 2, "duplicate_contact_id": 0, "duplicate_ext_id": 1, "duplicate_whatsapp_id": 1}, rep.Counts)
	assert.Equal(t, map[string]string{"duplicate_email_id": "https://example.com/report/dup_emails.csv"}, rep.Reports)
	rows, exact := rep.Refused()
	assert.EqualValues(t, 5, rows)
	assert.False(t, exact)
	assert.Equal(t, "1", p.ImportReport()["duplicate_whatsapp_id"])
	assert.Equal(t, "https://example.com/report/dup_emails.csv", p.ImportReport()["duplicate_email_id"])
}

func TestImportReportAbsentIsNotEmpty(t *testing.T) {
	for _, body := range []string{
		`{"id":1,"status":"completed"}`,
		`{"id":1,"status":"completed","info":null}`,
		`{"id":1,"status":"completed","info":{"export":{"total_records":3}}}`,
	} {
		c := cannedClient(t, 200, body, nil)
		p, err := c.GetProcess(ctx(t), 1)
		require.NoError(t, err)
		_, ok := p.Import()
		assert.False(t, ok, body)
	}
	c := cannedClient(t, 200, `{"id":1,"status":"completed","info":{"import":{}}}`, nil)
	p, err := c.GetProcess(ctx(t), 1)
	require.NoError(t, err)
	rep, ok := p.Import()
	assert.True(t, ok)
	rows, exact := rep.Refused()
	assert.Zero(t, rows)
	assert.True(t, exact)
}

// The sandbox's failed and cancelled imports end the wait, apply nothing
// and are told apart from a completed one.
func TestImportThatFailsOrIsCancelled(t *testing.T) {
	for _, outcome := range []string{sandbox.BrevoImportFailed, sandbox.BrevoImportCancelled} {
		t.Run(outcome, func(t *testing.T) {
			now := time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)
			e := newEnv(t, sandbox.Options{Brevo: sandbox.BrevoOptions{ImportOutcome: outcome, ImportDelay: time.Second,
				Now: func() time.Time { return now }}}, nil)
			id, err := e.client.ImportContacts(ctx(t), brevo.ImportRequest{
				Contacts: []brevo.ImportContact{{Email: "one@example.com"}}, ListIDs: []int64{1}})
			require.NoError(t, err)
			now = now.Add(2 * time.Second)
			p, err := e.client.GetProcess(ctx(t), id)
			require.NoError(t, err)
			assert.True(t, p.Done())
			assert.True(t, p.Failed())
			assert.Equal(t, outcome, p.Status)
			_, ok := p.Import()
			assert.False(t, ok)
			assert.Empty(t, e.sb.Brevo().Contacts())
		})
	}
}
