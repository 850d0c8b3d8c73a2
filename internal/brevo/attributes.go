package brevo

import (
	"context"
	"net/http"
	"regexp"
	"strings"
)

// Attribute categories.
const (
	CategoryNormal        = "normal"
	CategoryCategory      = "category"
	CategoryTransactional = "transactional"
	CategoryCalculated    = "calculated"
	CategoryGlobal        = "global"
)

// Attribute types of the normal category (plus "category" for enumerations).
const (
	TypeText           = "text"
	TypeDate           = "date"
	TypeFloat          = "float"
	TypeBoolean        = "boolean"
	TypeMultipleChoice = "multiple-choice"
	TypeCategory       = "category"
)

// EnumValue is one option of a category attribute: contacts store Value.
type EnumValue struct {
	Value int    `json:"value"`
	Label string `json:"label"`
}

// Attribute is a contact attribute of the account. Names of the first- and
// last-name attributes depend on the account language (PRENOM/NOM on
// French accounts), which is why the sync reads them instead of assuming.
type Attribute struct {
	Name                 string      `json:"name"`
	Category             string      `json:"category"`
	Type                 string      `json:"type,omitempty"`
	Enumeration          []EnumValue `json:"enumeration,omitempty"`
	MultiCategoryOptions []string    `json:"multiCategoryOptions,omitempty"`
	CalculatedValue      string      `json:"calculatedValue,omitempty"`
}

// Attributes lists every contact attribute of the account.
func (c *Client) Attributes(ctx context.Context) ([]Attribute, error) {
	var out struct {
		Attributes []Attribute `json:"attributes"`
	}
	if _, err := c.do(ctx, request{op: "attributes.list", method: http.MethodGet, path: "/contacts/attributes"}, &out); err != nil {
		return nil, err
	}
	return out.Attributes, nil
}

// AttributeSpec is the body of an attribute creation: Type for normal
// attributes, Enumeration for category attributes, MultiCategoryOptions
// for multiple-choice ones.
type AttributeSpec struct {
	Type                 string      `json:"type,omitempty"`
	Enumeration          []EnumValue `json:"enumeration,omitempty"`
	MultiCategoryOptions []string    `json:"multiCategoryOptions,omitempty"`
}

// attributeName is the safe subset of names: Brevo keys attributes in
// capitals and puts the name in the URL path.
var attributeName = regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`)

// NormalizeAttributeName upper-cases a name and reports whether it is a
// valid attribute name (A-Z, 0-9 and _, starting with a letter).
func NormalizeAttributeName(name string) (string, bool) {
	n := strings.ToUpper(strings.TrimSpace(name))
	return n, attributeName.MatchString(n)
}

// CreateAttribute creates a contact attribute. An existing name comes back
// as an error (KindDuplicate or KindValidation, depending on Brevo's
// wording), never as success.
func (c *Client) CreateAttribute(ctx context.Context, category, name string, spec AttributeSpec) error {
	const op = "attributes.create"
	n, ok := NormalizeAttributeName(name)
	if !ok {
		return invalidArgument(op, "attribute name "+name+" is not made of A-Z, 0-9 and _ starting with a letter")
	}
	category = strings.ToLower(strings.TrimSpace(category))
	if category == "" {
		category = CategoryNormal
	}
	if category == CategoryCategory && spec.Type == "" {
		spec.Type = TypeCategory
	}
	_, err := c.do(ctx, request{op: op, method: http.MethodPost,
		path: "/contacts/attributes/" + segment(category) + "/" + segment(n), body: spec}, nil)
	return err
}
