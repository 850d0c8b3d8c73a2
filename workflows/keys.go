package workflows

import (
	"cmp"
	"maps"
	"slices"
)

// sortedKeys lists a map's keys in order, whatever order the map iterates
// in: workflow code ranges over this, never over a map.
//
//workflowcheck:ignore
func sortedKeys[K cmp.Ordered, V any](m map[K]V) []K {
	return slices.Sorted(maps.Keys(m))
}
