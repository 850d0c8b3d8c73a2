package devserver

import (
	"context"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/grpc"

	"hubspot-brevo-sync/internal/searchattr"
)

const (
	pollInterval   = 100 * time.Millisecond
	perCallTimeout = 5 * time.Second
)

// waitForNamespace polls DescribeNamespace until the frontend answers it.
// The namespace was written to the database before the server started, so
// an answer means the frontend is up and has loaded it.
func waitForNamespace(ctx context.Context, conn *grpc.ClientConn, namespace string) error {
	client := workflowservice.NewWorkflowServiceClient(conn)
	var lastErr error
	for {
		callCtx, cancel := context.WithTimeout(ctx, perCallTimeout)
		_, err := client.DescribeNamespace(callCtx, &workflowservice.DescribeNamespaceRequest{Namespace: namespace})
		cancel()
		if err == nil {
			return nil
		}
		lastErr = err
		select {
		case <-ctx.Done():
			return fmt.Errorf("devserver: frontend not ready: %w (last error: %v)", ctx.Err(), lastErr)
		case <-time.After(pollInterval):
		}
	}
}

// ensureSearchAttributes registers the missing search attributes. After
// adding some it waits for one namespace cache refresh, so every service
// sees the new names before a workflow writes them.
func ensureSearchAttributes(
	ctx context.Context,
	conn *grpc.ClientConn,
	namespace string,
	want map[string]enumspb.IndexedValueType,
	refresh time.Duration,
) error {
	added, err := searchattr.Ensure(ctx, operatorservice.NewOperatorServiceClient(conn), namespace, want)
	if err != nil {
		return fmt.Errorf("devserver: %w", err)
	}
	if !added {
		return nil
	}
	select {
	case <-ctx.Done():
		return fmt.Errorf("devserver: waiting for search attributes: %w", ctx.Err())
	case <-time.After(refresh + 500*time.Millisecond):
	}
	return nil
}
