package hubspot

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"go.uber.org/zap"

	"hubspot-brevo-sync/internal/httpx"
)

// MaxBatchRead is the number of ids one batch read accepts.
const MaxBatchRead = 100

// MaxContactsPage is the page size limit of the contacts listing.
const MaxContactsPage = 100

// Contact is a HubSpot contact as the sync sees it: every value a string,
// as HubSpot sends them ("true", "17", "a;b", ISO dates).
type Contact struct {
	ID string
	// Properties holds the requested properties that have a value; HubSpot
	// sends unset ones as null or leaves them out, and both end up absent.
	Properties map[string]string
	CreatedAt  time.Time
	UpdatedAt  time.Time
	Archived   bool
}

type objectJSON struct {
	ID         flexString                 `json:"id"`
	Properties map[string]json.RawMessage `json:"properties"`
	CreatedAt  string                     `json:"createdAt"`
	UpdatedAt  string                     `json:"updatedAt"`
	Archived   bool                       `json:"archived"`
}

func (o objectJSON) contact() Contact {
	return Contact{
		ID:         string(o.ID),
		Properties: propertyValues(o.Properties),
		CreatedAt:  parseTime(o.CreatedAt),
		UpdatedAt:  parseTime(o.UpdatedAt),
		Archived:   o.Archived,
	}
}

// BatchResult is what a batch read found.
type BatchResult struct {
	Contacts []Contact
	// Missing are requested ids HubSpot reported as not found: deleted
	// (archived) or never existing. A merged-away id is not missing: HubSpot
	// answers with the merged record, whose ID differs from the one asked.
	Missing []string
}

type batchReadRequest struct {
	Properties []string         `json:"properties"`
	Inputs     []batchReadInput `json:"inputs"`
}

type batchReadInput struct {
	ID string `json:"id"`
}

type batchReadResponse struct {
	Status    string       `json:"status"`
	Results   []objectJSON `json:"results"`
	NumErrors int          `json:"numErrors"`
	Errors    []struct {
		Status   string                     `json:"status"`
		Category string                     `json:"category"`
		Message  string                     `json:"message"`
		Context  map[string]json.RawMessage `json:"context"`
	} `json:"errors"`
}

// notFound splits the answer's per-input errors: the ids HubSpot did not
// find, or else the first other error as one of ours. A category we do
// not know is transient; so is a validation error when retryValidation
// (a read's inputs are ids: an unexplained refusal may clear).
func (r batchReadResponse) notFound(op string, status int, retryValidation bool) ([]string, error) {
	var missing []string
	for _, e := range r.Errors {
		if e.Category == "OBJECT_NOT_FOUND" {
			missing = append(missing, stringsOf(e.Context["ids"])...)
			continue
		}
		kind, ok := categoryKinds[e.Category]
		if !ok || retryValidation && kind == httpx.KindValidation {
			kind = httpx.KindTransient
		}
		return nil, &httpx.Error{API: apiName, Op: op, Status: status, Kind: kind, Code: e.Category, Message: e.Message}
	}
	return missing, nil
}

// BatchReadContacts reads contacts by record id with the given properties
// (nil: HubSpot's defaults). Properties travel in the request body, so any
// number of them fits (the GET endpoints put them in the URL and fail with
// 414 on portals with many properties). Larger inputs are split into calls
// of 100; duplicate ids are read once.
//
// Ids HubSpot reports as not found come back in Missing rather than as an
// error. Any other partial failure fails the call: treating it as "missing"
// would make the caller delete live contacts downstream.
func (c *Client) BatchReadContacts(ctx context.Context, ids []string, properties []string) (BatchResult, error) {
	ids = uniqueNonEmpty(ids)
	properties = uniqueNonEmpty(properties)
	var out BatchResult
	for start := 0; start < len(ids); start += MaxBatchRead {
		chunk := ids[start:min(start+MaxBatchRead, len(ids))]
		inputs := make([]batchReadInput, len(chunk))
		for i, id := range chunk {
			inputs[i] = batchReadInput{ID: id}
		}
		var res batchReadResponse
		status, err := c.do(ctx, request{
			op:     opContactsBatch,
			method: http.MethodPost,
			path:   "/crm/v3/objects/contacts/batch/read",
			query:  url.Values{"archived": {"false"}},
			body:   batchReadRequest{Properties: properties, Inputs: inputs},
		}, &res)
		if err != nil {
			return BatchResult{}, err
		}
		for _, r := range res.Results {
			out.Contacts = append(out.Contacts, r.contact())
		}
		missing, err := res.notFound(opContactsBatch, status, true)
		if err != nil {
			return BatchResult{}, err
		}
		out.Missing = append(out.Missing, missing...)
		if res.NumErrors > 0 && len(res.Errors) == 0 {
			c.log.Warn("batch read reported errors without details", zap.Int("numErrors", res.NumErrors))
		}
	}
	out.Missing = uniqueNonEmpty(out.Missing)
	return out, nil
}

// ContactIDPage is one page of the contacts listing.
type ContactIDPage struct {
	IDs []string
	// After continues the listing; "" on the last page.
	After string
}

type contactsListResponse struct {
	Results []objectJSON `json:"results"`
	Paging  *struct {
		Next *struct {
			After string `json:"after"`
		} `json:"next"`
	} `json:"paging"`
}

// ListContactIDs pages through the ids of all (unarchived) contacts in id
// order, for a full sync without a list. Only hs_object_id is requested, to
// keep the URL short; read the properties with BatchReadContacts. limit is
// clamped to 1..100; zero means 100.
func (c *Client) ListContactIDs(ctx context.Context, after string, limit int) (ContactIDPage, error) {
	if limit <= 0 || limit > MaxContactsPage {
		limit = MaxContactsPage
	}
	q := url.Values{
		"limit":      {strconv.Itoa(limit)},
		"properties": {"hs_object_id"},
		"archived":   {"false"},
	}
	if after != "" {
		q.Set("after", after)
	}
	var res contactsListResponse
	if _, err := c.do(ctx, request{op: opContactsList, method: http.MethodGet, path: "/crm/v3/objects/contacts", query: q}, &res); err != nil {
		return ContactIDPage{}, err
	}
	page := ContactIDPage{IDs: make([]string, 0, len(res.Results))}
	for _, r := range res.Results {
		page.IDs = append(page.IDs, string(r.ID))
	}
	if res.Paging != nil && res.Paging.Next != nil {
		page.After = res.Paging.Next.After
	}
	return page, nil
}

// uniqueNonEmpty drops empty and repeated entries, keeping the first order.
func uniqueNonEmpty(vs []string) []string {
	if len(vs) == 0 {
		return vs
	}
	seen := make(map[string]struct{}, len(vs))
	out := make([]string, 0, len(vs))
	for _, v := range vs {
		if v == "" {
			continue
		}
		if _, dup := seen[v]; dup {
			continue
		}
		seen[v] = struct{}{}
		out = append(out, v)
	}
	return out
}
