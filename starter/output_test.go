package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"hubspot-brevo-sync/internal/integration"
	"hubspot-brevo-sync/internal/manage"
	"hubspot-brevo-sync/internal/mapping"
)

func TestProgressLine(t *testing.T) {
	tests := []struct {
		name string
		st   integration.Status
		want []string
	}{
		{"first second: the list size is known, nothing read yet",
			integration.Status{State: integration.StateSyncing, Cursor: integration.Cursor{ListSize: 2000}},
			[]string{"syncing [..............................]   0% 0/2000 read · 0 written"}},
		{"under way",
			integration.Status{State: integration.StateSyncing, ContactsSynced: 480, Cursor: integration.Cursor{Seen: 500, ListSize: 2000, Written: 480}},
			[]string{"[#######.......................]  25% 500/2000 read · 480 written · 480 synced"}},
		{"the pass ended",
			integration.Status{State: integration.StateIdle, ContactsSynced: 1884, ContactsSkipped: 116, Cursor: integration.Cursor{Seen: 2000, ListSize: 2000, Written: 1884}},
			[]string{"idle [##############################] 100% 2000/2000 read · 1884 written · 1884 synced · 116 skipped"}},
		{"list size unknown", integration.Status{State: integration.StateSyncing, Cursor: integration.Cursor{Seen: 250}},
			[]string{"  0% 250/? read"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			line := progressLine(tc.st)
			assert.NotContains(t, line, "\n")
			for _, want := range tc.want {
				assert.Contains(t, line, want)
			}
		})
	}
}

func TestStatusShowsProgressAndWritten(t *testing.T) {
	var b bytes.Buffer
	printStatus(&b, integration.Status{Name: "demo", State: integration.StateSyncing,
		Cursor: integration.Cursor{Pass: 1, Seen: 1000, ListSize: 2000, Written: 950}})
	out := b.String()
	assert.Contains(t, out, "pass            1: 50% (1000 of 2000 list members read, 950 contacts written)\n")
	assert.True(t, strings.HasPrefix(out, "integration     demo\nstate           syncing\n"), out)
}

func TestStatusShowsTheConsentCounts(t *testing.T) {
	var b bytes.Buffer
	printStatus(&b, integration.Status{Name: "demo", State: integration.StateIdle})
	assert.NotContains(t, b.String(), "deleted in HubSpot", "nothing to say without the options")
	b.Reset()
	printStatus(&b, integration.Status{Name: "demo", State: integration.StateIdle, DeletedInHubSpot: 3, UnsubscribesReported: 2,
		Spec: &integration.Spec{OnDelete: integration.OnDeleteDelete, ReportUnsubscribes: true}})
	assert.Contains(t, b.String(), "consent counts  3 deleted in HubSpot, 2 Brevo unsubscribes reported to HubSpot\n")
	assert.Contains(t, b.String(), "consent         on-delete delete: ")
}

func TestStatusAndReportShowTheConsentOptions(t *testing.T) {
	spec := integration.Spec{Mapping: mapping.Spec{Consent: mapping.Consent{SyncOptOuts: true}}}
	st := integration.Status{Name: "demo", State: integration.StateIdle, Spec: &spec}
	var b bytes.Buffer
	printStatus(&b, st)
	assert.Contains(t, b.String(), "consent         sync opt-outs: ")
	assert.NotContains(t, b.String(), "only marketing contacts")
	b.Reset()
	printReport(&b, manage.NewReport(st))
	assert.Contains(t, b.String(), "consent            sync opt-outs: ")

	b.Reset()
	printStatus(&b, integration.Status{Name: "demo", State: integration.StateIdle, Spec: &integration.Spec{}})
	assert.NotContains(t, b.String(), "consent")
}
