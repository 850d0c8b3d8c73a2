package manage

import (
	"testing"
	"time"

	"hubspot-brevo-sync/internal/store"
)

func TestVerdictIsTheLatestFate(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	skippedAt := func(at time.Time) *store.Outcome {
		return &store.Outcome{Kind: "skipped", Reason: "no_identifier", At: at}
	}
	tests := []struct {
		name string
		f    store.Facts
		want string
	}{
		{"written", store.Facts{Member: true, Hash: "h", WrittenKind: "created", WrittenAt: t0}, VerdictWritten},
		{"written with a value left out", store.Facts{Member: true, Hash: "h", WrittenKind: "created", WrittenAt: t0,
			Outcome: &store.Outcome{Kind: "created", Reason: "invalid_phone", At: t0}}, VerdictWritten},
		{"skipped before, written since", store.Facts{Member: true, Hash: "h", WrittenKind: "updated", WrittenAt: t0, Outcome: skippedAt(t0.Add(-time.Hour))}, VerdictWritten},
		{"written before, skipped since", store.Facts{Member: true, Hash: "h", WrittenKind: "updated", WrittenAt: t0, Outcome: skippedAt(t0.Add(time.Hour))}, VerdictSkipped},
		{"written at an unrecorded time, skipped", store.Facts{Member: true, Hash: "h", Outcome: skippedAt(t0)}, VerdictSkipped},
		{"a failed write after a good one", store.Facts{Member: true, Hash: "h", WrittenKind: "failed", WrittenAt: t0}, VerdictFailed},
		{"in an import", store.Facts{Member: true, Hash: "h", WrittenKind: "created", WrittenAt: t0, Importing: true}, VerdictImporting},
		{"left after it was written", store.Facts{Hash: "h", WrittenKind: "created", WrittenAt: t0}, VerdictLeft},
		{"a member not written yet", store.Facts{Member: true}, VerdictMemberNotWritten},
		{"skipped, never written", store.Facts{Member: true, Outcome: skippedAt(t0)}, VerdictSkipped},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := verdictOf(tc.f); got != tc.want {
				t.Errorf("verdict %s, want %s", got, tc.want)
			}
		})
	}
}
