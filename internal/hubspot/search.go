package hubspot

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"hubspot-brevo-sync/internal/httpx"
)

// Search limits: at most 200 results a page, and no query pages past its
// 10,000th result (HubSpot answers 400).
const (
	MaxSearchPage   = 200
	SearchResultCap = 10_000
)

const (
	propLastModified = "lastmodifieddate"
	propObjectID     = "hs_object_id"
)

// SearchCursor is the position of an incremental read of modified contacts.
// It is small and JSON-serializable so it can live in workflow state.
//
// How the 10,000-result cap is avoided: every page is its own query
// ("modified at or after Since, ascending", after=0), so no query ever
// pages. A full page is returned without its trailing records that share
// the last timestamp T; the next query starts at T and returns them first.
// So everything returned is older than Since, everything not yet returned
// is at Since or later, and no ids need to be remembered. Compared with
// offset paging inside a window, this costs re-reading those few trailing
// records per page, and gains that a contact edited while we page (it moves
// to the end of the order) cannot shift an unread contact past our offset.
//
// When an entire page shares one timestamp (bulk imports and updates stamp
// thousands of records in the same millisecond), the lower bound cannot
// move; the cursor then walks the records of exactly that millisecond in
// hs_object_id order (TieAt, TieAfterID), which works for any number of
// them, and continues after that millisecond.
//
// HubSpot's search index lags writes by a few seconds, and a record can
// become visible with a modification time older than where a previous pass
// stopped. The client does not compensate: callers start each pass at the
// previous high-water mark minus an overlap (30-60 s), and deduplicate.
type SearchCursor struct {
	// Since is the inclusive lower bound of lastmodifieddate, epoch ms.
	Since int64 `json:"since"`
	// Until is the exclusive upper bound, epoch ms; 0 means none.
	Until int64 `json:"until,omitempty"`
	// TieAt is the millisecond whose records are being walked by id, after
	// TieAfterID; both are empty outside such a walk.
	TieAt      int64  `json:"tieAt,omitempty"`
	TieAfterID string `json:"tieAfterId,omitempty"`
}

// NewSearchCursor starts a read of contacts modified at or after since and,
// unless until is zero, before until.
func NewSearchCursor(since, until time.Time) SearchCursor {
	c := SearchCursor{Since: since.UnixMilli()}
	if !until.IsZero() {
		c.Until = until.UnixMilli()
	}
	return c
}

// SinceTime is the lower bound as a time.
func (c SearchCursor) SinceTime() time.Time { return time.UnixMilli(c.Since).UTC() }

func (c SearchCursor) walkingTies() bool { return c.TieAfterID != "" }

// SearchPage is one page of modified contacts.
type SearchPage struct {
	// Contacts are in ascending lastmodifieddate order (by id within one
	// millisecond while walking ties). A page may be empty while Next is set.
	Contacts []Contact
	// Next continues the read; nil when everything modified in the window
	// (as far as the search index knows) has been returned.
	Next *SearchCursor
	// Total is how many contacts the page's query matched: those not yet
	// returned plus the few re-read at the boundary. Good for progress.
	Total int
}

type searchFilter struct {
	PropertyName string `json:"propertyName"`
	Operator     string `json:"operator"`
	Value        string `json:"value"`
}

type searchFilterGroup struct {
	Filters []searchFilter `json:"filters"`
}

type searchSort struct {
	PropertyName string `json:"propertyName"`
	Direction    string `json:"direction"`
}

type searchRequest struct {
	FilterGroups []searchFilterGroup `json:"filterGroups"`
	Sorts        []searchSort        `json:"sorts"`
	Properties   []string            `json:"properties"`
	Limit        int                 `json:"limit"`
	After        string              `json:"after,omitempty"`
}

type searchResponse struct {
	Total   int          `json:"total"`
	Results []objectJSON `json:"results"`
	Paging  *struct {
		Next *struct {
			After string `json:"after"`
		} `json:"next"`
	} `json:"paging"`
}

func (r searchResponse) hasMore() bool { return r.Paging != nil && r.Paging.Next != nil }

// SearchContactsModified reads the next page of contacts modified in the
// cursor's window, with the given properties (lastmodifieddate and
// hs_object_id are always added; the cursor needs them). limit is clamped
// to 1..200; zero means 200. Search has its own budget of a few requests a
// second per account, paced by the governor.
func (c *Client) SearchContactsModified(ctx context.Context, cur SearchCursor, properties []string, limit int) (SearchPage, error) {
	if limit <= 0 || limit > MaxSearchPage {
		limit = MaxSearchPage
	}
	props := uniqueNonEmpty(append(append([]string(nil), properties...), propLastModified, propObjectID))
	if !cur.walkingTies() && cur.Until != 0 && cur.Since >= cur.Until {
		return SearchPage{}, nil
	}
	// At most two queries: a page that turns out to share one timestamp is
	// re-asked as a walk through that millisecond.
	for {
		if cur.walkingTies() {
			return c.searchTies(ctx, cur, props, limit)
		}
		res, err := c.search(ctx, searchRequest{
			FilterGroups: []searchFilterGroup{{Filters: c.windowFilters(cur.Since, cur.Until)}},
			Sorts:        []searchSort{{PropertyName: propLastModified, Direction: "ASCENDING"}},
			Properties:   props,
			Limit:        limit,
		})
		if err != nil {
			return SearchPage{}, err
		}
		contacts, stamps, err := contactsWithStamps(res)
		if err != nil {
			return SearchPage{}, err
		}
		page := SearchPage{Contacts: contacts, Total: res.Total}
		if !res.hasMore() || len(contacts) == 0 {
			return page, nil
		}
		for i := 1; i < len(stamps); i++ {
			if stamps[i] < stamps[i-1] {
				// The cursor logic rests on the ascending order; without it a
				// read could repeat a page forever.
				return SearchPage{}, &httpx.Error{API: apiName, Op: opContactsSearch, Kind: httpx.KindPermanent,
					Message: "search results not in ascending lastmodifieddate order"}
			}
		}
		last := stamps[len(stamps)-1]
		if stamps[0] == last {
			cur = SearchCursor{Since: last, Until: cur.Until, TieAt: last, TieAfterID: "0"}
			continue
		}
		cut := len(stamps)
		for cut > 0 && stamps[cut-1] == last {
			cut--
		}
		page.Contacts = contacts[:cut]
		page.Next = &SearchCursor{Since: last, Until: cur.Until}
		return page, nil
	}
}

// searchTies walks the records modified in millisecond cur.TieAt by id.
func (c *Client) searchTies(ctx context.Context, cur SearchCursor, props []string, limit int) (SearchPage, error) {
	filters := c.windowFilters(cur.TieAt, cur.TieAt+1)
	filters = append(filters, searchFilter{PropertyName: propObjectID, Operator: "GT", Value: cur.TieAfterID})
	res, err := c.search(ctx, searchRequest{
		FilterGroups: []searchFilterGroup{{Filters: filters}},
		Sorts:        []searchSort{{PropertyName: propObjectID, Direction: "ASCENDING"}},
		Properties:   props,
		Limit:        limit,
	})
	if err != nil {
		return SearchPage{}, err
	}
	contacts, _, err := contactsWithStamps(res)
	if err != nil {
		return SearchPage{}, err
	}
	page := SearchPage{Contacts: contacts, Total: res.Total}
	switch {
	case res.hasMore() && len(contacts) > 0:
		page.Next = &SearchCursor{Since: cur.TieAt, Until: cur.Until, TieAt: cur.TieAt, TieAfterID: contacts[len(contacts)-1].ID}
	case cur.Until == 0 || cur.TieAt+1 < cur.Until:
		page.Next = &SearchCursor{Since: cur.TieAt + 1, Until: cur.Until}
	}
	return page, nil
}

// windowFilters selects lastmodifieddate in [since, until); until 0 is open.
func (c *Client) windowFilters(since, until int64) []searchFilter {
	f := []searchFilter{{PropertyName: propLastModified, Operator: "GTE", Value: strconv.FormatInt(since, 10)}}
	if until != 0 {
		f = append(f, searchFilter{PropertyName: propLastModified, Operator: "LT", Value: strconv.FormatInt(until, 10)})
	}
	return f
}

func (c *Client) search(ctx context.Context, body searchRequest) (searchResponse, error) {
	var res searchResponse
	_, err := c.do(ctx, request{
		op:     opContactsSearch,
		method: http.MethodPost,
		path:   "/crm/v3/objects/contacts/search",
		body:   body,
		budget: budgetSearch,
	}, &res)
	return res, err
}

// contactsWithStamps converts results and reads each one's modification
// time in epoch ms, which the cursor is built from.
func contactsWithStamps(res searchResponse) ([]Contact, []int64, error) {
	contacts := make([]Contact, 0, len(res.Results))
	stamps := make([]int64, 0, len(res.Results))
	for _, r := range res.Results {
		ct := r.contact()
		t := parseTime(ct.Properties[propLastModified])
		if t.IsZero() {
			t = ct.UpdatedAt
		}
		if t.IsZero() {
			return nil, nil, &httpx.Error{API: apiName, Op: opContactsSearch, Kind: httpx.KindPermanent,
				Message: "search result " + ct.ID + " has no lastmodifieddate"}
		}
		contacts = append(contacts, ct)
		stamps = append(stamps, t.UnixMilli())
	}
	return contacts, stamps, nil
}
