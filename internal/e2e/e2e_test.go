// Package e2e runs the product end to end on a real Temporal server
// (go.temporal.io/server/temporaltest, in process) against the sandbox
// APIs. It is the one package whose tests link the Temporal server, which
// takes minutes to compile; keep such tests here.
package e2e

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/server/temporaltest"

	"hubspot-brevo-sync/activities"
	"hubspot-brevo-sync/internal/brevo"
	"hubspot-brevo-sync/internal/hubspot"
	"hubspot-brevo-sync/internal/integration"
	"hubspot-brevo-sync/internal/manage"
	"hubspot-brevo-sync/internal/mapping"
	"hubspot-brevo-sync/internal/sandbox"
	"hubspot-brevo-sync/internal/searchattr"
	"hubspot-brevo-sync/internal/store"
	"hubspot-brevo-sync/workflows"
)

const taskQueue = "e2e"

// stack is a sandbox, a Temporal server, a worker and the manager the
// starter uses, wired as in production.
type stack struct {
	sb       *sandbox.Server
	env      sandbox.Env
	store    *store.Store
	temporal client.Client
	ns       string
	mgr      *manage.Manager
}

// variantFromEnv applies the Brevo variant named by
// SYNC_TEST_BREVO_VARIANT (see sandbox.BrevoVariants), so the whole suite
// can run under each of Brevo's possible behaviours (a test that loops
// over the variants itself clears it).
func variantFromEnv(t *testing.T, o sandbox.BrevoOptions) sandbox.BrevoOptions {
	name := os.Getenv("SYNC_TEST_BREVO_VARIANT")
	if name == "" {
		return o
	}
	for _, v := range sandbox.BrevoVariants() {
		if v.Name == name {
			return v.Apply(o)
		}
	}
	t.Fatalf("SYNC_TEST_BREVO_VARIANT=%q is no sandbox.BrevoVariants name", name)
	return o
}

// newStack runs the APIs at fast but real-shaped limits: the governors
// are set to the sandbox's limits, as HUBSPOT_TIER and BREVO_TIER set them
// to the real ones.
func newStack(t *testing.T, opts sandbox.Options) *stack {
	t.Helper()
	return newStackWith(t, opts, 100_000, activities.Notifier{})
}

// newStackWith also sets the worker's monthly task limit and notice
// recipient (SYNC_MONTHLY_TASK_LIMIT, SYNC_NOTIFY_EMAIL/SENDER).
func newStackWith(t *testing.T, opts sandbox.Options, quotaLimit int64, notify activities.Notifier) *stack {
	t.Helper()
	return newStackOpts(t, opts, quotaLimit, notify, stackConfig{})
}

// newStackOpts also applies sc: payload encryption, HubSpot OAuth, logging
// (stack_config_test.go).
func newStackOpts(t *testing.T, opts sandbox.Options, quotaLimit int64, notify activities.Notifier, sc stackConfig) *stack {
	t.Helper()
	opts.Brevo = variantFromEnv(t, opts.Brevo)
	sb := sandbox.New(opts)
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	env := sandbox.DevEnv(srv.URL)

	hsLimits := hubspot.Limits{Burst: opts.HubSpot.BurstLimit, BurstPeriod: opts.HubSpot.BurstWindow, Daily: 1_000_000, SearchPerSecond: 5}
	hs, err := hubspot.New(sc.hubspot(hubspot.Config{BaseURL: env.HubSpotBaseURL, AccessToken: env.HubSpotToken, Governor: hubspot.NewGovernor(hsLimits, nil)}))
	if err != nil {
		t.Fatal(err)
	}
	bvLimits := brevo.Limits{ContactsPerSecond: opts.Brevo.ContactsPerSecond, ContactsPerHour: opts.Brevo.ContactsPerHour, OtherPerHour: 1000, EmailPerSecond: 100}
	bv, err := brevo.New(sc.brevo(brevo.Config{BaseURL: env.BrevoBaseURL, APIKey: env.BrevoAPIKey, Governor: brevo.NewGovernor(bvLimits, nil)}))
	if err != nil {
		t.Fatal(err)
	}

	ts := temporaltest.NewServer(temporaltest.WithT(t), temporaltest.WithBaseClientOptions(sc.clientOptions(client.Options{Logger: warnLogger(t)})))
	c := ts.GetDefaultClient()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := searchattr.Ensure(ctx, c.OperatorService(), ts.GetDefaultNamespace(), integration.SearchAttributes()); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "store.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	hubspots := sc.registry(env, hs)
	ts.NewWorker(taskQueue, func(r worker.Registry) {
		workflows.Register(r)
		r.RegisterActivity(&activities.Activities{HubSpot: hs, Connections: hubspots, Brevo: bv, Store: st, PollInterval: time.Hour, MonthlyTaskLimit: quotaLimit, Notify: notify})
	})
	return &stack{sb: sb, env: env, store: st, temporal: c, ns: ts.GetDefaultNamespace(),
		mgr: &manage.Manager{Temporal: c, HubSpot: hs, Connections: hubspots, Brevo: bv, TaskQueue: taskQueue, Namespace: ts.GetDefaultNamespace(), MonthlyTaskLimit: quotaLimit}}
}

// waitFor polls the integration's status until cond holds.
func (s *stack) waitFor(t *testing.T, name string, timeout time.Duration, cond func(integration.Status) bool) integration.Status {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		st, err := s.mgr.Status(context.Background(), name)
		if err == nil && cond(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("integration %s: condition not reached in %s; last status %+v (err %v)", name, timeout, st, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// warnLogger shows the SDK's warnings and errors in the test log and
// drops its debug chatter.
func warnLogger(t *testing.T) log.Logger {
	return log.NewStructuredLogger(slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn})))
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func fastLimits() sandbox.Options {
	return sandbox.Options{
		HubSpot: sandbox.HubSpotOptions{BurstLimit: 2000, BurstWindow: 10 * time.Second},
		Brevo:   sandbox.BrevoOptions{ContactsPerSecond: 1000, ContactsPerHour: 1_000_000},
	}
}

var demoMap = []string{"email=EMAIL", "firstname=FIRSTNAME", "lastname=LASTNAME", "phone=SMS"}

// TestSyncOf2000ContactsMatchesHubSpot creates an integration through the
// starter's code, waits until it is idle and compares Brevo with the
// HubSpot list contact by contact.
func TestSyncOf2000ContactsMatchesHubSpot(t *testing.T) {
	s := newStack(t, fastLimits())
	seed := s.sb.HubSpot().Seed(sandbox.SeedOptions{Contacts: 2000, Seed: 7})
	ctx := context.Background()

	spec, err := s.mgr.Create(ctx, manage.CreateRequest{
		Name: "e2e", HubSpotListID: seed.ListID, BrevoListID: 1, Map: demoMap, OptInConfirmed: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.mgr.Create(ctx, manage.CreateRequest{
		Name: "e2e", HubSpotListID: seed.ListID, BrevoListID: 1, Map: demoMap, OptInConfirmed: true,
	}); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("second create with the same name: %v", err)
	}

	st := s.waitFor(t, "e2e", 3*time.Minute, func(st integration.Status) bool { return st.State == integration.StateIdle })

	// Contact by contact: what HubSpot holds, mapped, is what Brevo holds.
	noted := map[string]string{}
	for _, o := range st.RecentProblems {
		noted[o.HubSpotID] = o.Reason
	}
	var synced, skipped, failed, smsLeftOut int64
	members := map[int64]bool{}
	for _, c := range s.sb.Brevo().ListMembers(1) {
		members[c.ID] = true
	}
	for _, id := range seed.ContactIDs {
		hc, ok := s.sb.HubSpot().Contact(id)
		if !ok {
			t.Fatalf("seeded contact %s missing", id)
		}
		want, skip := mapping.Map(spec.Mapping, mapping.Record{ID: id, Properties: hc.Properties})
		got, inBrevo := s.sb.Brevo().ContactByExtID(id)
		if skip != nil {
			skipped++
			if inBrevo {
				t.Errorf("contact %s should be skipped (%s) but is in Brevo", id, skip.Reason)
			}
			continue
		}
		if !inBrevo {
			// Brevo refuses a phone without country code; a contact with
			// nothing else to identify it fails, with the reason recorded.
			if want.Email == "" && strings.HasPrefix(want.SMS(), "0") {
				failed++
				// (recentProblems keeps the latest 200 records only)
				if r, ok := noted[id]; ok && r != mapping.ReasonRejected {
					t.Errorf("contact %s failed with reason %q, want %q", id, r, mapping.ReasonRejected)
				}
				continue
			}
			t.Errorf("contact %s (%s) missing in Brevo", id, want.Email)
			continue
		}
		synced++
		if got.Email != want.Email {
			t.Errorf("contact %s: Brevo email %q, want %q", id, got.Email, want.Email)
		}
		for _, attr := range []string{"FIRSTNAME", "LASTNAME"} {
			if got.Attributes[attr] != want.Attributes[attr] && !(got.Attributes[attr] == nil && want.Attributes[attr] == nil) {
				t.Errorf("contact %s: %s = %v, want %v", id, attr, got.Attributes[attr], want.Attributes[attr])
			}
		}
		if wantSMS := digits(want.SMS()); digits(got.SMS) != wantSMS {
			if got.SMS != "" || wantSMS == "" {
				t.Errorf("contact %s: SMS %q, want %q", id, got.SMS, want.SMS())
			}
			smsLeftOut++ // Brevo refused the number; the contact was written without it
		}
		if !members[got.ID] {
			t.Errorf("contact %s is not in Brevo list 1", id)
		}
	}
	if synced+skipped+failed != int64(seed.ListSize) {
		t.Fatalf("synced %d + skipped %d + failed %d != list size %d", synced, skipped, failed, seed.ListSize)
	}
	if st.ContactsSynced != synced || st.ContactsSkipped != skipped || st.ContactsFailed != failed {
		t.Fatalf("status counts synced=%d skipped=%d failed=%d, Brevo has synced=%d skipped=%d failed=%d",
			st.ContactsSynced, st.ContactsSkipped, st.ContactsFailed, synced, skipped, failed)
	}
	if st.TasksThisMonth != synced {
		t.Fatalf("tasks this month %d, want %d", st.TasksThisMonth, synced)
	}
	if skipped == 0 || smsLeftOut == 0 {
		t.Fatalf("the seed's awkward data should produce skipped contacts and refused phones (skipped %d, SMS left out %d)", skipped, smsLeftOut)
	}
	if brevoStats := s.sb.Brevo().Stats(); brevoStats.Families["contacts"].RateLimited != 0 {
		t.Errorf("Brevo answered %d requests with 429", brevoStats.Families["contacts"].RateLimited)
	}
	if hs := s.sb.HubSpot().Stats(); hs.RateLimited != 0 {
		t.Errorf("HubSpot answered %d requests with 429", hs.RateLimited)
	}

	// The Web UI finds it by its search attributes.
	resp, err := s.temporal.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
		Namespace: s.ns, Query: "IntegrationName = 'e2e' AND IntegrationState = 'idle' AND ContactsSynced = " + strconv.FormatInt(synced, 10),
	})
	if err != nil || len(resp.GetExecutions()) != 1 {
		t.Fatalf("visibility query found %d executions (err %v)", len(resp.GetExecutions()), err)
	}

	// A recorded history replays on the current code.
	replay(t, s.temporal, integration.ID("e2e"), false)

	if err := s.mgr.Signal(ctx, "e2e", integration.SignalStop); err != nil {
		t.Fatal(err)
	}
	final := s.waitFor(t, "e2e", time.Minute, func(st integration.Status) bool { return st.State == integration.StateStopped })
	if final.ContactsSynced != synced {
		t.Fatalf("stopped integration reports %d synced, want %d", final.ContactsSynced, synced)
	}
	desc, err := s.temporal.DescribeWorkflowExecution(ctx, integration.ID("e2e"), "")
	if err != nil || desc.GetWorkflowExecutionInfo().GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED {
		t.Fatalf("stop should complete the workflow: %v %v", desc.GetWorkflowExecutionInfo().GetStatus(), err)
	}
}

func digits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// TestPauseResumeAndStopOnARealServer steers an integration with the
// starter's signals while it syncs at Brevo's real per-second pace.
func TestPauseResumeAndStopOnARealServer(t *testing.T) {
	opts := fastLimits()
	opts.Brevo.ContactsPerSecond = 100 // about 2.5 s per page of 250
	s := newStack(t, opts)
	s.mgr.Tuning = &integration.Tuning{PagesPerBatch: 1, ImportMin: 1000} // one by one, a page a batch
	seed := s.sb.HubSpot().Seed(sandbox.SeedOptions{Contacts: 600, Seed: 11})
	ctx := context.Background()
	if _, err := s.mgr.Create(ctx, manage.CreateRequest{
		Name: "steer", HubSpotListID: seed.ListID, NewBrevoList: "HubSpot steer", Map: demoMap, OptInConfirmed: true, Draft: true,
	}); err != nil {
		t.Fatal(err)
	}
	draft := s.waitFor(t, "steer", 30*time.Second, func(st integration.Status) bool { return st.State == integration.StateDraft })
	if n := len(s.sb.Brevo().Contacts()); n != 0 || draft.ContactsSynced != 0 {
		t.Fatalf("a draft wrote %d contacts", n)
	}

	if err := s.mgr.Signal(ctx, "steer", integration.SignalActivate); err != nil {
		t.Fatal(err)
	}
	s.waitFor(t, "steer", 30*time.Second, func(st integration.Status) bool { return st.ContactsSynced > 0 })
	if err := s.mgr.Signal(ctx, "steer", integration.SignalPause); err != nil {
		t.Fatal(err)
	}
	paused := s.waitFor(t, "steer", 30*time.Second, func(st integration.Status) bool { return st.State == integration.StatePaused })
	written := s.sb.Brevo().Stats().ContactWrites
	time.Sleep(3 * time.Second) // longer than a page takes
	if now := s.sb.Brevo().Stats().ContactWrites; now != written {
		t.Fatalf("%d contacts written while paused", now-written)
	}
	if paused.Cursor.Seen >= seed.ListSize {
		t.Fatalf("paused after the last page (%d of %d read); the test needs a pause mid-pass", paused.Cursor.Seen, seed.ListSize)
	}

	if err := s.mgr.Signal(ctx, "steer", integration.SignalResume); err != nil {
		t.Fatal(err)
	}
	idle := s.waitFor(t, "steer", time.Minute, func(st integration.Status) bool { return st.State == integration.StateIdle })
	if idle.ContactsSynced+idle.ContactsSkipped+idle.ContactsFailed != int64(seed.ListSize) {
		t.Fatalf("after resume: %d synced + %d skipped + %d failed, list has %d", idle.ContactsSynced, idle.ContactsSkipped, idle.ContactsFailed, seed.ListSize)
	}
	if created := s.sb.Brevo().Stats().ContactsCreated; created != idle.ContactsSynced {
		t.Fatalf("Brevo created %d contacts, status says %d synced: resume restarted from the beginning?", created, idle.ContactsSynced)
	}
	var list int64
	for _, l := range s.sb.Brevo().Lists() {
		if l.Name == "HubSpot steer" {
			list = l.ID
		}
	}
	if list == 0 || idle.BrevoListID != list || int64(len(s.sb.Brevo().ListMembers(list))) != idle.ContactsSynced {
		t.Fatalf("new Brevo list %d (status %d) holds %d contacts, want %d", list, idle.BrevoListID, len(s.sb.Brevo().ListMembers(list)), idle.ContactsSynced)
	}

	if err := s.mgr.Signal(ctx, "steer", integration.SignalStop); err != nil {
		t.Fatal(err)
	}
	s.waitFor(t, "steer", 30*time.Second, func(st integration.Status) bool { return st.State == integration.StateStopped })
	replay(t, s.temporal, integration.ID("steer"), true)

	all, err := s.mgr.List(ctx)
	if err != nil || len(all) != 1 || all[0].Name != "steer" || all[0].State != integration.StateStopped {
		t.Fatalf("list: %+v %v", all, err)
	}
}
