package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hubspot-brevo-sync/internal/store"
)

// TestLookupTellsWhatHappenedToEachRecord: records written, written and
// gone from the list, failed after a good write, skipped, in an import,
// a member not written yet, and unknown; by id and by email.
func TestLookupTellsWhatHappenedToEachRecord(t *testing.T) {
	ctx := context.Background()
	at := time.Date(2026, 12, 1, 9, 30, 0, 0, time.UTC)
	for name, open := range backends(t) {
		t.Run(name, func(t *testing.T) {
			s := open(t)
			in := "lookup-" + time.Now().Format("150405.000000000")
			_, err := s.MarkSeen(ctx, in, 1, []string{"101", "102", "103", "104", "105", "106"})
			require.NoError(t, err)
			require.NoError(t, s.SaveWritten(ctx, in, []store.Written{
				{HubSpotID: "101", Email: "ada@example.com", Hash: "h101", Kind: "created", Batch: "b1", At: at},
				{HubSpotID: "102", Email: "bob@example.com", Hash: "h102", Kind: "updated", Batch: "b1", At: at},
				{HubSpotID: "103", Email: "cy@example.com", Hash: "h103", Kind: "created", Batch: "b1", At: at},
			}))
			require.NoError(t, s.SaveWritten(ctx, in, []store.Written{{HubSpotID: "103", Kind: "failed", Batch: "b2", At: at.Add(time.Hour)}}))
			require.NoError(t, s.MarkLeft(ctx, in, []string{"102"}))
			require.NoError(t, s.SaveOutcomes(ctx, in, []store.Outcome{{HubSpotID: "104", Kind: "skipped", Reason: "no_identifier", Detail: "no email", At: at}}))
			require.NoError(t, s.SaveImportRows(ctx, in, "b3", []store.ImportRow{{HubSpotID: "105", Kind: "created", Hash: "h105"}}))

			facts := lookup(t, s, in, "101")
			assert.Equal(t, store.Facts{HubSpotID: "101", Email: "ada@example.com", Member: true, Hash: "h101", WrittenAt: at, WrittenKind: "created"}, facts)
			assert.Equal(t, facts, lookup(t, s, in, "ADA@example.com"), "by email, in any case")

			gone := lookup(t, s, in, "bob@example.com")
			assert.True(t, gone.Written())
			assert.False(t, gone.Member)

			failed := lookup(t, s, in, "103")
			assert.Equal(t, "failed", failed.WrittenKind)
			assert.Equal(t, "h103", failed.Hash, "a failed write keeps the last good hash")

			skipped := lookup(t, s, in, "104")
			require.NotNil(t, skipped.Outcome)
			assert.Equal(t, "no_identifier", skipped.Outcome.Reason)
			assert.False(t, skipped.Written())

			assert.True(t, lookup(t, s, in, "105").Importing)

			pending := lookup(t, s, in, "106")
			assert.True(t, pending.Member)
			assert.False(t, pending.Written() || pending.Importing)
			assert.Nil(t, pending.Outcome)

			none, err := s.Lookup(ctx, in, "999")
			require.NoError(t, err)
			assert.Empty(t, none)
		})
	}
}

func lookup(t *testing.T, s *store.Store, integration, key string) store.Facts {
	t.Helper()
	found, err := s.Lookup(context.Background(), integration, key)
	require.NoError(t, err)
	require.Len(t, found, 1, "records for %q", key)
	return found[0]
}
