package manage

import (
	"errors"
	"fmt"
	"slices"

	"hubspot-brevo-sync/internal/hubspot"
	"hubspot-brevo-sync/internal/mapping"
)

// checkConsent refuses the consent options where they cannot work: an
// opt-out blocks an email address, and each option reads a HubSpot
// property the account must have.
func checkConsent(m mapping.Spec, props []hubspot.Property) error {
	c := m.Consent
	has := func(name string) bool {
		return slices.ContainsFunc(props, func(p hubspot.Property) bool { return p.Name == name })
	}
	emailMapped := slices.ContainsFunc(m.Fields, func(f mapping.Field) bool { return f.Attribute == mapping.AttrEmail })
	switch {
	case c.SyncOptOuts && !emailMapped:
		return errors.New("--sync-opt-outs needs --map email=EMAIL: a Brevo blocklisting blocks an email address")
	case c.SyncOptOuts && !has(mapping.PropEmailOptOut):
		return fmt.Errorf("--sync-opt-outs: HubSpot has no contact property %s to read the opt-outs from", mapping.PropEmailOptOut)
	case c.OnlyMarketingContacts && !has(mapping.PropMarketableStatus):
		return fmt.Errorf("--only-marketing-contacts: HubSpot has no contact property %s (the account does not use marketing contacts)", mapping.PropMarketableStatus)
	}
	return nil
}

// consentProperties name the HubSpot properties that carry consent, and
// what the sync does with each (`starter hubspot properties`).
var consentProperties = map[string]string{
	mapping.PropEmailOptOut:      "read by --sync-opt-outs",
	mapping.PropMarketableStatus: "read by --only-marketing-contacts",
	"brevo_email_blacklisted":    "written by --report-unsubscribes-to-hubspot",
	"brevo_blacklisted_at":       "written by --report-unsubscribes-to-hubspot",
}

// ConsentProperty says what the sync's consent options do with a HubSpot
// property, "" for a property they do not touch.
func ConsentProperty(name string) string { return consentProperties[name] }

// ConsentEffect says what the consent options would do to a previewed
// contact: "would blocklist" or "".
func ConsentEffect(c mapping.Contact) string {
	if c.Blocklist {
		return "would blocklist (" + mapping.PropEmailOptOut + " is true)"
	}
	return ""
}
