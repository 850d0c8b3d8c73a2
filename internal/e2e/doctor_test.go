package e2e

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"hubspot-brevo-sync/internal/brevo"
	"hubspot-brevo-sync/internal/doctor"
	"hubspot-brevo-sync/internal/hubspot"
	"hubspot-brevo-sync/internal/integration"
	"hubspot-brevo-sync/internal/manage"
	"hubspot-brevo-sync/internal/sandbox"
)

// TestDoctorOnARealServer runs the doctor's Temporal checks against a real
// server with a worker and one integration, whose lists and mapping the
// API checks then find.
func TestDoctorOnARealServer(t *testing.T) {
	s := newStack(t, fastLimits())
	seed := s.sb.HubSpot().Seed(sandbox.SeedOptions{Contacts: 20, Seed: 5})
	if _, err := s.mgr.Create(context.Background(), manage.CreateRequest{
		Name: "checked", HubSpotListID: seed.ListID, BrevoListID: 1, Map: demoMap, OptInConfirmed: true, Draft: true,
	}); err != nil {
		t.Fatal(err)
	}
	s.waitFor(t, "checked", 30*time.Second, func(st integration.Status) bool { return st.State == integration.StateDraft })
	opts := doctor.Options{
		Temporal: doctor.NewTemporal(s.temporal, s.ns, taskQueue), TemporalAddress: "in process", Namespace: s.ns, TaskQueue: taskQueue,
		HubSpot: s.mgr.HubSpot, HubSpotTier: hubspot.TierFree, Brevo: s.mgr.Brevo, BrevoTier: brevo.TierGeneral,
	}

	rep := doctor.Run(context.Background(), opts)
	if !rep.OK {
		t.Fatalf("doctor failed %v: %+v", rep.Failed(), rep.Checks)
	}
	details := map[string]string{}
	for _, c := range rep.Checks {
		details[c.Name] = c.Detail
	}
	for name, want := range map[string]string{
		"temporal.searchAttributes": "5 registered",
		"temporal.worker":           "task queue " + taskQueue,
		"temporal.integrations":     "checked (draft)",
		"hubspot.list[checked]":     "HubSpot list " + seed.ListID,
		"brevo.list[checked]":       "Brevo list 1",
		"brevo.attributes[checked]": "4 mapped fields fit",
	} {
		if !strings.Contains(details[name], want) {
			t.Errorf("%s: %q, want it to say %q", name, details[name], want)
		}
	}

	opts.TaskQueue = "no-such-queue"
	rep = doctor.Run(context.Background(), opts)
	if failed := rep.Failed(); !slices.Equal(failed, []string{"temporal.worker"}) {
		t.Fatalf("a task queue nobody polls: failed %v, want temporal.worker", failed)
	}
	opts.Namespace = "no-such-namespace"
	rep = doctor.Run(context.Background(), opts)
	if failed := rep.Failed(); !slices.Contains(failed, "temporal.namespace") || slices.Contains(failed, "hubspot.credentials") {
		t.Fatalf("unknown namespace: failed %v, want temporal.namespace and its dependents only", failed)
	}
}
