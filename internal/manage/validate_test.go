package manage_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hubspot-brevo-sync/internal/brevo"
	"hubspot-brevo-sync/internal/hubspot"
	"hubspot-brevo-sync/internal/integration"
	"hubspot-brevo-sync/internal/manage"
	"hubspot-brevo-sync/internal/mapping"
	"hubspot-brevo-sync/internal/sandbox"
)

// newManager serves a seeded sandbox and returns a Manager without a
// Temporal client: validation must not need one.
func newManager(t *testing.T) (*manage.Manager, *sandbox.Server) {
	t.Helper()
	sb := sandbox.New(sandbox.Options{
		HubSpot: sandbox.HubSpotOptions{BurstLimit: 10_000, BurstWindow: 10 * time.Second},
		Brevo:   sandbox.BrevoOptions{ContactsPerSecond: 1_000, ContactsPerHour: 1_000_000, OtherPerHour: 10_000},
	})
	sb.HubSpot().Seed(sandbox.SeedOptions{Contacts: 10, Seed: 1})
	for _, a := range []sandbox.BrevoAttribute{
		{Name: "VIP", Category: "normal", Type: "boolean"},
		{Name: "BIRTHDAY", Category: "normal", Type: "date"},
		{Name: "REVENUE", Category: "normal", Type: "float"},
		{Name: "STAGE", Category: "category", Enumeration: []sandbox.BrevoEnumValue{
			{Value: 1, Label: "Subscriber"},   // matches lifecyclestage's label
			{Value: 2, Label: "LEAD"},         // matches by label, ignoring case
			{Value: 3, Label: "customer"},     // matches the option value
			{Value: 4, Label: "Fan (legacy)"}, // matches nothing
		}},
	} {
		require.NoError(t, sb.Brevo().CreateAttribute(a))
	}
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	env := sandbox.DevEnv(srv.URL)
	hs, err := hubspot.New(hubspot.Config{BaseURL: env.HubSpotBaseURL, AccessToken: env.HubSpotToken,
		Governor: hubspot.NewGovernor(hubspot.Limits{Burst: 10_000, BurstPeriod: 10 * time.Second, Daily: 1_000_000}, nil)})
	require.NoError(t, err)
	bv, err := brevo.New(brevo.Config{BaseURL: env.BrevoBaseURL, APIKey: env.BrevoAPIKey,
		Governor: brevo.NewGovernor(brevo.Limits{ContactsPerSecond: 1_000, ContactsPerHour: 1_000_000, OtherPerHour: 10_000, EmailPerSecond: 1_000}, nil)})
	require.NoError(t, err)
	return &manage.Manager{HubSpot: hs, Brevo: bv, TaskQueue: "test"}, sb
}

// validRequest passes validation; each refusal case breaks one thing.
func validRequest() manage.CreateRequest {
	return manage.CreateRequest{
		Name:           "demo",
		HubSpotListID:  sandbox.DemoListID,
		BrevoListID:    1,
		Map:            []string{"email=EMAIL", "firstname=FIRSTNAME", "phone=SMS"},
		OptInConfirmed: true,
	}
}

func TestValidateRefusals(t *testing.T) {
	m, sb := newManager(t)
	tests := []struct {
		name   string
		change func(r *manage.CreateRequest)
		// want are parts of the message that say what to fix.
		want []string
	}{
		{"no opt-in confirmation", func(r *manage.CreateRequest) { r.OptInConfirmed = false },
			[]string{"--opt-in-confirmed"}},
		{"no email or SMS mapping", func(r *manage.CreateRequest) { r.Map = []string{"firstname=FIRSTNAME", "lastname=LASTNAME"} },
			[]string{"email=EMAIL", "SMS"}},
		{"no mapping at all", func(r *manage.CreateRequest) { r.Map = nil },
			[]string{"--map", "email=EMAIL"}},
		{"an unknown --on-delete", func(r *manage.CreateRequest) { r.OnDelete = "purge" },
			[]string{"--on-delete", "unlink, delete or keep"}},
		{"a subscription without reporting", func(r *manage.CreateRequest) { r.HubSpotSubscriptionID = "77" },
			[]string{"--hubspot-subscription-id", "--report-unsubscribes-to-hubspot"}},
		{"a subscription id that is no id", func(r *manage.CreateRequest) { r.ReportUnsubscribes, r.HubSpotSubscriptionID = true, "marketing" },
			[]string{"--hubspot-subscription-id", "numeric"}},
		{"a date as the email", func(r *manage.CreateRequest) { r.Map = []string{"date_of_birth=EMAIL"} },
			[]string{"EMAIL needs a text property", `"date_of_birth"`}},
		{"a number as the SMS", func(r *manage.CreateRequest) { r.Map = []string{"email=EMAIL", "annual_revenue=SMS"} },
			[]string{"SMS needs a text or phone property", `"annual_revenue"`}},
		{"unknown HubSpot property", func(r *manage.CreateRequest) { r.Map = append(r.Map, "shoe_size=LASTNAME") },
			[]string{`"shoe_size"`, "hubspot properties"}},
		{"read-only HubSpot property createdate", func(r *manage.CreateRequest) { r.Map = append(r.Map, "createdate=LASTNAME") },
			[]string{`"createdate"`, "read-only"}},
		{"read-only HubSpot property hs_email_domain", func(r *manage.CreateRequest) { r.Map = append(r.Map, "hs_email_domain=LASTNAME") },
			[]string{`"hs_email_domain"`, "read-only"}},
		{"read-only HubSpot property hubspotscore", func(r *manage.CreateRequest) { r.Map = append(r.Map, "hubspotscore=REVENUE") },
			[]string{`"hubspotscore"`, "read-only"}},
		{"unknown Brevo attribute", func(r *manage.CreateRequest) { r.Map = append(r.Map, "lastname=NICKNAME") },
			[]string{"NICKNAME", "brevo attributes"}},
		{"type clash: date into boolean", func(r *manage.CreateRequest) { r.Map = append(r.Map, "date_of_birth=VIP") },
			[]string{"date_of_birth=VIP", "date", "boolean"}},
		{"type clash: text into float", func(r *manage.CreateRequest) { r.Map = append(r.Map, "company=REVENUE") },
			[]string{"company=REVENUE", "float"}},
		{"type clash: multi-checkbox into category", func(r *manage.CreateRequest) { r.Map = append(r.Map, "interests=STAGE") },
			[]string{"interests=STAGE", "category"}},
		{"unknown HubSpot list", func(r *manage.CreateRequest) { r.HubSpotListID = "999" },
			[]string{"HubSpot list 999", "does not exist"}},
		{"no HubSpot list", func(r *manage.CreateRequest) { r.HubSpotListID = "" },
			[]string{"--hubspot-list", "hubspot lists"}},
		{"unknown Brevo list", func(r *manage.CreateRequest) { r.BrevoListID = 999 },
			[]string{"Brevo list 999", "does not exist"}},
		{"both Brevo list and new Brevo list", func(r *manage.CreateRequest) { r.NewBrevoList = "Fresh" },
			[]string{"--brevo-list", "--new-brevo-list"}},
		{"neither Brevo list nor new Brevo list", func(r *manage.CreateRequest) { r.BrevoListID = 0 },
			[]string{"--brevo-list", "--new-brevo-list"}},
		{"bad integration name", func(r *manage.CreateRequest) { r.Name = "my demo!" },
			[]string{`--name "my demo!"`, "letters, digits"}},
		{"empty integration name", func(r *manage.CreateRequest) { r.Name = "" },
			[]string{"--name"}},
		{"malformed --map without =", func(r *manage.CreateRequest) { r.Map = append(r.Map, "lastname") },
			[]string{`--map "lastname"`, "hubspot_property=BREVO_ATTRIBUTE"}},
		{"malformed --map without attribute", func(r *manage.CreateRequest) { r.Map = append(r.Map, "lastname=") },
			[]string{`--map "lastname="`, "hubspot_property=BREVO_ATTRIBUTE"}},
		{"malformed --map without property", func(r *manage.CreateRequest) { r.Map = append(r.Map, "=LASTNAME") },
			[]string{`--map "=LASTNAME"`, "hubspot_property=BREVO_ATTRIBUTE"}},
		{"same Brevo attribute mapped twice", func(r *manage.CreateRequest) { r.Map = append(r.Map, "lastname=firstname") },
			[]string{"FIRSTNAME", "twice", "firstname", "lastname"}},
		{"bad default country code", func(r *manage.CreateRequest) { r.DefaultCountryCode = "+49" },
			[]string{"--default-country-code", `"+49"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := validRequest()
			tc.change(&req)
			_, err := m.Validate(context.Background(), req)
			require.Error(t, err)
			msg := err.Error()
			assert.NotContains(t, msg, "\n", "one line")
			assert.NotEmpty(t, strings.TrimSpace(msg))
			for _, w := range tc.want {
				assert.Contains(t, msg, w)
			}
			assert.NotContains(t, msg, "HTTP 4", "a refusal names what to fix, not the API's status")
		})
	}
	for pattern := range sb.Brevo().Stats().Endpoints {
		assert.False(t, strings.HasPrefix(pattern, "POST") || strings.HasPrefix(pattern, "PUT"), "validation wrote to Brevo: %s", pattern)
	}
}

func TestValidateAcceptsAndTypesTheMapping(t *testing.T) {
	m, sb := newManager(t)
	req := validRequest()
	req.Name = "shop.eu_1-a"
	req.DefaultCountryCode = "49"
	req.Draft = true
	req.OnDelete, req.ReportUnsubscribes, req.HubSpotSubscriptionID = integration.OnDeleteDelete, true, "77"
	req.Map = []string{
		"email=EMAIL", "phone=SMS", " firstname = firstname ",
		"lifecyclestage=STAGE", "hs_lead_status=LASTNAME", "date_of_birth=BIRTHDAY",
		"annual_revenue=REVENUE", "newsletter_opt_in=VIP",
	}
	spec, err := m.Validate(context.Background(), req)
	require.NoError(t, err)

	assert.Equal(t, "shop.eu_1-a", spec.Name)
	assert.Equal(t, sandbox.DemoListID, spec.HubSpotListID)
	assert.EqualValues(t, 1, spec.BrevoListID)
	assert.Nil(t, spec.NewBrevoList)
	assert.True(t, spec.Draft)
	assert.True(t, spec.OptInConfirmed)
	assert.Equal(t, "49", spec.Mapping.DefaultCountryCode)
	assert.True(t, spec.Mapping.HasIdentifier())
	assert.Equal(t, integration.OnDeleteDelete, spec.DeletePolicy())
	assert.True(t, spec.ReportUnsubscribes)
	assert.Equal(t, "77", spec.HubSpotSubscriptionID)

	byAttr := map[string]mapping.Field{}
	for _, f := range spec.Mapping.Fields {
		byAttr[f.Attribute] = f
	}
	require.Len(t, byAttr, len(req.Map), "one field per --map, attribute names upper-cased")
	types := []struct {
		attr, property, propertyType, fieldType, attributeType string
	}{
		{"EMAIL", "email", "string", "text", ""},
		{"SMS", "phone", "string", "phonenumber", "text"},
		{"FIRSTNAME", "firstname", "string", "text", "text"},
		{"STAGE", "lifecyclestage", "enumeration", "select", "category"},
		{"LASTNAME", "hs_lead_status", "enumeration", "radio", "text"},
		{"BIRTHDAY", "date_of_birth", "date", "date", "date"},
		{"REVENUE", "annual_revenue", "number", "number", "float"},
		{"VIP", "newsletter_opt_in", "bool", "booleancheckbox", "boolean"},
	}
	for _, want := range types {
		t.Run(want.attr, func(t *testing.T) {
			f, ok := byAttr[want.attr]
			require.True(t, ok)
			assert.Equal(t, want.property, f.Property)
			assert.Equal(t, want.propertyType, f.PropertyType)
			assert.Equal(t, want.fieldType, f.FieldType)
			assert.Equal(t, want.attributeType, f.AttributeType)
			assert.NoError(t, mapping.Compatible(f))
		})
	}

	stage := byAttr["STAGE"]
	assert.Equal(t, map[string]int{"subscriber": 1, "lead": 2, "customer": 3}, stage.Categories,
		"HubSpot options matched to Brevo categories by label or value, ignoring case")
	assert.Equal(t, "Marketing Qualified Lead", stage.Labels["marketingqualifiedlead"])
	assert.Len(t, stage.Labels, 8, "every lifecyclestage option has its label")
	assert.Equal(t, "In Progress", byAttr["LASTNAME"].Labels["IN_PROGRESS"], "labels for enumerations written as text")
	assert.Nil(t, byAttr["FIRSTNAME"].Labels)
	assert.Nil(t, byAttr["LASTNAME"].Categories)

	// The spec maps a HubSpot record the way the workflow will.
	c, skip := mapping.Map(spec.Mapping, mapping.Record{ID: "1", Properties: map[string]string{
		"email": "anna@example.com", "lifecyclestage": "lead", "date_of_birth": "1990-02-03", "newsletter_opt_in": "true",
	}})
	require.Nil(t, skip)
	assert.Equal(t, 2, c.Attributes["STAGE"])
	assert.Equal(t, "1990-02-03", c.Attributes["BIRTHDAY"])
	assert.Equal(t, true, c.Attributes["VIP"])

	// A new list instead of an existing one.
	req.BrevoListID, req.NewBrevoList, req.BrevoFolderID = 0, "HubSpot shop", 1
	spec, err = m.Validate(context.Background(), req)
	require.NoError(t, err)
	assert.Zero(t, spec.BrevoListID)
	assert.Equal(t, &integration.NewBrevoList{Name: "HubSpot shop", FolderID: 1}, spec.NewBrevoList)
	assert.Len(t, sb.Brevo().Lists(), 1, "validation creates no list")
}
