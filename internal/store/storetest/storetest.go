// Package storetest opens sync stores for tests on the PostgreSQL server
// SYNC_TEST_POSTGRES_DSN names (.ci/run starts one).
package storetest

import (
	"context"
	"os"
	"testing"

	"hubspot-brevo-sync/internal/store"
)

// Postgres opens a store on the test database, closed when the test ends.
// Without SYNC_TEST_POSTGRES_DSN the test is skipped; need says what of it
// needs PostgreSQL.
func Postgres(t *testing.T, need string) *store.Store {
	t.Helper()
	dsn := os.Getenv("SYNC_TEST_POSTGRES_DSN")
	if dsn == "" {
		t.Skip("SYNC_TEST_POSTGRES_DSN not set: " + need + " need PostgreSQL")
	}
	s, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("open the PostgreSQL store: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}
