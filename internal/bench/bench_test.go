package main

import (
	"context"
	"strings"
	"testing"

	"hubspot-brevo-sync/internal/sandbox"
)

func TestSeveralWorkersNeedPostgres(t *testing.T) {
	t.Setenv("SYNC_TEST_POSTGRES_DSN", "")
	b := &bench{f: flags{workers: 3}, dir: t.TempDir()}
	if _, err := b.storeDSN(context.Background()); err == nil || !strings.Contains(err.Error(), "PostgreSQL") {
		t.Fatalf("3 workers without PostgreSQL: err %v", err)
	}
	b.f.workers = 1
	if dsn, err := b.storeDSN(context.Background()); err != nil || !strings.HasSuffix(dsn, "sync-store.db") {
		t.Fatalf("one worker: %q, %v; want a SQLite file", dsn, err)
	}
}

// The seed gives some contacts one email or number; in one Brevo account
// they are one contact, so they must not be split between integrations.
func TestIntegrationsSplitKeepsSharedIdentifiersTogether(t *testing.T) {
	sb := sandbox.New(sandbox.Options{})
	b := &bench{sb: sb, seed: sb.HubSpot().Seed(sandbox.SeedOptions{Contacts: 3000, Seed: 1})}
	if err := b.splitIntegrations(3); err != nil {
		t.Fatal(err)
	}
	listOf := map[string]int{}
	holder := map[string]int{} // email or number -> list
	shared := 0
	for i, in := range b.integrations {
		if n := len(in.ids); n < 900 || n > 1100 {
			t.Errorf("list %d holds %d of 3000", i, n)
		}
		for _, id := range in.ids {
			if _, dup := listOf[id]; dup {
				t.Fatalf("contact %s in two lists", id)
			}
			listOf[id] = i
			c, _ := sb.HubSpot().Contact(id)
			for _, k := range []string{"e:" + strings.ToLower(c.Properties["email"]), "p:" + c.Properties["phone"]} {
				if k == "e:" || k == "p:" {
					continue
				}
				if j, ok := holder[k]; ok {
					shared++
					if j != i {
						t.Errorf("%s held in lists %d and %d", k, j, i)
					}
				}
				holder[k] = i
			}
		}
	}
	if len(listOf) != b.seed.ListSize {
		t.Fatalf("%d contacts in the lists, %d seeded", len(listOf), b.seed.ListSize)
	}
	if shared == 0 {
		t.Fatal("the seed shares no email or number: the test tests nothing")
	}
}
