package store

import (
	"context"
	"database/sql"
)

// HashUnlinked is the hash of a record removed from the Brevo list: its
// contact is still in Brevo (so the hash is not empty, and an email change
// still keeps the contact) but no content hash equals it, so the next
// write of the record is not skipped as unchanged and links it again.
const HashUnlinked = "unlinked"

// MarkUnlinked records that the records' contacts were removed from the
// Brevo list. by, when set, is the batch key that removed them: a retried
// attempt of that batch counts them (CountWritten's "unlinked") though
// it finds nothing left to remove.
func (s *Store) MarkUnlinked(ctx context.Context, integration string, ids []string, by string) error {
	if len(ids) == 0 {
		return nil
	}
	query := `UPDATE contacts SET hash = ? WHERE integration = ? AND hubspot_id = ? AND hash <> ''`
	args := []any{HashUnlinked}
	if by != "" {
		query = `UPDATE contacts SET hash = ?, written_in = ?, written_kind = ? WHERE integration = ? AND hubspot_id = ? AND hash <> ''`
		args = append(args, by, KindUnlinked)
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, s.q(query))
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, id := range ids {
			if _, err := stmt.ExecContext(ctx, append(args, integration, id)...); err != nil {
				return err
			}
		}
		return nil
	})
}

// KindUnlinked is the written kind of records a batch removed from the
// Brevo list.
const KindUnlinked = "unlinked"
