package store

import (
	"context"
	"fmt"
)

// DropAbandonedImports forgets the import rows of every batch of the
// integration but those named in keep (batch keys of the imports still to
// be confirmed). Rows of any other import were left by a batch that failed
// for good after sending it: nobody will confirm them, and while they
// exist their records count as being imported and are never written.
func (s *Store) DropAbandonedImports(ctx context.Context, integration string, keep []string) error {
	q := `DELETE FROM import_rows WHERE integration = ?`
	args := []any{integration}
	if len(keep) > 0 {
		q += ` AND batch NOT IN (` + placeholders(len(keep)) + `)`
		for _, k := range keep {
			args = append(args, k)
		}
	}
	if _, err := s.db.ExecContext(ctx, s.q(q), args...); err != nil {
		return fmt.Errorf("store: drop abandoned imports: %w", err)
	}
	return nil
}
