package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"hubspot-brevo-sync/internal/httpx"
)

// Rate windows shared by the workers of a deployment (httpx.SharedWindows):
// every slot granted to any worker is a row of rate_slots, numbered per key
// in the order granted. Slots are granted one at a time per key, under a
// transaction-scoped advisory lock on the key, at the database's clock, so
// that the hosts' clocks need not agree; a caller is told how long to wait,
// not when. Rows older than two periods and a minute are pruned now and
// then: by then no reservation or count can need them.
//
// PostgreSQL only: a SQLite file is one host's, and one process paces
// itself in memory.

// rateSlotsSchema is created with the rest of the schema.
const rateSlotsSchema = `CREATE TABLE IF NOT EXISTS rate_slots (
	key TEXT   NOT NULL,
	seq BIGINT NOT NULL,
	at  BIGINT NOT NULL,
	PRIMARY KEY (key, seq))`

// pruneEvery is how many grants of a key go by between two prunings.
const pruneEvery = 64

// dbNowMicros is the database's clock, in microseconds since the epoch.
const dbNowMicros = `(extract(epoch from clock_timestamp()) * 1000000)::bigint`

var errWindowsNeedPostgres = errors.New("store: shared rate windows need the PostgreSQL store")

// RateWindows are the store's shared rate windows.
type RateWindows struct{ s *Store }

// RateWindows returns the shared rate windows; they work on PostgreSQL only
// (Shared).
func (s *Store) RateWindows() *RateWindows { return &RateWindows{s: s} }

// Reserve grants the next slot of key within rate (at most rate.Limit in
// any interval of rate.Period, rate.Spacing after the last), none sooner
// than after from now. It returns how long the caller waits before sending.
func (r *RateWindows) Reserve(ctx context.Context, key string, rate httpx.Rate, after time.Duration) (time.Duration, error) {
	limit, period := rate.Limit, rate.Period
	var wait time.Duration
	err := r.locked(ctx, key, func(tx *sql.Tx, now, lastSeq, lastAt int64) error {
		at := max(now+after.Microseconds(), lastAt)
		if lastSeq > 0 {
			at = max(at, lastAt+rate.Spacing.Microseconds())
		}
		if limit > 0 && lastSeq >= int64(limit) {
			var oldest int64
			err := tx.QueryRowContext(ctx, `SELECT at FROM rate_slots WHERE key = $1 AND seq = $2`, key, lastSeq-int64(limit)+1).Scan(&oldest)
			switch {
			case err == nil:
				at = max(at, oldest+period.Microseconds())
			case !errors.Is(err, sql.ErrNoRows): // pruned: long out of the window
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO rate_slots (key, seq, at) VALUES ($1, $2, $3)`, key, lastSeq+1, at); err != nil {
			return err
		}
		if (lastSeq+1)%pruneEvery == 0 {
			keep := 2*period + time.Minute
			if _, err := tx.ExecContext(ctx, `DELETE FROM rate_slots WHERE key = $1 AND at < $2`, key, now-keep.Microseconds()); err != nil {
				return err
			}
		}
		wait = time.Duration(at-now) * time.Microsecond
		return nil
	})
	return wait, err
}

// Book records n slots used now, after every slot already granted, that
// nobody reserved.
func (r *RateWindows) Book(ctx context.Context, key string, n int) error {
	if n <= 0 {
		return nil
	}
	return r.locked(ctx, key, func(tx *sql.Tx, now, lastSeq, lastAt int64) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO rate_slots (key, seq, at) SELECT $1, $2 + i, $3 FROM generate_series(1, $4::bigint) AS i`,
			key, lastSeq, max(now, lastAt), n)
		return err
	})
}

// Count is how many slots of key lie in the last within, up to now.
func (r *RateWindows) Count(ctx context.Context, key string, within time.Duration) (int, error) {
	if !r.s.postgres {
		return 0, errWindowsNeedPostgres
	}
	var n int
	err := r.s.db.QueryRowContext(ctx, `SELECT count(*) FROM rate_slots WHERE key = $1 AND at > `+dbNowMicros+` - $2 AND at <= `+dbNowMicros,
		key, within.Microseconds()).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: rate window %s: %w", key, err)
	}
	return n, nil
}

// locked runs fn in a transaction holding key's advisory lock, with the
// database's time and the key's last slot (0, 0 for none).
func (r *RateWindows) locked(ctx context.Context, key string, fn func(tx *sql.Tx, now, lastSeq, lastAt int64) error) error {
	if !r.s.postgres {
		return errWindowsNeedPostgres
	}
	err := r.s.tx(ctx, func(tx *sql.Tx) error {
		var now int64
		if err := tx.QueryRowContext(ctx, `SELECT `+dbNowMicros+` FROM (SELECT pg_advisory_xact_lock(hashtextextended($1, 0))) AS locked`, key).Scan(&now); err != nil {
			return err
		}
		var lastSeq, lastAt int64
		err := tx.QueryRowContext(ctx, `SELECT seq, at FROM rate_slots WHERE key = $1 ORDER BY seq DESC LIMIT 1`, key).Scan(&lastSeq, &lastAt)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		return fn(tx, now, lastSeq, lastAt)
	})
	if err != nil {
		return fmt.Errorf("rate window %s: %w", key, err)
	}
	return nil
}
