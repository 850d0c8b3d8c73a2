package main

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// storeDSN is the sync store the workers use: a SQLite file of the run, or
// on PostgreSQL a schema of the run's own, dropped at the end, so that runs
// never see each other's contacts, identities or rate windows. Several
// workers need PostgreSQL: a SQLite file is one process's.
func (b *bench) storeDSN(ctx context.Context) (string, error) {
	dsn := b.f.storeDSN
	if dsn == "" && b.f.workers > 1 {
		dsn = os.Getenv("SYNC_TEST_POSTGRES_DSN")
	}
	if dsn == "" {
		if b.f.workers > 1 {
			return "", fmt.Errorf("-workers %d needs a PostgreSQL store the workers share: set -store-dsn postgres://... or SYNC_TEST_POSTGRES_DSN", b.f.workers)
		}
		b.storeKind = "SQLite"
		return filepath.Join(b.dir, "sync-store.db"), nil
	}
	if !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") {
		return "", fmt.Errorf("-store-dsn %q: want a postgres:// URL", dsn)
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "", fmt.Errorf("-store-dsn: %w", err)
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return "", err
	}
	schema := fmt.Sprintf("bench_%d", time.Now().UnixNano())
	if _, err := db.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		_ = db.Close()
		return "", fmt.Errorf("PostgreSQL store: %w", err)
	}
	b.onStop(func() {
		_, _ = db.Exec("DROP SCHEMA " + schema + " CASCADE")
		_ = db.Close()
	})
	b.storeKind = "PostgreSQL"
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), nil
}
