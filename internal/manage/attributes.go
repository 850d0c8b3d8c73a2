package manage

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"

	"hubspot-brevo-sync/internal/brevo"
	"hubspot-brevo-sync/internal/hubspot"
	"hubspot-brevo-sync/internal/integration"
	"hubspot-brevo-sync/internal/mapping"
)

// Brevo attribute types a mapping writes, which are also the values of the
// optional --map type suffix (prop=ATTR:category).
const (
	TypeText           = brevo.TypeText
	TypeFloat          = brevo.TypeFloat
	TypeDate           = brevo.TypeDate
	TypeBoolean        = brevo.TypeBoolean
	TypeCategory       = brevo.TypeCategory
	TypeMultipleChoice = brevo.TypeMultipleChoice
)

var suffixTypes = []string{TypeCategory, TypeText, TypeMultipleChoice, TypeBoolean, TypeFloat, TypeDate}

// maxEnumLabel is Brevo's longest category label.
const maxEnumLabel = 200

// mapChoice is one --map argument: a HubSpot property, a Brevo attribute and
// the attribute type the person asked for ("" = let the attribute decide).
type mapChoice struct {
	property, attribute, as string
}

// parseMapChoices reads "prop=ATTR" and "prop=ATTR:type" arguments.
func parseMapChoices(raw []string) ([]mapChoice, error) {
	var out []mapChoice
	seen := map[string]string{}
	for _, m := range raw {
		prop, attr, ok := strings.Cut(m, "=")
		attr, as, _ := strings.Cut(attr, ":")
		prop, attr = strings.TrimSpace(prop), strings.ToUpper(strings.TrimSpace(attr))
		as = strings.ToLower(strings.TrimSpace(as))
		if !ok || prop == "" || attr == "" {
			return nil, fmt.Errorf("--map %q: want hubspot_property=BREVO_ATTRIBUTE[:%s]", m, strings.Join(suffixTypes[:3], "|"))
		}
		if strings.Contains(m[strings.Index(m, "="):], ":") && as == "" {
			return nil, fmt.Errorf("--map %q: empty type after ':'; want one of %s", m, strings.Join(suffixTypes, ", "))
		}
		if as != "" && !contains(suffixTypes, as) {
			return nil, fmt.Errorf("--map %q: unknown type %q; want one of %s", m, as, strings.Join(suffixTypes, ", "))
		}
		if prev, dup := seen[attr]; dup {
			return nil, fmt.Errorf("--map: Brevo attribute %s is mapped twice (from %s and %s)", attr, prev, prop)
		}
		seen[attr] = prop
		out = append(out, mapChoice{property: prop, attribute: attr, as: as})
	}
	return out, nil
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

// NaturalType is the Brevo attribute type --create-attributes gives a HubSpot
// property when the --map argument names none: select and radio dropdowns
// become category, checkboxes multiple-choice, booleans boolean, numbers
// float, dates date, and everything else text. An enumeration whose options
// HubSpot does not list (externalOptions, e.g. the contact owner) becomes
// text, since neither categories nor choices can be built for it.
func NaturalType(p hubspot.Property) string {
	switch p.Type {
	case "bool":
		return TypeBoolean
	case "number":
		return TypeFloat
	case "date", "datetime":
		return TypeDate
	case "enumeration":
		switch {
		case p.FieldType == "booleancheckbox":
			return TypeBoolean
		case len(p.Options) == 0:
			return TypeText
		case p.FieldType == "checkbox":
			return TypeMultipleChoice
		default:
			return TypeCategory
		}
	}
	return TypeText
}

// buildFields checks each mapped pair against the HubSpot schema and the
// Brevo attributes and records both types, so the workflow's mapping needs
// no lookups. A Brevo attribute that does not exist is refused unless
// create is set; then the field is planned with the requested or natural
// type and PlanAttributes describes the attribute to create. It reads and
// writes nothing.
func buildFields(choices []mapChoice, props []hubspot.Property, attrs []brevo.Attribute, create bool) ([]mapping.Field, error) {
	byProp := make(map[string]hubspot.Property, len(props))
	for _, p := range props {
		byProp[p.Name] = p
	}
	byAttr := make(map[string]brevo.Attribute, len(attrs))
	for _, a := range attrs {
		byAttr[strings.ToUpper(a.Name)] = a
	}
	var fields []mapping.Field
	for _, ch := range choices {
		arg := ch.property + "=" + ch.attribute
		if ch.as != "" {
			arg += ":" + ch.as
		}
		refuse := func(format string, args ...any) error {
			return fmt.Errorf("--map %s: %s", arg, fmt.Sprintf(format, args...))
		}
		p, ok := byProp[ch.property]
		if !ok {
			return nil, refuse("HubSpot has no contact property %q (see `starter hubspot properties --mappable`)", ch.property)
		}
		if !p.Mappable() {
			return nil, refuse("HubSpot property %q is read-only (computed by HubSpot) and cannot be mapped", ch.property)
		}
		f := mapping.Field{Property: p.Name, Attribute: ch.attribute, PropertyType: p.Type, FieldType: p.FieldType}
		if len(p.Options) > 0 {
			f.Labels = map[string]string{}
			for _, o := range p.Options {
				f.Labels[o.Value] = o.Label
			}
		}
		switch ch.attribute {
		case mapping.AttrEmail:
			if ch.as != "" {
				return nil, refuse("EMAIL is the contact's email identifier and takes no type")
			}
			if p.Type != "string" {
				return nil, refuse("EMAIL needs a text property holding addresses; %q is a %s property", p.Name, p.Type)
			}
			fields = append(fields, f)
			continue
		case mapping.AttrSMS:
			if ch.as != "" {
				return nil, refuse("SMS is the contact's phone identifier and takes no type")
			}
			if p.Type != "string" && p.Type != "phone_number" {
				return nil, refuse("SMS needs a text or phone property; %q is a %s property", p.Name, p.Type)
			}
		case "EXT_ID":
			return nil, refuse("EXT_ID holds the HubSpot record id, which the sync writes itself; map the property to another attribute")
		}
		a, exists := byAttr[ch.attribute]
		switch {
		case exists:
			f.AttributeType = attributeType(a)
			if ch.as != "" && ch.as != f.AttributeType {
				return nil, refuse("Brevo attribute %s is a %s attribute, not %s; drop the suffix or map to another attribute", ch.attribute, f.AttributeType, ch.as)
			}
		case ch.attribute == mapping.AttrSMS:
			return nil, refuse("this Brevo account has no SMS attribute")
		case !create:
			as := ch.as
			if as == "" {
				as = NaturalType(p)
			}
			return nil, refuse("Brevo has no contact attribute %s (see `starter brevo attributes`; --create-attributes creates it as %s)", ch.attribute, as)
		default:
			if _, ok := brevo.NormalizeAttributeName(ch.attribute); !ok {
				return nil, refuse("cannot create Brevo attribute %s: use A-Z, 0-9 and _, starting with a letter", ch.attribute)
			}
			f.AttributeType = ch.as
			if f.AttributeType == "" {
				f.AttributeType = NaturalType(p)
			}
		}
		if err := mapping.Compatible(f); err != nil {
			return nil, refuse("%v; it fits %s", err, strings.Join(fittingTypes(f), ", "))
		}
		if !exists && (f.AttributeType == TypeCategory || f.AttributeType == TypeMultipleChoice) && len(p.Options) == 0 {
			return nil, refuse("HubSpot property %q lists no options to build a %s attribute from; map it as text", ch.property, f.AttributeType)
		}
		switch {
		case f.AttributeType == TypeCategory && exists:
			f.Categories = matchCategories(p.Options, a.Enumeration)
		case f.AttributeType == TypeCategory:
			f.Categories = map[string]int{}
			for i, o := range displayOrder(p.Options) {
				f.Categories[o.Value] = i + 1
			}
		case f.AttributeType == TypeMultipleChoice && exists:
			f.Choices = append([]string(nil), a.MultiCategoryOptions...)
		case f.AttributeType == TypeMultipleChoice:
			f.Choices = optionLabels(p.Options)
		}
		fields = append(fields, f)
	}
	return fields, nil
}

// fittingTypes lists the Brevo attribute types the field's HubSpot values
// fit, for refusals.
func fittingTypes(f mapping.Field) []string {
	var out []string
	for _, t := range suffixTypes {
		f.AttributeType = t
		if mapping.Compatible(f) == nil {
			out = append(out, t)
		}
	}
	return out
}

// displayOrder sorts options as HubSpot shows them; options with equal
// displayOrder keep the API's order.
func displayOrder(opts []hubspot.Option) []hubspot.Option {
	out := append([]hubspot.Option(nil), opts...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].DisplayOrder < out[j].DisplayOrder })
	return out
}

// optionLabels are the distinct option labels (the value where a label is
// empty) in display order, hidden options included: old records still hold
// them.
func optionLabels(opts []hubspot.Option) []string {
	var out []string
	seen := map[string]bool{}
	for _, o := range displayOrder(opts) {
		l := enumLabel(o.Label, o.Value)
		if !seen[l] {
			seen[l] = true
			out = append(out, l)
		}
	}
	return out
}

// enumLabel is the Brevo label of a HubSpot option: its label, or its value
// when it has none, cut to Brevo's 200 characters.
func enumLabel(label, value string) string {
	l := strings.TrimSpace(label)
	if l == "" {
		l = value
	}
	if utf8.RuneCountInString(l) > maxEnumLabel {
		l = string([]rune(l)[:maxEnumLabel])
	}
	return l
}

// AttributePlan is a Brevo contact attribute that `create --create-attributes`
// creates (or a dry run reports it would create).
type AttributePlan struct {
	Name string `json:"name"`
	// Category is normal, or category for enumerations written as category
	// ids; Type is the value type the mapping writes.
	Category             string            `json:"category"`
	Type                 string            `json:"type"`
	Enumeration          []brevo.EnumValue `json:"enumeration,omitempty"`
	MultiCategoryOptions []string          `json:"multiCategoryOptions,omitempty"`
	// Property is the HubSpot property mapped onto it.
	Property string `json:"property"`
}

// planAttribute describes the attribute a field needs.
func planAttribute(f mapping.Field) AttributePlan {
	p := AttributePlan{Name: f.Attribute, Category: brevo.CategoryNormal, Type: f.AttributeType, Property: f.Property}
	if p.Type == "" {
		p.Type = TypeText
	}
	switch p.Type {
	case TypeCategory:
		p.Category = brevo.CategoryCategory
		for value, id := range f.Categories {
			p.Enumeration = append(p.Enumeration, brevo.EnumValue{Value: id, Label: enumLabel(f.Labels[value], value)})
		}
		sort.Slice(p.Enumeration, func(i, j int) bool { return p.Enumeration[i].Value < p.Enumeration[j].Value })
	case TypeMultipleChoice:
		p.MultiCategoryOptions = append([]string(nil), f.Choices...)
	}
	return p
}

// PlanAttributes lists the attributes the spec maps that attrs (the Brevo
// account's attributes) lacks, in mapping order. EMAIL is an identifier,
// never an attribute.
func PlanAttributes(spec integration.Spec, attrs []brevo.Attribute) []AttributePlan {
	have := make(map[string]bool, len(attrs))
	for _, a := range attrs {
		have[strings.ToUpper(a.Name)] = true
	}
	var out []AttributePlan
	for _, f := range spec.Mapping.Fields {
		if f.Attribute == mapping.AttrEmail || have[f.Attribute] {
			continue
		}
		have[f.Attribute] = true
		out = append(out, planAttribute(f))
	}
	return out
}

// MissingAttributes reads the Brevo account's attributes and lists those the
// spec needs and the account lacks. It writes nothing.
func (m *Manager) MissingAttributes(ctx context.Context, spec integration.Spec) ([]AttributePlan, error) {
	attrs, err := m.BrevoAttributes(ctx)
	if err != nil {
		return nil, apiError("Brevo attributes", err)
	}
	return PlanAttributes(spec, attrs), nil
}

// CreateMissingAttributes creates the attributes the spec needs and the
// Brevo account lacks, and returns them. It is the only step of `create`
// that writes to Brevo, and Create runs it only after every validation
// passed. Attributes that exist by now are left alone, so running it again
// after a partial failure finishes the job.
func (m *Manager) CreateMissingAttributes(ctx context.Context, spec integration.Spec) ([]AttributePlan, error) {
	plans, err := m.MissingAttributes(ctx, spec)
	if err != nil {
		return nil, err
	}
	var done []AttributePlan
	for _, p := range plans {
		body := brevo.AttributeSpec{Type: p.Type, Enumeration: p.Enumeration, MultiCategoryOptions: p.MultiCategoryOptions}
		if _, err := retried(ctx, func() (struct{}, error) {
			return struct{}{}, m.Brevo.CreateAttribute(ctx, p.Category, p.Name, body)
		}); err != nil {
			msg := fmt.Sprintf("creating Brevo attribute %s (%s)", p.Name, p.Type)
			if len(done) > 0 {
				msg += fmt.Sprintf(" after creating %s", planNames(done))
			}
			return done, apiError(msg, err)
		}
		done = append(done, p)
	}
	return done, nil
}

func planNames(ps []AttributePlan) string {
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = p.Name
	}
	return strings.Join(names, ", ")
}

// checkNameFree refuses a name a running integration holds, before Create
// writes anything (the workflow start refuses it too, but only after the
// attributes were created).
func (m *Manager) checkNameFree(ctx context.Context, name string) error {
	desc, err := m.Temporal.DescribeWorkflowExecution(ctx, integration.ID(name), "")
	var notFound *serviceerror.NotFound
	switch {
	case errors.As(err, &notFound):
		return nil
	case err != nil:
		return temporalError(err)
	case desc.GetWorkflowExecutionInfo().GetStatus() == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING:
		return fmt.Errorf("integration %q already exists; pick another name or stop it first", name)
	}
	return nil
}
