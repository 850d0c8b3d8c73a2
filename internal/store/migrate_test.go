package store_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hubspot-brevo-sync/internal/store"
)

// TestIdentityIndexOfAnOlderStoreIsReadAgain: a store made before the
// index kept blocklistings and listed contacts gets the columns and
// forgets its watermarks, so the next batch lists the account once more
// and the index knows all of it.
func TestIdentityIndexOfAnOlderStoreIsReadAgain(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "store.db")
	old, err := sql.Open("sqlite", "file:"+path)
	require.NoError(t, err)
	for _, q := range []string{
		`CREATE TABLE brevo_identities (account TEXT NOT NULL, brevo_id BIGINT NOT NULL, email TEXT NOT NULL DEFAULT '',
			sms TEXT NOT NULL DEFAULT '', ext_id TEXT NOT NULL DEFAULT '', PRIMARY KEY (account, brevo_id))`,
		`CREATE TABLE brevo_index (account TEXT NOT NULL PRIMARY KEY, watermark BIGINT NOT NULL DEFAULT 0)`,
		`INSERT INTO brevo_identities (account, brevo_id, email) VALUES ('brevo', 1, 'one@example.com')`,
		`INSERT INTO brevo_index (account, watermark) VALUES ('brevo', 1764579600000)`,
	} {
		_, err := old.ExecContext(ctx, q)
		require.NoError(t, err, q)
	}
	require.NoError(t, old.Close())

	s := openDSN(t, path)
	wm, err := s.IndexWatermark(ctx, "brevo")
	require.NoError(t, err)
	assert.True(t, wm.IsZero(), "the account is listed again")
	h, err := s.FindHolders(ctx, "brevo", []string{"one@example.com"}, nil, nil)
	require.NoError(t, err)
	assert.Equal(t, map[string]int64{"one@example.com": 1}, h.Email, "what the index knew stays")
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	require.NoError(t, s.SaveIdentities(ctx, "brevo", []store.Identity{{BrevoID: 1, Email: "one@example.com", ModifiedAt: at, Listed: "one"}}))
	listed, err := s.ListedSince(ctx, "brevo", at)
	require.NoError(t, err)
	assert.Equal(t, []string{"one"}, listed)
}
