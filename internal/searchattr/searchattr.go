// Package searchattr registers custom search attributes in a Temporal
// namespace. The embedded dev server, the worker at start and
// docker-compose's setup step all use it, so a namespace always ends up with
// the attributes the workflows write.
package searchattr

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

const perCallTimeout = 5 * time.Second

// Ensure registers the attributes of want that the namespace lacks and
// reports whether it added any. An attribute that exists with another
// type, or is a system attribute, is an error: the workflows' upserts
// would fail on it.
func Ensure(ctx context.Context, op operatorservice.OperatorServiceClient, namespace string, want map[string]enumspb.IndexedValueType) (added bool, err error) {
	if len(want) == 0 {
		return false, nil
	}
	callCtx, cancel := context.WithTimeout(ctx, perCallTimeout)
	existing, err := op.ListSearchAttributes(callCtx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	cancel()
	if err != nil {
		return false, fmt.Errorf("list search attributes: %w", err)
	}
	missing := make(map[string]enumspb.IndexedValueType)
	for _, name := range slices.Sorted(maps.Keys(want)) {
		typ := want[name]
		if _, ok := existing.GetSystemAttributes()[name]; ok {
			return false, fmt.Errorf("search attribute %s is a system attribute", name)
		}
		have, ok := existing.GetCustomAttributes()[name]
		switch {
		case !ok:
			missing[name] = typ
		case have != typ:
			return false, fmt.Errorf("search attribute %s exists as %s, want %s", name, have, typ)
		}
	}
	if len(missing) == 0 {
		return false, nil
	}
	callCtx, cancel = context.WithTimeout(ctx, perCallTimeout)
	_, err = op.AddSearchAttributes(callCtx, &operatorservice.AddSearchAttributesRequest{
		Namespace:        namespace,
		SearchAttributes: missing,
	})
	cancel()
	// "Already exists" means someone registered it in between: fine.
	if err != nil && status.Code(err) != codes.AlreadyExists {
		return false, fmt.Errorf("add search attributes %v: %w", slices.Sorted(maps.Keys(missing)), err)
	}
	return true, nil
}
