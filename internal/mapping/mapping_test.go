package mapping

import (
	"reflect"
	"strings"
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

// TestNormalizePhoneRules covers every rule of NormalizePhone: the
// separators people type, + and 00 prefixes, the default country code
// (national numbers only, trunk 0 dropped), and the 6-16 digit bounds
// counted with the country code.
func TestNormalizePhoneRules(t *testing.T) {
	cases := []struct {
		name, raw, cc, want string
		ok                  bool
	}{
		{"spaces", "+33 6 12 34 56 78", "", "+33612345678", true},
		{"dashes and brackets", "+1 (415) 555-0100", "", "+14155550100", true},
		{"dots", "+49.30.1234567", "", "+49301234567", true},
		{"slash", "030/1234567", "", "0301234567", true},
		{"tab and no-break space", "+49\t151\u00a02345678", "", "+491512345678", true},
		{"leading and trailing space", "  +491512345678 ", "", "+491512345678", true},
		{"00 prefix is +", "0044 20 7946 0000", "", "+442079460000", true},
		{"00 prefix ignores the default", "0044 20 7946 0000", "49", "+442079460000", true},
		{"+ ignores the default", "+44 20 7946 0000", "49", "+442079460000", true},
		{"default drops the trunk 0", "(030) 123 4567", "49", "+49301234567", true},
		{"default without trunk 0", "415 555 0100", "1", "+14155550100", true},
		{"national without default", "(030) 123 4567", "", "0301234567", true},
		{"6 digits with +", "+12345", "", "", false},
		{"6 digits with + ok", "+123456", "", "+123456", true},
		{"16 digits with +", "+1234567890123456", "", "+1234567890123456", true},
		{"17 digits with +", "+12345678901234567", "", "", false},
		{"default pushes past 16", "0123456789012345", "49", "", false},
		{"default lifts to 6", "01234", "49", "+491234", true},
		{"extension words", "+49-30-1234567 ext. 12", "", "", false},
		{"letters", "0800-FLOWERS", "", "", false},
		{"second +", "++491512345678", "", "", false},
		{"+ in the middle", "49+1512345678", "", "", false},
		{"arabic-indic digits", "\u0661\u0662\u0663\u0664\u0665\u0666\u0667", "", "", false},
		{"fullwidth digits", "\uff10\uff11\uff15\uff11\uff12\uff13\uff14\uff15\uff16", "", "", false},
		{"only separators", "() - .", "", "", false},
		{"4 digits plus the default count as 6", "1234", "49", "+491234", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := NormalizePhone(c.raw, c.cc)
			if !c.ok {
				if err == nil {
					t.Fatalf("NormalizePhone(%q, %q) = %q, want an error", c.raw, c.cc, got)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("NormalizePhone(%q, %q) = %q, %v; want %q", c.raw, c.cc, got, err, c.want)
			}
		})
	}
}

// TestParseDateRejects lists values that look like dates but are not the
// forms HubSpot sends, or are not real dates.
func TestParseDateRejects(t *testing.T) {
	for _, bad := range []string{
		"2024-02-30", "2023-02-29", "2024-00-10", "2024-04-31", "24-05-01", "2024/05/01", "01/05/2024",
		"2024-05-01 10:00:00", "2024-05-01T10:00:00", "123456789", "-", "true", "２０２４-05-01", "NaN",
	} {
		if got, err := ParseDate(bad); err == nil {
			t.Errorf("ParseDate(%q) = %q, want an error", bad, got)
		}
	}
	ok := map[string]string{
		"2024-02-29":                    "2024-02-29", // leap day
		"2024-12-31T23:59:59.999Z":      "2024-12-31",
		"2025-01-01T00:30:00+01:00":     "2024-12-31", // UTC calendar day
		"2024-06-30T22:00:00.000-05:00": "2024-07-01",
		"0000000000000":                 "1970-01-01",
		"1700000000000":                 "2023-11-14",
	}
	for raw, want := range ok {
		if got, err := ParseDate(raw); err != nil || got != want {
			t.Errorf("ParseDate(%q) = %q, %v; want %q", raw, got, err, want)
		}
	}
}

// TestConvert drives one value through each attribute type: what is
// written, or why it is left out.
func TestConvert(t *testing.T) {
	text := Field{Property: "firstname", Attribute: "FIRSTNAME", PropertyType: "string", FieldType: "text", AttributeType: "text"}
	float := Field{Property: "annual_revenue", Attribute: "REVENUE", PropertyType: "number", FieldType: "number", AttributeType: "float"}
	boolean := Field{Property: "newsletter_opt_in", Attribute: "OPT_IN", PropertyType: "bool", FieldType: "booleancheckbox", AttributeType: "boolean"}
	date := Field{Property: "date_of_birth", Attribute: "DOB", PropertyType: "date", FieldType: "date", AttributeType: "date"}
	datetime := Field{Property: "closedate", Attribute: "CLOSED", PropertyType: "datetime", FieldType: "date", AttributeType: "date"}
	dateAsText := Field{Property: "date_of_birth", Attribute: "DOB_TEXT", PropertyType: "date", FieldType: "date", AttributeType: "text"}
	labels := map[string]string{"lead": "Lead", "customer": "Customer", "LEGACY": "Legacy (retired)", "nolabel": ""}
	category := Field{Property: "lifecyclestage", Attribute: "STAGE", PropertyType: "enumeration", FieldType: "select", AttributeType: "category",
		Labels: labels, Categories: map[string]int{"lead": 1, "customer": 2, "LEGACY": 3}}
	selectText := Field{Property: "lifecyclestage", Attribute: "STAGE_TEXT", PropertyType: "enumeration", FieldType: "radio", AttributeType: "text", Labels: labels}
	interests := map[string]string{"sports": "Sports", "music": "Music", "travel": "Travel"}
	checkboxText := Field{Property: "interests", Attribute: "INTERESTS_TEXT", PropertyType: "enumeration", FieldType: "checkbox", AttributeType: "text", Labels: interests}
	multi := Field{Property: "interests", Attribute: "INTERESTS", PropertyType: "enumeration", FieldType: "checkbox", AttributeType: "multiple-choice", Labels: interests}
	multiChoices := multi
	multiChoices.Choices = []string{"Sports", "MUSIC", "cooking"}

	cases := []struct {
		name   string
		f      Field
		raw    string
		want   any    // nil: nothing written
		reason string // the note's reason, "" for none
	}{
		{"text keeps unicode", text, "Zoë 日本 Ольга", "Zoë 日本 Ольга", ""},
		{"text keeps emoji", text, "😀 Smiley", "😀 Smiley", ""},
		{"text keeps combining marks", text, "Nguye\u0302\u0303n", "Nguye\u0302\u0303n", ""},
		{"text keeps quotes", text, `"Quotes" Inc.`, `"Quotes" Inc.`, ""},
		{"text trims", text, "  Anna Marie \n", "Anna Marie", ""},
		{"float decimal", float, "1200.50", 1200.5, ""},
		{"float zero", float, "0", 0.0, ""},
		{"float negative", float, "-3", -3.0, ""},
		{"float exponent", float, "1e3", 1000.0, ""},
		{"float comma", float, "12,5", nil, ReasonInvalidValue},
		{"float currency", float, "$100", nil, ReasonInvalidValue},
		{"float NaN", float, "NaN", nil, ReasonInvalidValue},
		{"float Inf", float, "+Inf", nil, ReasonInvalidValue},
		{"float overflow", float, "1e400", nil, ReasonInvalidValue},
		{"boolean true", boolean, "true", true, ""},
		{"boolean upper", boolean, "TRUE", true, ""},
		{"boolean false", boolean, "false", false, ""},
		{"boolean yes", boolean, "yes", nil, ReasonInvalidValue},
		{"boolean 1", boolean, "1", nil, ReasonInvalidValue},
		{"date", date, "1990-04-13", "1990-04-13", ""},
		{"date epoch ms", date, "1727740800000", "2024-10-01", ""},
		{"date 30 February", date, "2024-02-30", nil, ReasonInvalidValue},
		{"date month 13", date, "2024-13-01", nil, ReasonInvalidValue},
		{"date German", date, "05.04.1984", nil, ReasonInvalidValue},
		{"datetime to date", datetime, "2024-09-11T23:30:00-02:00", "2024-09-12", ""},
		{"datetime garbage", datetime, "soon", nil, ReasonInvalidValue},
		{"date into text is formatted", dateAsText, "1727740800000", "2024-10-01", ""},
		{"invalid date into text is kept", dateAsText, "05.04.1984", "05.04.1984", ""},
		{"category", category, "customer", 2, ""},
		{"category hidden option", category, "LEGACY", 3, ""},
		{"category unknown option", category, "evangelist", nil, ReasonUnknownOption},
		{"category is case sensitive", category, "Customer", nil, ReasonUnknownOption},
		{"select as text writes the label", selectText, "lead", "Lead", ""},
		{"select as text, hidden option label", selectText, "LEGACY", "Legacy (retired)", ""},
		{"select as text, empty label writes the value", selectText, "nolabel", "nolabel", ""},
		{"select as text, unknown value as is", selectText, "evangelist", "evangelist", ""},
		{"checkbox as text joins labels", checkboxText, "sports;music", "Sports, Music", ""},
		{"checkbox as text trims", checkboxText, " sports ; travel ", "Sports, Travel", ""},
		{"multiple-choice labels", multi, "sports;music", []string{"Sports", "Music"}, ""},
		{"multiple-choice skips empty parts", multi, ";sports;;", []string{"Sports"}, ""},
		{"multiple-choice dedupes", multi, "sports;sports", []string{"Sports"}, ""},
		{"multiple-choice unknown without choices is written", multi, "chess", []string{"chess"}, ""},
		{"choices: Brevo's spelling", multiChoices, "sports;music;cooking", []string{"Sports", "MUSIC", "cooking"}, ""},
		{"choices: unknown left out, rest kept", multiChoices, "sports;travel", []string{"Sports"}, ReasonUnknownOption},
		{"choices: all unknown", multiChoices, "travel", nil, ReasonUnknownOption},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			spec := Spec{Fields: []Field{{Property: "email", Attribute: AttrEmail}, c.f}}
			got, skip := Map(spec, Record{ID: "1", Properties: map[string]string{"email": "a@example.com", c.f.Property: c.raw}})
			if skip != nil {
				t.Fatal(skip)
			}
			v, written := got.Attributes[c.f.Attribute]
			if c.want == nil && written {
				t.Errorf("%q written as %#v, want it left out", c.raw, v)
			}
			if c.want != nil && !reflect.DeepEqual(v, c.want) {
				t.Errorf("%q written as %#v, want %#v", c.raw, v, c.want)
			}
			var reasons []string
			for _, n := range got.Notes {
				reasons = append(reasons, n.Reason)
				if n.Attribute != c.f.Attribute || n.Text == "" {
					t.Errorf("note %+v should name attribute %s and say why", n, c.f.Attribute)
				}
			}
			switch {
			case c.reason == "" && len(reasons) > 0:
				t.Errorf("notes %v, want none", got.Notes)
			case c.reason != "" && !reflect.DeepEqual(reasons, []string{c.reason}):
				t.Errorf("notes %v, want one %s", got.Notes, c.reason)
			}
		})
	}
}

// TestMapIdentifiers covers the email rules and when a record is skipped.
func TestMapIdentifiers(t *testing.T) {
	spec := Spec{Fields: []Field{{Property: "email", Attribute: AttrEmail}, {Property: "phone", Attribute: AttrSMS}}, DefaultCountryCode: "49"}
	cases := []struct {
		name         string
		props        map[string]string
		email, sms   string
		skip         string   // skip reason, "" when written
		notes        []string // note reasons
		textContains string   // in the skip text
	}{
		{"lower-cases email", map[string]string{"email": "Anna.Muller@Example.COM"}, "anna.muller@example.com", "", "", nil, ""},
		{"trims email", map[string]string{"email": " anna@example.com\t"}, "anna@example.com", "", "", nil, ""},
		{"internationalized email", map[string]string{"email": "jürgen.1@exämple.de"}, "jürgen.1@exämple.de", "", "", nil, ""},
		{"email with display name", map[string]string{"email": "Anna <anna@example.com>"}, "", "", ReasonNoIdentifier, []string{ReasonInvalidEmail}, "is not an email address"},
		{"email with space", map[string]string{"email": "john doe@example.com"}, "", "", ReasonNoIdentifier, []string{ReasonInvalidEmail}, "john doe"},
		{"email with double dot", map[string]string{"email": "anna..1@example.com"}, "", "", ReasonNoIdentifier, []string{ReasonInvalidEmail}, ""},
		{"email with double @", map[string]string{"email": "anna@@example.com"}, "", "", ReasonNoIdentifier, []string{ReasonInvalidEmail}, ""},
		{"email without dot in domain", map[string]string{"email": "anna@example"}, "", "", ReasonNoIdentifier, []string{ReasonInvalidEmail}, ""},
		{"email without domain", map[string]string{"email": "anna@"}, "", "", ReasonNoIdentifier, []string{ReasonInvalidEmail}, ""},
		{"blank email", map[string]string{"email": "   "}, "", "", ReasonNoIdentifier, nil, "no email and no SMS"},
		{"nothing", map[string]string{}, "", "", ReasonNoIdentifier, nil, "no email and no SMS"},
		{"invalid email, valid phone", map[string]string{"email": "nope", "phone": "0151 2345678"}, "", "+491512345678", "", []string{ReasonInvalidEmail}, ""},
		{"valid email, invalid phone", map[string]string{"email": "a@example.com", "phone": "12"}, "a@example.com", "", "", []string{ReasonInvalidPhone}, ""},
		{"both invalid", map[string]string{"email": "nope", "phone": "12"}, "", "", ReasonNoIdentifier, []string{ReasonInvalidEmail, ReasonInvalidPhone}, `"nope" is not an email address; phone "12"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, skip := Map(spec, Record{ID: "9", Properties: c.props})
			if got.ExtID != "9" {
				t.Errorf("ExtID %q, want the HubSpot id", got.ExtID)
			}
			switch {
			case c.skip == "" && skip != nil:
				t.Fatalf("skipped: %v", skip)
			case c.skip != "" && (skip == nil || skip.Reason != c.skip):
				t.Fatalf("skip %v, want %s", skip, c.skip)
			case skip != nil && !strings.Contains(skip.Text, c.textContains):
				t.Errorf("skip text %q should contain %q", skip.Text, c.textContains)
			}
			if skip == nil && (got.Email != c.email || got.SMS() != c.sms) {
				t.Errorf("email %q sms %q, want %q %q", got.Email, got.SMS(), c.email, c.sms)
			}
			var reasons []string
			for _, n := range got.Notes {
				reasons = append(reasons, n.Reason)
			}
			if !reflect.DeepEqual(reasons, c.notes) {
				t.Errorf("notes %v, want reasons %v", got.Notes, c.notes)
			}
		})
	}
}

// TestMapUnicodeRecord maps one record whose every value is awkward, as the
// sandbox seeds them, and checks nothing is mangled.
func TestMapUnicodeRecord(t *testing.T) {
	spec := Spec{Fields: []Field{
		{Property: "email", Attribute: AttrEmail},
		{Property: "firstname", Attribute: "PRENOM", PropertyType: "string", AttributeType: "text"},
		{Property: "lastname", Attribute: "NOM", PropertyType: "string", AttributeType: "text"},
		{Property: "company", Attribute: "COMPANY", PropertyType: "string", AttributeType: "text"},
		{Property: "city", Attribute: "CITY", PropertyType: "string", AttributeType: "text"},
	}}
	props := map[string]string{"email": "taro@example.jp", "firstname": "太郎", "lastname": "Ó Súilleabháin", "company": "Müller & Söhne KG", "city": "東京"}
	got, skip := Map(spec, Record{ID: "5", Properties: props})
	if skip != nil || len(got.Notes) != 0 {
		t.Fatal(skip, got.Notes)
	}
	want := map[string]any{"PRENOM": "太郎", "NOM": "Ó Súilleabháin", "COMPANY": "Müller & Söhne KG", "CITY": "東京"}
	if !reflect.DeepEqual(got.Attributes, want) {
		t.Fatalf("attributes %v, want %v", got.Attributes, want)
	}
}

func TestCompatibleTable(t *testing.T) {
	cases := []struct {
		propType, fieldType, attrType string
		ok                            bool
	}{
		{"string", "text", "text", true},
		{"number", "number", "text", true},
		{"enumeration", "checkbox", "text", true},
		{"enumeration", "select", "category", true},
		{"enumeration", "radio", "category", true},
		{"enumeration", "checkbox", "category", false},
		{"enumeration", "checkbox", "multiple-choice", true},
		{"enumeration", "booleancheckbox", "boolean", true},
		{"bool", "booleancheckbox", "boolean", true},
		{"string", "text", "boolean", false},
		{"number", "number", "float", true},
		{"string", "text", "float", false},
		{"date", "date", "float", false},
		{"datetime", "date", "date", true},
		{"string", "text", "date", false},
		{"string", "text", "multiple-choice", false},
		{"bool", "booleancheckbox", "category", false},
		{"string", "text", "id", false},
		{"string", "text", "user", false},
	}
	for _, c := range cases {
		err := Compatible(Field{PropertyType: c.propType, FieldType: c.fieldType, AttributeType: c.attrType})
		if (err == nil) != c.ok {
			t.Errorf("Compatible(%s/%s → %s) = %v, want ok=%v", c.propType, c.fieldType, c.attrType, err, c.ok)
		}
	}
}
