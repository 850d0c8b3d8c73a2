package manage_test

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"hubspot-brevo-sync/internal/brevo"
	"hubspot-brevo-sync/internal/hubspot"
	"hubspot-brevo-sync/internal/integration"
	"hubspot-brevo-sync/internal/manage"
	"hubspot-brevo-sync/internal/mapping"
	"hubspot-brevo-sync/internal/sandbox"
)

func fmFieldOf(t *testing.T, fields []mapping.Field, attr string) mapping.Field {
	t.Helper()
	for _, f := range fields {
		if f.Attribute == attr {
			return f
		}
	}
	t.Fatalf("no field for %s in %+v", attr, fields)
	return mapping.Field{}
}

var (
	fmStageLabels = []string{"Subscriber", "Lead", "Marketing Qualified Lead", "Sales Qualified Lead", "Opportunity", "Customer", "Evangelist", "Other"}
	fmStageValues = []string{"subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity", "customer", "evangelist", "other"}
	fmLeadLabels  = []string{"New", "Open", "In Progress", "Open Deal", "Unqualified", "Attempted to Contact", "Connected", "Bad Timing", "Legacy (retired)"}
	fmInterests   = []string{"Sports", "Music", "Travel", "Technology", "Cooking"}
)

// TestCreateAttributesNaturalTypes maps one property of every HubSpot type
// to a missing attribute with --create-attributes and no suffix: each gets
// its natural type, category enumerations come from the HubSpot options
// (ids 1..n in display order, hidden options too), multiple-choice options
// are the labels. Validate writes nothing; CreateMissingAttributes creates
// exactly the planned attributes, after which the same mapping validates
// without --create-attributes to the same field types and category ids.
func TestCreateAttributesNaturalTypes(t *testing.T) {
	e := fmNewEnv(t, sandbox.BrevoOptions{}, 5)
	ctx := context.Background()
	req := fmRequest("email=EMAIL", "firstname=FIRSTNAME", "company=COMPANY", "lifecyclestage=STAGE", "hs_lead_status=LEAD_STATUS",
		"interests=INTERESTS", "newsletter_opt_in=NEWSLETTER", "date_of_birth=DOB", "annual_revenue=REVENUE",
		"hubspot_owner_id=OWNER", "phone=SMS")
	req.CreateAttributes = true
	before := fmSnap(e.sb)
	spec, err := e.mgr.Validate(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	fmSameBrevo(t, before, fmSnap(e.sb)) // Validate never writes

	wantTypes := map[string]string{
		"FIRSTNAME": "text", "COMPANY": "text", "STAGE": "category", "LEAD_STATUS": "category", "INTERESTS": "multiple-choice",
		"NEWSLETTER": "boolean", "DOB": "date", "REVENUE": "float", "OWNER": "text", "SMS": "text",
	}
	for attr, typ := range wantTypes {
		if f := fmFieldOf(t, spec.Mapping.Fields, attr); f.AttributeType != typ {
			t.Errorf("%s: type %q, want %q", attr, f.AttributeType, typ)
		}
	}
	stage := fmFieldOf(t, spec.Mapping.Fields, "STAGE")
	for i, v := range fmStageValues {
		if stage.Categories[v] != i+1 {
			t.Errorf("STAGE category of %q = %d, want %d", v, stage.Categories[v], i+1)
		}
	}
	if lead := fmFieldOf(t, spec.Mapping.Fields, "LEAD_STATUS"); lead.Categories["LEGACY"] != 9 {
		t.Errorf("hidden option LEGACY: category %d, want 9 (%v)", lead.Categories["LEGACY"], lead.Categories)
	}
	if f := fmFieldOf(t, spec.Mapping.Fields, "INTERESTS"); !reflect.DeepEqual(f.Choices, fmInterests) {
		t.Errorf("INTERESTS choices %v, want %v", f.Choices, fmInterests)
	}

	plans, err := e.mgr.MissingAttributes(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range plans {
		names = append(names, p.Name)
	}
	wantNames := []string{"COMPANY", "STAGE", "LEAD_STATUS", "INTERESTS", "NEWSLETTER", "DOB", "REVENUE", "OWNER"}
	if !reflect.DeepEqual(names, wantNames) {
		t.Fatalf("planned %v, want %v (FIRSTNAME and SMS exist, EMAIL is no attribute)", names, wantNames)
	}

	created, err := e.mgr.CreateMissingAttributes(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	if len(created) != len(wantNames) {
		t.Fatalf("created %d attributes, want %d", len(created), len(wantNames))
	}
	checkEnum := func(name string, labels []string) {
		t.Helper()
		a, ok := fmAttr(e.sb, name)
		if !ok || a.Category != "category" {
			t.Fatalf("%s: %+v, want a category attribute", name, a)
		}
		var want []sandbox.BrevoEnumValue
		for i, l := range labels {
			want = append(want, sandbox.BrevoEnumValue{Value: i + 1, Label: l})
		}
		if !reflect.DeepEqual(a.Enumeration, want) {
			t.Errorf("%s enumeration %v, want %v", name, a.Enumeration, want)
		}
	}
	checkEnum("STAGE", fmStageLabels)
	checkEnum("LEAD_STATUS", fmLeadLabels)
	if a, _ := fmAttr(e.sb, "INTERESTS"); a.Category != "normal" || a.Type != "multiple-choice" || !reflect.DeepEqual(a.MultiCategoryOptions, fmInterests) {
		t.Errorf("INTERESTS: %+v", a)
	}
	for name, typ := range map[string]string{"NEWSLETTER": "boolean", "DOB": "date", "REVENUE": "float", "COMPANY": "text", "OWNER": "text"} {
		if a, ok := fmAttr(e.sb, name); !ok || a.Category != "normal" || a.Type != typ {
			t.Errorf("%s: %+v, want normal %s", name, a, typ)
		}
	}

	// A second run has nothing left to create.
	if again, err := e.mgr.CreateMissingAttributes(ctx, spec); err != nil || len(again) != 0 {
		t.Fatalf("second run created %v (%v)", again, err)
	}
	// The created attributes are what the planned fields assumed.
	req.CreateAttributes = false
	spec2, err := e.mgr.Validate(ctx, req)
	if err != nil {
		t.Fatalf("after creation, the mapping should validate without --create-attributes: %v", err)
	}
	if !reflect.DeepEqual(spec.Mapping, spec2.Mapping) {
		t.Errorf("fields planned:\n%+v\nfields after creation:\n%+v", spec.Mapping.Fields, spec2.Mapping.Fields)
	}
}

// TestMapSuffix covers the user's choice per field: the suffix against
// missing attributes (created with the chosen type) and existing ones (a
// contradiction is refused), and the type clashes.
func TestMapSuffix(t *testing.T) {
	e := fmNewEnv(t, sandbox.BrevoOptions{}, 5)
	ctx := context.Background()
	for _, a := range []sandbox.BrevoAttribute{
		{Name: "STAGE", Category: "category", Enumeration: []sandbox.BrevoEnumValue{{Value: 10, Label: "lead"}, {Value: 20, Label: "CUSTOMER"}}},
		{Name: "TOPICS", Category: "normal", Type: "multiple-choice", MultiCategoryOptions: []string{"sports", "Music"}},
		{Name: "NOTE", Category: "normal", Type: "text"},
	} {
		if err := e.sb.Brevo().CreateAttribute(a); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name     string
		m        string
		create   bool
		wantType string // "" = refused
		refusal  string
	}{
		{"select as category (created)", "lifecyclestage=NEW_STAGE:category", true, "category", ""},
		{"select as text (created)", "lifecyclestage=STAGE_LABEL:text", true, "text", ""},
		{"radio as text (created)", "hs_lead_status=LS:TEXT", true, "text", ""},
		{"checkbox as multiple-choice (created)", "interests=INTS:multiple-choice", true, "multiple-choice", ""},
		{"checkbox as text (created)", "interests=INTS:text", true, "text", ""},
		{"date as text (created)", "date_of_birth=DOB_TEXT:text", true, "text", ""},
		{"existing category, no suffix", "lifecyclestage=STAGE", false, "category", ""},
		{"existing category, same suffix", "lifecyclestage=STAGE:category", false, "category", ""},
		{"existing multiple-choice", "interests=TOPICS:multiple-choice", false, "multiple-choice", ""},
		{"existing text takes a dropdown", "lifecyclestage=NOTE", false, "text", ""},
		{"suffix contradicts existing category", "lifecyclestage=STAGE:text", true, "", "STAGE is a category attribute, not text"},
		{"suffix contradicts existing text", "lifecyclestage=NOTE:category", true, "", "NOTE is a text attribute, not category"},
		{"checkbox into category", "interests=INTS:category", true, "", "do not fit a Brevo category attribute; it fits text, multiple-choice"},
		{"checkbox into existing category", "interests=STAGE", false, "", "do not fit a Brevo category"},
		{"text into category", "firstname=FN:category", true, "", "do not fit"},
		{"text into multiple-choice", "firstname=FN:multiple-choice", true, "", "do not fit"},
		{"unknown suffix", "lifecyclestage=S:dropdown", true, "", `unknown type "dropdown"`},
		{"empty suffix", "lifecyclestage=S:", true, "", "empty type"},
		{"no options to build categories", "hubspot_owner_id=OWNER:category", true, "", "lists no options"},
		{"missing without --create-attributes", "lifecyclestage=NEW_STAGE", false, "", "--create-attributes creates it as category"},
		{"missing with suffix, without --create-attributes", "interests=INTS:text", false, "", "--create-attributes creates it as text"},
		{"invalid name to create", "lifecyclestage=1STAGE", true, "", "A-Z, 0-9 and _"},
		{"EMAIL takes no suffix", "email=EMAIL:text", true, "", "takes no type"},
		{"EXT_ID is the HubSpot id", "company=EXT_ID", true, "", "EXT_ID holds the HubSpot record id"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			maps := []string{c.m}
			if !strings.HasPrefix(c.m, "email=") {
				maps = append(maps, "email=EMAIL")
			}
			req := fmRequest(maps...)
			req.CreateAttributes = c.create
			spec, err := e.mgr.Validate(ctx, req)
			if c.wantType == "" {
				if err == nil || !strings.Contains(err.Error(), c.refusal) {
					t.Fatalf("Validate(%s) = %v, want a refusal containing %q", c.m, err, c.refusal)
				}
				if !strings.HasPrefix(err.Error(), "--map ") {
					t.Errorf("refusal %q should start with the --map argument", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if f := spec.Mapping.Fields[0]; f.AttributeType != c.wantType {
				t.Fatalf("%s: type %q, want %q", c.m, f.AttributeType, c.wantType)
			}
		})
	}

	// Existing attributes: categories matched by label or value ignoring
	// case; choices are the attribute's own.
	spec, err := e.mgr.Validate(ctx, fmRequest("email=EMAIL", "lifecyclestage=STAGE", "interests=TOPICS"))
	if err != nil {
		t.Fatal(err)
	}
	if got := fmFieldOf(t, spec.Mapping.Fields, "STAGE").Categories; !reflect.DeepEqual(got, map[string]int{"lead": 10, "customer": 20}) {
		t.Errorf("STAGE categories %v", got)
	}
	topics := fmFieldOf(t, spec.Mapping.Fields, "TOPICS")
	if !reflect.DeepEqual(topics.Choices, []string{"sports", "Music"}) {
		t.Errorf("TOPICS choices %v", topics.Choices)
	}
	c, _ := mapping.Map(spec.Mapping, mapping.Record{ID: "1", Properties: map[string]string{"email": "a@example.com", "interests": "sports;music;travel"}})
	if got := c.Attributes["TOPICS"]; !reflect.DeepEqual(got, []string{"sports", "Music"}) || len(c.Notes) != 1 || c.Notes[0].Reason != mapping.ReasonUnknownOption {
		t.Errorf("TOPICS written as %v with notes %v; want Brevo's spellings and a note for travel", got, c.Notes)
	}
}

// TestNothingCreatedWhenValidationFails: a create with --create-attributes
// that is refused for any reason creates no attribute (nor anything else).
func TestNothingCreatedWhenValidationFails(t *testing.T) {
	e := fmNewEnv(t, sandbox.BrevoOptions{}, 10)
	ctx := context.Background()
	good := []string{"email=EMAIL", "lifecyclestage=STAGE", "interests=INTERESTS"}
	cases := []struct {
		name    string
		edit    func(*manage.CreateRequest)
		refusal string
	}{
		{"unknown property after new attributes", func(r *manage.CreateRequest) { r.Map = append(r.Map, "shoe_size=SHOES") }, "no contact property"},
		{"read-only property", func(r *manage.CreateRequest) { r.Map = append(r.Map, "hubspotscore=SCORE") }, "read-only"},
		{"type clash", func(r *manage.CreateRequest) { r.Map = append(r.Map, "date_of_birth=DOB:category") }, "do not fit"},
		{"no identifier", func(r *manage.CreateRequest) { r.Map = r.Map[1:] }, "map email or phone"},
		{"no opt-in", func(r *manage.CreateRequest) { r.OptInConfirmed = false }, "--opt-in-confirmed"},
		{"unknown HubSpot list", func(r *manage.CreateRequest) { r.HubSpotListID = "999" }, "does not exist"},
		{"unknown Brevo list", func(r *manage.CreateRequest) { r.BrevoListID = 999 }, "does not exist"},
		{"bad country code", func(r *manage.CreateRequest) { r.DefaultCountryCode = "+49" }, "--default-country-code"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := fmRequest(append([]string(nil), good...)...)
			req.CreateAttributes = true
			c.edit(&req)
			before := fmSnap(e.sb)
			// No Temporal client: a refusal must come before anything else.
			_, err := e.mgr.Create(ctx, req)
			if err == nil || !strings.Contains(err.Error(), c.refusal) {
				t.Fatalf("Create = %v, want a refusal containing %q", err, c.refusal)
			}
			fmSameBrevo(t, before, fmSnap(e.sb))
			if n := e.sb.Brevo().Stats().Endpoints["POST /v3/contacts/attributes/{category}/{name}"]; n != 0 {
				t.Fatalf("%d attribute creations reached Brevo", n)
			}
		})
	}
}

// TestFrenchAccount: name attributes depend on the account language, so
// the sync reads them: FIRSTNAME does not exist on a French account,
// PRENOM does.
func TestFrenchAccount(t *testing.T) {
	e := fmNewEnv(t, sandbox.BrevoOptions{Language: "fr"}, 5)
	ctx := context.Background()
	_, err := e.mgr.Validate(ctx, fmRequest("email=EMAIL", "firstname=FIRSTNAME"))
	if err == nil || !strings.Contains(err.Error(), "Brevo has no contact attribute FIRSTNAME") || !strings.Contains(err.Error(), "--create-attributes") {
		t.Fatalf("FIRSTNAME on a French account: %v", err)
	}
	spec, err := e.mgr.Validate(ctx, fmRequest("email=EMAIL", "firstname=PRENOM", "lastname=NOM"))
	if err != nil {
		t.Fatal(err)
	}
	if f := fmFieldOf(t, spec.Mapping.Fields, "PRENOM"); f.AttributeType != "text" || f.Property != "firstname" {
		t.Fatalf("PRENOM field %+v", f)
	}
	if plans, err := e.mgr.MissingAttributes(ctx, spec); err != nil || len(plans) != 0 {
		t.Fatalf("nothing to create on a French account mapped to PRENOM/NOM: %v %v", plans, err)
	}
}

// TestNaturalType is the type table of --create-attributes.
func TestNaturalType(t *testing.T) {
	cases := []struct {
		typ, field string
		options    bool
		want       string
	}{
		{"string", "text", false, "text"},
		{"string", "textarea", false, "text"},
		{"string", "phonenumber", false, "text"},
		{"phone_number", "phonenumber", false, "text"},
		{"json", "text", false, "text"},
		{"number", "number", false, "float"},
		{"bool", "booleancheckbox", true, "boolean"},
		{"date", "date", false, "date"},
		{"datetime", "date", false, "date"},
		{"enumeration", "select", true, "category"},
		{"enumeration", "radio", true, "category"},
		{"enumeration", "checkbox", true, "multiple-choice"},
		{"enumeration", "booleancheckbox", true, "boolean"},
		{"enumeration", "select", false, "text"}, // externalOptions
	}
	for _, c := range cases {
		p := fmHubSpotProperty(c.typ, c.field, c.options)
		if got := manage.NaturalType(p); got != c.want {
			t.Errorf("NaturalType(%s/%s, options %v) = %s, want %s", c.typ, c.field, c.options, got, c.want)
		}
	}
}

func fmHubSpotProperty(typ, field string, options bool) hubspot.Property {
	p := hubspot.Property{Name: "p", Type: typ, FieldType: field}
	if options {
		p.Options = []hubspot.Option{{Label: "A", Value: "a"}}
	}
	return p
}

func fmSpec(fields ...mapping.Field) integration.Spec {
	return integration.Spec{Name: "fm", Mapping: mapping.Spec{Fields: fields}}
}

// TestPlanAttributes checks the bodies --create-attributes sends.
func TestPlanAttributes(t *testing.T) {
	spec := fmSpec(
		mapping.Field{Property: "email", Attribute: "EMAIL"},
		mapping.Field{Property: "stage", Attribute: "STAGE", PropertyType: "enumeration", FieldType: "select", AttributeType: "category",
			Labels: map[string]string{"b": "Bee", "a": "", "c": strings.Repeat("é", 250)}, Categories: map[string]int{"b": 2, "a": 1, "c": 3}},
		mapping.Field{Property: "tags", Attribute: "TAGS", PropertyType: "enumeration", FieldType: "checkbox", AttributeType: "multiple-choice", Choices: []string{"X", "Y"}},
		mapping.Field{Property: "n", Attribute: "N", PropertyType: "number", AttributeType: "float"},
		mapping.Field{Property: "x", Attribute: "EXISTING", PropertyType: "string", AttributeType: "text"},
	)
	got := manage.PlanAttributes(spec, []brevo.Attribute{{Name: "Existing"}})
	want := []manage.AttributePlan{
		{Name: "STAGE", Category: "category", Type: "category", Property: "stage",
			Enumeration: []brevo.EnumValue{{Value: 1, Label: "a"}, {Value: 2, Label: "Bee"}, {Value: 3, Label: strings.Repeat("é", 200)}}},
		{Name: "TAGS", Category: "normal", Type: "multiple-choice", Property: "tags", MultiCategoryOptions: []string{"X", "Y"}},
		{Name: "N", Category: "normal", Type: "float", Property: "n"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("plans\n%+v\nwant\n%+v", got, want)
	}
}
