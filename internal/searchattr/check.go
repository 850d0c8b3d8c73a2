package searchattr

import (
	"context"
	"fmt"
	"maps"
	"slices"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
)

// Problems compares the namespace's search attributes with want and
// registers nothing: it serves a health check run with credentials that
// may only read. Each problem names an attribute that is missing, has
// another type, or is a system attribute; none means the workflows'
// upserts will be accepted.
func Problems(ctx context.Context, op operatorservice.OperatorServiceClient, namespace string, want map[string]enumspb.IndexedValueType) ([]string, error) {
	callCtx, cancel := context.WithTimeout(ctx, perCallTimeout)
	defer cancel()
	existing, err := op.ListSearchAttributes(callCtx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		return nil, fmt.Errorf("list search attributes: %w", err)
	}
	var problems []string
	for _, name := range slices.Sorted(maps.Keys(want)) {
		if _, ok := existing.GetSystemAttributes()[name]; ok {
			problems = append(problems, name+" is a system attribute")
			continue
		}
		switch have, ok := existing.GetCustomAttributes()[name]; {
		case !ok:
			problems = append(problems, name+" is missing")
		case have != want[name]:
			problems = append(problems, fmt.Sprintf("%s is %s, want %s", name, have, want[name]))
		}
	}
	return problems, nil
}
