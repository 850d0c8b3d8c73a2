package activities

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"hubspot-brevo-sync/internal/hubspot"
	"hubspot-brevo-sync/internal/integration"
	"hubspot-brevo-sync/internal/mapping"
)

// MembersPerPage is how many list members one FetchPage reads: the maximum
// page of HubSpot's memberships endpoint, fetched in three batch reads.
const MembersPerPage = 250

// propMergedIDs lists the records merged into a contact (HubSpot gives the
// merged record a new id); read with every contact so a merge re-keys the
// Brevo contact instead of duplicating it.
const propMergedIDs = "hs_merged_object_ids"

// FetchPageInput addresses one page of a HubSpot list.
type FetchPageInput struct {
	Integration   string   `json:"integration"`
	HubSpotListID string   `json:"hubspotListId"`
	After         string   `json:"after,omitempty"` // memberships cursor; "" = first page
	Properties    []string `json:"properties"`
	// Scan numbers the membership scan this page belongs to (the pass):
	// its members are recorded as seen, so the members it misses at the
	// end have left the list.
	Scan int64 `json:"scan"`

	// HubSpot is the account read ("": the default connection).
	HubSpot integration.HubSpotAccount `json:"hubspot,omitzero"`
}

// ContactPage is one page of list members with the mapped properties.
type ContactPage struct {
	Records []mapping.Record `json:"records"`
	// Members is how many list members the page covered, Missing how many
	// HubSpot no longer returned (deleted since the membership read).
	Members int `json:"members"`
	Missing int `json:"missing"`
	// NextAfter continues the list; Last says there is nothing after.
	NextAfter string `json:"nextAfter,omitempty"`
	Last      bool   `json:"last"`
	// ListSize is HubSpot's count of list members, for progress displays.
	ListSize int `json:"listSize"`
}

// FetchPage reads one page of list memberships, records them in the store
// and reads the mapped properties of those contacts (batch read,
// properties in the body).
func (a *Activities) FetchPage(ctx context.Context, in FetchPageInput) (ContactPage, error) {
	if in.HubSpotListID == "" {
		return ContactPage{}, temporal.NewNonRetryableApplicationError("no HubSpot list id", ErrTypeInvalidInput, nil)
	}
	hs, err := a.hubspotOf(in.HubSpot)
	if err != nil {
		return ContactPage{}, err
	}
	members, err := hs.ListMemberships(ctx, in.HubSpotListID, in.After, MembersPerPage)
	if err != nil {
		return ContactPage{}, temporalError(err)
	}
	if _, err := a.Store.MarkSeen(ctx, in.Integration, in.Scan, in.HubSpot.ExtIDs(members.RecordIDs)); err != nil {
		return ContactPage{}, temporalError(err)
	}
	records, missing, err := a.readContacts(ctx, in.HubSpot, members.RecordIDs, in.Properties)
	if err != nil {
		return ContactPage{}, err
	}
	return ContactPage{
		Records:   records,
		Members:   len(members.RecordIDs),
		Missing:   missing,
		NextAfter: members.After,
		Last:      members.After == "",
		ListSize:  members.Total,
	}, nil
}

// readContacts batch-reads contacts (by HubSpot record id) with the given
// properties (plus the merge marker) and returns them as records, and how
// many were not found.
func (a *Activities) readContacts(ctx context.Context, acct integration.HubSpotAccount, ids, properties []string) ([]mapping.Record, int, error) {
	if len(ids) == 0 {
		return nil, 0, nil
	}
	hs, err := a.hubspotOf(acct)
	if err != nil {
		return nil, 0, err
	}
	batch, err := hs.BatchReadContacts(ctx, ids, append(slices.Clone(properties), propMergedIDs))
	if err != nil {
		return nil, 0, temporalError(err)
	}
	activity.RecordHeartbeat(ctx, len(batch.Contacts))
	records := make([]mapping.Record, 0, len(batch.Contacts))
	for _, c := range batch.Contacts {
		records = append(records, toRecordOf(acct, c, properties))
	}
	return records, len(batch.Missing), nil
}

// toRecord keeps the mapped properties of a contact: an unmapped property
// never goes further.
func toRecord(c hubspot.Contact, properties []string) mapping.Record {
	rec := mapping.Record{ID: c.ID, Properties: make(map[string]string, len(properties))}
	for _, p := range properties {
		if v, ok := c.Properties[p]; ok {
			rec.Properties[p] = v
		}
	}
	for _, id := range strings.Split(c.Properties[propMergedIDs], ";") {
		if id = strings.TrimSpace(id); id != "" && id != c.ID {
			rec.MergedFrom = append(rec.MergedFrom, id)
		}
	}
	return rec
}

// ScanInput continues a membership scan of the incremental pass.
type ScanInput struct {
	Integration   string `json:"integration"`
	HubSpotListID string `json:"hubspotListId"`
	After         string `json:"after,omitempty"`
	Scan          int64  `json:"scan"`
	// Pages bounds the memberships pages one call reads.
	Pages int `json:"pages"`

	// HubSpot is the account read ("": the default connection).
	HubSpot integration.HubSpotAccount `json:"hubspot,omitzero"`
}

// ScanResult reports a stretch of the membership scan. Joined are the
// members that were not members before.
type ScanResult struct {
	Joined    int    `json:"joined"`
	Members   int    `json:"members"`
	NextAfter string `json:"nextAfter,omitempty"`
	Last      bool   `json:"last"`
	ListSize  int    `json:"listSize"`
}

// ScanMembers reads list memberships (ids only, 250 a call) and records
// them in the store. HubSpot's memberships have no "changed since" filter,
// so joins and leaves are found by comparing a full scan with the last one.
func (a *Activities) ScanMembers(ctx context.Context, in ScanInput) (ScanResult, error) {
	hs, err := a.hubspotOf(in.HubSpot)
	if err != nil {
		return ScanResult{}, err
	}
	res := ScanResult{NextAfter: in.After}
	for page := 0; page < max(in.Pages, 1); page++ {
		m, err := hs.ListMemberships(ctx, in.HubSpotListID, res.NextAfter, MembersPerPage)
		if err != nil {
			return ScanResult{}, temporalError(err)
		}
		joined, err := a.Store.MarkSeen(ctx, in.Integration, in.Scan, in.HubSpot.ExtIDs(m.RecordIDs))
		if err != nil {
			return ScanResult{}, temporalError(err)
		}
		res.Joined += joined
		res.Members += len(m.RecordIDs)
		res.NextAfter, res.ListSize = m.After, m.Total
		activity.RecordHeartbeat(ctx, res.Members)
		if m.After == "" {
			res.Last = true
			break
		}
	}
	return res, nil
}

// FetchContactsInput names contacts to read.
type FetchContactsInput struct {
	// IDs are the contacts' keys (ext_ids) in the account HubSpot names.
	IDs        []string `json:"ids"`
	Properties []string `json:"properties"`

	// HubSpot is the account read ("": the default connection).
	HubSpot integration.HubSpotAccount `json:"hubspot,omitzero"`
}

// FetchContacts reads the mapped properties of the given contacts (list
// joiners).
func (a *Activities) FetchContacts(ctx context.Context, in FetchContactsInput) (ContactPage, error) {
	records, missing, err := a.readContacts(ctx, in.HubSpot, in.HubSpot.RecordIDs(in.IDs), in.Properties)
	if err != nil {
		return ContactPage{}, err
	}
	return ContactPage{Records: records, Missing: missing, Last: true}, nil
}

// SearchOverlap is subtracted from the watermark: HubSpot's search index
// lags behind writes, so a contact modified just before the last pass
// started may only now be searchable. Re-reading it costs nothing: its
// hash is unchanged and nothing is written.
const SearchOverlap = 5 * time.Minute

// SearchInput continues the search for changed contacts.
type SearchInput struct {
	Integration string   `json:"integration"`
	Properties  []string `json:"properties"`
	// Since and Until bound lastmodifieddate; Until is the start of the
	// pass, so the watermark never moves past it.
	Since time.Time `json:"since"`
	Until time.Time `json:"until"`
	// Token continues a search started earlier; "" starts at Since.
	Token string `json:"token,omitempty"`
	// Pages bounds the search pages one call reads.
	Pages int `json:"pages"`

	// HubSpot is the account read ("": the default connection).
	HubSpot integration.HubSpotAccount `json:"hubspot,omitzero"`
}

// SearchResult holds the changed contacts that are list members.
type SearchResult struct {
	Records []mapping.Record `json:"records,omitempty"`
	Read    int              `json:"read"`
	// Token continues the search; "" when it is done.
	Token string `json:"token,omitempty"`
}

// SearchChanged reads contacts modified in [Since, Until) through CRM
// search (ascending, re-windowed by the client past the 10,000-result cap,
// at the search budget's pace) and keeps those that are list members.
func (a *Activities) SearchChanged(ctx context.Context, in SearchInput) (SearchResult, error) {
	cur := hubspot.NewSearchCursor(in.Since, in.Until)
	if in.Token != "" {
		if err := json.Unmarshal([]byte(in.Token), &cur); err != nil {
			return SearchResult{}, temporal.NewNonRetryableApplicationError("bad search token", ErrTypeInvalidInput, err)
		}
	}
	hs, err := a.hubspotOf(in.HubSpot)
	if err != nil {
		return SearchResult{}, err
	}
	props := append(slices.Clone(in.Properties), propMergedIDs)
	var res SearchResult
	for page := 0; page < max(in.Pages, 1); page++ {
		p, err := hs.SearchContactsModified(ctx, cur, props, hubspot.MaxSearchPage)
		if err != nil {
			return SearchResult{}, temporalError(err)
		}
		ids := make([]string, len(p.Contacts))
		for i, c := range p.Contacts {
			ids[i] = in.HubSpot.ExtID(c.ID)
		}
		known, err := a.Store.Records(ctx, in.Integration, ids)
		if err != nil {
			return SearchResult{}, temporalError(err)
		}
		for i, c := range p.Contacts {
			if known[ids[i]].InList { // contacts outside the list are not ours
				res.Records = append(res.Records, toRecordOf(in.HubSpot, c, in.Properties))
			}
		}
		res.Read += len(p.Contacts)
		activity.RecordHeartbeat(ctx, res.Read)
		if p.Next == nil {
			return res, nil
		}
		cur = *p.Next
	}
	b, err := json.Marshal(cur)
	if err != nil {
		return SearchResult{}, temporal.NewNonRetryableApplicationError("encode search token", ErrTypeInvalidInput, err)
	}
	res.Token = string(b)
	return res, nil
}
