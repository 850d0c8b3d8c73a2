package store_test

import (
	"context"
	"testing"
	"time"

	"hubspot-brevo-sync/internal/store"
)

func TestConsentStampsPerIntegration(t *testing.T) { eachBackend(t, testConsent) }

func testConsent(t *testing.T, s *store.Store, a, b string) {
	ctx := context.Background()
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	if err := s.SaveWritten(ctx, a, []store.Written{{HubSpotID: "1", Email: "one@example.com", Hash: "h1"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkBlocklisted(ctx, a, []string{"1", "2"}, at); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkReported(ctx, a, []string{"2"}, at.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	got, err := s.Consents(ctx, a, []string{"1", "2", "3"})
	if err != nil {
		t.Fatal(err)
	}
	if !got["1"].BlocklistedAt.Equal(at) || !got["1"].ReportedAt.IsZero() {
		t.Errorf("record 1: %+v", got["1"])
	}
	if !got["2"].ReportedAt.Equal(at.Add(time.Minute)) {
		t.Errorf("record 2: %+v", got["2"])
	}
	if _, ok := got["3"]; ok {
		t.Error("record 3 is unknown and has no consent facts")
	}
	// The stamp keeps what was written.
	recs, err := s.Records(ctx, a, []string{"1"})
	if err != nil {
		t.Fatal(err)
	}
	if recs["1"].Hash != "h1" || recs["1"].Email != "one@example.com" {
		t.Errorf("blocklisting changed the written record: %+v", recs["1"])
	}
	other, err := s.Consents(ctx, b, []string{"1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(other) != 0 {
		t.Errorf("integration %s sees %s's consent facts: %+v", b, a, other)
	}
}
