package devserver_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"hubspot-brevo-sync/internal/devserver"
	"hubspot-brevo-sync/internal/logging"
)

const (
	namespace = "integrations"
	taskQueue = "devserver-test"
)

var (
	saName     = temporal.NewSearchAttributeKeyKeyword("IntegrationName")
	saContacts = temporal.NewSearchAttributeKeyInt64("ContactsSynced")
	saState    = temporal.NewSearchAttributeKeyKeyword("IntegrationState") // added on restart
)

type upsertInput struct {
	Name     string
	Contacts int64
	State    string // upserted only when set
}

func upsertWorkflow(ctx workflow.Context, in upsertInput) (string, error) {
	updates := []temporal.SearchAttributeUpdate{saName.ValueSet(in.Name), saContacts.ValueSet(in.Contacts)}
	if in.State != "" {
		updates = append(updates, saState.ValueSet(in.State))
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, updates...); err != nil {
		return "", err
	}
	return "synced " + in.Name, nil
}

func TestDevServerSurvivesRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real Temporal server")
	}
	logger := zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel))
	dataDir := t.TempDir()
	frontendPort, uiPort := freePort(t), freePort(t)
	opts := devserver.Options{
		DataDir:      dataDir,
		FrontendPort: frontendPort,
		UIPort:       uiPort,
		Namespace:    namespace,
		SearchAttributes: map[string]enumspb.IndexedValueType{
			saName.GetName():     enumspb.INDEXED_VALUE_TYPE_KEYWORD,
			saContacts.GetName(): enumspb.INDEXED_VALUE_TYPE_INT,
		},
		Logger: logger,
	}

	// First life: fresh database.
	srv := start(t, opts)
	if got, want := srv.FrontendHostPort(), fmt.Sprintf("127.0.0.1:%d", frontendPort); got != want {
		t.Errorf("FrontendHostPort() = %q, want %q", got, want)
	}
	c := dial(t, srv, logger)
	runWorkflow(t, c, "wf-first", upsertInput{Name: "hubspot", Contacts: 42})
	awaitListed(t, c, "IntegrationName = 'hubspot' AND ContactsSynced = 42", "wf-first")
	checkUI(t, srv.UIURL(), uiPort)
	// The UI reaches the frontend: its API proxies visibility queries.
	checkUIAPI(t, srv.UIURL()+"/api/v1/namespaces/"+namespace+"/workflows?query=IntegrationName%3D%27hubspot%27", "wf-first")
	c.Close()
	if err := srv.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}

	// Second life: same directory and ports, one more search attribute.
	opts.SearchAttributes[saState.GetName()] = enumspb.INDEXED_VALUE_TYPE_KEYWORD
	srv = start(t, opts)
	c = dial(t, srv, logger)
	defer c.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	desc, err := c.DescribeWorkflowExecution(ctx, "wf-first", "")
	if err != nil {
		t.Fatalf("workflow from before the restart: %v", err)
	}
	if st := desc.GetWorkflowExecutionInfo().GetStatus(); st != enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED {
		t.Errorf("wf-first status = %v, want COMPLETED", st)
	}

	sas, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		t.Fatalf("ListSearchAttributes: %v", err)
	}
	for name, want := range opts.SearchAttributes {
		if got, ok := sas.GetCustomAttributes()[name]; !ok || got != want {
			t.Errorf("search attribute %s = %v (present %v), want %v", name, got, ok, want)
		}
	}

	// The attribute added on restart is usable right away.
	runWorkflow(t, c, "wf-second", upsertInput{Name: "hubspot", Contacts: 7, State: "active"})
	awaitListed(t, c, "IntegrationState = 'active'", "wf-second")
	awaitListed(t, c, "IntegrationName = 'hubspot' AND ContactsSynced = 42", "wf-first")
}

func start(t *testing.T, opts devserver.Options) *devserver.Server {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	began := time.Now()
	srv, err := devserver.Start(ctx, opts)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Logf("dev server started in %v", time.Since(began).Round(time.Millisecond))
	t.Cleanup(func() { _ = srv.Stop() }) // no-op after an explicit Stop
	return srv
}

func dial(t *testing.T, srv *devserver.Server, logger *zap.Logger) client.Client {
	t.Helper()
	c, err := client.Dial(client.Options{
		HostPort:  srv.FrontendHostPort(),
		Namespace: namespace,
		Logger:    logging.Temporal(logger),
	})
	if err != nil {
		t.Fatalf("client.Dial: %v", err)
	}
	return c
}

// runWorkflow runs upsertWorkflow to completion on a short-lived worker.
func runWorkflow(t *testing.T, c client.Client, id string, in upsertInput) {
	t.Helper()
	w := worker.New(c, taskQueue, worker.Options{})
	w.RegisterWorkflow(upsertWorkflow)
	if err := w.Start(); err != nil {
		t.Fatalf("worker start: %v", err)
	}
	defer w.Stop()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: taskQueue}, upsertWorkflow, in)
	if err != nil {
		t.Fatalf("start %s: %v", id, err)
	}
	var out string
	if err := run.Get(ctx, &out); err != nil {
		t.Fatalf("%s: %v", id, err)
	}
	if want := "synced " + in.Name; out != want {
		t.Errorf("%s result = %q, want %q", id, out, want)
	}
}

// awaitListed polls visibility (eventually consistent) until query returns
// exactly the workflow wantID.
func awaitListed(t *testing.T, c client.Client, query, wantID string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := c.ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{
			Namespace: namespace,
			Query:     query,
		})
		if err != nil {
			t.Fatalf("ListWorkflow(%q): %v", query, err)
		}
		var ids []string
		for _, e := range resp.GetExecutions() {
			ids = append(ids, e.GetExecution().GetWorkflowId())
		}
		if len(ids) == 1 && ids[0] == wantID {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("ListWorkflow(%q) = %v, want [%s]", query, ids, wantID)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func checkUI(t *testing.T, url string, port int) {
	t.Helper()
	if want := fmt.Sprintf("http://127.0.0.1:%d", port); url != want {
		t.Errorf("UIURL() = %q, want %q", url, want)
	}
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read UI body: %v", err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %d", url, resp.StatusCode)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("UI Content-Type = %q, want text/html", ct)
	}
	if !strings.Contains(strings.ToLower(string(body)), "<html") {
		t.Errorf("UI body is not HTML: %.200q", body)
	}
}

// freePort picks a free port and parks it in TIME_WAIT (by connecting and
// closing the accepted side first) so the kernel does not hand it out again
// as an ephemeral port, e.g. to one of the server's internal services.
func checkUIAPI(t *testing.T, url, want string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), want) {
		t.Fatalf("GET %s: status %d, body %.300s; want 200 mentioning %q", url, resp.StatusCode, body, want)
	}
}

func TestStartRejectsBusyPort(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	busy := l.Addr().(*net.TCPAddr).Port
	_, err = devserver.Start(context.Background(), devserver.Options{
		DataDir:      t.TempDir(),
		FrontendPort: busy,
		DisableUI:    true,
	})
	if err == nil || !strings.Contains(err.Error(), "not free") {
		t.Fatalf("Start on busy port %d: err = %v, want a \"not free\" error", busy, err)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	accepted, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	accepted.Close()
	return l.Addr().(*net.TCPAddr).Port
}
