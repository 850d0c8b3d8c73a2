package e2e

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"google.golang.org/protobuf/encoding/protojson"

	"hubspot-brevo-sync/workflows"
)

// replay fetches the history of a workflow from the server and replays it
// on the current workflow code: a non-deterministic change fails here.
// With fixture and UPDATE_REPLAY_FIXTURES=1 the history is also saved as a fixture for
// the workflows package's own replay test, which guards later changes
// against histories recorded by this version.
func replay(t *testing.T, c client.Client, workflowID string, fixture bool) {
	t.Helper()
	name := ""
	if fixture {
		name = "integration_history.json"
	}
	replayAs(t, c, workflowID, name)
}

// replayAs replays like replay and, with UPDATE_REPLAY_FIXTURES=1, saves
// the history as the fixture named (unless "").
func replayAs(t *testing.T, c client.Client, workflowID, fixture string) {
	t.Helper()
	iter := c.GetWorkflowHistory(context.Background(), workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	hist := &historypb.History{}
	for iter.HasNext() {
		ev, err := iter.Next()
		if err != nil {
			t.Fatal(err)
		}
		hist.Events = append(hist.Events, ev)
	}
	r := worker.NewWorkflowReplayer()
	workflows.Register(r)
	if err := r.ReplayWorkflowHistory(nil, hist); err != nil {
		t.Fatalf("replay of %s (%d events): %v", workflowID, len(hist.Events), err)
	}
	if fixture != "" && os.Getenv("UPDATE_REPLAY_FIXTURES") == "1" {
		b, err := protojson.MarshalOptions{Indent: "  "}.Marshal(hist)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join("..", "..", "workflows", "testdata", "v2", fixture)
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s (%d events)", path, len(hist.Events))
	}
}
