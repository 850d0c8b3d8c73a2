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
	"sort"
	"strconv"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
	_ "modernc.org/sqlite"             // registers "sqlite"
)

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

func (s *Store) migrate(ctx context.Context) error {
	stmts := []string{
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
		// Contacts sent in a Brevo import not confirmed yet: their hashes
		// move to contacts only when the import completed, so a failed
		// import is written again.
		`CREATE TABLE IF NOT EXISTS pending_imports (
			integration TEXT NOT NULL,
			process_id  BIGINT NOT NULL,
			hubspot_id  TEXT NOT NULL,
			email       TEXT NOT NULL DEFAULT '',
			hash        TEXT NOT NULL DEFAULT '',
			contact     TEXT NOT NULL DEFAULT '',
			PRIMARY KEY (integration, process_id, hubspot_id))`,
		// The SMS numbers this integration gave a contact: Brevo holds one
		// number per contact, and an import row whose number another
		// contact holds is refused whole, so bulk writes leave such a
		// number out beforehand.
		`CREATE TABLE IF NOT EXISTS sms_owners (
			integration TEXT NOT NULL,
			sms         TEXT NOT NULL,
			hubspot_id  TEXT NOT NULL,
			PRIMARY KEY (integration, sms))`,
	}
	for _, q := range stmts {
		if _, err := s.db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("store: migrate: %w", err)
		}
	}
	return nil
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

// Record is what the store knows of one HubSpot record.
type Record struct {
	HubSpotID string
	Email     string
	// Hash of the mapped values last written to Brevo; "" if never written.
	Hash   string
	InList bool
}

// Records returns the known records among ids.
func (s *Store) Records(ctx context.Context, integration string, ids []string) (map[string]Record, error) {
	out := make(map[string]Record, len(ids))
	for start := 0; start < len(ids); start += 500 {
		chunk := ids[start:min(start+500, len(ids))]
		args := []any{integration}
		for _, id := range chunk {
			args = append(args, id)
		}
		rows, err := s.db.QueryContext(ctx, s.q(`SELECT hubspot_id, email, hash, in_list FROM contacts
			WHERE integration = ? AND hubspot_id IN (`+placeholders(len(chunk))+`)`), args...)
		if err != nil {
			return nil, fmt.Errorf("store: records: %w", err)
		}
		for rows.Next() {
			var r Record
			var inList int
			if err := rows.Scan(&r.HubSpotID, &r.Email, &r.Hash, &inList); err != nil {
				rows.Close()
				return nil, fmt.Errorf("store: records: %w", err)
			}
			r.InList = inList == 1
			out[r.HubSpotID] = r
		}
		if err := rows.Close(); err != nil {
			return nil, fmt.Errorf("store: records: %w", err)
		}
	}
	return out, nil
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

// Written records what was written to Brevo for a record.
type Written struct {
	HubSpotID string
	Email     string
	Hash      string
}

// SaveWritten stores the emails and hashes of written records.
func (s *Store) SaveWritten(ctx context.Context, integration string, ws []Written) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, s.q(`INSERT INTO contacts (integration, hubspot_id, email, hash, in_list)
			VALUES (?, ?, ?, ?, 1)
			ON CONFLICT (integration, hubspot_id) DO UPDATE SET email = excluded.email, hash = excluded.hash`))
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, w := range ws {
			if _, err := stmt.ExecContext(ctx, integration, w.HubSpotID, w.Email, w.Hash); err != nil {
				return err
			}
		}
		return nil
	})
}

// Rekey moves what was written for one record to another id: HubSpot
// merges give the merged record a new id. The new id keeps its own
// membership (the scan saw it); the old one is forgotten.
func (s *Store) Rekey(ctx context.Context, integration, from, to string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO contacts (integration, hubspot_id, email, hash, in_list, seen_scan)
			SELECT integration, ?, email, hash, in_list, seen_scan FROM contacts WHERE integration = ? AND hubspot_id = ?
			ON CONFLICT (integration, hubspot_id) DO UPDATE SET email = excluded.email, hash = excluded.hash`),
			to, integration, from); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, s.q(`DELETE FROM contacts WHERE integration = ? AND hubspot_id = ?`), integration, from)
		return err
	})
}

// MarkSeen records ids as list members seen by the membership scan and
// returns those that were not members before: the list's new joiners.
func (s *Store) MarkSeen(ctx context.Context, integration string, scan int64, ids []string) (joined []string, err error) {
	known, err := s.Records(ctx, integration, ids)
	if err != nil {
		return nil, err
	}
	err = s.tx(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, s.q(`INSERT INTO contacts (integration, hubspot_id, in_list, seen_scan)
			VALUES (?, ?, 1, ?)
			ON CONFLICT (integration, hubspot_id) DO UPDATE SET in_list = 1, seen_scan = excluded.seen_scan`))
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, id := range ids {
			if _, err := stmt.ExecContext(ctx, integration, id, scan); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: mark seen: %w", err)
	}
	for _, id := range ids {
		if r, ok := known[id]; !ok || !r.InList {
			joined = append(joined, id)
		}
	}
	return joined, nil
}

// Members counts the records that are list members.
func (s *Store) Members(ctx context.Context, integration string) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM contacts WHERE integration = ? AND in_list = 1`), integration).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: members: %w", err)
	}
	return n, nil
}

// Left returns the members a finished scan did not see: they left the
// list, were deleted or merged away. At most limit of them.
func (s *Store) Left(ctx context.Context, integration string, scan int64, limit int) ([]Record, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT hubspot_id, email, hash FROM contacts
		WHERE integration = ? AND in_list = 1 AND seen_scan < ? ORDER BY hubspot_id LIMIT ?`), integration, scan, limit)
	if err != nil {
		return nil, fmt.Errorf("store: left: %w", err)
	}
	defer rows.Close()
	var out []Record
	for rows.Next() {
		r := Record{InList: true}
		if err := rows.Scan(&r.HubSpotID, &r.Email, &r.Hash); err != nil {
			return nil, fmt.Errorf("store: left: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// CountLeft counts the members a finished scan did not see.
func (s *Store) CountLeft(ctx context.Context, integration string, scan int64) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM contacts WHERE integration = ? AND in_list = 1 AND seen_scan < ?`),
		integration, scan).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: count left: %w", err)
	}
	return n, nil
}

// MarkLeft records ids as no longer members.
func (s *Store) MarkLeft(ctx context.Context, integration string, ids []string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, s.q(`UPDATE contacts SET in_list = 0 WHERE integration = ? AND hubspot_id = ?`))
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, id := range ids {
			if _, err := stmt.ExecContext(ctx, integration, id); err != nil {
				return err
			}
		}
		return nil
	})
}

// Outcome is the latest fate of one record.
type Outcome struct {
	HubSpotID string
	Email     string
	Kind      string
	Reason    string
	Detail    string
	At        time.Time
}

// SaveOutcomes keeps the latest outcome of each record.
func (s *Store) SaveOutcomes(ctx context.Context, integration string, os []Outcome) error {
	if len(os) == 0 {
		return nil
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, s.q(`INSERT INTO outcomes (integration, hubspot_id, email, kind, reason, detail, at)
			VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (integration, hubspot_id) DO UPDATE SET email = excluded.email, kind = excluded.kind,
				reason = excluded.reason, detail = excluded.detail, at = excluded.at`))
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, o := range os {
			if _, err := stmt.ExecContext(ctx, integration, o.HubSpotID, o.Email, o.Kind, o.Reason, o.Detail, o.At.UnixMilli()); err != nil {
				return err
			}
		}
		return nil
	})
}

// FindOutcome answers "why is this contact not in Brevo?" by HubSpot id or
// email.
func (s *Store) FindOutcome(ctx context.Context, integration, idOrEmail string) ([]Outcome, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT hubspot_id, email, kind, reason, detail, at FROM outcomes
		WHERE integration = ? AND (hubspot_id = ? OR email = ?) ORDER BY at DESC`), integration, idOrEmail, strings.ToLower(idOrEmail))
	if err != nil {
		return nil, fmt.Errorf("store: outcome: %w", err)
	}
	defer rows.Close()
	var out []Outcome
	for rows.Next() {
		var o Outcome
		var at int64
		if err := rows.Scan(&o.HubSpotID, &o.Email, &o.Kind, &o.Reason, &o.Detail, &at); err != nil {
			return nil, fmt.Errorf("store: outcome: %w", err)
		}
		o.At = time.UnixMilli(at).UTC()
		out = append(out, o)
	}
	return out, rows.Err()
}

// Pending is one contact of an import that Brevo has not confirmed yet.
type Pending struct {
	HubSpotID string
	Email     string
	Hash      string
	// Contact is the mapped contact as JSON, to write it again when the
	// import fails.
	Contact string
}

// SavePending records the contacts of an import (idempotent).
func (s *Store) SavePending(ctx context.Context, integration string, processID int64, ps []Pending) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, s.q(`INSERT INTO pending_imports (integration, process_id, hubspot_id, email, hash, contact)
			VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (integration, process_id, hubspot_id) DO UPDATE SET email = excluded.email, hash = excluded.hash, contact = excluded.contact`))
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, p := range ps {
			if _, err := stmt.ExecContext(ctx, integration, processID, p.HubSpotID, p.Email, p.Hash, p.Contact); err != nil {
				return err
			}
		}
		return nil
	})
}

// PendingContacts returns the contacts of an unconfirmed import.
func (s *Store) PendingContacts(ctx context.Context, integration string, processID int64) ([]Pending, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT hubspot_id, email, hash, contact FROM pending_imports
		WHERE integration = ? AND process_id = ? ORDER BY hubspot_id`), integration, processID)
	if err != nil {
		return nil, fmt.Errorf("store: pending: %w", err)
	}
	defer rows.Close()
	var out []Pending
	for rows.Next() {
		var p Pending
		if err := rows.Scan(&p.HubSpotID, &p.Email, &p.Hash, &p.Contact); err != nil {
			return nil, fmt.Errorf("store: pending: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// ConfirmPending saves the emails and hashes of a completed import's
// contacts as written, and forgets the import. Idempotent.
func (s *Store) ConfirmPending(ctx context.Context, integration string, processID int64) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO contacts (integration, hubspot_id, email, hash, in_list)
			SELECT integration, hubspot_id, email, hash, 1 FROM pending_imports WHERE integration = ? AND process_id = ? AND true
			ON CONFLICT (integration, hubspot_id) DO UPDATE SET email = excluded.email, hash = excluded.hash`),
			integration, processID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, s.q(`DELETE FROM pending_imports WHERE integration = ? AND process_id = ?`), integration, processID)
		return err
	})
}

// DropPending forgets an import's contacts without saving them as written.
func (s *Store) DropPending(ctx context.Context, integration string, processID int64) error {
	_, err := s.db.ExecContext(ctx, s.q(`DELETE FROM pending_imports WHERE integration = ? AND process_id = ?`), integration, processID)
	if err != nil {
		return fmt.Errorf("store: drop pending: %w", err)
	}
	return nil
}

// ClaimSMS gives each number of claims (number → HubSpot id) to its
// record unless another record holds it already, and returns the numbers
// held by another record, with that record's id. A record holds one
// number: claiming a new one releases its old one, which Brevo freed when
// the record's SMS changed.
func (s *Store) ClaimSMS(ctx context.Context, integration string, claims map[string]string) (taken map[string]string, err error) {
	taken = map[string]string{}
	if len(claims) == 0 {
		return taken, nil
	}
	numbers := make([]string, 0, len(claims))
	for n := range claims {
		numbers = append(numbers, n)
	}
	sort.Strings(numbers)
	err = s.tx(ctx, func(tx *sql.Tx) error {
		for start := 0; start < len(numbers); start += 500 {
			chunk := numbers[start:min(start+500, len(numbers))]
			args := []any{integration}
			for _, n := range chunk {
				args = append(args, n)
			}
			rows, err := tx.QueryContext(ctx, s.q(`SELECT sms, hubspot_id FROM sms_owners
				WHERE integration = ? AND sms IN (`+placeholders(len(chunk))+`)`), args...)
			if err != nil {
				return err
			}
			for rows.Next() {
				var n, id string
				if err := rows.Scan(&n, &id); err != nil {
					rows.Close()
					return err
				}
				if id != claims[n] {
					taken[n] = id
				}
			}
			if err := rows.Close(); err != nil {
				return err
			}
		}
		stmt, err := tx.PrepareContext(ctx, s.q(`INSERT INTO sms_owners (integration, sms, hubspot_id) VALUES (?, ?, ?)
			ON CONFLICT (integration, sms) DO NOTHING`))
		if err != nil {
			return err
		}
		defer stmt.Close()
		release, err := tx.PrepareContext(ctx, s.q(`DELETE FROM sms_owners WHERE integration = ? AND hubspot_id = ? AND sms <> ?`))
		if err != nil {
			return err
		}
		defer release.Close()
		for _, n := range numbers {
			if _, ok := taken[n]; ok {
				continue
			}
			if _, err := release.ExecContext(ctx, integration, claims[n], n); err != nil {
				return err
			}
			if _, err := stmt.ExecContext(ctx, integration, n, claims[n]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: claim sms: %w", err)
	}
	return taken, nil
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
