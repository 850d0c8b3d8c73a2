package e2e

import (
	"context"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/sdk/worker"

	"hubspot-brevo-sync/activities"
	"hubspot-brevo-sync/internal/brevo"
	"hubspot-brevo-sync/internal/integration"
	"hubspot-brevo-sync/internal/manage"
	"hubspot-brevo-sync/internal/quota"
	"hubspot-brevo-sync/internal/sandbox"
	"hubspot-brevo-sync/workflows"
)

// validList creates a HubSpot list of n contacts that all map cleanly.
func validList(t *testing.T, sb *sandbox.Server, name string, n int) string {
	t.Helper()
	h := sb.HubSpot()
	listID, err := h.CreateList(name)
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, 0, n)
	for i := range n {
		id, err := h.CreateContact(map[string]string{
			"email": fmt.Sprintf("%s-%d@example.com", name, i), "firstname": "Ada", "lastname": fmt.Sprintf("No%d", i),
		})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := h.AddToList(listID, ids...); err != nil {
		t.Fatal(err)
	}
	return listID
}

var nameMap = []string{"email=EMAIL", "firstname=FIRSTNAME", "lastname=LASTNAME"}

// TestQuotaStopsAtTheLimitAndResumesWhenRaised: limit 300, 500 valid
// contacts. Exactly 300 are written (checked while it runs), both notices
// are emailed once, the integration waits in quota_exceeded; raising the
// limit to 1000 finishes the list.
func TestQuotaStopsAtTheLimitAndResumesWhenRaised(t *testing.T) {
	opts := fastLimits()
	opts.Brevo.ContactsPerSecond = 200
	s := newStackWith(t, opts, 300, activities.Notifier{To: "ops@example.com", Sender: "sync@example.com"})
	listID := validList(t, s.sb, "quota", 500)
	ctx := context.Background()
	if _, err := s.mgr.Create(ctx, manage.CreateRequest{Name: "q", HubSpotListID: listID, BrevoListID: 1, Map: nameMap, OptInConfirmed: true}); err != nil {
		t.Fatal(err)
	}

	deadline := time.Now().Add(2 * time.Minute)
	var st integration.Status
	for {
		if n := len(s.sb.Brevo().Contacts()); n > 300 {
			t.Fatalf("%d contacts written with a limit of 300", n)
		}
		var err error
		if st, err = s.mgr.Status(ctx, "q"); err == nil && st.State == integration.StateQuotaExceeded {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("never reached quota_exceeded: %+v", st)
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(time.Second) // nothing more may arrive while exceeded
	if n := len(s.sb.Brevo().Contacts()); n != 300 {
		t.Fatalf("%d contacts in Brevo, want exactly 300", n)
	}
	if st.TasksThisMonth != 300 {
		t.Fatalf("integration counts %d tasks, want 300", st.TasksThisMonth)
	}
	l := waitLedger(t, s, func(l quota.Ledger) bool { return len(l.Notices) == 2 })
	if l.Used != 300 || l.PerIntegration["q"] != 300 {
		t.Fatalf("ledger %+v", l)
	}
	emails := s.sb.Brevo().Emails()
	if len(emails) != 2 {
		t.Fatalf("%d emails recorded, want the 80%% and the exceeded notice", len(emails))
	}

	if _, err := s.mgr.SetQuotaLimit(ctx, 1000); err != nil {
		t.Fatal(err)
	}
	st = s.waitFor(t, "q", time.Minute, func(st integration.Status) bool { return st.State == integration.StateIdle })
	if n := len(s.sb.Brevo().Contacts()); n != 500 || st.ContactsSynced != 500 {
		t.Fatalf("after raising the limit: %d in Brevo, %d synced; want 500", n, st.ContactsSynced)
	}
	l = waitLedger(t, s, func(l quota.Ledger) bool { return l.Used == 500 })
	if l.Limit != 1000 || len(s.sb.Brevo().Emails()) != 2 {
		t.Fatalf("ledger %+v, %d emails", l, len(s.sb.Brevo().Emails()))
	}
	replay(t, s.temporal, quota.WorkflowID, false)
	replay(t, s.temporal, integration.ID("q"), false)
}

func waitLedger(t *testing.T, s *stack, cond func(quota.Ledger) bool) quota.Ledger {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		l, err := s.mgr.Quota(context.Background())
		if err == nil && cond(l) {
			return l
		}
		if time.Now().After(deadline) {
			t.Fatalf("ledger condition not reached: %+v (%v)", l, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stallingTransport lets `allow` contact writes through, then holds every
// further request until its context ends: a worker that hangs mid-batch.
type stallingTransport struct {
	allow  int64
	writes atomic.Int64
}

func (s *stallingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodPost && r.URL.Path == "/v3/contacts" && s.writes.Add(1) > s.allow {
		<-r.Context().Done()
		return nil, r.Context().Err()
	}
	return http.DefaultTransport.RoundTrip(r)
}

// TestWorkerDeathBetweenReserveAndCommit kills the worker while a batch
// it reserved tasks for is half written. Another worker finishes the batch
// from its heartbeat and commits; the ledger's usage equals the contacts
// actually in Brevo.
func TestWorkerDeathBetweenReserveAndCommit(t *testing.T) {
	s := newStack(t, fastLimits())
	listID := validList(t, s.sb, "crash", 200)
	stall := &stallingTransport{allow: 120}
	dying, err := brevo.New(brevo.Config{BaseURL: s.env.BrevoBaseURL, APIKey: s.env.BrevoAPIKey, Transport: stall,
		Governor: brevo.NewGovernor(brevo.Limits{ContactsPerSecond: 1000, ContactsPerHour: 1_000_000, OtherPerHour: 1000, EmailPerSecond: 100}, nil)})
	if err != nil {
		t.Fatal(err)
	}
	// The first worker serves a separate task queue so only it runs this
	// integration until it dies.
	const tq = "crash"
	w := worker.New(s.temporal, tq, worker.Options{WorkerStopTimeout: time.Second})
	workflows.Register(w)
	w.RegisterActivity(&activities.Activities{HubSpot: s.mgr.HubSpot, Brevo: dying, Store: s.store, PollInterval: time.Hour, MonthlyTaskLimit: 100_000})
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	m := *s.mgr
	m.TaskQueue = tq
	m.Tuning = &integration.Tuning{HeartbeatTimeout: 3 * time.Second, ImportMin: 1000} // one by one
	if _, err := m.Create(context.Background(), manage.CreateRequest{Name: "crash", HubSpotListID: listID, BrevoListID: 1, Map: nameMap, OptInConfirmed: true}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	for stall.writes.Load() <= stall.allow {
		if time.Now().After(deadline) {
			t.Fatal("the first worker never reached the stall")
		}
		time.Sleep(20 * time.Millisecond)
	}
	l := waitLedger(t, s, func(l quota.Ledger) bool { return l.Reserved() > 0 })
	w.Stop() // the worker dies between reserve and commit

	w2 := worker.New(s.temporal, tq, worker.Options{})
	workflows.Register(w2)
	w2.RegisterActivity(&activities.Activities{HubSpot: s.mgr.HubSpot, Brevo: s.mgr.Brevo, Store: s.store, PollInterval: time.Hour, MonthlyTaskLimit: 100_000})
	if err := w2.Start(); err != nil {
		t.Fatal(err)
	}
	defer w2.Stop()

	st := s.waitFor(t, "crash", 2*time.Minute, func(st integration.Status) bool { return st.State == integration.StateIdle })
	l = waitLedger(t, s, func(l quota.Ledger) bool { return l.Reserved() == 0 })
	inBrevo := int64(len(s.sb.Brevo().Contacts()))
	if inBrevo != 200 || l.Used != inBrevo || st.TasksThisMonth != inBrevo {
		t.Fatalf("Brevo holds %d contacts; ledger used %d, integration counts %d tasks", inBrevo, l.Used, st.TasksThisMonth)
	}
}
