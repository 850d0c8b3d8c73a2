package manage

import (
	"context"
	"errors"
	"strings"
	"testing"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"google.golang.org/grpc"

	"hubspot-brevo-sync/internal/integration"
)

// fakeOperator answers the search attribute calls: listed are the
// attributes the namespace has, addErr what registering them returns.
type fakeOperator struct {
	operatorservice.OperatorServiceClient
	listed  map[string]enumspb.IndexedValueType
	listErr error
	addErr  error
	added   int
}

func (f *fakeOperator) ListSearchAttributes(context.Context, *operatorservice.ListSearchAttributesRequest, ...grpc.CallOption) (*operatorservice.ListSearchAttributesResponse, error) {
	return &operatorservice.ListSearchAttributesResponse{CustomAttributes: f.listed}, f.listErr
}

func (f *fakeOperator) AddSearchAttributes(context.Context, *operatorservice.AddSearchAttributesRequest, ...grpc.CallOption) (*operatorservice.AddSearchAttributesResponse, error) {
	f.added++
	return &operatorservice.AddSearchAttributesResponse{}, f.addErr
}

// fakeStarter refuses the first len(refusals) starts with the given errors,
// then starts.
type fakeStarter struct {
	client.Client
	op       *fakeOperator
	refusals []error
	starts   int
}

func (f *fakeStarter) OperatorService() operatorservice.OperatorServiceClient { return f.op }

func (f *fakeStarter) ExecuteWorkflow(context.Context, client.StartWorkflowOptions, any, ...any) (client.WorkflowRun, error) {
	f.starts++
	if len(f.refusals) > 0 {
		err := f.refusals[0]
		f.refusals = f.refusals[1:]
		return nil, err
	}
	return nil, nil
}

var errNoMapping = serviceerror.NewInvalidArgument("Namespace default has no mapping defined for search attribute BrevoListId")

func TestStartRegistersTheSearchAttributesAndWaitsForThem(t *testing.T) {
	fake := &fakeStarter{op: &fakeOperator{}, refusals: []error{errNoMapping, errNoMapping}}
	m := &Manager{Temporal: fake, TaskQueue: "q"}
	if err := m.startIntegration(context.Background(), integration.Spec{Name: "demo"}); err != nil {
		t.Fatal(err)
	}
	if fake.op.added != 1 || fake.starts != 3 {
		t.Fatalf("registered %d times and started %d times, want 1 and 3 (two refusals while the namespace caught up)", fake.op.added, fake.starts)
	}
}

func TestStartWithoutTheRightToRegisterSaysHow(t *testing.T) {
	fake := &fakeStarter{
		op:       &fakeOperator{addErr: serviceerror.NewPermissionDenied("Request unauthorized.", "")},
		refusals: []error{errNoMapping, errNoMapping},
	}
	m := &Manager{Temporal: fake, TaskQueue: "q", Namespace: "sync.a1b2c"}
	err := m.startIntegration(context.Background(), integration.Spec{Name: "demo"})
	if err == nil || strings.Contains(err.Error(), "\n") {
		t.Fatalf("err = %v, want one line", err)
	}
	for _, want := range []string{"namespace sync.a1b2c", "BrevoListId", "may not register", "worker --setup"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q lacks %q", err, want)
		}
	}
	if fake.starts != 1 {
		t.Errorf("started %d times; with nobody registering, the first refusal is final", fake.starts)
	}
}

func TestStartWithoutTheRightToRegisterWorksWhenTheyExist(t *testing.T) {
	fake := &fakeStarter{op: &fakeOperator{listErr: serviceerror.NewPermissionDenied("Request unauthorized.", "")}}
	m := &Manager{Temporal: fake, TaskQueue: "q"}
	if err := m.startIntegration(context.Background(), integration.Spec{Name: "demo"}); err != nil || fake.starts != 1 {
		t.Fatalf("registered by an admin, the start must go through: %v after %d starts", err, fake.starts)
	}
}

func TestStartPassesOtherRefusalsOnAtOnce(t *testing.T) {
	fake := &fakeStarter{op: &fakeOperator{listed: integration.SearchAttributes()},
		refusals: []error{serviceerror.NewWorkflowExecutionAlreadyStarted("started", "", "")}}
	m := &Manager{Temporal: fake, TaskQueue: "q"}
	err := m.startIntegration(context.Background(), integration.Spec{Name: "demo"})
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if !errors.As(err, &started) || fake.starts != 1 || fake.op.added != 0 {
		t.Fatalf("err %v after %d starts and %d registrations, want AlreadyStarted after 1 and 0", err, fake.starts, fake.op.added)
	}
}
