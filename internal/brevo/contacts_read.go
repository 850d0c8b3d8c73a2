package brevo

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// MaxContactPage is the largest page of GET /contacts.
const MaxContactPage = 1000

// Sort orders of the contact listings: by creation, newest first unless
// asked otherwise.
const (
	SortAsc  = "asc"
	SortDesc = "desc"
)

// ContactQuery selects a page of GET /contacts.
type ContactQuery struct {
	// ListID keeps the contacts of one list (0: every contact).
	ListID int64
	// ModifiedSince keeps contacts modified after this instant (zero: no
	// filter). Whether the bound is inclusive is not documented, and Brevo's
	// clock is not ours: overlap successive windows rather than rely on it.
	ModifiedSince time.Time
	// CreatedSince keeps contacts created after this instant (zero: no
	// filter).
	CreatedSince time.Time
	// Limit is the page size, at most MaxContactPage; 0 means the maximum.
	Limit  int
	Offset int
	// Sort is SortAsc or SortDesc (by creation); empty leaves Brevo's
	// default, descending. Ascending pages stay stable while contacts are
	// being created.
	Sort string
}

// NextPage moves q to the page after page, one page of a listing Brevo
// counts total contacts in, and reports whether there is one: a short
// page or the count ends the listing.
func (q *ContactQuery) NextPage(page []Contact, total int64) bool {
	q.Offset += len(page)
	return len(page) >= q.pageSize() && int64(q.Offset) < total
}

func (q ContactQuery) pageSize() int {
	if q.Limit == 0 {
		return MaxContactPage
	}
	return q.Limit
}

// brevoTimeFormat is the UTC date-time Brevo's filters take
// (YYYY-MM-DDTHH:mm:ss.SSSZ).
const brevoTimeFormat = "2006-01-02T15:04:05.000Z"

func (q ContactQuery) values(op string) (url.Values, error) {
	if q.Limit < 0 || q.Limit > MaxContactPage || q.Offset < 0 {
		return nil, invalidArgument(op, "limit must be 0-1000 and offset not negative")
	}
	v := pageQuery(q.Offset, q.pageSize())
	switch q.Sort {
	case "":
	case SortAsc, SortDesc:
		v.Set("sort", q.Sort)
	default:
		return nil, invalidArgument(op, "sort must be asc or desc, not "+q.Sort)
	}
	if q.ListID > 0 {
		v.Set("listIds", strconv.FormatInt(q.ListID, 10))
	}
	if !q.ModifiedSince.IsZero() {
		v.Set("modifiedSince", q.ModifiedSince.UTC().Format(brevoTimeFormat))
	}
	if !q.CreatedSince.IsZero() {
		v.Set("createdSince", q.CreatedSince.UTC().Format(brevoTimeFormat))
	}
	return v, nil
}

// ListContacts reads one page of contacts and the number of contacts the
// query matches. It is the read-back of the sync's writes: contacts come
// with their ext_id, SMS, attributes, lists and blacklist flags.
func (c *Client) ListContacts(ctx context.Context, q ContactQuery) (page []Contact, total int64, err error) {
	const op = "contacts.list"
	query, err := q.values(op)
	if err != nil {
		return nil, 0, err
	}
	var out struct {
		Contacts []contactWire `json:"contacts"`
		Count    int64         `json:"count"`
	}
	if _, err := c.do(ctx, request{op: op, method: http.MethodGet, path: "/contacts", query: query}, &out); err != nil {
		return nil, 0, err
	}
	page = make([]Contact, len(out.Contacts))
	for i, w := range out.Contacts {
		page[i] = w.contact()
	}
	return page, out.Count, nil
}

// AllContacts pages through every contact the query matches, oldest first
// (q.Sort, Offset and Limit are ignored), one call per MaxContactPage
// contacts of the contacts budget.
func (c *Client) AllContacts(ctx context.Context, q ContactQuery) ([]Contact, error) {
	q.Sort, q.Limit, q.Offset = SortAsc, MaxContactPage, 0
	var all []Contact
	for {
		page, total, err := c.ListContacts(ctx, q)
		if err != nil {
			return all, err
		}
		all = append(all, page...)
		if !q.NextPage(page, total) {
			return all, nil
		}
	}
}

// DeleteContact deletes one contact. A contact that does not exist comes
// back as KindNotFound, which callers deleting for cleanup may ignore.
// Brevo refuses (405, KindPermanent) to delete the account owner's own
// contact.
func (c *Client) DeleteContact(ctx context.Context, identifier string, idType IdentifierType) error {
	const op = "contacts.delete"
	if identifier == "" {
		return invalidArgument(op, "empty contact identifier")
	}
	_, err := c.do(ctx, request{op: op, method: http.MethodDelete, path: "/contacts/" + segment(identifier),
		query: identifierQuery(idType)}, nil)
	return err
}
