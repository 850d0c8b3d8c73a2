package manage

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"go.temporal.io/api/serviceerror"

	"hubspot-brevo-sync/internal/integration"
	"hubspot-brevo-sync/internal/searchattr"
)

// searchAttributesWait bounds how long a start waits for the namespace to
// use search attributes that were just registered: the frontends cache a
// namespace's attributes and see new ones at their next refresh (2 s by
// default; 10 s on older servers).
const searchAttributesWait = 30 * time.Second

// searchAttributesRetry is the pause between starts refused for an
// attribute the namespace does not use yet.
const searchAttributesRetry = 200 * time.Millisecond

// namespace is the Temporal namespace the manager works in.
func (m *Manager) namespace() string {
	if m.Namespace == "" {
		return "default"
	}
	return m.Namespace
}

// startIntegration starts the integration's workflow on a namespace that
// may not know its search attributes yet: it registers them, then starts
// until the namespace uses them.
func (m *Manager) startIntegration(ctx context.Context, spec integration.Spec) error {
	denied, err := m.registerSearchAttributes(ctx)
	if err != nil {
		return err
	}
	opts := startOptions(spec, m.TaskQueue)
	return m.startWaitingForSearchAttributes(ctx, denied, func() error {
		_, err := m.Temporal.ExecuteWorkflow(ctx, opts, integration.WorkflowType, integration.Input{Spec: spec, Tuning: m.Tuning})
		return err
	})
}

// registerSearchAttributes registers the integration's search attributes
// with the code the worker runs at its start, so a create on a fresh
// namespace needs no worker to have run. A refusal to register (Temporal
// Cloud without admin rights) is returned as denied, not as an error: the
// attributes may be registered already, and the start tells.
func (m *Manager) registerSearchAttributes(ctx context.Context) (denied error, err error) {
	_, err = searchattr.Ensure(ctx, m.Temporal.OperatorService(), m.namespace(), integration.SearchAttributes())
	var permission *serviceerror.PermissionDenied
	var unimplemented *serviceerror.Unimplemented
	if errors.As(err, &permission) || errors.As(err, &unimplemented) {
		return err, nil
	}
	if err != nil {
		return nil, temporalError(err)
	}
	return nil, nil
}

// startWaitingForSearchAttributes runs start until the namespace accepts
// the search attributes it sets, for at most searchAttributesWait. When
// registering them was denied, the first refusal is final: nobody is
// registering them, and the person must.
func (m *Manager) startWaitingForSearchAttributes(ctx context.Context, denied error, start func() error) error {
	deadline := time.Now().Add(searchAttributesWait)
	for {
		err := start()
		if err != nil && !unknownSearchAttribute(err) {
			return temporalError(err)
		}
		if err == nil {
			return nil
		}
		if denied != nil {
			return m.setupNeeded(denied)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("namespace %s still refuses the search attributes %s %s after they were registered: %v",
				m.namespace(), strings.Join(searchAttributeNames(), ", "), searchAttributesWait, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(searchAttributesRetry):
		}
	}
}

// unknownSearchAttribute reports a start refused because the namespace
// does not know (or does not use yet) one of its search attributes:
// "Namespace X has no mapping defined for search attribute Y" on SQL
// visibility, "search attribute Y is not defined" on Elasticsearch.
func unknownSearchAttribute(err error) bool {
	var invalid *serviceerror.InvalidArgument
	return errors.As(err, &invalid) && strings.Contains(invalid.Message, "search attribute")
}

// setupNeeded is the one line for a namespace whose search attributes
// these credentials may not register.
func (m *Manager) setupNeeded(denied error) error {
	return fmt.Errorf("namespace %s lacks the search attributes %s and these credentials may not register them (%v): "+
		"register them once with 'worker --setup' and credentials that may (on Temporal Cloud: a namespace admin, "+
		"or the namespace's search attributes in the Cloud UI), then create again",
		m.namespace(), strings.Join(searchAttributeNames(), ", "), oneLine(denied))
}

func searchAttributeNames() []string {
	return slices.Sorted(maps.Keys(integration.SearchAttributes()))
}

// oneLine keeps the first line of an error.
func oneLine(err error) string { return firstLine(err.Error()) }

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
