package manage_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"hubspot-brevo-sync/internal/brevo"
	"hubspot-brevo-sync/internal/integration"
	"hubspot-brevo-sync/internal/manage"
	"hubspot-brevo-sync/internal/mapping"
)

func TestMappedAttributeProblems(t *testing.T) {
	spec := integration.Spec{Mapping: mapping.Spec{Fields: []mapping.Field{
		{Property: "email", Attribute: "EMAIL", PropertyType: "string"},
		{Property: "firstname", Attribute: "FIRSTNAME", PropertyType: "string", AttributeType: "text"},
		{Property: "score", Attribute: "SCORE", PropertyType: "number", AttributeType: "float"},
		{Property: "stage", Attribute: "STAGE", PropertyType: "enumeration", FieldType: "select", AttributeType: "category",
			Categories: map[string]int{"lead": 1, "customer": 2}},
		{Property: "topics", Attribute: "TOPICS", PropertyType: "enumeration", FieldType: "checkbox", AttributeType: "multiple-choice",
			Choices: []string{"News", "Events"}},
	}}}
	fitting := []brevo.Attribute{
		{Name: "FIRSTNAME", Category: "normal", Type: "text"},
		{Name: "score", Category: "normal", Type: "float"},
		{Name: "STAGE", Category: "category", Type: "text", Enumeration: []brevo.EnumValue{{Value: 1, Label: "Lead"}, {Value: 2, Label: "Customer"}}},
		{Name: "TOPICS", Category: "normal", Type: "multiple-choice", MultiCategoryOptions: []string{"News", "Events", "Offers"}},
	}
	assert.Empty(t, manage.MappedAttributeProblems(spec, fitting), "names compare in upper case; EMAIL is no attribute")

	drifted := []brevo.Attribute{
		{Name: "SCORE", Category: "normal", Type: "text"},
		{Name: "STAGE", Category: "category", Enumeration: []brevo.EnumValue{{Value: 1, Label: "Lead"}}},
		{Name: "TOPICS", Category: "normal", Type: "multiple-choice", MultiCategoryOptions: []string{"News"}},
	}
	assert.Equal(t, []string{
		"FIRSTNAME (from firstname) does not exist",
		"SCORE (from score) is a text attribute; the mapping writes float",
		"STAGE (from stage) lacks categories 2 the mapping writes",
		`TOPICS (from topics) lacks choices "Events" the mapping writes`,
	}, manage.MappedAttributeProblems(spec, drifted))
}
