package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hubspot-brevo-sync/internal/store"
)

func TestWrittenIsCountedByBatch(t *testing.T) { eachBackend(t, testWrittenByBatch) }

func testWrittenByBatch(t *testing.T, s *store.Store, a, b string) {
	ctx := context.Background()
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	_, err := s.MarkSeen(ctx, a, 1, []string{"1", "2", "3"})
	require.NoError(t, err)
	first := []store.Written{
		{HubSpotID: "1", Email: "one@example.com", Hash: "h1", Kind: "created", Batch: "1/1", At: at},
		{HubSpotID: "2", Email: "two@example.com", Hash: "h2", Kind: "updated", Batch: "1/1", At: at},
		{HubSpotID: "3", Email: "three@example.com", Kind: "failed", Batch: "1/1", At: at},
	}
	require.NoError(t, s.SaveWritten(ctx, a, first))
	// A retried attempt saves the same again: nothing counts twice.
	require.NoError(t, s.SaveWritten(ctx, a, first))
	n, err := s.CountWritten(ctx, a, "1/1")
	require.NoError(t, err)
	assert.Equal(t, map[string]int{"created": 1, "updated": 1, "failed": 1}, n)
	n, err = s.CountWritten(ctx, b, "1/1")
	require.NoError(t, err)
	assert.Empty(t, n, "another integration's batches are its own")

	recs, err := s.Records(ctx, a, []string{"1", "3"})
	require.NoError(t, err)
	assert.Equal(t, store.Record{HubSpotID: "1", Email: "one@example.com", Hash: "h1", InList: true,
		WrittenIn: "1/1", WrittenKind: "created", WrittenAt: at}, recs["1"])
	assert.Empty(t, recs["3"].Hash, "a failed write leaves no hash: the record is tried again")

	// The next batch writes record 1 again and fails record 2: 1 moves to
	// the new batch, 2 keeps the hash of its last good write.
	require.NoError(t, s.SaveWritten(ctx, a, []store.Written{
		{HubSpotID: "1", Email: "one@new.example", Hash: "h1b", Kind: "updated", Batch: "2/1", At: at.Add(time.Hour)},
		{HubSpotID: "2", Email: "two@new.example", Kind: "failed", Batch: "2/1", At: at.Add(time.Hour)},
	}))
	n, err = s.CountWritten(ctx, a, "1/1")
	require.NoError(t, err)
	assert.Equal(t, map[string]int{"failed": 1}, n)
	n, err = s.CountWritten(ctx, a, "2/1")
	require.NoError(t, err)
	assert.Equal(t, map[string]int{"updated": 1, "failed": 1}, n)
	recs, err = s.Records(ctx, a, []string{"1", "2"})
	require.NoError(t, err)
	assert.Equal(t, "h1b", recs["1"].Hash)
	assert.Equal(t, "one@new.example", recs["1"].Email)
	assert.Equal(t, "h2", recs["2"].Hash, "a failure keeps the last good hash")
	assert.Equal(t, "two@example.com", recs["2"].Email, "and the email Brevo holds")
	assert.Equal(t, "failed", recs["2"].WrittenKind)
}

func TestImportRowsWaitForTheirConfirmation(t *testing.T) { eachBackend(t, testImportRows) }

func testImportRows(t *testing.T, s *store.Store, a, b string) {
	ctx := context.Background()
	_, err := s.MarkSeen(ctx, a, 1, []string{"1", "2", "3"})
	require.NoError(t, err)
	rows := []store.ImportRow{
		{HubSpotID: "1", Hash: "h1", Contact: `{"extId":"1"}`},
		{HubSpotID: "2", Hash: "h2", Contact: `{"extId":"2"}`},
	}
	require.NoError(t, s.SaveImportRows(ctx, a, "1/1/import", rows))
	require.NoError(t, s.SaveImportRows(ctx, a, "1/1/import", rows), "saving again is idempotent")
	got, err := s.ImportRows(ctx, a, "1/1/import")
	require.NoError(t, err)
	require.Len(t, got, 2)
	assert.Equal(t, "1", got[0].HubSpotID)
	assert.Equal(t, `{"extId":"2"}`, got[1].Contact)
	got, err = s.ImportRows(ctx, b, "1/1/import")
	require.NoError(t, err)
	assert.Empty(t, got, "another integration's imports are its own")

	recs, err := s.Records(ctx, a, []string{"1", "2", "3"})
	require.NoError(t, err)
	assert.True(t, recs["1"].Importing)
	assert.True(t, recs["2"].Importing)
	assert.False(t, recs["3"].Importing)
	assert.Empty(t, recs["1"].Hash, "a row counts as written only once confirmed")

	// Row 1 is read back: written and no longer pending, in one step.
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	require.NoError(t, s.ConfirmImportRows(ctx, a, "1/1/import", []store.Written{
		{HubSpotID: "1", Email: "one@example.com", Hash: "h1", Kind: "created", Batch: "1/1/import", At: at},
	}))
	require.NoError(t, s.ConfirmImportRows(ctx, a, "1/1/import", nil))
	got, err = s.ImportRows(ctx, a, "1/1/import")
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, "2", got[0].HubSpotID)
	recs, err = s.Records(ctx, a, []string{"1", "2"})
	require.NoError(t, err)
	assert.False(t, recs["1"].Importing)
	assert.Equal(t, "h1", recs["1"].Hash)
	assert.Equal(t, "1/1/import", recs["1"].WrittenIn)
	n, err := s.CountWritten(ctx, a, "1/1/import")
	require.NoError(t, err)
	assert.Equal(t, map[string]int{"created": 1}, n)
	n, err = s.CountWritten(ctx, a, "1/1")
	require.NoError(t, err)
	assert.Empty(t, n, "the import's count is kept apart from its batch's")

	// The import is dropped (never sent): its rows go, confirmed ones stay.
	require.NoError(t, s.DropImportRows(ctx, a, "1/1/import"))
	got, err = s.ImportRows(ctx, a, "1/1/import")
	require.NoError(t, err)
	assert.Empty(t, got)
	recs, err = s.Records(ctx, a, []string{"1", "2"})
	require.NoError(t, err)
	assert.False(t, recs["2"].Importing)
	assert.Equal(t, "h1", recs["1"].Hash)
}

func TestIdentityIndex(t *testing.T) { eachBackend(t, testIdentities) }

func testIdentities(t *testing.T, s *store.Store, a, b string) {
	ctx := context.Background()
	// Accounts are keyed by the test's names so PostgreSQL runs stay apart.
	wm, err := s.IndexWatermark(ctx, a)
	require.NoError(t, err)
	assert.True(t, wm.IsZero(), "a new account was never listed")

	require.NoError(t, s.SaveIdentities(ctx, a, []store.Identity{
		{BrevoID: 1, Email: "One@Example.com", SMS: "4915100000001", ExtID: "101"},
		{BrevoID: 2, Email: "two@example.com"},
		{BrevoID: 3, SMS: "4915100000003"},
	}))
	require.NoError(t, s.SaveIdentities(ctx, b, []store.Identity{{BrevoID: 9, Email: "two@example.com"}}))
	h, err := s.FindHolders(ctx, a, []string{"one@example.com", "two@example.com", "none@example.com"},
		[]string{"4915100000001", "4915100000003"}, []string{"101", "102"})
	require.NoError(t, err)
	assert.Equal(t, map[string]int64{"one@example.com": 1, "two@example.com": 2}, h.Email, "emails are kept lower case")
	assert.Equal(t, map[string]int64{"4915100000001": 1, "4915100000003": 3}, h.SMS)
	assert.Equal(t, map[string]int64{"101": 1}, h.ExtID)

	// A contact's identifiers replace what was known of it.
	require.NoError(t, s.SaveIdentities(ctx, a, []store.Identity{{BrevoID: 1, Email: "one@new.example", ExtID: "101"}}))
	h, err = s.FindHolders(ctx, a, []string{"one@example.com", "one@new.example"}, []string{"4915100000001"}, []string{"101"})
	require.NoError(t, err)
	assert.Equal(t, map[string]int64{"one@new.example": 1}, h.Email)
	assert.Empty(t, h.SMS)
	assert.Equal(t, map[string]int64{"101": 1}, h.ExtID)

	// What was listed is kept by modification time; a listing older than
	// what is known (another worker's, landing late) changes nothing.
	t0 := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	require.NoError(t, s.SaveIdentities(ctx, a, []store.Identity{
		{BrevoID: 1, Email: "one@new.example", ExtID: "101", ModifiedAt: t0.Add(time.Minute), Listed: "one, new"},
		{BrevoID: 2, Email: "two@example.com", ModifiedAt: t0, Listed: "two"},
	}))
	require.NoError(t, s.SaveIdentities(ctx, a, []store.Identity{{BrevoID: 1, Email: "one@old.example", ModifiedAt: t0, Listed: "one, old"}}))
	listed, err := s.ListedSince(ctx, a, t0)
	require.NoError(t, err)
	assert.Equal(t, []string{"two", "one, new"}, listed, "oldest modified first")
	listed, err = s.ListedSince(ctx, a, t0.Add(time.Second))
	require.NoError(t, err)
	assert.Equal(t, []string{"one, new"}, listed)
	h, err = s.FindHolders(ctx, a, []string{"one@old.example", "one@new.example"}, nil, nil)
	require.NoError(t, err)
	assert.Equal(t, map[string]int64{"one@new.example": 1}, h.Email, "the older listing did not replace the newer")
	listed, err = s.ListedSince(ctx, b, t0)
	require.NoError(t, err)
	assert.Empty(t, listed, "accounts stay apart")

	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	require.NoError(t, s.SetIndexWatermark(ctx, a, at))
	require.NoError(t, s.SetIndexWatermark(ctx, a, at.Add(-time.Hour)))
	wm, err = s.IndexWatermark(ctx, a)
	require.NoError(t, err)
	assert.Equal(t, at, wm, "the watermark never moves back")
	require.NoError(t, s.SetIndexWatermark(ctx, a, at.Add(time.Minute)))
	wm, err = s.IndexWatermark(ctx, a)
	require.NoError(t, err)
	assert.Equal(t, at.Add(time.Minute), wm)
	wm, err = s.IndexWatermark(ctx, b)
	require.NoError(t, err)
	assert.True(t, wm.IsZero())
}

func TestAbandonedImportsAreDropped(t *testing.T) { eachBackend(t, testAbandonedImports) }

func testAbandonedImports(t *testing.T, s *store.Store, a, b string) {
	ctx := context.Background()
	for _, batch := range []string{"1/1/import", "1/2/import", "1/3/import"} {
		require.NoError(t, s.SaveImportRows(ctx, a, batch, []store.ImportRow{{HubSpotID: batch[2:3], Hash: "h"}}))
	}
	require.NoError(t, s.SaveImportRows(ctx, b, "1/1/import", []store.ImportRow{{HubSpotID: "1", Hash: "h"}}))
	rows := func(integration, batch string) int {
		t.Helper()
		got, err := s.ImportRows(ctx, integration, batch)
		require.NoError(t, err)
		return len(got)
	}
	require.NoError(t, s.DropAbandonedImports(ctx, a, []string{"1/1/import", "1/3/import"}))
	assert.Equal(t, 1, rows(a, "1/1/import"))
	assert.Zero(t, rows(a, "1/2/import"), "an import nobody carries is dropped")
	assert.Equal(t, 1, rows(a, "1/3/import"))
	require.NoError(t, s.DropAbandonedImports(ctx, a, nil))
	assert.Zero(t, rows(a, "1/1/import"))
	assert.Zero(t, rows(a, "1/3/import"))
	assert.Equal(t, 1, rows(b, "1/1/import"), "another integration's imports are its own")
}

func TestUnlinkedRecordsAreWrittenAgain(t *testing.T) { eachBackend(t, testUnlinked) }

func testUnlinked(t *testing.T, s *store.Store, a, _ string) {
	ctx := context.Background()
	_, err := s.MarkSeen(ctx, a, 1, []string{"1", "2"})
	require.NoError(t, err)
	require.NoError(t, s.SaveWritten(ctx, a, []store.Written{{HubSpotID: "1", Email: "one@example.com", Hash: "h1", Kind: "created", Batch: "1/1"}}))
	require.NoError(t, s.MarkUnlinked(ctx, a, []string{"1", "2"}, ""))
	recs, err := s.Records(ctx, a, []string{"1", "2"})
	require.NoError(t, err)
	assert.Equal(t, store.HashUnlinked, recs["1"].Hash, "written, then unlinked")
	assert.Equal(t, "one@example.com", recs["1"].Email)
	assert.Empty(t, recs["2"].Hash, "never written: nothing to mark")
	// A failed write keeps the mark; a good one replaces it.
	require.NoError(t, s.SaveWritten(ctx, a, []store.Written{{HubSpotID: "1", Email: "one@example.com", Kind: "failed", Batch: "2/1"}}))
	recs, err = s.Records(ctx, a, []string{"1"})
	require.NoError(t, err)
	assert.Equal(t, store.HashUnlinked, recs["1"].Hash)
	require.NoError(t, s.SaveWritten(ctx, a, []store.Written{{HubSpotID: "1", Email: "one@example.com", Hash: "h1", Kind: "updated", Batch: "3/1"}}))
	recs, err = s.Records(ctx, a, []string{"1"})
	require.NoError(t, err)
	assert.Equal(t, "h1", recs["1"].Hash)
}

func TestImportingFindsRowsByEmailOrSMS(t *testing.T) { eachBackend(t, testImporting) }

func testImporting(t *testing.T, s *store.Store, a, b string) {
	ctx := context.Background()
	require.NoError(t, s.SaveImportRows(ctx, a, "1/1/import", []store.ImportRow{
		{HubSpotID: "1", Email: "one@example.com", SMS: "4915100000001", Hash: "h"},
		{HubSpotID: "2", SMS: "4915100000002", Hash: "h"},
	}))
	for _, tc := range []struct {
		name        string
		integration string
		emails, sms []string
		want        bool
	}{
		{"an email of a row", a, []string{"x@example.com", "one@example.com"}, nil, true},
		{"an SMS of a row", a, nil, []string{"4915100000002"}, true},
		{"neither", a, []string{"x@example.com"}, []string{"4915100000009"}, false},
		{"a row without email is not every empty email", a, []string{""}, nil, false},
		{"nothing asked", a, nil, nil, false},
		{"another integration's rows", b, []string{"one@example.com"}, []string{"4915100000002"}, false},
	} {
		emails, sms, err := s.Importing(ctx, tc.integration, tc.emails, tc.sms)
		require.NoError(t, err, tc.name)
		assert.Equal(t, tc.want, len(emails)+len(sms) > 0, tc.name)
	}
	emails, sms, err := s.Importing(ctx, a, []string{"one@example.com", "x@example.com"}, []string{"4915100000002"})
	require.NoError(t, err)
	assert.Equal(t, map[string]bool{"one@example.com": true}, emails, "which emails are held")
	assert.Equal(t, map[string]bool{"4915100000002": true}, sms, "which numbers are held")
	require.NoError(t, s.ConfirmImportRows(ctx, a, "1/1/import", []store.Written{{HubSpotID: "1", Hash: "h", Kind: "created", Batch: "1/1/import"}}))
	emails, _, err = s.Importing(ctx, a, []string{"one@example.com"}, nil)
	require.NoError(t, err)
	assert.Empty(t, emails, "a confirmed row is no longer being imported")
}
