package e2e

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"go.temporal.io/server/temporaltest"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"hubspot-brevo-sync/internal/connect"
)

func idleWorkflow(workflow.Context) error { return nil }
func idleActivity(context.Context) error  { return nil }

// pollWith starts a worker that polls taskQueue for workflow and activity
// tasks under identity.
func pollWith(t *testing.T, c client.Client, taskQueue, identity string) {
	t.Helper()
	w := worker.New(c, taskQueue, worker.Options{Identity: identity})
	w.RegisterWorkflow(idleWorkflow)
	w.RegisterActivity(idleActivity)
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)
}

// awaitPollers waits until the server lists every identity as a workflow
// task poller of taskQueue.
func awaitPollers(t *testing.T, c client.Client, taskQueue string, identities ...string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := c.DescribeTaskQueue(context.Background(), taskQueue, enumspb.TASK_QUEUE_TYPE_WORKFLOW)
		var seen []string
		for _, p := range resp.GetPollers() {
			seen = append(seen, p.GetIdentity())
		}
		if err == nil && !slices.ContainsFunc(identities, func(id string) bool { return !slices.Contains(seen, id) }) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("pollers %v not all listed; the server lists %v (err %v)", identities, seen, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func warnings(logs *observer.ObservedLogs) []observer.LoggedEntry {
	return logs.FilterLevelExact(zapcore.WarnLevel).TakeAll()
}

// TestSQLiteWorkerWarnsOfOtherWorkers: a worker on SQLite that finds
// workers of other hosts on its task queue says so, once; on PostgreSQL, or
// alone, or next to a worker of its own host (itself, restarted), it does
// not.
func TestSQLiteWorkerWarnsOfOtherWorkers(t *testing.T) {
	const queue = "store-check"
	ts := temporaltest.NewServer(temporaltest.WithT(t), temporaltest.WithBaseClientOptions(client.Options{Logger: warnLogger(t)}))
	c := ts.GetDefaultClient()
	ctx := context.Background()
	core, logs := observer.New(zap.DebugLevel)
	log := zap.New(core)

	connect.WarnIfStoreNotShared(ctx, c, queue, false, log)
	if w := warnings(logs); len(w) != 0 {
		t.Fatalf("alone on the queue, yet warned: %v", w)
	}

	host, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	restarted, other := "7@"+host+"@", "4242@worker-2.internal@"
	pollWith(t, c, queue, restarted)
	pollWith(t, c, queue, other)
	awaitPollers(t, c, queue, restarted, other)

	got, err := connect.OtherPollers(ctx, c, queue)
	if err != nil || !slices.Equal(got, []string{other}) {
		t.Fatalf("OtherPollers = %v, %v; want only %q (this host's %q left out)", got, err, other, restarted)
	}

	connect.WarnIfStoreNotShared(ctx, c, queue, true, log)
	if w := warnings(logs); len(w) != 0 {
		t.Fatalf("on PostgreSQL, yet warned: %v", w)
	}

	connect.WarnIfStoreNotShared(ctx, c, queue, false, log)
	w := warnings(logs)
	if len(w) != 1 {
		t.Fatalf("on SQLite next to %s: %d warnings, want 1: %v", other, len(w), w)
	}
	fields := w[0].ContextMap()
	if !strings.Contains(w[0].Message, "SYNC_STORE_DSN=postgres://") || !strings.Contains(w[0].Message, queue) ||
		!slices.Equal(toStrings(fields["otherWorkers"]), []string{other}) {
		t.Fatalf("warning %q %v should name the queue, SYNC_STORE_DSN and the other worker", w[0].Message, fields)
	}
}

func toStrings(v any) []string {
	var out []string
	if list, ok := v.([]any); ok {
		for _, s := range list {
			if str, ok := s.(string); ok {
				out = append(out, str)
			}
		}
	}
	return out
}
