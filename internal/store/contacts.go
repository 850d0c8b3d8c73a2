package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// Record is what the store knows of one HubSpot record.
type Record struct {
	HubSpotID string
	Email     string
	// Hash of the mapped values last written to Brevo; "" if never written.
	Hash   string
	InList bool
	// WrittenIn is the batch that last wrote (or failed to write) the
	// record, WrittenKind how it ended (created, updated or failed) and
	// WrittenAt when.
	WrittenIn   string
	WrittenKind string
	WrittenAt   time.Time
	// Importing says the record is in a Brevo import not confirmed yet.
	Importing bool
}

// Records returns the known records among ids.
func (s *Store) Records(ctx context.Context, integration string, ids []string) (map[string]Record, error) {
	out := make(map[string]Record, len(ids))
	err := s.inChunks(ids, func(chunk []any) error {
		rows, err := s.db.QueryContext(ctx, s.q(`SELECT c.hubspot_id, c.email, c.hash, c.in_list, c.written_in, c.written_kind, c.written_at,
				EXISTS (SELECT 1 FROM import_rows r WHERE r.integration = c.integration AND r.hubspot_id = c.hubspot_id)
			FROM contacts c WHERE c.integration = ? AND c.hubspot_id IN (`+placeholders(len(chunk))+`)`), append([]any{integration}, chunk...)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var r Record
			var inList, importing int
			var at int64
			if err := rows.Scan(&r.HubSpotID, &r.Email, &r.Hash, &inList, &r.WrittenIn, &r.WrittenKind, &at, &importing); err != nil {
				return err
			}
			r.InList, r.Importing = inList == 1, importing == 1
			if at > 0 {
				r.WrittenAt = time.UnixMilli(at).UTC()
			}
			out[r.HubSpotID] = r
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("store: records: %w", err)
	}
	return out, nil
}

// inChunks calls fn with the values in chunks that fit a query's
// placeholders.
func (s *Store) inChunks(values []string, fn func(chunk []any) error) error {
	for start := 0; start < len(values); start += 500 {
		chunk := make([]any, 0, min(500, len(values)-start))
		for _, v := range values[start:min(start+500, len(values))] {
			chunk = append(chunk, v)
		}
		if err := fn(chunk); err != nil {
			return err
		}
	}
	return nil
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

// Written records how a batch ended for one record: created or updated
// with the hash of the values Brevo confirmed, or failed (no hash).
type Written struct {
	HubSpotID string
	Email     string
	Hash      string
	Kind      string
	Batch     string
	At        time.Time
}

// SaveWritten stores how records were written. A failed write keeps the
// hash of the last good one, so the record is tried again.
func (s *Store) SaveWritten(ctx context.Context, integration string, ws []Written) error {
	if len(ws) == 0 {
		return nil
	}
	return s.tx(ctx, func(tx *sql.Tx) error { return s.saveWritten(ctx, tx, integration, ws) })
}

func (s *Store) saveWritten(ctx context.Context, tx *sql.Tx, integration string, ws []Written) error {
	stmt, err := tx.PrepareContext(ctx, s.q(`INSERT INTO contacts (integration, hubspot_id, email, hash, in_list, written_in, written_kind, written_at)
			VALUES (?, ?, ?, ?, 1, ?, ?, ?)
			ON CONFLICT (integration, hubspot_id) DO UPDATE SET
				email = CASE WHEN excluded.hash = '' THEN contacts.email ELSE excluded.email END,
				hash = CASE WHEN excluded.hash = '' THEN contacts.hash ELSE excluded.hash END,
				written_in = excluded.written_in, written_kind = excluded.written_kind, written_at = excluded.written_at`))
	if err != nil {
		return err
	}
	defer stmt.Close()
	for _, w := range ws {
		if _, err := stmt.ExecContext(ctx, integration, w.HubSpotID, w.Email, w.Hash, w.Batch, w.Kind, w.At.UnixMilli()); err != nil {
			return err
		}
	}
	return nil
}

// CountWritten counts a batch's records by how they ended: what a retried
// batch reports for the records an earlier attempt already wrote.
func (s *Store) CountWritten(ctx context.Context, integration, batch string) (map[string]int, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT written_kind, COUNT(*) FROM contacts
		WHERE integration = ? AND written_in = ? GROUP BY written_kind`), integration, batch)
	if err != nil {
		return nil, fmt.Errorf("store: count written: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var kind string
		var n int
		if err := rows.Scan(&kind, &n); err != nil {
			return nil, fmt.Errorf("store: count written: %w", err)
		}
		out[kind] = n
	}
	return out, rows.Err()
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
