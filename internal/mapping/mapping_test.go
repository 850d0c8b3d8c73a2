package mapping

import (
	"reflect"
	"testing"
)

func TestNormalizePhone(t *testing.T) {
	cases := []struct {
		raw, cc, want string
		ok            bool
	}{
		{"+49 (151) 234-5678", "", "+491512345678", true},
		{"0049 151 2345678", "", "+491512345678", true},
		{"0151 2345678", "49", "+491512345678", true},
		{"0151 2345678", "", "01512345678", true},
		{"030.123.456", "", "030123456", true},
		{"1234", "", "", false},                 // 4 digits
		{"12345678901234567890", "", "", false}, // 20 digits
		{"+1 555 0100 ext 12", "", "", false},   // letters
		{"123456", "", "123456", true},          // 6 digits: the lower bound
		{"1234567890123456", "", "1234567890123456", true},
		{"12345678901234567", "", "", false}, // 17 digits
	}
	for _, c := range cases {
		got, err := NormalizePhone(c.raw, c.cc)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("NormalizePhone(%q, %q) = %q, %v; want %q ok=%v", c.raw, c.cc, got, err, c.want, c.ok)
		}
	}
}

func TestParseDate(t *testing.T) {
	cases := map[string]string{
		"2024-05-01":                "2024-05-01",
		"2024-09-11T13:27:39.356Z":  "2024-09-11",
		"2024-09-11T23:30:00-02:00": "2024-09-12", // UTC calendar day
		"1727740800000":             "2024-10-01",
	}
	for raw, want := range cases {
		if got, err := ParseDate(raw); err != nil || got != want {
			t.Errorf("ParseDate(%q) = %q, %v; want %q", raw, got, err, want)
		}
	}
	for _, bad := range []string{"05.04.1984", "2024-13-01", "yesterday"} {
		if got, err := ParseDate(bad); err == nil {
			t.Errorf("ParseDate(%q) = %q, want an error", bad, got)
		}
	}
}

func TestMapConvertsEveryType(t *testing.T) {
	spec := Spec{Fields: []Field{
		{Property: "email", Attribute: AttrEmail, PropertyType: "string"},
		{Property: "phone", Attribute: AttrSMS, PropertyType: "string", FieldType: "phonenumber"},
		{Property: "firstname", Attribute: "FIRSTNAME", PropertyType: "string", AttributeType: "text"},
		{Property: "annual_revenue", Attribute: "REVENUE", PropertyType: "number", AttributeType: "float"},
		{Property: "newsletter_opt_in", Attribute: "OPT_IN", PropertyType: "bool", FieldType: "booleancheckbox", AttributeType: "boolean"},
		{Property: "date_of_birth", Attribute: "DOB", PropertyType: "date", AttributeType: "date"},
		{Property: "lifecyclestage", Attribute: "STAGE", PropertyType: "enumeration", FieldType: "select", AttributeType: "category",
			Categories: map[string]int{"lead": 1, "customer": 2}},
		{Property: "hs_lead_status", Attribute: "LEAD_STATUS", PropertyType: "enumeration", FieldType: "radio", AttributeType: "text",
			Labels: map[string]string{"NEW": "New", "OPEN": "Open"}},
		{Property: "interests", Attribute: "INTERESTS", PropertyType: "enumeration", FieldType: "checkbox", AttributeType: "multiple-choice",
			Labels: map[string]string{"go": "Go", "temporal": "Temporal"}},
	}}
	c, skip := Map(spec, Record{ID: "42", Properties: map[string]string{
		"email": "Ana@Example.com", "phone": "+49 151 2345678", "firstname": "Zoë 日本",
		"annual_revenue": "1200.5", "newsletter_opt_in": "true", "date_of_birth": "1990-04-13",
		"lifecyclestage": "customer", "hs_lead_status": "OPEN", "interests": "go;temporal",
	}})
	if skip != nil {
		t.Fatal(skip)
	}
	want := Contact{ExtID: "42", Email: "ana@example.com", Attributes: map[string]any{
		"SMS": "+491512345678", "FIRSTNAME": "Zoë 日本", "REVENUE": 1200.5, "OPT_IN": true, "DOB": "1990-04-13",
		"STAGE": 2, "LEAD_STATUS": "Open", "INTERESTS": []string{"Go", "Temporal"},
	}}
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("got  %#v\nwant %#v", c, want)
	}
}

func TestMapLeavesOutBadValuesWithNotes(t *testing.T) {
	spec := Spec{Fields: []Field{
		{Property: "email", Attribute: AttrEmail},
		{Property: "phone", Attribute: AttrSMS},
		{Property: "annual_revenue", Attribute: "REVENUE", PropertyType: "number", AttributeType: "float"},
		{Property: "lifecyclestage", Attribute: "STAGE", PropertyType: "enumeration", AttributeType: "category", Categories: map[string]int{"lead": 1}},
	}}
	c, skip := Map(spec, Record{ID: "7", Properties: map[string]string{
		"email": "ok@example.com", "phone": "1234", "annual_revenue": "lots", "lifecyclestage": "evangelist",
	}})
	if skip != nil {
		t.Fatal(skip)
	}
	if len(c.Attributes) != 0 {
		t.Fatalf("bad values written: %v", c.Attributes)
	}
	var reasons []string
	for _, n := range c.Notes {
		reasons = append(reasons, n.Reason)
	}
	if !reflect.DeepEqual(reasons, []string{ReasonInvalidPhone, ReasonInvalidValue, ReasonUnknownOption}) {
		t.Fatalf("notes %v", c.Notes)
	}
}

func TestMapSkipsContactsWithoutIdentifier(t *testing.T) {
	spec := Spec{Fields: []Field{{Property: "email", Attribute: AttrEmail}, {Property: "phone", Attribute: AttrSMS}}}
	for _, props := range []map[string]string{
		{},
		{"email": "not-an-email"},
		{"email": "a@b", "phone": "12"},
	} {
		_, skip := Map(spec, Record{ID: "1", Properties: props})
		if skip == nil || skip.Reason != ReasonNoIdentifier {
			t.Errorf("Map(%v) skip = %v, want %s", props, skip, ReasonNoIdentifier)
		}
	}
	// A phone alone is enough.
	if c, skip := Map(spec, Record{ID: "2", Properties: map[string]string{"phone": "+33 6 12 34 56 78"}}); skip != nil || c.SMS() != "+33612345678" {
		t.Errorf("phone-only contact: %v %v", c, skip)
	}
}

func TestCompatible(t *testing.T) {
	ok := []Field{
		{PropertyType: "date", AttributeType: "date"},
		{PropertyType: "datetime", AttributeType: "date"},
		{PropertyType: "bool", FieldType: "booleancheckbox", AttributeType: "boolean"},
		{PropertyType: "enumeration", FieldType: "select", AttributeType: "category"},
		{PropertyType: "number", AttributeType: "float"},
		{PropertyType: "date", AttributeType: "text"},
	}
	for _, f := range ok {
		if err := Compatible(f); err != nil {
			t.Errorf("%+v refused: %v", f, err)
		}
	}
	clash := []Field{
		{PropertyType: "date", AttributeType: "boolean"},
		{PropertyType: "string", AttributeType: "float"},
		{PropertyType: "enumeration", FieldType: "checkbox", AttributeType: "category"},
		{PropertyType: "string", AttributeType: "id"},
	}
	for _, f := range clash {
		if err := Compatible(f); err == nil {
			t.Errorf("%+v accepted", f)
		}
	}
}
