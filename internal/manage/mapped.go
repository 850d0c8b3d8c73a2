package manage

import (
	"fmt"
	"slices"
	"strings"

	"hubspot-brevo-sync/internal/brevo"
	"hubspot-brevo-sync/internal/integration"
	"hubspot-brevo-sync/internal/mapping"
)

// MappedAttributeProblems compares an integration's mapping with the Brevo
// account's attributes as they are now, with the rules create applied when
// the mapping was made: every mapped attribute exists, has the type the
// mapping writes, and still has the categories and choices the mapping
// recorded. Attributes change in Brevo's UI after create; a sync writing
// into a changed one has its contacts refused. Each problem is one short
// sentence; none means the mapping still fits.
func MappedAttributeProblems(spec integration.Spec, attrs []brevo.Attribute) []string {
	byName := make(map[string]brevo.Attribute, len(attrs))
	for _, a := range attrs {
		byName[strings.ToUpper(a.Name)] = a
	}
	var problems []string
	for _, f := range spec.Mapping.Fields {
		if f.Attribute == mapping.AttrEmail {
			continue // the email identifier, not an attribute
		}
		a, ok := byName[f.Attribute]
		if !ok {
			problems = append(problems, fmt.Sprintf("%s (from %s) does not exist", f.Attribute, f.Property))
			continue
		}
		if p := attributeDrift(f, a); p != "" {
			problems = append(problems, fmt.Sprintf("%s (from %s) %s", f.Attribute, f.Property, p))
		}
	}
	return problems
}

// attributeDrift says how attribute a no longer fits field f, or "".
func attributeDrift(f mapping.Field, a brevo.Attribute) string {
	want, have := f.AttributeType, attributeType(a)
	if want == "" {
		want = TypeText
	}
	if have != want {
		return fmt.Sprintf("is a %s attribute; the mapping writes %s", have, want)
	}
	if err := mapping.Compatible(f); err != nil {
		return err.Error()
	}
	switch want {
	case TypeCategory:
		var gone []string
		for _, id := range f.Categories {
			if !slices.ContainsFunc(a.Enumeration, func(e brevo.EnumValue) bool { return e.Value == id }) {
				gone = append(gone, fmt.Sprint(id))
			}
		}
		if len(gone) > 0 {
			slices.Sort(gone)
			return "lacks categories " + strings.Join(slices.Compact(gone), ", ") + " the mapping writes"
		}
	case TypeMultipleChoice:
		var gone []string
		for _, c := range f.Choices {
			if !slices.Contains(a.MultiCategoryOptions, c) {
				gone = append(gone, fmt.Sprintf("%q", c))
			}
		}
		if len(gone) > 0 {
			return "lacks choices " + strings.Join(gone, ", ") + " the mapping writes"
		}
	}
	return ""
}
