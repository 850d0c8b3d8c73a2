package mapping

import "strings"

// HubSpot properties the consent options read (docs/consent.md).
const (
	// PropEmailOptOut is true when the contact unsubscribed from all email.
	PropEmailOptOut = "hs_email_optout"
	// PropMarketableStatus is "false" for a non-marketing contact.
	PropMarketableStatus = "hs_marketable_status"
)

// Consent reasons, stable strings used in counters and reports.
const (
	// ReasonNotMarketingContact: hs_marketable_status is false and the
	// integration syncs only marketing contacts.
	ReasonNotMarketingContact = "not_marketing_contact"
	// ReasonBlocklisted: the contact opted out in HubSpot and was written
	// with emailBlacklisted true.
	ReasonBlocklisted = "blocklisted"
)

// Consent holds an integration's consent options; both default off.
type Consent struct {
	// SyncOptOuts blocklists in Brevo (emailBlacklisted true) the contacts
	// whose HubSpot hs_email_optout is true. One way only: nothing is sent
	// when the opt-out is lifted.
	SyncOptOuts bool `json:"syncOptOuts,omitempty"`
	// OnlyMarketingContacts skips the contacts whose hs_marketable_status
	// is false.
	OnlyMarketingContacts bool `json:"onlyMarketingContacts,omitempty"`
}

// Properties are the HubSpot properties the options read.
func (c Consent) Properties() []string {
	var out []string
	if c.SyncOptOuts {
		out = append(out, PropEmailOptOut)
	}
	if c.OnlyMarketingContacts {
		out = append(out, PropMarketableStatus)
	}
	return out
}

// Describe says in a few words what each option in force does, for
// status, the Web UI and reports; nil when none is.
func (c Consent) Describe() []string {
	var out []string
	if c.SyncOptOuts {
		out = append(out, "sync opt-outs: a HubSpot opt-out (hs_email_optout) blocklists the contact in Brevo; never un-blocklists")
	}
	if c.OnlyMarketingContacts {
		out = append(out, "only marketing contacts: non-marketing contacts (hs_marketable_status false) are skipped, and unlinked like list leavers")
	}
	return out
}

// notMarketing says why a record is skipped under OnlyMarketingContacts,
// nil when it is not. A record without the property (an account without
// marketing contacts) is a marketing contact: nothing says otherwise.
func (c Consent) notMarketing(r Record) *Skip {
	if !c.OnlyMarketingContacts || !strings.EqualFold(strings.TrimSpace(r.Properties[PropMarketableStatus]), "false") {
		return nil
	}
	return &Skip{Reason: ReasonNotMarketingContact, Text: PropMarketableStatus + " is false: not a marketing contact in HubSpot"}
}

// blocklist reports whether the contact is to be blocklisted in Brevo:
// it opted out in HubSpot and has an email to block.
func (c Consent) blocklist(r Record, ct Contact) bool {
	return c.SyncOptOuts && ct.Email != "" && strings.EqualFold(strings.TrimSpace(r.Properties[PropEmailOptOut]), "true")
}
