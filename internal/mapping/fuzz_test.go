package mapping

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

var brevoDate = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

// FuzzNormalizePhone: never panics; what it accepts is + and 6-16 digits
// or 6-16 digits, and normalizing it again gives the same number.
func FuzzNormalizePhone(f *testing.F) {
	for _, s := range []string{"+49 30 1234567", "0049 (30) 123-45-67", "030/1234567", "12345", "+1234567890123456",
		"+12345678901234567", "", "+", "00", "phone: 123", "+49\u00a030\t1234567", "\xff\xfe", "0"} {
		f.Add(s, "")
		f.Add(s, "49")
	}
	f.Fuzz(func(t *testing.T, raw, cc string) {
		if strings.Trim(cc, "0123456789") != "" {
			cc = "" // the starter only stores digits there
		}
		got, err := NormalizePhone(raw, cc)
		if err != nil {
			if got != "" {
				t.Fatalf("error with a value: %q", got)
			}
			return
		}
		digits := strings.TrimPrefix(got, "+")
		if strings.Trim(digits, "0123456789") != "" {
			t.Fatalf("NormalizePhone(%q, %q) = %q: not digits", raw, cc, got)
		}
		if n := len(digits); n < MinPhoneDigits || n > MaxPhoneDigits {
			t.Fatalf("NormalizePhone(%q, %q) = %q: %d digits", raw, cc, got, n)
		}
		if again, err := NormalizePhone(got, cc); (err != nil || again != got) && strings.HasPrefix(got, "+") {
			t.Fatalf("not idempotent: %q -> %q -> %q (%v)", raw, got, again, err)
		}
	})
}

// FuzzParseDate: never panics; what it accepts is a real YYYY-MM-DD date,
// which it accepts again unchanged.
func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2026-11-28", "2026-11-28T23:30:00Z", "2026-11-28T23:30:00-05:00", "1764288000000",
		"0000-01-01T00:00:00+01:00", "9999-12-31T23:00:00-05:00", "99999999999999999", "-62135596800001", "2026-02-30",
		"", "1e3", "2026-11-28T25:00:00Z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got, err := ParseDate(raw)
		if err != nil {
			return
		}
		if !brevoDate.MatchString(got) {
			t.Fatalf("ParseDate(%q) = %q, not YYYY-MM-DD", raw, got)
		}
		if _, err := time.Parse("2006-01-02", got); err != nil {
			t.Fatalf("ParseDate(%q) = %q: %v", raw, got, err)
		}
		if again, err := ParseDate(got); err != nil || again != got {
			t.Fatalf("ParseDate(%q) = %q, then %q %v", raw, got, again, err)
		}
	})
}

// FuzzMap maps one record through every attribute type: never panics, a
// skipped contact has a reason, a written one has an identifier, phones
// keep Brevo's digit rule and dates its format.
func FuzzMap(f *testing.F) {
	f.Add("ada@example.com", "+49 30 1234567", "2026-11-28", "true", "3.5", "a;b", "gold")
	f.Add("", "", "", "", "", "", "")
	f.Add("not an email", "12", "yesterday", "maybe", "NaN", ";;", "unknown")
	f.Add("A@B.CO", "0049 30 123", "1764288000000", "false", "1e309", "b", "silver")
	spec := Spec{DefaultCountryCode: "49", Fields: []Field{
		{Property: "email", Attribute: AttrEmail, PropertyType: "string", FieldType: "text", AttributeType: "text"},
		{Property: "phone", Attribute: AttrSMS, PropertyType: "string", FieldType: "phonenumber", AttributeType: "text"},
		{Property: "birthday", Attribute: "BIRTHDAY", PropertyType: "date", FieldType: "date", AttributeType: "date"},
		{Property: "vip", Attribute: "VIP", PropertyType: "bool", FieldType: "booleancheckbox", AttributeType: "boolean"},
		{Property: "score", Attribute: "SCORE", PropertyType: "number", FieldType: "number", AttributeType: "float"},
		{Property: "tags", Attribute: "TAGS", PropertyType: "enumeration", FieldType: "checkbox", AttributeType: "multiple-choice",
			Labels: map[string]string{"a": "A", "b": "B"}, Choices: []string{"A", "B"}},
		{Property: "tier", Attribute: "TIER", PropertyType: "enumeration", FieldType: "select", AttributeType: "category",
			Categories: map[string]int{"gold": 1, "silver": 2}},
		{Property: "tier", Attribute: "TIER_TEXT", PropertyType: "enumeration", FieldType: "select", AttributeType: "text",
			Labels: map[string]string{"gold": "Gold"}},
	}}
	f.Fuzz(func(t *testing.T, email, phone, birthday, vip, score, tags, tier string) {
		r := Record{ID: "1", Properties: map[string]string{
			"email": email, "phone": phone, "birthday": birthday, "vip": vip, "score": score, "tags": tags, "tier": tier,
		}}
		c, skip := Map(spec, r)
		if skip != nil {
			if skip.Reason == "" {
				t.Fatal("skip without a reason")
			}
			return
		}
		if c.ExtID != "1" || (c.Email == "" && c.SMS() == "") {
			t.Fatalf("written contact without identifier: %+v", c)
		}
		if sms := c.SMS(); sms != "" {
			if n := len(strings.TrimPrefix(sms, "+")); n < MinPhoneDigits || n > MaxPhoneDigits {
				t.Fatalf("SMS %q breaks the 6-16 digit rule", sms)
			}
		}
		if d, ok := c.Attributes["BIRTHDAY"]; ok {
			if s, _ := d.(string); !brevoDate.MatchString(s) {
				t.Fatalf("date %v is not YYYY-MM-DD", d)
			}
		}
		for _, n := range c.Notes {
			if n.Reason == "" || n.Attribute == "" {
				t.Fatalf("note without reason or attribute: %+v", n)
			}
		}
	})
}
