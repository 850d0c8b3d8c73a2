package store

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func lookupStores(t *testing.T) map[string]*Store {
	t.Helper()
	open := func(dsn string) *Store {
		s, err := Open(context.Background(), dsn)
		require.NoError(t, err)
		t.Cleanup(func() { _ = s.Close() })
		return s
	}
	stores := map[string]*Store{"sqlite": open(filepath.Join(t.TempDir(), "store.db"))}
	if dsn := os.Getenv("SYNC_TEST_POSTGRES_DSN"); dsn != "" {
		stores["postgres"] = open(dsn)
	}
	return stores
}

// TestLookupTellsWhatHappenedToEachRecord: a record written, one written
// and gone from the list, one skipped, one a member not written yet, and
// one unknown, found by id and by email.
func TestLookupTellsWhatHappenedToEachRecord(t *testing.T) {
	ctx := context.Background()
	at := time.Date(2026, 12, 1, 9, 30, 0, 0, time.UTC)
	for name, s := range lookupStores(t) {
		t.Run(name, func(t *testing.T) {
			in := "lookup-" + name + "-" + at.Format("150405.000000000")
			_, err := s.MarkSeen(ctx, in, 1, []string{"101", "102", "103", "104"})
			require.NoError(t, err)
			require.NoError(t, s.SaveWritten(ctx, in, []Written{{HubSpotID: "101", Email: "ada@example.com", Hash: "h101"}, {HubSpotID: "102", Email: "bob@example.com", Hash: "h102"}}))
			require.NoError(t, s.migrateWritten(ctx))
			_, err = s.db.ExecContext(ctx, s.q(`UPDATE contacts SET written_at = ?, written_kind = ? WHERE integration = ? AND hubspot_id = ?`), at.UnixMilli(), "created", in, "101")
			require.NoError(t, err)
			require.NoError(t, s.MarkLeft(ctx, in, []string{"102"}))
			require.NoError(t, s.SaveOutcomes(ctx, in, []Outcome{{HubSpotID: "103", Kind: "skipped", Reason: "no_identifier", Detail: "no email", At: at}}))

			facts := lookup(t, s, in, "101")
			assert.Equal(t, Facts{HubSpotID: "101", Email: "ada@example.com", Member: true, Hash: "h101", WrittenAt: at, WrittenKind: "created"}, facts)
			assert.Equal(t, facts, lookup(t, s, in, "ADA@example.com"), "by email, in any case")

			gone := lookup(t, s, in, "bob@example.com")
			assert.True(t, gone.Written())
			assert.False(t, gone.Member)
			assert.True(t, gone.WrittenAt.IsZero(), "a write from before written_at was recorded")

			skipped := lookup(t, s, in, "103")
			require.NotNil(t, skipped.Outcome)
			assert.Equal(t, "no_identifier", skipped.Outcome.Reason)
			assert.False(t, skipped.Written())

			pending := lookup(t, s, in, "104")
			assert.True(t, pending.Member)
			assert.False(t, pending.Written())
			assert.Nil(t, pending.Outcome)

			none, err := s.Lookup(ctx, in, "999")
			require.NoError(t, err)
			assert.Empty(t, none)
		})
	}
}

func lookup(t *testing.T, s *Store, integration, key string) Facts {
	t.Helper()
	found, err := s.Lookup(context.Background(), integration, key)
	require.NoError(t, err)
	require.Len(t, found, 1, "records for %q", key)
	return found[0]
}

func TestMigrateWrittenTwice(t *testing.T) {
	for _, s := range lookupStores(t) {
		require.NoError(t, s.migrateWritten(context.Background()))
		require.NoError(t, s.migrateWritten(context.Background()))
	}
}
