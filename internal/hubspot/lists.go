package hubspot

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"hubspot-brevo-sync/internal/httpx"
)

// ContactObjectTypeID is HubSpot's object type id of contacts. Lists can
// hold any object type; the sync only accepts contact lists.
const ContactObjectTypeID = "0-1"

// Page sizes of the lists API.
const (
	MaxMembershipsPage = 250
	MaxListSearchCount = 500
)

// List is a list (segment) definition, reduced to what the sync needs.
type List struct {
	ID           string
	Name         string
	ObjectTypeID string
	// ProcessingType is MANUAL (static), DYNAMIC (active) or SNAPSHOT.
	ProcessingType string
	// ProcessingStatus is COMPLETE once the members are computed; see
	// MembershipsComplete.
	ProcessingStatus string
	// Size is HubSpot's estimate; the memberships total is exact.
	Size int
}

// IsContactList reports whether the list holds contacts.
func (l List) IsContactList() bool { return l.ObjectTypeID == ContactObjectTypeID }

// Processing statuses of a list. The lists spec types processingStatus as
// a free string; its examples show COMPLETE (and once COMPLETED) for a
// list whose members are up to date and PROCESSING for one HubSpot is
// recomputing in the background.
const (
	ListStatusComplete   = "COMPLETE"
	ListStatusCompleted  = "COMPLETED"
	ListStatusProcessing = "PROCESSING"
)

// MembershipsComplete reports whether HubSpot has finished computing the
// list's members. While it has not, a membership read can miss members
// that still belong to the list. Both spellings of done count; anything
// else, an empty status included, is treated as still processing, because
// reading a complete list as partial only delays work while the opposite
// unlinks contacts that never left.
func (l List) MembershipsComplete() bool {
	switch strings.ToUpper(strings.TrimSpace(l.ProcessingStatus)) {
	case ListStatusComplete, ListStatusCompleted:
		return true
	}
	return false
}

type listJSON struct {
	ListID               flexString            `json:"listId"`
	Name                 string                `json:"name"`
	ObjectTypeID         string                `json:"objectTypeId"`
	ProcessingType       string                `json:"processingType"`
	ProcessingStatus     string                `json:"processingStatus"`
	Size                 *flexInt              `json:"size"`
	AdditionalProperties map[string]flexString `json:"additionalProperties"`
}

func (j listJSON) list() List {
	l := List{
		ID:               string(j.ListID),
		Name:             j.Name,
		ObjectTypeID:     j.ObjectTypeID,
		ProcessingType:   j.ProcessingType,
		ProcessingStatus: j.ProcessingStatus,
	}
	if j.Size != nil {
		l.Size = int(*j.Size)
	} else if s, ok := j.AdditionalProperties["hs_list_size"]; ok {
		if n, err := strconv.ParseFloat(string(s), 64); err == nil {
			l.Size = int(n)
		}
	}
	return l
}

type listEnvelope struct {
	List listJSON `json:"list"`
}

// GetList reads a list definition by its (v3, ILS) list id. Legacy v1 ids
// are different numbers and must be mapped first.
func (c *Client) GetList(ctx context.Context, listID string) (List, error) {
	if err := requireArg(opListGet, "list id", listID); err != nil {
		return List{}, err
	}
	var env listEnvelope
	_, err := c.do(ctx, request{
		op:         opListGet,
		method:     http.MethodGet,
		path:       "/crm/v3/lists/{listId}",
		pathParams: map[string]string{"listId": listID},
		query:      url.Values{"includeFilters": {"false"}},
	}, &env)
	if err != nil {
		return List{}, err
	}
	return env.List.list(), nil
}

// FindListByName finds a contact list by its name, which HubSpot matches
// case-insensitively. A missing list is an *httpx.Error of KindNotFound.
func (c *Client) FindListByName(ctx context.Context, name string) (List, error) {
	if err := requireArg(opListByName, "list name", name); err != nil {
		return List{}, err
	}
	var env listEnvelope
	_, err := c.do(ctx, request{
		op:         opListByName,
		method:     http.MethodGet,
		path:       "/crm/v3/lists/object-type-id/" + ContactObjectTypeID + "/name/{name}",
		pathParams: map[string]string{"name": name},
		query:      url.Values{"includeFilters": {"false"}},
	}, &env)
	if err != nil {
		return List{}, err
	}
	return env.List.list(), nil
}

// ListSearchPage is one page of list search results.
type ListSearchPage struct {
	Lists []List
	// Offset is where the next page starts.
	Offset  int
	HasMore bool
	Total   int
}

type listSearchRequest struct {
	Query                string   `json:"query,omitempty"`
	Offset               int      `json:"offset"`
	Count                int      `json:"count"`
	ObjectTypeID         string   `json:"objectTypeId"`
	ProcessingTypes      []string `json:"processingTypes"`
	AdditionalProperties []string `json:"additionalProperties"`
}

type listSearchResponse struct {
	Lists   []listJSON `json:"lists"`
	Offset  int        `json:"offset"`
	HasMore bool       `json:"hasMore"`
	Total   int        `json:"total"`
}

// SearchLists pages through contact lists whose name matches query (empty:
// all). count is clamped to 1..500; zero means 500.
func (c *Client) SearchLists(ctx context.Context, query string, offset, count int) (ListSearchPage, error) {
	if count <= 0 || count > MaxListSearchCount {
		count = MaxListSearchCount
	}
	var res listSearchResponse
	_, err := c.do(ctx, request{
		op:     opListSearch,
		method: http.MethodPost,
		path:   "/crm/v3/lists/search",
		body: listSearchRequest{
			Query:                query,
			Offset:               max(offset, 0),
			Count:                count,
			ObjectTypeID:         ContactObjectTypeID,
			ProcessingTypes:      []string{"MANUAL", "DYNAMIC", "SNAPSHOT"},
			AdditionalProperties: []string{"hs_list_size"},
		},
	}, &res)
	if err != nil {
		return ListSearchPage{}, err
	}
	page := ListSearchPage{Offset: res.Offset, HasMore: res.HasMore, Total: res.Total}
	for _, l := range res.Lists {
		page.Lists = append(page.Lists, l.list())
	}
	return page, nil
}

// AllContactLists reads every contact list of the portal (for pickers and
// validation in the starter).
func (c *Client) AllContactLists(ctx context.Context) ([]List, error) {
	var all []List
	offset := 0
	for {
		page, err := c.SearchLists(ctx, "", offset, MaxListSearchCount)
		if err != nil {
			return nil, err
		}
		for _, l := range page.Lists {
			if l.IsContactList() {
				all = append(all, l)
			}
		}
		// A server that says "more" without moving on would loop forever.
		if !page.HasMore || page.Offset <= offset {
			return all, nil
		}
		offset = page.Offset
	}
}

// MembershipPage is one page of a list's members, ordered by record id.
type MembershipPage struct {
	RecordIDs []string
	Members   []Membership
	// After continues the listing; "" on the last page. It is opaque.
	After string
	// Total is the number of members when the page was read.
	Total int
}

// Membership is one member of a list.
type Membership struct {
	RecordID string
	JoinedAt time.Time
}

type membershipsResponse struct {
	Results []struct {
		RecordID            flexString `json:"recordId"`
		MembershipTimestamp string     `json:"membershipTimestamp"`
	} `json:"results"`
	Paging *struct {
		Next *struct {
			After string `json:"after"`
		} `json:"next"`
	} `json:"paging"`
	Total int `json:"total"`
}

// ListMemberships reads one page of a list's member record ids. Pass the
// previous page's After to continue ("" to start). limit is clamped to
// 1..250; zero means 250. Properties come from BatchReadContacts.
func (c *Client) ListMemberships(ctx context.Context, listID, after string, limit int) (MembershipPage, error) {
	if err := requireArg(opListMemberships, "list id", listID); err != nil {
		return MembershipPage{}, err
	}
	if limit <= 0 || limit > MaxMembershipsPage {
		limit = MaxMembershipsPage
	}
	q := url.Values{"limit": {strconv.Itoa(limit)}}
	if after != "" {
		q.Set("after", after)
	}
	var res membershipsResponse
	_, err := c.do(ctx, request{
		op:         opListMemberships,
		method:     http.MethodGet,
		path:       "/crm/v3/lists/{listId}/memberships",
		pathParams: map[string]string{"listId": listID},
		query:      q,
	}, &res)
	if err != nil {
		return MembershipPage{}, err
	}
	page := MembershipPage{
		RecordIDs: make([]string, 0, len(res.Results)),
		Members:   make([]Membership, 0, len(res.Results)),
		Total:     res.Total,
	}
	for _, r := range res.Results {
		page.RecordIDs = append(page.RecordIDs, string(r.RecordID))
		page.Members = append(page.Members, Membership{RecordID: string(r.RecordID), JoinedAt: parseTime(r.MembershipTimestamp)})
	}
	if res.Paging != nil && res.Paging.Next != nil {
		page.After = res.Paging.Next.After
	}
	if page.After != "" && page.After == after {
		return MembershipPage{}, &httpx.Error{API: apiName, Op: opListMemberships, Kind: httpx.KindPermanent,
			Message: "memberships cursor did not advance"}
	}
	return page, nil
}

// requireArg refuses an empty path argument before it turns into a
// different endpoint's URL (GET /crm/v3/lists/ lists all lists).
func requireArg(op, what, v string) error {
	if strings.TrimSpace(v) == "" {
		return &httpx.Error{API: apiName, Op: op, Kind: httpx.KindValidation, Message: what + " is empty"}
	}
	return nil
}
