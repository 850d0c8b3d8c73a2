package manage

import (
	"context"
	"fmt"
	"strings"

	"hubspot-brevo-sync/internal/hubspot"
	"hubspot-brevo-sync/internal/integration"
	"hubspot-brevo-sync/internal/mapping"
)

// Sample sizes of a dry run: the first members of the HubSpot list.
const (
	DefaultSample = 25
	MaxSample     = hubspot.MaxMembershipsPage // one memberships page
)

// Preview is what a sync of the first members of the HubSpot list would
// do: the contacts it would write, those it would skip and why, the values
// it would leave out (the contacts' notes) and the Brevo attributes
// missing for the mapping. Making one writes nothing anywhere.
type Preview struct {
	Name          string `json:"name"`
	HubSpotListID string `json:"hubspotListId"`
	// ListSize is HubSpot's count of list members, Read how many of the
	// first ones the preview read.
	ListSize int `json:"listSize"`
	Read     int `json:"read"`
	// Fields is the mapping with both types.
	Fields []mapping.Field `json:"fields"`
	// Contacts would be written (keyed by extId, the HubSpot id); their
	// notes name the values left out.
	Contacts []mapping.Contact `json:"contacts"`
	// Skipped would not be written, with the reason.
	Skipped []mapping.Outcome `json:"skipped"`
	// MissingAttributes are mapped Brevo attributes the account lacks: a
	// create with --create-attributes would create them.
	MissingAttributes []AttributePlan `json:"missingAttributes"`
	// NoCountryCode lists the contacts (extId) whose SMS is a national
	// number: Brevo requires a country code and refuses it, so the
	// contact is written without SMS, or fails when SMS is its only
	// identifier. --default-country-code avoids that.
	NoCountryCode []string `json:"smsWithoutCountryCode"`
	// Consent describes the consent options in force; the contacts they
	// blocklist carry "blocklist": true, those they skip the reason
	// not_marketing_contact.
	Consent []string `json:"consent"`
}

// Notes counts the values the preview's contacts would leave out.
func (p Preview) Notes() int {
	n := 0
	for _, c := range p.Contacts {
		n += len(c.Notes)
	}
	return n
}

// CheckSample turns a --sample value into a sample size: 0 means the
// default, and at most one memberships page is read.
func CheckSample(n int) (int, error) {
	switch {
	case n == 0:
		return DefaultSample, nil
	case n < 0 || n > MaxSample:
		return 0, fmt.Errorf("--sample %d: want 1-%d list members", n, MaxSample)
	}
	return n, nil
}

// Preview reads the first sample members of the spec's HubSpot list with
// the mapped properties, the same calls the FetchPage activity makes
// (memberships, then a batch read with the properties in the body), and
// maps them with the MapContacts activity's code. It reads HubSpot and
// Brevo's attribute list and writes nothing.
func (m *Manager) Preview(ctx context.Context, spec integration.Spec, sample int) (Preview, error) {
	sample, err := CheckSample(sample)
	if err != nil {
		return Preview{}, err
	}
	p := Preview{
		Name: spec.Name, HubSpotListID: spec.HubSpotListID, Fields: spec.Mapping.Fields,
		Contacts: []mapping.Contact{}, Skipped: []mapping.Outcome{},
		Consent: append([]string{}, spec.ConsentChoices()...),
	}
	members, err := retried(ctx, func() (hubspot.MembershipPage, error) {
		return m.HubSpot.ListMemberships(ctx, spec.HubSpotListID, "", sample)
	})
	if err != nil {
		return p, apiError("HubSpot list "+spec.HubSpotListID, err)
	}
	p.ListSize, p.Read = members.Total, len(members.RecordIDs)
	var records []mapping.Record
	if len(members.RecordIDs) > 0 {
		props := spec.Mapping.Properties()
		batch, err := retried(ctx, func() (hubspot.BatchResult, error) {
			return m.HubSpot.BatchReadContacts(ctx, members.RecordIDs, props)
		})
		if err != nil {
			return p, apiError("HubSpot contacts", err)
		}
		byID := make(map[string]hubspot.Contact, len(batch.Contacts))
		for _, c := range batch.Contacts {
			byID[c.ID] = c
		}
		missing := make(map[string]bool, len(batch.Missing))
		for _, id := range batch.Missing {
			missing[id] = true
		}
		// In list order; a merged-away member comes back under its new id
		// and is appended after the others.
		done := map[string]bool{}
		add := func(c hubspot.Contact) {
			done[c.ID] = true
			rec := mapping.Record{ID: spec.HubSpot().ExtID(c.ID), Properties: make(map[string]string, len(props))}
			for _, name := range props {
				if v, ok := c.Properties[name]; ok {
					rec.Properties[name] = v
				}
			}
			records = append(records, rec)
		}
		for _, id := range members.RecordIDs {
			switch c, ok := byID[id]; {
			case ok && !done[id]:
				add(c)
			case missing[id]:
				p.Skipped = append(p.Skipped, mapping.Outcome{HubSpotID: id, Kind: mapping.OutcomeSkipped,
					Reason: mapping.ReasonNotInList, Text: "HubSpot no longer has this list member"})
			}
		}
		for _, c := range batch.Contacts {
			if !done[c.ID] {
				add(c)
			}
		}
	}
	contacts, skipped := mapping.MapAll(spec.Mapping, records)
	p.Contacts = append(p.Contacts, contacts...)
	p.Skipped = append(p.Skipped, skipped...)
	p.NoCountryCode = []string{}
	for _, c := range p.Contacts {
		if sms := c.SMS(); sms != "" && !strings.HasPrefix(sms, "+") {
			p.NoCountryCode = append(p.NoCountryCode, c.ExtID)
		}
	}
	if p.MissingAttributes, err = m.MissingAttributes(ctx, spec); err != nil {
		return p, err
	}
	if p.MissingAttributes == nil {
		p.MissingAttributes = []AttributePlan{}
	}
	return p, nil
}

// DryRun validates a create request as Create does (attributes missing in
// Brevo are planned when the request asks to create them) and previews the
// first sample list members. It writes nothing and starts nothing, and
// needs no Temporal.
func (m *Manager) DryRun(ctx context.Context, req CreateRequest, sample int) (Preview, error) {
	if _, err := CheckSample(sample); err != nil {
		return Preview{}, err
	}
	spec, err := m.Validate(ctx, req)
	if err != nil {
		return Preview{}, err
	}
	if m, err = m.OnConnection(spec.HubSpotConnection); err != nil {
		return Preview{}, err
	}
	return m.Preview(ctx, spec, sample)
}

// PreviewIntegration previews a saved integration (a draft, typically) with
// the spec its workflow reports.
func (m *Manager) PreviewIntegration(ctx context.Context, name string, sample int) (Preview, error) {
	if _, err := CheckSample(sample); err != nil {
		return Preview{}, err
	}
	st, err := m.Status(ctx, name)
	if err != nil {
		return Preview{}, err
	}
	if st.Spec == nil {
		return Preview{}, fmt.Errorf("integration %q does not report its mapping (started by an older version); preview it with `starter create ... --dry-run`", name)
	}
	if m, err = m.OnConnection(st.Spec.HubSpotConnection); err != nil {
		return Preview{}, err
	}
	return m.Preview(ctx, *st.Spec, sample)
}
