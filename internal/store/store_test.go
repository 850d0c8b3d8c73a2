package store_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hubspot-brevo-sync/internal/store"
)

// backends are the databases the tests run on: SQLite always, PostgreSQL
// when SYNC_TEST_POSTGRES_DSN names one (.ci/run starts one).
func backends(t *testing.T) map[string]func(t *testing.T) *store.Store {
	b := map[string]func(t *testing.T) *store.Store{
		"sqlite": func(t *testing.T) *store.Store {
			return openDSN(t, "sqlite:"+filepath.Join(t.TempDir(), "sub", "store.db"))
		},
	}
	if dsn := os.Getenv("SYNC_TEST_POSTGRES_DSN"); dsn != "" {
		b["postgres"] = func(t *testing.T) *store.Store { return openDSN(t, dsn) }
	} else {
		t.Log("SYNC_TEST_POSTGRES_DSN not set: PostgreSQL not tested")
	}
	return b
}

func openDSN(t *testing.T, dsn string) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), dsn)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// eachBackend runs test on every backend with integration names no other
// run has used (a PostgreSQL database outlives the test).
func eachBackend(t *testing.T, test func(t *testing.T, s *store.Store, a, b string)) {
	for name, open := range backends(t) {
		t.Run(name, func(t *testing.T) {
			run := fmt.Sprintf("%s-%d", t.Name(), time.Now().UnixNano())
			test(t, open(t), run+"-a", run+"-b")
		})
	}
}

func TestScansFindJoinersAndLeavers(t *testing.T) { eachBackend(t, testScans) }

func testScans(t *testing.T, s *store.Store, a, b string) {
	ctx := context.Background()
	joined, err := s.MarkSeen(ctx, a, 1, []string{"1", "2", "3"})
	require.NoError(t, err)
	assert.Equal(t, 3, joined)
	// Another integration's members are its own.
	_, err = s.MarkSeen(ctx, b, 1, []string{"1", "9"})
	require.NoError(t, err)

	joined, err = s.MarkSeen(ctx, a, 2, []string{"2", "3", "4"})
	require.NoError(t, err)
	assert.Equal(t, 1, joined)
	joiners, err := s.Joiners(ctx, a, 2, "", 10)
	require.NoError(t, err)
	assert.Equal(t, []string{"4"}, joiners, "only the new member joined in scan 2")
	joiners, err = s.Joiners(ctx, a, 1, "", 10)
	require.NoError(t, err)
	assert.Equal(t, []string{"1", "2", "3"}, joiners, "members seen again keep the scan they joined in")
	n, err := s.CountLeft(ctx, a, 2)
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	left, err := s.Left(ctx, a, 2, 10)
	require.NoError(t, err)
	require.Len(t, left, 1)
	assert.Equal(t, "1", left[0].HubSpotID)

	require.NoError(t, s.MarkLeft(ctx, a, []string{"1"}))
	members, err := s.Members(ctx, a)
	require.NoError(t, err)
	assert.Equal(t, 3, members)
	// Marking the same page seen again (a retried activity) changes nothing.
	joined, err = s.MarkSeen(ctx, a, 2, []string{"2", "3", "4"})
	require.NoError(t, err)
	assert.Zero(t, joined)
	joiners, err = s.Joiners(ctx, a, 2, "", 10)
	require.NoError(t, err)
	assert.Equal(t, []string{"4"}, joiners)
	// A leaver who comes back is a joiner again.
	joined, err = s.MarkSeen(ctx, a, 3, []string{"1"})
	require.NoError(t, err)
	assert.Equal(t, 1, joined)
	joiners, err = s.Joiners(ctx, a, 3, "", 10)
	require.NoError(t, err)
	assert.Equal(t, []string{"1"}, joiners)
}

func TestJoinersPageInIDOrder(t *testing.T) { eachBackend(t, testJoinersPages) }

func testJoinersPages(t *testing.T, s *store.Store, a, _ string) {
	ctx := context.Background()
	_, err := s.MarkSeen(ctx, a, 1, []string{"10", "11"})
	require.NoError(t, err)
	_, err = s.MarkSeen(ctx, a, 2, []string{"10", "11", "15", "12", "14", "13"})
	require.NoError(t, err)
	page, err := s.Joiners(ctx, a, 2, "", 2)
	require.NoError(t, err)
	assert.Equal(t, []string{"12", "13"}, page)
	page, err = s.Joiners(ctx, a, 2, page[len(page)-1], 2)
	require.NoError(t, err)
	assert.Equal(t, []string{"14", "15"}, page)
	page, err = s.Joiners(ctx, a, 2, page[len(page)-1], 2)
	require.NoError(t, err)
	assert.Empty(t, page)
}

func TestWrittenHashesAndRekey(t *testing.T) { eachBackend(t, testRekey) }

func testRekey(t *testing.T, s *store.Store, a, _ string) {
	ctx := context.Background()
	_, err := s.MarkSeen(ctx, a, 1, []string{"10", "11"})
	require.NoError(t, err)
	require.NoError(t, s.SaveWritten(ctx, a, []store.Written{{HubSpotID: "10", Email: "x@example.com", Hash: "h1"}}))
	recs, err := s.Records(ctx, a, []string{"10", "11", "12"})
	require.NoError(t, err)
	assert.Equal(t, store.Record{HubSpotID: "10", Email: "x@example.com", Hash: "h1", InList: true}, recs["10"])
	assert.Equal(t, "", recs["11"].Hash)
	assert.NotContains(t, recs, "12")

	// A merge: 10 becomes 20, which the scan saw as a joiner.
	_, err = s.MarkSeen(ctx, a, 2, []string{"20", "11"})
	require.NoError(t, err)
	require.NoError(t, s.Rekey(ctx, a, "10", "20"))
	recs, err = s.Records(ctx, a, []string{"10", "20"})
	require.NoError(t, err)
	assert.NotContains(t, recs, "10")
	assert.Equal(t, "h1", recs["20"].Hash)
	n, err := s.CountLeft(ctx, a, 2)
	require.NoError(t, err)
	assert.Zero(t, n, "the re-keyed record keeps the membership the scan saw")
}

func TestOutcomesAnswerWhyByIDOrEmail(t *testing.T) { eachBackend(t, testOutcomes) }

func testOutcomes(t *testing.T, s *store.Store, a, b string) {
	ctx := context.Background()
	at := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	require.NoError(t, s.SaveOutcomes(ctx, a, []store.Outcome{
		{HubSpotID: "5", Email: "five@example.com", Kind: "skipped", Reason: "no_identifier", Detail: "no email", At: at},
	}))
	require.NoError(t, s.SaveOutcomes(ctx, a, []store.Outcome{
		{HubSpotID: "5", Email: "five@example.com", Kind: "failed", Reason: "rejected", Detail: "Invalid phone number", At: at.Add(time.Hour)},
	}))
	for _, key := range []string{"5", "FIVE@example.com"} {
		got, err := s.FindOutcome(ctx, a, key)
		require.NoError(t, err)
		require.Len(t, got, 1, "the latest outcome per record")
		assert.Equal(t, "failed", got[0].Kind)
		assert.Equal(t, at.Add(time.Hour), got[0].At)
	}
	got, err := s.FindOutcome(ctx, b, "5")
	require.NoError(t, err)
	assert.Empty(t, got)
}
