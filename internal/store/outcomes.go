package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

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
