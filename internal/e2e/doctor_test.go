package e2e

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/server/temporaltest"

	"hubspot-brevo-sync/internal/brevo"
	"hubspot-brevo-sync/internal/doctor"
	"hubspot-brevo-sync/internal/hubspot"
	"hubspot-brevo-sync/internal/integration"
	"hubspot-brevo-sync/internal/manage"
	"hubspot-brevo-sync/internal/sandbox"
	"hubspot-brevo-sync/internal/searchattr"
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
		"temporal.searchAttributes": "6 registered",
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

// TestDoctorFindsMissingSearchAttributes: on a namespace without the
// integration's search attributes both ways of asking name each of them,
// and on one with them neither names any.
func TestDoctorFindsMissingSearchAttributes(t *testing.T) {
	ts := temporaltest.NewServer(temporaltest.WithT(t), temporaltest.WithBaseClientOptions(client.Options{Logger: warnLogger(t)}))
	c, ns := ts.GetDefaultClient(), ts.GetDefaultNamespace()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	want := len(integration.SearchAttributes())

	viaOperator, err := doctor.NewTemporal(c, ns, taskQueue).SearchAttributeProblems(ctx, ns)
	if err != nil || len(viaOperator) != want {
		t.Fatalf("fresh namespace, operator service: %v (err %v), want %d problems", viaOperator, err, want)
	}
	viaQuery, err := doctor.SearchAttributeProblemsByQuery(ctx, c, ns)
	if err != nil || len(viaQuery) != want {
		t.Fatalf("fresh namespace, queries: %v (err %v), want %d problems", viaQuery, err, want)
	}

	if _, err := searchattr.Ensure(ctx, c.OperatorService(), ns, integration.SearchAttributes()); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second) // the frontend sees new attributes at its next refresh
	for viaQuery = []string{"not asked yet"}; len(viaQuery) > 0 && time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if viaQuery, err = doctor.SearchAttributeProblemsByQuery(ctx, c, ns); err != nil {
			t.Fatal(err)
		}
	}
	if len(viaQuery) > 0 {
		t.Fatalf("registered attributes still refused in queries: %v", viaQuery)
	}
	if p, err := doctor.NewTemporal(c, ns, taskQueue).SearchAttributeProblems(ctx, ns); err != nil || len(p) > 0 {
		t.Fatalf("registered attributes: %v (err %v)", p, err)
	}
}
