package doctor

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"hubspot-brevo-sync/internal/integration"
	"hubspot-brevo-sync/internal/manage"
	"hubspot-brevo-sync/internal/searchattr"
)

// Temporal is what the doctor asks Temporal; NewTemporal answers from a
// client, tests from a fake.
type Temporal interface {
	// DescribeNamespace fails when the namespace does not exist or these
	// credentials may not see it.
	DescribeNamespace(ctx context.Context, namespace string) error
	// SearchAttributeProblems names the integration search attributes the
	// namespace lacks or has with another type.
	SearchAttributeProblems(ctx context.Context, namespace string) ([]string, error)
	// Pollers are the identities that polled the task queue lately, for
	// workflow and for activity tasks.
	Pollers(ctx context.Context, taskQueue string) (workflow, activity []string, err error)
	// Integrations are every integration the namespace knows.
	Integrations(ctx context.Context) ([]integration.Status, error)
}

// integrationsTimeout bounds the listing: each running integration answers
// a query, which waits for a worker; without one the query waits until
// this deadline and the listing falls back to search attributes.
const integrationsTimeout = 10 * time.Second

// NewTemporal answers the doctor's questions with a Temporal client, the
// namespace and task queue of the worker's configuration.
func NewTemporal(c client.Client, namespace, taskQueue string) Temporal {
	return clientTemporal{c: c, mgr: &manage.Manager{Temporal: c, Namespace: namespace, TaskQueue: taskQueue}}
}

type clientTemporal struct {
	c   client.Client
	mgr *manage.Manager
}

func (t clientTemporal) DescribeNamespace(ctx context.Context, namespace string) error {
	_, err := t.c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: namespace})
	return err
}

// SearchAttributeProblems asks the operator service and, where these
// credentials may not use it (Temporal Cloud with a namespace API key),
// tries each attribute in a visibility query instead.
func (t clientTemporal) SearchAttributeProblems(ctx context.Context, namespace string) ([]string, error) {
	problems, err := searchattr.Problems(ctx, t.c.OperatorService(), namespace, integration.SearchAttributes())
	var denied *serviceerror.PermissionDenied
	var unimplemented *serviceerror.Unimplemented
	if errors.As(err, &denied) || errors.As(err, &unimplemented) {
		return SearchAttributeProblemsByQuery(ctx, t.c, namespace)
	}
	return problems, err
}

// SearchAttributeProblemsByQuery names the integration search attributes
// a visibility query of the namespace refuses: what the workflows' upserts
// would meet, found with the rights to list workflows only.
func SearchAttributeProblemsByQuery(ctx context.Context, c client.Client, namespace string) ([]string, error) {
	want := integration.SearchAttributes()
	var problems []string
	for _, name := range slices.Sorted(maps.Keys(want)) {
		value := "''"
		if want[name] == enumspb.INDEXED_VALUE_TYPE_INT {
			value = "0"
		}
		_, err := c.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{
			Namespace: namespace, Query: fmt.Sprintf("%s = %s", name, value)})
		var invalid *serviceerror.InvalidArgument
		switch {
		case errors.As(err, &invalid):
			problems = append(problems, fmt.Sprintf("%s is refused in queries (%s)", name, invalid.Message))
		case err != nil:
			return nil, err
		}
	}
	return problems, nil
}

func (t clientTemporal) Pollers(ctx context.Context, taskQueue string) (workflow, activity []string, err error) {
	for kind, into := range map[enumspb.TaskQueueType]*[]string{
		enumspb.TASK_QUEUE_TYPE_WORKFLOW: &workflow, enumspb.TASK_QUEUE_TYPE_ACTIVITY: &activity,
	} {
		resp, err := t.c.DescribeTaskQueue(ctx, taskQueue, kind)
		if err != nil {
			return nil, nil, err
		}
		for _, p := range resp.GetPollers() {
			*into = append(*into, p.GetIdentity())
		}
	}
	return workflow, activity, nil
}

func (t clientTemporal) Integrations(ctx context.Context) ([]integration.Status, error) {
	ctx, cancel := context.WithTimeout(ctx, integrationsTimeout)
	defer cancel()
	return t.mgr.List(ctx)
}

// temporalChecks runs the Temporal checks and returns the integrations
// (nil when they could not be listed).
func (r *run) temporalChecks(ctx context.Context) []integration.Status {
	const reachable = "temporal.reachable"
	names := []string{"temporal.namespace", "temporal.searchAttributes", "temporal.worker", "temporal.integrations"}
	if r.o.Temporal == nil {
		r.fail(reachable, "%s", oneLine(r.o.TemporalErr))
		for _, n := range names {
			r.skip(n, reachable)
		}
		return nil
	}
	r.pass(reachable, "%s", r.o.TemporalAddress)
	t := r.o.Temporal
	if err := t.DescribeNamespace(ctx, r.o.Namespace); err != nil {
		r.fail(names[0], "namespace %s (TEMPORAL_NAMESPACE): %s", r.o.Namespace, oneLine(err))
		for _, n := range names[1:] {
			r.skip(n, names[0])
		}
		return nil
	}
	r.pass(names[0], "%s exists", r.o.Namespace)
	r.searchAttributesCheck(ctx, names[1])
	r.workerCheck(ctx, names[2])
	return r.integrationsCheck(ctx, names[3])
}

func (r *run) searchAttributesCheck(ctx context.Context, name string) {
	problems, err := r.o.Temporal.SearchAttributeProblems(ctx, r.o.Namespace)
	switch {
	case err != nil:
		r.fail(name, "%s", oneLine(err))
	case len(problems) > 0:
		r.fail(name, "%s; 'worker --setup' registers them (on Temporal Cloud: a namespace admin, or the Cloud UI)",
			strings.Join(problems, "; "))
	default:
		r.pass(name, "%d registered", len(integration.SearchAttributes()))
	}
}

func (r *run) workerCheck(ctx context.Context, name string) {
	wf, act, err := r.o.Temporal.Pollers(ctx, r.o.TaskQueue)
	switch {
	case err != nil:
		r.fail(name, "task queue %s: %s", r.o.TaskQueue, oneLine(err))
	case len(wf) == 0 || len(act) == 0:
		r.fail(name, "no worker polls task queue %s (SYNC_TASK_QUEUE) for %s tasks: start the worker with the same settings",
			r.o.TaskQueue, missingKinds(wf, act))
	default:
		r.pass(name, "task queue %s: %d workflow and %d activity pollers (%s)", r.o.TaskQueue, len(wf), len(act),
			strings.Join(distinct(append(wf, act...)), ", "))
	}
}

func missingKinds(wf, act []string) string {
	switch {
	case len(wf) == 0 && len(act) == 0:
		return "workflow or activity"
	case len(wf) == 0:
		return "workflow"
	}
	return "activity"
}

func distinct(xs []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

func (r *run) integrationsCheck(ctx context.Context, name string) []integration.Status {
	all, err := r.o.Temporal.Integrations(ctx)
	if err != nil {
		r.fail(name, "%s", oneLine(err))
		return nil
	}
	if len(all) == 0 {
		r.pass(name, "none yet ('starter create' makes one)")
		return nil
	}
	parts := make([]string, len(all))
	for i, st := range all {
		parts[i] = fmt.Sprintf("%s (%s)", st.Name, st.State)
	}
	r.pass(name, "%d: %s", len(all), strings.Join(parts, ", "))
	return all
}
