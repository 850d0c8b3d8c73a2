package store

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Facts is what the store knows of one HubSpot record of an integration,
// for a person asking what happened to it.
type Facts struct {
	HubSpotID string
	Email     string
	// Member says the record was in the HubSpot list at the last scan.
	Member bool
	// Hash is of the mapped values last written to Brevo; "" if never
	// written. WrittenAt and WrittenKind (created or updated) say when and
	// how; zero and "" for writes from before they were recorded.
	Hash        string
	WrittenAt   time.Time
	WrittenKind string
	// Outcome is the record's latest remark: skipped, failed, or written
	// with a value left out; nil if none.
	Outcome *Outcome
}

// Written tells that Brevo confirmed a write of the record.
func (f Facts) Written() bool { return f.Hash != "" }

// Lookup finds what the store knows of the records with this HubSpot id or
// email (an email may match several records), by id.
func (s *Store) Lookup(ctx context.Context, integration, idOrEmail string) ([]Facts, error) {
	if err := s.migrateWritten(ctx); err != nil {
		return nil, err
	}
	email := strings.ToLower(strings.TrimSpace(idOrEmail))
	byID := map[string]*Facts{}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT hubspot_id, email, hash, in_list, COALESCE(written_at, 0), COALESCE(written_kind, '')
		FROM contacts WHERE integration = ? AND (hubspot_id = ? OR email = ?)`), integration, idOrEmail, email)
	if err != nil {
		return nil, fmt.Errorf("store: lookup: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var f Facts
		var inList int
		var writtenAt int64
		if err := rows.Scan(&f.HubSpotID, &f.Email, &f.Hash, &inList, &writtenAt, &f.WrittenKind); err != nil {
			return nil, fmt.Errorf("store: lookup: %w", err)
		}
		f.Member = inList == 1
		if writtenAt > 0 {
			f.WrittenAt = time.UnixMilli(writtenAt).UTC()
		}
		byID[f.HubSpotID] = &f
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: lookup: %w", err)
	}
	outcomes, err := s.FindOutcome(ctx, integration, idOrEmail)
	if err != nil {
		return nil, err
	}
	for _, o := range outcomes {
		f := byID[o.HubSpotID]
		if f == nil {
			f = &Facts{HubSpotID: o.HubSpotID, Email: o.Email}
			byID[o.HubSpotID] = f
		}
		f.Outcome = &o
	}
	out := make([]Facts, 0, len(byID))
	for _, f := range byID {
		out = append(out, *f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].HubSpotID < out[j].HubSpotID })
	return out, nil
}

// migrateWritten adds the contacts table's written_at (unix ms) and
// written_kind ('created' or 'updated') where the schema lacks them; the
// sync writes them when Brevo confirms a write.
func (s *Store) migrateWritten(ctx context.Context) error {
	for _, col := range []struct{ name, typ string }{{"written_at", "BIGINT"}, {"written_kind", "TEXT"}} {
		if _, err := s.db.ExecContext(ctx, `SELECT `+col.name+` FROM contacts WHERE 1 = 0`); err == nil {
			continue
		}
		ddl := `ALTER TABLE contacts ADD COLUMN ` + col.name + ` ` + col.typ
		if s.postgres {
			ddl = `ALTER TABLE contacts ADD COLUMN IF NOT EXISTS ` + col.name + ` ` + col.typ
		}
		if _, err := s.db.ExecContext(ctx, ddl); err != nil && !strings.Contains(err.Error(), "duplicate column") {
			return fmt.Errorf("store: migrate %s: %w", col.name, err)
		}
	}
	return nil
}
