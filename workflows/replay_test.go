package workflows_test

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/types/known/timestamppb"

	"hubspot-brevo-sync/internal/integration"
	"hubspot-brevo-sync/internal/quota"
	"hubspot-brevo-sync/workflows"
)

// Histories recorded on a real server by the end-to-end tests, one JSON
// file each (see testdata/README.md). A change to the workflows that
// would break running integrations fails TestReplayRecordedHistory; such
// a change needs workflow.GetVersion. Record them with
//
//	UPDATE_REPLAY_FIXTURES=1 go test -run TestPauseResume ./internal/e2e/
const fixtures = "testdata/v2/*.json"

func recordedHistories(t *testing.T) []string {
	files, err := filepath.Glob(fixtures)
	require.NoError(t, err)
	if len(files) == 0 {
		t.Skip("no recorded histories in " + fixtures)
	}
	return files
}

func TestReplayRecordedHistory(t *testing.T) {
	for _, file := range recordedHistories(t) {
		t.Run(filepath.Base(file), func(t *testing.T) {
			r := worker.NewWorkflowReplayer()
			workflows.Register(r)
			require.NoError(t, r.ReplayWorkflowHistoryFromJSONFile(nil, file))
		})
	}
}

// TestReplayCatchesANondeterministicChange replays the same histories
// against workflows that start with a timer they never had: every replay
// must fail, or the fixtures could not catch a breaking change.
func TestReplayCatchesANondeterministicChange(t *testing.T) {
	for _, file := range recordedHistories(t) {
		t.Run(filepath.Base(file), func(t *testing.T) {
			requireNondeterministic(t, changedReplayer().ReplayWorkflowHistoryFromJSONFile(nil, file))
		})
	}
}

// requireNondeterministic checks that a replay failed on nondeterminism,
// not on something else (an unreadable file, say).
func requireNondeterministic(t *testing.T, err error) {
	t.Helper()
	require.Error(t, err, "a changed workflow replays the history")
	require.Contains(t, err.Error(), "TMPRL1100", "not a nondeterminism error")
}

// changedReplayer registers the workflows, each changed in a way that
// breaks the histories of running workflows.
func changedReplayer() worker.WorkflowReplayer {
	r := worker.NewWorkflowReplayer()
	r.RegisterWorkflowWithOptions(func(ctx workflow.Context, in integration.Input) (integration.Status, error) {
		if err := workflow.Sleep(ctx, time.Second); err != nil {
			return integration.Status{}, err
		}
		return workflows.IntegrationWorkflow(ctx, in)
	}, workflow.RegisterOptions{Name: integration.WorkflowType})
	r.RegisterWorkflowWithOptions(func(ctx workflow.Context, in quota.Input) error {
		if err := workflow.Sleep(ctx, time.Second); err != nil {
			return err
		}
		return workflows.QuotaWorkflow(ctx, in)
	}, workflow.RegisterOptions{Name: quota.WorkflowType})
	return r
}

// TestReplayDraftThenActivate replays a short history built here, so the
// replay check runs even before fixtures are recorded: a draft publishes
// its state and waits; activated, it publishes "syncing" and schedules its
// first batch.
func TestReplayDraftThenActivate(t *testing.T) {
	in := input(tuning())
	in.Spec.Draft = true
	h := draftThenActivate(t, in)

	r := worker.NewWorkflowReplayer()
	workflows.Register(r)
	require.NoError(t, r.ReplayWorkflowHistory(nil, h))
	requireNondeterministic(t, changedReplayer().ReplayWorkflowHistory(nil, h))
}

// draftThenActivate is the history a draft integration writes until its
// first batch is scheduled.
func draftThenActivate(t *testing.T, in integration.Input) *historypb.History {
	dc := converter.GetDefaultDataConverter()
	payloads := func(vs ...any) *commonpb.Payloads {
		p, err := dc.ToPayloads(vs...)
		require.NoError(t, err)
		return p
	}
	searchAttribute := func(v any, typ string) *commonpb.Payload {
		p, err := dc.ToPayload(v)
		require.NoError(t, err)
		p.Metadata["type"] = []byte(typ)
		return p
	}
	queue := &taskqueuepb.TaskQueue{Name: "replay", Kind: enumspb.TASK_QUEUE_KIND_NORMAL}
	at := timestamppb.New(start)
	var events []*historypb.HistoryEvent
	add := func(typ enumspb.EventType, set func(e *historypb.HistoryEvent)) int64 {
		e := &historypb.HistoryEvent{EventId: int64(len(events) + 1), EventTime: at, EventType: typ}
		set(e)
		events = append(events, e)
		return e.EventId
	}
	workflowTask := func() int64 {
		scheduled := add(enumspb.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, func(e *historypb.HistoryEvent) {
			e.Attributes = &historypb.HistoryEvent_WorkflowTaskScheduledEventAttributes{WorkflowTaskScheduledEventAttributes: &historypb.WorkflowTaskScheduledEventAttributes{
				TaskQueue: queue, Attempt: 1}}
		})
		started := add(enumspb.EVENT_TYPE_WORKFLOW_TASK_STARTED, func(e *historypb.HistoryEvent) {
			e.Attributes = &historypb.HistoryEvent_WorkflowTaskStartedEventAttributes{WorkflowTaskStartedEventAttributes: &historypb.WorkflowTaskStartedEventAttributes{
				ScheduledEventId: scheduled}}
		})
		return add(enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, func(e *historypb.HistoryEvent) {
			e.Attributes = &historypb.HistoryEvent_WorkflowTaskCompletedEventAttributes{WorkflowTaskCompletedEventAttributes: &historypb.WorkflowTaskCompletedEventAttributes{
				ScheduledEventId: scheduled, StartedEventId: started}}
		})
	}

	add(enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, func(e *historypb.HistoryEvent) {
		e.Attributes = &historypb.HistoryEvent_WorkflowExecutionStartedEventAttributes{WorkflowExecutionStartedEventAttributes: &historypb.WorkflowExecutionStartedEventAttributes{
			WorkflowType: &commonpb.WorkflowType{Name: integration.WorkflowType}, TaskQueue: queue, Input: payloads(in),
			FirstExecutionRunId: "11111111-1111-1111-1111-111111111111", Attempt: 1}}
	})
	upsertState := func(done int64, state integration.State) {
		add(enumspb.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES, func(e *historypb.HistoryEvent) {
			e.Attributes = &historypb.HistoryEvent_UpsertWorkflowSearchAttributesEventAttributes{UpsertWorkflowSearchAttributesEventAttributes: &historypb.UpsertWorkflowSearchAttributesEventAttributes{
				WorkflowTaskCompletedEventId: done, SearchAttributes: &commonpb.SearchAttributes{IndexedFields: map[string]*commonpb.Payload{
					integration.SAIntegrationState.GetName(): searchAttribute(state, "Keyword"),
					integration.SAContactsSynced.GetName():   searchAttribute(0, "Int"),
				}}}}
		})
	}
	upsertState(workflowTask(), integration.StateDraft)
	add(enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED, func(e *historypb.HistoryEvent) {
		e.Attributes = &historypb.HistoryEvent_WorkflowExecutionSignaledEventAttributes{WorkflowExecutionSignaledEventAttributes: &historypb.WorkflowExecutionSignaledEventAttributes{
			SignalName: integration.SignalActivate}}
	})
	done := workflowTask()
	upsertState(done, integration.StateSyncing)
	add(enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, func(e *historypb.HistoryEvent) {
		e.Attributes = &historypb.HistoryEvent_ActivityTaskScheduledEventAttributes{ActivityTaskScheduledEventAttributes: &historypb.ActivityTaskScheduledEventAttributes{
			ActivityId: fmt.Sprint(e.EventId), ActivityType: &commonpb.ActivityType{Name: "SyncBatch"}, TaskQueue: queue,
			WorkflowTaskCompletedEventId: done}}
	})
	return &historypb.History{Events: events}
}
