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
	// written. WrittenKind (created, updated or failed) and WrittenAt say
	// how and when the last write ended; "" and zero for writes from
	// before they were recorded. A failed write keeps the last good hash.
	Hash        string
	WrittenKind string
	WrittenAt   time.Time
	// Importing says the record is in a Brevo import not confirmed yet.
	Importing bool
	// Outcome is the record's latest remark: skipped, failed, or written
	// with a value left out; nil if none.
	Outcome *Outcome
}

// Written tells that Brevo confirmed a write of the record.
func (f Facts) Written() bool { return f.Hash != "" }

// Lookup finds what the store knows of the records with this HubSpot id or
// email (an email may match several records), by id.
func (s *Store) Lookup(ctx context.Context, integration, idOrEmail string) ([]Facts, error) {
	email := strings.ToLower(strings.TrimSpace(idOrEmail))
	byID := map[string]*Facts{}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT c.hubspot_id, c.email, c.hash, c.in_list, c.written_at, c.written_kind,
			CASE WHEN EXISTS (SELECT 1 FROM import_rows r WHERE r.integration = c.integration AND r.hubspot_id = c.hubspot_id) THEN 1 ELSE 0 END
		FROM contacts c WHERE c.integration = ? AND (c.hubspot_id = ? OR c.email = ?)`), integration, idOrEmail, email)
	if err != nil {
		return nil, fmt.Errorf("store: lookup: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var f Facts
		var inList, importing int
		var writtenAt int64
		if err := rows.Scan(&f.HubSpotID, &f.Email, &f.Hash, &inList, &writtenAt, &f.WrittenKind, &importing); err != nil {
			return nil, fmt.Errorf("store: lookup: %w", err)
		}
		f.Member, f.Importing = inList == 1, importing == 1
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
