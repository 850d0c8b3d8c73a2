package e2e

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/server/temporaltest"

	"hubspot-brevo-sync/activities"
	"hubspot-brevo-sync/internal/brevo"
	"hubspot-brevo-sync/internal/hubspot"
	"hubspot-brevo-sync/internal/integration"
	"hubspot-brevo-sync/internal/manage"
	"hubspot-brevo-sync/internal/sandbox"
	"hubspot-brevo-sync/internal/searchattr"
	"hubspot-brevo-sync/internal/store"
	"hubspot-brevo-sync/workflows"
)

// TestCreateRightAfterTheWorkerOnAFreshNamespace is a deployment script:
// a fresh Temporal server whose namespace has no custom search attributes,
// then the worker (which registers them as it starts) and at once
// `starter create`. The create must not depend on the worker having got
// that far, ten times in a row.
func TestCreateRightAfterTheWorkerOnAFreshNamespace(t *testing.T) {
	sb := sandbox.New(sandbox.Options{})
	seed := sb.HubSpot().Seed(sandbox.SeedOptions{Contacts: 20, Seed: 3})
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	env := sandbox.DevEnv(srv.URL)
	hs, err := hubspot.New(hubspot.Config{BaseURL: env.HubSpotBaseURL, AccessToken: env.HubSpotToken})
	if err != nil {
		t.Fatal(err)
	}
	bv, err := brevo.New(brevo.Config{BaseURL: env.BrevoBaseURL, APIKey: env.BrevoAPIKey})
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "store.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	acts := &activities.Activities{HubSpot: hs, Brevo: bv, Store: st, PollInterval: time.Hour, MonthlyTaskLimit: 1_000_000}

	for run := 1; run <= 10; run++ {
		ts := temporaltest.NewServer(temporaltest.WithBaseClientOptions(client.Options{Logger: warnLogger(t)}))
		c := ts.GetDefaultClient()
		ns := ts.GetDefaultNamespace()
		workerUp := startWorkerLikeTheBinary(c, ns, acts)

		mgr := &manage.Manager{Temporal: c, HubSpot: hs, Brevo: bv, TaskQueue: taskQueue, Namespace: ns}
		_, err := mgr.Create(context.Background(), manage.CreateRequest{
			Name: "fresh", HubSpotListID: seed.ListID, BrevoListID: 1, Map: demoMap, OptInConfirmed: true, Draft: true,
		})
		if err != nil {
			ts.Stop()
			t.Fatalf("run %d: create right after the worker on a fresh namespace: %v", run, err)
		}
		w, err := waitWorker(workerUp)
		if err != nil {
			ts.Stop()
			t.Fatalf("run %d: worker: %v", run, err)
		}
		status, err := awaitStatus(mgr, "fresh")
		w.Stop()
		ts.Stop()
		if err != nil {
			t.Fatalf("run %d: the created integration does not answer: %v", run, err)
		}
		if status.Name != "fresh" || status.Spec == nil || status.Spec.ListSizeHint != seed.ListSize {
			t.Fatalf("run %d: status %+v, want integration fresh with the list size hint %d", run, status, seed.ListSize)
		}
	}
}

type startedWorker struct {
	w   worker.Worker
	err error
}

// startWorkerLikeTheBinary does what `worker` does at start, in the
// background: register the search attributes, then poll the task queue.
func startWorkerLikeTheBinary(c client.Client, ns string, acts *activities.Activities) <-chan startedWorker {
	up := make(chan startedWorker, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := searchattr.Ensure(ctx, c.OperatorService(), ns, integration.SearchAttributes()); err != nil {
			up <- startedWorker{err: err}
			return
		}
		w := worker.New(c, taskQueue, worker.Options{})
		workflows.Register(w)
		w.RegisterActivity(acts)
		up <- startedWorker{w: w, err: w.Start()}
	}()
	return up
}

func waitWorker(up <-chan startedWorker) (worker.Worker, error) {
	select {
	case s := <-up:
		return s.w, s.err
	case <-time.After(time.Minute):
		return nil, context.DeadlineExceeded
	}
}

// awaitStatus queries the integration until its worker answers.
func awaitStatus(mgr *manage.Manager, name string) (integration.Status, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		st, err := mgr.Status(ctx, name)
		if err == nil || ctx.Err() != nil {
			return st, err
		}
		time.Sleep(50 * time.Millisecond)
	}
}
