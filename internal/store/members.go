package store

import (
	"context"
	"database/sql"
	"fmt"
)

// MarkSeen records ids as list members seen by the membership scan and
// returns how many were not members before: the list's new joiners, which
// Joiners lists afterwards.
func (s *Store) MarkSeen(ctx context.Context, integration string, scan int64, ids []string) (joined int, err error) {
	known, err := s.Records(ctx, integration, ids)
	if err != nil {
		return 0, err
	}
	err = s.tx(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, s.q(`INSERT INTO contacts (integration, hubspot_id, in_list, seen_scan, joined_scan)
			VALUES (?, ?, 1, ?, ?)
			ON CONFLICT (integration, hubspot_id) DO UPDATE SET in_list = 1, seen_scan = excluded.seen_scan,
				joined_scan = CASE WHEN contacts.in_list = 1 THEN contacts.joined_scan ELSE excluded.joined_scan END`))
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, id := range ids {
			if _, err := stmt.ExecContext(ctx, integration, id, scan, scan); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: mark seen: %w", err)
	}
	for _, id := range ids {
		if r, ok := known[id]; !ok || !r.InList {
			joined++
		}
	}
	return joined, nil
}

// Joiners returns, in id order after the given id, at most limit members
// that joined the list in the given scan.
func (s *Store) Joiners(ctx context.Context, integration string, scan int64, after string, limit int) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT hubspot_id FROM contacts
		WHERE integration = ? AND in_list = 1 AND joined_scan = ? AND hubspot_id > ? ORDER BY hubspot_id LIMIT ?`),
		integration, scan, after, limit)
	if err != nil {
		return nil, fmt.Errorf("store: joiners: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("store: joiners: %w", err)
		}
		out = append(out, id)
	}
	return out, rows.Err()
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
