package workflows_test

import (
	"testing"

	"go.temporal.io/sdk/worker"

	"hubspot-brevo-sync/workflows"
)

// TestReplayRecordedHistory replays a history recorded on a real server
// (draft, activate, pause, resume, idle, stop; see internal/e2e). A change
// to the workflow that would break running integrations fails here; such
// a change needs workflow.GetVersion. Refresh the fixture only when the
// old history no longer matters:
//
//	UPDATE_REPLAY_FIXTURES=1 go test -run TestPauseResume ./internal/e2e/
func TestReplayRecordedHistory(t *testing.T) {
	r := worker.NewWorkflowReplayer()
	workflows.Register(r)
	if err := r.ReplayWorkflowHistoryFromJSONFile(nil, "testdata/integration_history.json"); err != nil {
		t.Fatal(err)
	}
}
