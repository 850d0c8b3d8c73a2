package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Consent columns of contacts. blocklisted_at is when the sync itself sent
// emailBlacklisted true for the record (--sync-opt-outs), so reporting
// Brevo unsubscribes back to HubSpot can tell the sync's own blocklistings
// from a person's. reported_at is when a Brevo blocklisting of the record
// was reported to HubSpot (0: never), so it is reported once.
var consentColumns = []string{
	"blocklisted_at BIGINT NOT NULL DEFAULT 0",
	"reported_at BIGINT NOT NULL DEFAULT 0",
}

// MarkBlocklisted records that the sync blocklisted the records' contacts
// in Brevo at at. Records the store does not know yet are added (the
// blocklisting may be confirmed before the write is counted).
func (s *Store) MarkBlocklisted(ctx context.Context, integration string, ids []string, at time.Time) error {
	return s.stampConsent(ctx, "blocklisted_at", integration, ids, at)
}

// MarkReported records that the records' Brevo blocklistings were
// reported to HubSpot at at.
func (s *Store) MarkReported(ctx context.Context, integration string, ids []string, at time.Time) error {
	return s.stampConsent(ctx, "reported_at", integration, ids, at)
}

// Consent is what the store knows of a record's consent handling.
type Consent struct {
	BlocklistedAt time.Time // zero: the sync never blocklisted it
	ReportedAt    time.Time // zero: never reported to HubSpot
}

// Consents returns the consent facts of the known records among ids.
func (s *Store) Consents(ctx context.Context, integration string, ids []string) (map[string]Consent, error) {
	out := make(map[string]Consent, len(ids))
	err := s.inChunks(ids, func(chunk []any) error {
		rows, err := s.db.QueryContext(ctx, s.q(`SELECT hubspot_id, blocklisted_at, reported_at FROM contacts
			WHERE integration = ? AND hubspot_id IN (`+placeholders(len(chunk))+`)`), append([]any{integration}, chunk...)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			var blocklisted, reported int64
			if err := rows.Scan(&id, &blocklisted, &reported); err != nil {
				return err
			}
			out[id] = Consent{BlocklistedAt: millis(blocklisted), ReportedAt: millis(reported)}
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("store: consents: %w", err)
	}
	return out, nil
}

func (s *Store) stampConsent(ctx context.Context, column, integration string, ids []string, at time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, s.q(`INSERT INTO contacts (integration, hubspot_id, `+column+`) VALUES (?, ?, ?)
			ON CONFLICT (integration, hubspot_id) DO UPDATE SET `+column+` = excluded.`+column))
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, id := range ids {
			if _, err := stmt.ExecContext(ctx, integration, id, at.UnixMilli()); err != nil {
				return err
			}
		}
		return nil
	})
}

// millis is the time of a stored Unix millisecond stamp (0: zero time).
func millis(ms int64) time.Time {
	if ms <= 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}
