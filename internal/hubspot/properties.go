package hubspot

import (
	"context"
	"net/http"
	"net/url"
	"strings"
)

// Property describes one contact property: its type decides how a value is
// mapped to a Brevo attribute, and its options translate enumeration values.
type Property struct {
	Name  string
	Label string
	// Type is string, number, date, datetime, enumeration, bool or
	// phone_number; read responses may hold undocumented ones (json,
	// object_coordinates), best treated as string.
	Type string
	// FieldType is how HubSpot's UI edits it: text, select, radio,
	// checkbox (multi-valued, ";"-joined), booleancheckbox, date, ...
	FieldType   string
	GroupName   string
	Description string
	Options     []Option
	// ReadOnlyValue is modificationMetadata.readOnlyValue: HubSpot computes
	// the value (hs_object_id, createdate, scores, analytics counters).
	ReadOnlyValue bool
	Calculated    bool
	Hidden        bool
	Archived      bool
	// ExternalOptions: the options (owners, for instance) are not listed.
	ExternalOptions bool
	HubSpotDefined  bool
}

// Option is one allowed value of an enumeration property. Value is what
// contact records hold; Label is what people see.
type Option struct {
	Label        string
	Value        string
	Hidden       bool
	DisplayOrder int
}

// Mappable reports whether people should be offered the property as a
// source field. Computed values are excluded: they change without anyone
// editing the contact, and mapping them invites surprise updates. The
// modificationMetadata flag is the reliable signal; calculation field types
// are checked too because some default properties lack the flag.
func (p Property) Mappable() bool {
	return !p.ReadOnlyValue && !p.Calculated && !strings.HasPrefix(p.FieldType, "calculation_")
}

type propertyJSON struct {
	Name        string `json:"name"`
	Label       string `json:"label"`
	Type        string `json:"type"`
	FieldType   string `json:"fieldType"`
	GroupName   string `json:"groupName"`
	Description string `json:"description"`
	Options     []struct {
		Label        string `json:"label"`
		Value        string `json:"value"`
		Hidden       bool   `json:"hidden"`
		DisplayOrder int    `json:"displayOrder"`
	} `json:"options"`
	Calculated           bool `json:"calculated"`
	Hidden               bool `json:"hidden"`
	Archived             bool `json:"archived"`
	ExternalOptions      bool `json:"externalOptions"`
	HubSpotDefined       bool `json:"hubspotDefined"`
	ModificationMetadata *struct {
		ReadOnlyValue bool `json:"readOnlyValue"`
	} `json:"modificationMetadata"`
}

// Properties reads the contact property schema (not paged). Archived
// properties are not included; a property that disappears was archived or
// deleted, and a mapping that names it needs attention.
func (c *Client) Properties(ctx context.Context) ([]Property, error) {
	var res struct {
		Results []propertyJSON `json:"results"`
	}
	_, err := c.do(ctx, request{
		op:     opPropertiesList,
		method: http.MethodGet,
		path:   "/crm/v3/properties/contacts",
		query:  url.Values{"archived": {"false"}},
	}, &res)
	if err != nil {
		return nil, err
	}
	props := make([]Property, 0, len(res.Results))
	for _, r := range res.Results {
		p := Property{
			Name:            r.Name,
			Label:           r.Label,
			Type:            r.Type,
			FieldType:       r.FieldType,
			GroupName:       r.GroupName,
			Description:     r.Description,
			Calculated:      r.Calculated,
			Hidden:          r.Hidden,
			Archived:        r.Archived,
			ExternalOptions: r.ExternalOptions,
			HubSpotDefined:  r.HubSpotDefined,
		}
		if r.ModificationMetadata != nil {
			p.ReadOnlyValue = r.ModificationMetadata.ReadOnlyValue
		}
		for _, o := range r.Options {
			p.Options = append(p.Options, Option{Label: o.Label, Value: o.Value, Hidden: o.Hidden, DisplayOrder: o.DisplayOrder})
		}
		props = append(props, p)
	}
	return props, nil
}
