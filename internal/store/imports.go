package store

import (
	"context"
	"database/sql"
	"fmt"
)

// ImportRow is one contact of a Brevo import not confirmed yet.
type ImportRow struct {
	HubSpotID string
	// Kind is what confirming it counts: created or updated.
	Kind string
	Hash string
	// Email (lower case) and SMS (digits) are the row's identifiers.
	Email, SMS string
	// Direct rows are not in the import: they are written one by one
	// when it is confirmed.
	Direct bool
	// Contact is the mapped contact as JSON: what the read-back compares
	// with and what a repair writes.
	Contact string
}

// SaveImportRows records the rows of an import a batch sends (idempotent).
func (s *Store) SaveImportRows(ctx context.Context, integration, batch string, rows []ImportRow) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, s.q(`INSERT INTO import_rows (integration, batch, hubspot_id, kind, hash, email, sms, direct, contact)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (integration, batch, hubspot_id) DO UPDATE SET kind = excluded.kind, hash = excluded.hash,
				email = excluded.email, sms = excluded.sms, direct = excluded.direct, contact = excluded.contact`))
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, r := range rows {
			if _, err := stmt.ExecContext(ctx, integration, batch, r.HubSpotID, r.Kind, r.Hash, r.Email, r.SMS, boolInt(r.Direct), r.Contact); err != nil {
				return err
			}
		}
		return nil
	})
}

// ImportRows returns the rows of a batch's import still unconfirmed.
func (s *Store) ImportRows(ctx context.Context, integration, batch string) ([]ImportRow, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT hubspot_id, kind, hash, direct, contact FROM import_rows
		WHERE integration = ? AND batch = ? ORDER BY hubspot_id`), integration, batch)
	if err != nil {
		return nil, fmt.Errorf("store: import rows: %w", err)
	}
	defer rows.Close()
	var out []ImportRow
	for rows.Next() {
		var r ImportRow
		var direct int
		if err := rows.Scan(&r.HubSpotID, &r.Kind, &r.Hash, &direct, &r.Contact); err != nil {
			return nil, fmt.Errorf("store: import rows: %w", err)
		}
		r.Direct = direct == 1
		out = append(out, r)
	}
	return out, rows.Err()
}

// ConfirmImportRows saves how the given rows of a batch's import ended and
// forgets them as pending, in one transaction: a retried confirmation
// finds them written, never half.
func (s *Store) ConfirmImportRows(ctx context.Context, integration, batch string, ws []Written) error {
	if len(ws) == 0 {
		return nil
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		if err := s.saveWritten(ctx, tx, integration, ws); err != nil {
			return err
		}
		stmt, err := tx.PrepareContext(ctx, s.q(`DELETE FROM import_rows WHERE integration = ? AND batch = ? AND hubspot_id = ?`))
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, w := range ws {
			if _, err := stmt.ExecContext(ctx, integration, batch, w.HubSpotID); err != nil {
				return err
			}
		}
		return nil
	})
}

// DropImportRows forgets a batch's import rows: the import was never sent
// (or is lost), and the contacts are written again.
func (s *Store) DropImportRows(ctx context.Context, integration, batch string) error {
	_, err := s.db.ExecContext(ctx, s.q(`DELETE FROM import_rows WHERE integration = ? AND batch = ?`), integration, batch)
	if err != nil {
		return fmt.Errorf("store: drop import rows: %w", err)
	}
	return nil
}

// Importing returns which of the emails (lower case) and SMS numbers
// belong to rows of the integration's unconfirmed imports: writing
// another record with one before the import is applied would race the
// import.
func (s *Store) Importing(ctx context.Context, integration string, emails, sms []string) (heldEmails, heldSMS map[string]bool, err error) {
	return s.importing(ctx, "integration = ?", integration, emails, sms)
}

// ImportingElsewhere is Importing for the rows of every other
// integration: they write to the same Brevo account, where one email or
// number is one contact.
func (s *Store) ImportingElsewhere(ctx context.Context, integration string, emails, sms []string) (heldEmails, heldSMS map[string]bool, err error) {
	return s.importing(ctx, "integration <> ?", integration, emails, sms)
}

func (s *Store) importing(ctx context.Context, whose, integration string, emails, sms []string) (heldEmails, heldSMS map[string]bool, err error) {
	held := func(column string, values []string) (map[string]bool, error) {
		out := map[string]bool{}
		err := s.inChunks(values, func(chunk []any) error {
			rows, err := s.db.QueryContext(ctx, s.q(`SELECT DISTINCT `+column+` FROM import_rows WHERE `+whose+` AND `+column+
				` IN (`+placeholders(len(chunk))+`) AND `+column+` <> ''`), append([]any{integration}, chunk...)...)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var v string
				if err := rows.Scan(&v); err != nil {
					return err
				}
				out[v] = true
			}
			return rows.Err()
		})
		return out, err
	}
	if heldEmails, err = held("email", emails); err != nil {
		return nil, nil, fmt.Errorf("store: importing: %w", err)
	}
	if heldSMS, err = held("sms", sms); err != nil {
		return nil, nil, fmt.Errorf("store: importing: %w", err)
	}
	return heldEmails, heldSMS, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
