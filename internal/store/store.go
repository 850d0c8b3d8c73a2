// Package store is the sync's own memory outside Temporal history: for
// every integration, which HubSpot records are list members, what was last
// written to Brevo for each (email and a hash of the mapped values), and
// the latest outcome of each record. These sets can hold millions of rows,
// far too many for workflow state. Only activities reach the store, and
// every write is idempotent, so a retried activity changes nothing twice.
//
// SQLite (pure Go, modernc.org/sqlite) by default; PostgreSQL when several
// workers share the work.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
	_ "modernc.org/sqlite"             // registers "sqlite"
)

// postgresConns is how many PostgreSQL connections one process opens at
// most.
const postgresConns = 16

// Store is safe for concurrent use.
type Store struct {
	db       *sql.DB
	postgres bool
}

// Open connects to dsn: "postgres://..." (or "postgresql://...") for
// PostgreSQL, otherwise a SQLite file path, optionally prefixed "sqlite:".
// The schema is created if missing.
func Open(ctx context.Context, dsn string) (*Store, error) {
	var s Store
	var err error
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		s.postgres = true
		s.db, err = sql.Open("pgx", dsn)
		if err == nil {
			// Every API call takes a rate slot in a short transaction: a
			// busy worker queues for a connection in Go rather than opening
			// one per call, so several workers stay under the server's
			// max_connections (100 by default).
			s.db.SetMaxOpenConns(postgresConns)
			s.db.SetMaxIdleConns(postgresConns)
		}
	default:
		path := strings.TrimPrefix(dsn, "sqlite:")
		if path == "" {
			return nil, errors.New("store: empty SQLite path")
		}
		if dir := filepath.Dir(path); dir != "." {
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return nil, fmt.Errorf("store: %w", err)
			}
		}
		// WAL lets readers go on while a batch is written; the busy timeout
		// covers two activities writing at once.
		s.db, err = sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=synchronous(NORMAL)")
		if err == nil {
			s.db.SetMaxOpenConns(1) // SQLite has one writer; queue in Go, not in SQLITE_BUSY
		}
	}
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	if err := s.migrate(ctx); err != nil {
		_ = s.db.Close()
		return nil, err
	}
	return &s, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// Shared reports whether the store is on PostgreSQL, which several workers
// can share; a SQLite file is seen by one host only.
func (s *Store) Shared() bool { return s.postgres }

// schema creates the tables and indexes a store needs (idempotent).
var schema = []string{
	`CREATE TABLE IF NOT EXISTS contacts (
		integration TEXT NOT NULL,
		hubspot_id  TEXT NOT NULL,
		email       TEXT NOT NULL DEFAULT '',
		hash        TEXT NOT NULL DEFAULT '',
		in_list     INTEGER NOT NULL DEFAULT 0,
		seen_scan   BIGINT NOT NULL DEFAULT 0,
		PRIMARY KEY (integration, hubspot_id))`,
	`CREATE INDEX IF NOT EXISTS contacts_scan ON contacts (integration, in_list, seen_scan)`,
	`CREATE INDEX IF NOT EXISTS contacts_email ON contacts (integration, email)`,
	`CREATE TABLE IF NOT EXISTS outcomes (
		integration TEXT NOT NULL,
		hubspot_id  TEXT NOT NULL,
		email       TEXT NOT NULL DEFAULT '',
		kind        TEXT NOT NULL,
		reason      TEXT NOT NULL DEFAULT '',
		detail      TEXT NOT NULL DEFAULT '',
		at          BIGINT NOT NULL,
		PRIMARY KEY (integration, hubspot_id))`,
	`CREATE INDEX IF NOT EXISTS outcomes_email ON outcomes (integration, email)`,
	// The rows of a Brevo import not confirmed yet: they become
	// written only once read back from Brevo, so a lost import is
	// written again.
	`CREATE TABLE IF NOT EXISTS import_rows (
		integration TEXT NOT NULL,
		batch       TEXT NOT NULL,
		hubspot_id  TEXT NOT NULL,
		kind        TEXT NOT NULL DEFAULT '',
		hash        TEXT NOT NULL DEFAULT '',
		email       TEXT NOT NULL DEFAULT '',
		sms         TEXT NOT NULL DEFAULT '',
		direct      INTEGER NOT NULL DEFAULT 0,
		contact     TEXT NOT NULL DEFAULT '',
		PRIMARY KEY (integration, batch, hubspot_id))`,
	`CREATE INDEX IF NOT EXISTS import_rows_email ON import_rows (integration, email)`,
	`CREATE INDEX IF NOT EXISTS import_rows_record ON import_rows (integration, hubspot_id)`,
	`CREATE INDEX IF NOT EXISTS import_rows_sms ON import_rows (integration, sms)`,
	// Who holds which identifier in the Brevo account, from Brevo's
	// own contact listing: an import row whose identifiers belong to
	// two different contacts would make Brevo merge them.
	`CREATE TABLE IF NOT EXISTS brevo_identities (
		account  TEXT NOT NULL,
		brevo_id BIGINT NOT NULL,
		email    TEXT NOT NULL DEFAULT '',
		sms      TEXT NOT NULL DEFAULT '',
		ext_id   TEXT NOT NULL DEFAULT '',
		PRIMARY KEY (account, brevo_id))`,
	`CREATE INDEX IF NOT EXISTS brevo_identities_email ON brevo_identities (account, email)`,
	`CREATE INDEX IF NOT EXISTS brevo_identities_sms ON brevo_identities (account, sms)`,
	`CREATE INDEX IF NOT EXISTS brevo_identities_ext ON brevo_identities (account, ext_id)`,
	`CREATE TABLE IF NOT EXISTS brevo_index (
		account   TEXT NOT NULL PRIMARY KEY,
		watermark BIGINT NOT NULL DEFAULT 0)`,
	// The API budgets the workers spend together (windows.go).
	rateSlotsSchema,
	`CREATE INDEX IF NOT EXISTS rate_slots_at ON rate_slots (key, at)`,
}

// migrate brings the schema up to date. On PostgreSQL, workers that start
// together would race on CREATE TABLE IF NOT EXISTS (a duplicate key in
// the catalog), so they migrate one at a time under an advisory lock.
func (s *Store) migrate(ctx context.Context) error {
	if !s.postgres {
		return migrateOn(ctx, s.db)
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(hashtextextended('hubspot-brevo-sync/migrate', 0))`); err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	defer func() {
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(hashtextextended('hubspot-brevo-sync/migrate', 0))`)
	}()
	return migrateOn(ctx, conn)
}

// execer is a database or one of its connections.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func migrateOn(ctx context.Context, db execer) error {
	for _, q := range schema {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("store: migrate: %w", err)
		}
	}
	// Columns added after the first release, to stores made before.
	for _, col := range append([]string{
		"written_in TEXT NOT NULL DEFAULT ''",
		"written_kind TEXT NOT NULL DEFAULT ''",
		"written_at BIGINT NOT NULL DEFAULT 0",
		"joined_scan BIGINT NOT NULL DEFAULT 0",
	}, consentColumns...) {
		if _, err := addColumn(ctx, db, "contacts", col); err != nil {
			return fmt.Errorf("store: migrate: %w", err)
		}
	}
	// The index learned who is blocklisted, and then to keep each contact
	// as listed, after stores were first made: such a store forgets its
	// watermarks, so the next batch re-reads the account once and knows.
	for _, col := range []string{
		"blocklisted INTEGER NOT NULL DEFAULT 0",
		"modified_at BIGINT NOT NULL DEFAULT 0",
		"listed TEXT NOT NULL DEFAULT ''",
	} {
		if added, err := addColumn(ctx, db, "brevo_identities", col); err != nil {
			return fmt.Errorf("store: migrate: %w", err)
		} else if added {
			if _, err := db.ExecContext(ctx, `DELETE FROM brevo_index`); err != nil {
				return fmt.Errorf("store: migrate: %w", err)
			}
		}
	}
	if _, err := db.ExecContext(ctx, `CREATE INDEX IF NOT EXISTS brevo_identities_modified ON brevo_identities (account, modified_at)`); err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	// Batches count their records by the key that wrote them.
	if _, err := db.ExecContext(ctx, `CREATE INDEX IF NOT EXISTS contacts_written_in ON contacts (integration, written_in)`); err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	return nil
}

// addColumn adds a column unless the table has it (neither SQLite nor
// older PostgreSQL say ADD COLUMN IF NOT EXISTS alike), and reports
// whether it did.
func addColumn(ctx context.Context, db execer, table, def string) (bool, error) {
	name := strings.Fields(def)[0]
	if _, err := db.ExecContext(ctx, "SELECT "+name+" FROM "+table+" LIMIT 0"); err == nil {
		return false, nil
	}
	_, err := db.ExecContext(ctx, "ALTER TABLE "+table+" ADD COLUMN "+def)
	return err == nil, err
}

// q rewrites ?-placeholders for PostgreSQL.
func (s *Store) q(query string) string {
	if !s.postgres {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func (s *Store) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return fmt.Errorf("store: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return nil
}
