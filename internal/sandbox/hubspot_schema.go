package sandbox

// hsProperty is one contact property definition of the emulated portal.
type hsProperty struct {
	Name, Label, Type, FieldType, Group, Description string
	Options                                          []hsOption
	ReadOnly, Calculated, Hidden, Archived           bool
	ExternalOptions, HubSpotDefined                  bool
}

type hsOption struct {
	Label, Value string
	Hidden       bool
}

func hsOpts(pairs ...string) []hsOption {
	out := make([]hsOption, 0, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, hsOption{Label: pairs[i], Value: pairs[i+1]})
	}
	return out
}

var hsBoolOptions = hsOpts("Yes", "true", "No", "false")

// hsSchema is a realistic slice of a portal's contact properties: the
// standard ones people map, some custom ones of every type, and the
// read-only and calculated ones a mapping UI must not offer.
var hsSchema = []hsProperty{
	{Name: "email", Label: "Email", Type: "string", FieldType: "text", Group: "contactinformation", Description: "A contact's email address", HubSpotDefined: true},
	{Name: "firstname", Label: "First Name", Type: "string", FieldType: "text", Group: "contactinformation", Description: "A contact's first name", HubSpotDefined: true},
	{Name: "lastname", Label: "Last Name", Type: "string", FieldType: "text", Group: "contactinformation", Description: "A contact's last name", HubSpotDefined: true},
	{Name: "phone", Label: "Phone Number", Type: "string", FieldType: "phonenumber", Group: "contactinformation", Description: "A contact's primary phone number", HubSpotDefined: true},
	{Name: "mobilephone", Label: "Mobile Phone Number", Type: "string", FieldType: "phonenumber", Group: "contactinformation", Description: "A contact's mobile phone number", HubSpotDefined: true},
	{Name: "company", Label: "Company Name", Type: "string", FieldType: "text", Group: "contactinformation", Description: "Name of the contact's company", HubSpotDefined: true},
	{Name: "jobtitle", Label: "Job Title", Type: "string", FieldType: "text", Group: "contactinformation", Description: "A contact's job title", HubSpotDefined: true},
	{Name: "city", Label: "City", Type: "string", FieldType: "text", Group: "contactinformation", Description: "A contact's city of residence", HubSpotDefined: true},
	{Name: "country", Label: "Country/Region", Type: "string", FieldType: "text", Group: "contactinformation", Description: "The contact's country/region of residence", HubSpotDefined: true},
	{Name: "lifecyclestage", Label: "Lifecycle Stage", Type: "enumeration", FieldType: "select", Group: "contactinformation",
		Description: "The qualification of contacts to sales readiness", HubSpotDefined: true,
		Options: hsOpts("Subscriber", "subscriber", "Lead", "lead", "Marketing Qualified Lead", "marketingqualifiedlead",
			"Sales Qualified Lead", "salesqualifiedlead", "Opportunity", "opportunity", "Customer", "customer",
			"Evangelist", "evangelist", "Other", "other")},
	{Name: "hs_lead_status", Label: "Lead Status", Type: "enumeration", FieldType: "radio", Group: "sales_properties",
		Description: "The contact's sales, prospecting or outreach status", HubSpotDefined: true,
		Options: append(hsOpts("New", "NEW", "Open", "OPEN", "In Progress", "IN_PROGRESS", "Open Deal", "OPEN_DEAL",
			"Unqualified", "UNQUALIFIED", "Attempted to Contact", "ATTEMPTED_TO_CONTACT", "Connected", "CONNECTED",
			"Bad Timing", "BAD_TIMING"), hsOption{Label: "Legacy (retired)", Value: "LEGACY", Hidden: true})},
	{Name: "interests", Label: "Interests", Type: "enumeration", FieldType: "checkbox", Group: "contactinformation",
		Description: "Topics the contact asked to hear about",
		Options:     hsOpts("Sports", "sports", "Music", "music", "Travel", "travel", "Technology", "technology", "Cooking", "cooking")},
	{Name: "newsletter_opt_in", Label: "Newsletter opt-in", Type: "bool", FieldType: "booleancheckbox", Group: "contactinformation",
		Description: "Signed up for the newsletter", Options: hsBoolOptions},
	{Name: "date_of_birth", Label: "Date of birth", Type: "date", FieldType: "date", Group: "contactinformation"},
	{Name: "annual_revenue", Label: "Annual revenue", Type: "number", FieldType: "number", Group: "contactinformation"},
	{Name: "hs_email_optout", Label: "Unsubscribed from all email", Type: "bool", FieldType: "booleancheckbox", Group: "emailinformation",
		Description: "Indicates that the current email address has opted out of all email.", HubSpotDefined: true, Options: hsBoolOptions},
	// HubSpot computes the marketing contact status; the API reads it
	// but cannot write it. Its two options are the strings "true" and
	// "false".
	{Name: "hs_marketable_status", Label: "Marketing contact status", Type: "enumeration", FieldType: "booleancheckbox", Group: "contactinformation",
		Description: "The marketing status of this contact", HubSpotDefined: true, ReadOnly: true,
		Options: hsOpts("Marketing contact", "true", "Non-marketing contact", "false")},
	{Name: "hubspot_owner_id", Label: "Contact owner", Type: "enumeration", FieldType: "select", Group: "sales_properties",
		Description: "The owner of a contact", HubSpotDefined: true, ExternalOptions: true},
	{Name: "hs_additional_emails", Label: "Additional email addresses", Type: "enumeration", FieldType: "checkbox", Group: "contactinformation",
		Description: "A set of additional email addresses for a contact", HubSpotDefined: true, ReadOnly: true},

	{Name: "lastmodifieddate", Label: "Last Modified Date", Type: "datetime", FieldType: "date", Group: "contactinformation",
		Description: "The date any property on this contact was modified", HubSpotDefined: true, ReadOnly: true},
	{Name: "hs_lastmodifieddate", Label: "Object last modified date/time", Type: "datetime", FieldType: "date", Group: "contactinformation",
		Description: "Most recent timestamp of any property update for this object", HubSpotDefined: true, ReadOnly: true, Hidden: true},
	{Name: "createdate", Label: "Create Date", Type: "datetime", FieldType: "date", Group: "contactinformation",
		Description: "The date that a contact entered the system", HubSpotDefined: true, ReadOnly: true},
	{Name: "hs_object_id", Label: "Record ID", Type: "number", FieldType: "number", Group: "contactinformation",
		Description: "The unique ID for this record. This value is set automatically by HubSpot.", HubSpotDefined: true, ReadOnly: true},
	{Name: "hs_email_domain", Label: "Email Domain", Type: "string", FieldType: "text", Group: "contactinformation",
		Description: "A contact's email address domain", HubSpotDefined: true, ReadOnly: true},
	{Name: "hubspotscore", Label: "HubSpot Score", Type: "number", FieldType: "number", Group: "contactinformation",
		Description: "The number that shows qualification of contacts to sales readiness.", HubSpotDefined: true, ReadOnly: true},
	{Name: "hs_merged_object_ids", Label: "Merged Contact IDs", Type: "enumeration", FieldType: "checkbox", Group: "contactinformation",
		Description: "The list of Contact record IDs that have been merged into this Contact.", HubSpotDefined: true, ReadOnly: true},
	{Name: "num_associated_deals", Label: "Number of Associated Deals", Type: "number", FieldType: "calculation_rollup", Group: "deal_information",
		Description: "Count of deals associated with this contact", HubSpotDefined: true, ReadOnly: true, Calculated: true},

	{Name: "legacy_score", Label: "Legacy score", Type: "number", FieldType: "number", Group: "contactinformation",
		Description: "Retired custom score", Archived: true},
}

var hsSchemaByName = func() map[string]*hsProperty {
	m := make(map[string]*hsProperty, len(hsSchema))
	for i := range hsSchema {
		m[hsSchema[i].Name] = &hsSchema[i]
	}
	return m
}()

// hsPropertyJSON renders a definition in the shape of HubSpot's Property.
func hsPropertyJSON(p hsProperty, at string) map[string]any {
	opts := make([]map[string]any, 0, len(p.Options))
	for i, o := range p.Options {
		opts = append(opts, map[string]any{"label": o.Label, "value": o.Value, "hidden": o.Hidden, "displayOrder": i, "description": ""})
	}
	m := map[string]any{
		"name":            p.Name,
		"label":           p.Label,
		"type":            p.Type,
		"fieldType":       p.FieldType,
		"groupName":       p.Group,
		"description":     p.Description,
		"displayOrder":    -1,
		"options":         opts,
		"hidden":          p.Hidden,
		"calculated":      p.Calculated,
		"externalOptions": p.ExternalOptions,
		"hasUniqueValue":  p.Name == "email" || p.Name == "hs_object_id",
		"formField":       !p.ReadOnly,
		"hubspotDefined":  p.HubSpotDefined,
		"archived":        p.Archived,
		"modificationMetadata": map[string]any{
			"archivable":         !p.HubSpotDefined,
			"readOnlyDefinition": p.HubSpotDefined,
			"readOnlyValue":      p.ReadOnly,
			"readOnlyOptions":    p.ReadOnly,
		},
		"createdAt":       at,
		"updatedAt":       at,
		"dataSensitivity": "non_sensitive",
	}
	if p.Archived {
		m["archivedAt"] = at
	}
	return m
}
