package activities

import (
	"context"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"hubspot-brevo-sync/internal/mapping"
)

// MembersPerPage is how many list members one FetchPage reads: the maximum
// page of HubSpot's memberships endpoint, fetched in three batch reads.
const MembersPerPage = 250

// propLastModified is HubSpot's modification timestamp for contacts (not
// hs_lastmodifieddate; see the reference on contact search).
const propLastModified = "lastmodifieddate"

// FetchPageInput addresses one page of a HubSpot list.
type FetchPageInput struct {
	HubSpotListID string   `json:"hubspotListId"`
	After         string   `json:"after,omitempty"` // memberships cursor; "" = first page
	Properties    []string `json:"properties"`
	// ModifiedAfter, when set, leaves out contacts not modified since then:
	// they were written by an earlier pass and cost no task now.
	ModifiedAfter time.Time `json:"modifiedAfter,omitzero"`
}

// ContactPage is one page of list members with the mapped properties.
type ContactPage struct {
	Records []mapping.Record `json:"records"`
	// Members is how many list members the page covered, Unchanged how many
	// of them were left out as not modified since ModifiedAfter, Missing
	// how many HubSpot no longer returned (deleted since the membership read).
	Members   int `json:"members"`
	Unchanged int `json:"unchanged"`
	Missing   int `json:"missing"`
	// NextAfter continues the list; Last says there is nothing after.
	NextAfter string `json:"nextAfter,omitempty"`
	Last      bool   `json:"last"`
	// ListSize is HubSpot's count of list members, for progress displays.
	ListSize int `json:"listSize"`
}

// FetchPage reads one page of list memberships and the mapped properties of
// those contacts (batch read, properties in the body).
func (a *Activities) FetchPage(ctx context.Context, in FetchPageInput) (ContactPage, error) {
	if in.HubSpotListID == "" {
		return ContactPage{}, temporal.NewNonRetryableApplicationError("no HubSpot list id", ErrTypeInvalidInput, nil)
	}
	members, err := a.HubSpot.ListMemberships(ctx, in.HubSpotListID, in.After, MembersPerPage)
	if err != nil {
		return ContactPage{}, temporalError(err)
	}
	page := ContactPage{
		Members:   len(members.RecordIDs),
		NextAfter: members.After,
		Last:      members.After == "",
		ListSize:  members.Total,
	}
	if len(members.RecordIDs) == 0 {
		return page, nil
	}
	props := append(append([]string(nil), in.Properties...), propLastModified)
	batch, err := a.HubSpot.BatchReadContacts(ctx, members.RecordIDs, props)
	if err != nil {
		return ContactPage{}, temporalError(err)
	}
	activity.RecordHeartbeat(ctx, len(batch.Contacts))
	page.Missing = len(batch.Missing)
	page.Records = make([]mapping.Record, 0, len(batch.Contacts))
	for _, c := range batch.Contacts {
		if !in.ModifiedAfter.IsZero() && !modifiedAfter(c.Properties[propLastModified], c.UpdatedAt, in.ModifiedAfter) {
			page.Unchanged++
			continue
		}
		rec := mapping.Record{ID: c.ID, Properties: make(map[string]string, len(in.Properties))}
		for _, p := range in.Properties {
			if v, ok := c.Properties[p]; ok {
				rec.Properties[p] = v
			}
		}
		page.Records = append(page.Records, rec)
	}
	return page, nil
}

// modifiedAfter reads lastmodifieddate (falling back to updatedAt) and
// compares. A value that cannot be read counts as modified: writing once
// too often costs a task, missing a change costs correctness.
func modifiedAfter(raw string, updatedAt, since time.Time) bool {
	t, err := time.Parse(time.RFC3339Nano, raw)
	if err != nil {
		t = updatedAt
	}
	if t.IsZero() {
		return true
	}
	return t.After(since)
}
