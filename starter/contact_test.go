package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hubspot-brevo-sync/internal/manage"
	"hubspot-brevo-sync/internal/store"
)

// TestReportContactAnswersForEveryContact: written (when, how, the
// values' hash), skipped (why), left, not written yet, in HubSpot but not
// in the list, unknown to HubSpot; by id and by email. Temporal is down:
// the store and HubSpot answer.
func TestReportContactAnswersForEveryContact(t *testing.T) {
	sb := sandboxEnv(t)
	ids := sb.HubSpot().ContactIDs()
	dsn := filepath.Join(t.TempDir(), "sync-store.db")
	t.Setenv("SYNC_STORE_DSN", dsn)
	writtenAt := time.Date(2026, 12, 1, 9, 12, 3, 0, time.UTC)
	fillStore(t, dsn, ids, writtenAt)
	outsider, _ := sb.HubSpot().Contact(ids[10])

	tests := []struct{ key, want string }{
		{ids[0], ids[0] + " ada@example.com: written to Brevo 2026-12-01T09:12:03Z (created), values hash 0123456789ab"},
		{"ADA@example.com", ids[0] + " ada@example.com: written to Brevo 2026-12-01T09:12:03Z (created)"},
		{ids[1], ids[1] + " bob@example.com: left the HubSpot list; written to Brevo before it left, (time not recorded), values hash h2"},
		{ids[2], ids[2] + ": skipped 2026-12-01T09:12:03Z: no_identifier: no email and no SMS mapped value"},
		{ids[3], ids[3] + ": a member of the HubSpot list, not written yet"},
		{ids[10], ids[10] + " " + outsider.Properties["email"] + ": in HubSpot, and the sync never found it in the HubSpot list"},
		{"999999", `"999999": unknown to HubSpot`},
		{"nobody@example.com", `"nobody@example.com": unknown to HubSpot`},
	}
	for _, tc := range tests {
		t.Run(tc.key, func(t *testing.T) {
			out, err := runCLI("report", "demo", "--contact", tc.key)
			require.NoError(t, err)
			assert.Contains(t, out, tc.want)
			assert.Equal(t, 1, countLines(out), out)
		})
	}
	if email := outsider.Properties["email"]; email != "" {
		out, err := runCLI("report", "demo", "--contact", email)
		require.NoError(t, err)
		assert.Contains(t, out, ids[10]+" "+email+": in HubSpot", "found by email with HubSpot's search")
	}

	out, err := runCLI("report", "demo", "--contact", ids[0], "--json")
	require.NoError(t, err)
	var answers []manage.ContactAnswer
	require.NoError(t, json.Unmarshal([]byte(out), &answers), out)
	require.Len(t, answers, 1)
	assert.Equal(t, manage.VerdictWritten, answers[0].Verdict)
	assert.Equal(t, "created", answers[0].WrittenKind)
	assert.True(t, writtenAt.Equal(*answers[0].WrittenAt))
}

// fillStore records what a sync would have: ids[0] written (created, with
// its time), ids[1] written then gone from the list, ids[2] skipped,
// ids[3] a member not written yet.
func fillStore(t *testing.T, dsn string, ids []string, at time.Time) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, dsn)
	require.NoError(t, err)
	defer st.Close()
	_, err = st.MarkSeen(ctx, "demo", 1, ids[:4])
	require.NoError(t, err)
	require.NoError(t, st.SaveWritten(ctx, "demo", []store.Written{
		{HubSpotID: ids[0], Email: "ada@example.com", Hash: "0123456789abcdef"}, {HubSpotID: ids[1], Email: "bob@example.com", Hash: "h2"}}))
	require.NoError(t, st.MarkLeft(ctx, "demo", []string{ids[1]}))
	require.NoError(t, st.SaveOutcomes(ctx, "demo", []store.Outcome{
		{HubSpotID: ids[2], Kind: "skipped", Reason: "no_identifier", Detail: "no email and no SMS mapped value", At: at}}))
	_, err = st.Lookup(ctx, "demo", ids[0]) // adds written_at and written_kind where the schema lacks them
	require.NoError(t, err)
	db, err := sql.Open("sqlite", dsn)
	require.NoError(t, err)
	defer db.Close()
	_, err = db.Exec(`UPDATE contacts SET written_at = ?, written_kind = 'created' WHERE integration = 'demo' AND hubspot_id = ?`, at.UnixMilli(), ids[0])
	require.NoError(t, err)
}

func countLines(s string) int {
	n := 0
	for _, r := range s {
		if r == '\n' {
			n++
		}
	}
	return n
}
