package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// Identity is who holds which identifiers in the Brevo account.
type Identity struct {
	BrevoID int64
	Email   string // lower case
	SMS     string // digits, country code first
	ExtID   string
	// Blocklisted: Brevo's emailBlacklisted, so writers can keep away
	// from it what might clear it.
	Blocklisted bool
	// ModifiedAt is when Brevo last modified the contact, as far as its
	// listing says; Listed is the contact as listed (opaque to the store),
	// so a read-back by any integration of the account can find it
	// without listing it again (ListedSince).
	ModifiedAt time.Time
	Listed     string
}

// SaveIdentities records what Brevo's contact listing says (idempotent;
// a contact's identifiers replace what was known of it, unless what is
// known was modified later: two workers' listings may land in any order).
func (s *Store) SaveIdentities(ctx context.Context, account string, ids []Identity) error {
	if len(ids) == 0 {
		return nil
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, s.q(`INSERT INTO brevo_identities (account, brevo_id, email, sms, ext_id, blocklisted, modified_at, listed)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (account, brevo_id) DO UPDATE SET email = excluded.email, sms = excluded.sms, ext_id = excluded.ext_id,
				blocklisted = excluded.blocklisted, modified_at = excluded.modified_at, listed = excluded.listed
			WHERE excluded.modified_at >= brevo_identities.modified_at`))
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, id := range ids {
			if _, err := stmt.ExecContext(ctx, account, id.BrevoID, strings.ToLower(id.Email), id.SMS, id.ExtID, boolInt(id.Blocklisted),
				unixMilli(id.ModifiedAt), id.Listed); err != nil {
				return err
			}
		}
		return nil
	})
}

// ListedSince returns the contacts (Identity.Listed) Brevo modified at or
// after since, as last listed.
func (s *Store) ListedSince(ctx context.Context, account string, since time.Time) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT listed FROM brevo_identities
		WHERE account = ? AND modified_at >= ? AND listed <> '' ORDER BY modified_at, brevo_id`), account, unixMilli(since))
	if err != nil {
		return nil, fmt.Errorf("store: listed since: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var listed string
		if err := rows.Scan(&listed); err != nil {
			return nil, fmt.Errorf("store: listed since: %w", err)
		}
		out = append(out, listed)
	}
	return out, rows.Err()
}

// Holders maps each of the given identifiers to the Brevo contact that
// holds it, per kind: emails (lower case), SMS numbers and ext_ids.
// Blocklisted holds the holders that are blocklisted.
type Holders struct {
	Email       map[string]int64
	SMS         map[string]int64
	ExtID       map[string]int64
	Blocklisted map[int64]bool
}

// FindHolders looks the identifiers up in the index.
func (s *Store) FindHolders(ctx context.Context, account string, emails, sms, extIDs []string) (Holders, error) {
	h := Holders{Email: map[string]int64{}, SMS: map[string]int64{}, ExtID: map[string]int64{}, Blocklisted: map[int64]bool{}}
	for _, k := range []struct {
		column string
		values []string
		into   map[string]int64
	}{{"email", emails, h.Email}, {"sms", sms, h.SMS}, {"ext_id", extIDs, h.ExtID}} {
		err := s.inChunks(k.values, func(chunk []any) error {
			rows, err := s.db.QueryContext(ctx, s.q(`SELECT `+k.column+`, brevo_id, blocklisted FROM brevo_identities
				WHERE account = ? AND `+k.column+` IN (`+placeholders(len(chunk))+`)`), append([]any{account}, chunk...)...)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var v string
				var id, blocklisted int64
				if err := rows.Scan(&v, &id, &blocklisted); err != nil {
					return err
				}
				k.into[v] = id
				if blocklisted == 1 {
					h.Blocklisted[id] = true
				}
			}
			return rows.Err()
		})
		if err != nil {
			return Holders{}, fmt.Errorf("store: holders: %w", err)
		}
	}
	return h, nil
}

// IndexWatermark is the Brevo modification time the index is complete up
// to; zero when the account was never listed.
func (s *Store) IndexWatermark(ctx context.Context, account string) (time.Time, error) {
	var ms int64
	err := s.db.QueryRowContext(ctx, s.q(`SELECT watermark FROM brevo_index WHERE account = ?`), account).Scan(&ms)
	switch {
	case err == sql.ErrNoRows:
		return time.Time{}, nil
	case err != nil:
		return time.Time{}, fmt.Errorf("store: index watermark: %w", err)
	}
	return time.UnixMilli(ms).UTC(), nil
}

// SetIndexWatermark moves the watermark forward (never back).
func (s *Store) SetIndexWatermark(ctx context.Context, account string, t time.Time) error {
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO brevo_index (account, watermark) VALUES (?, ?)
		ON CONFLICT (account) DO UPDATE SET watermark = CASE WHEN excluded.watermark > brevo_index.watermark
			THEN excluded.watermark ELSE brevo_index.watermark END`), account, t.UnixMilli())
	if err != nil {
		return fmt.Errorf("store: set index watermark: %w", err)
	}
	return nil
}

// unixMilli is t in milliseconds since the epoch, 0 for the zero time.
func unixMilli(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}
