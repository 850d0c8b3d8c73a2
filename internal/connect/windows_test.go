package connect_test

import (
	"context"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"

	"hubspot-brevo-sync/internal/config"
	"hubspot-brevo-sync/internal/connect"
	"hubspot-brevo-sync/internal/httpx"
	"hubspot-brevo-sync/internal/sandbox"
)

// keyRecorder is a SharedWindows that grants every slot at once and notes
// the keys asked for.
type keyRecorder struct {
	mu   sync.Mutex
	keys []string
}

func (r *keyRecorder) Reserve(_ context.Context, key string, _ httpx.Rate, _ time.Duration) (time.Duration, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !slices.Contains(r.keys, key) {
		r.keys = append(r.keys, key)
	}
	return 0, nil
}

func (r *keyRecorder) Book(context.Context, string, int) error { return nil }

func (r *keyRecorder) Count(context.Context, string, time.Duration) (int, error) { return 0, nil }

// Each HubSpot connection's budget is its own key, the Brevo account's
// another: clients built with the option reserve their slots there.
func TestSharedWindowsAreKeyedByConnection(t *testing.T) {
	sb := sandbox.New(sandbox.Options{})
	sb.HubSpot().Seed(sandbox.SeedOptions{Contacts: 5, Seed: 1})
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	env := sandbox.DevEnv(srv.URL)
	ctx := context.Background()
	rec := &keyRecorder{}
	for _, name := range []string{"", "agency"} {
		hs, err := connect.HubSpot(config.HubSpot{BaseURL: env.HubSpotBaseURL, AccessToken: env.HubSpotToken, Connection: name},
			zap.NewNop(), connect.WithSharedWindows(rec))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := hs.GetList(ctx, "1"); err != nil {
			t.Fatal(err)
		}
	}
	bv, err := connect.Brevo(config.Brevo{BaseURL: env.BrevoBaseURL, APIKey: env.BrevoAPIKey}, zap.NewNop(), connect.WithSharedWindows(rec))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bv.AllLists(ctx); err != nil {
		t.Fatal(err)
	}
	want := []string{"hubspot/default/burst", "hubspot/agency/burst", "brevo/default/contacts/1h", "brevo/default/contacts/1s"}
	if !slices.Equal(rec.keys, want) {
		t.Fatalf("keys reserved: %v, want %v", rec.keys, want)
	}
}
