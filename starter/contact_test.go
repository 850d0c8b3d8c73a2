package main

import (
	"context"
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
		{ids[4], ids[4] + " cy@example.com: failed 2026-12-01T10:12:03Z: rejected: Brevo: Invalid phone number; Brevo holds an earlier write, values hash h4"},
		{ids[5], ids[5] + ": sent to Brevo in an import not confirmed yet"},
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

// fillStore records what a sync would have: ids[0] written (created),
// ids[1] written (before write times were recorded) then gone from the
// list, ids[2] skipped, ids[3] a member not written yet, ids[4] failed
// after a good write, ids[5] in an import.
func fillStore(t *testing.T, dsn string, ids []string, at time.Time) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, dsn)
	require.NoError(t, err)
	defer st.Close()
	_, err = st.MarkSeen(ctx, "demo", 1, ids[:6])
	require.NoError(t, err)
	require.NoError(t, st.SaveWritten(ctx, "demo", []store.Written{
		{HubSpotID: ids[0], Email: "ada@example.com", Hash: "0123456789abcdef", Kind: "created", Batch: "b1", At: at},
		{HubSpotID: ids[1], Email: "bob@example.com", Hash: "h2"},
		{HubSpotID: ids[4], Email: "cy@example.com", Hash: "h4", Kind: "updated", Batch: "b1", At: at},
	}))
	require.NoError(t, st.SaveWritten(ctx, "demo", []store.Written{{HubSpotID: ids[4], Kind: "failed", Batch: "b2", At: at.Add(time.Hour)}}))
	require.NoError(t, st.MarkLeft(ctx, "demo", []string{ids[1]}))
	require.NoError(t, st.SaveOutcomes(ctx, "demo", []store.Outcome{
		{HubSpotID: ids[2], Kind: "skipped", Reason: "no_identifier", Detail: "no email and no SMS mapped value", At: at},
		{HubSpotID: ids[4], Email: "cy@example.com", Kind: "failed", Reason: "rejected", Detail: "Brevo: Invalid phone number", At: at.Add(time.Hour)},
	}))
	require.NoError(t, st.SaveImportRows(ctx, "demo", "b3", []store.ImportRow{{HubSpotID: ids[5], Kind: "created", Hash: "h5"}}))
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
