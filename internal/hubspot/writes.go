package hubspot

import (
	"context"
	"net/http"
	"strings"

	"hubspot-brevo-sync/internal/httpx"
)

// The client's only writes to HubSpot: reporting Brevo unsubscribes back
// (--report-unsubscribes-to-hubspot). They go through Client.do like every
// read, so the governor paces them with the rest.
const (
	opContactsBatchUpdate = "contacts.batchUpdate"
	opPropertyCreate      = "properties.create"
	opUnsubscribe         = "communicationPreferences.unsubscribe"
)

// MaxBatchUpdate is the number of inputs one batch update accepts.
const MaxBatchUpdate = 100

// ContactUpdate sets properties of one contact by record id.
type ContactUpdate struct {
	ID         string            `json:"id"`
	Properties map[string]string `json:"properties"`
}

type batchUpdateRequest struct {
	Inputs []ContactUpdate `json:"inputs"`
}

// BatchUpdateResult is what a batch update did not do.
type BatchUpdateResult struct {
	// Missing are the ids HubSpot reported as not found (deleted since).
	Missing []string
}

// BatchUpdateContacts writes the updates in calls of MaxBatchUpdate
// (POST /crm/v3/objects/contacts/batch/update, scope
// crm.objects.contacts.write). Ids HubSpot reports as not found come back
// in Missing; any other partial failure fails the call, and since every
// update sets absolute values, calling again is safe.
func (c *Client) BatchUpdateContacts(ctx context.Context, updates []ContactUpdate) (BatchUpdateResult, error) {
	var out BatchUpdateResult
	for start := 0; start < len(updates); start += MaxBatchUpdate {
		chunk := updates[start:min(start+MaxBatchUpdate, len(updates))]
		var res batchReadResponse // the same envelope: results, numErrors, errors
		status, err := c.do(ctx, request{
			op:     opContactsBatchUpdate,
			method: http.MethodPost,
			path:   "/crm/v3/objects/contacts/batch/update",
			body:   batchUpdateRequest{Inputs: chunk},
		}, &res)
		if err != nil {
			return out, err
		}
		missing, err := res.notFound(opContactsBatchUpdate, status, false)
		if err != nil {
			return out, err
		}
		out.Missing = append(out.Missing, missing...)
	}
	out.Missing = uniqueNonEmpty(out.Missing)
	return out, nil
}

// NewProperty defines a contact property to create.
type NewProperty struct {
	Name        string           `json:"name"`
	Label       string           `json:"label"`
	Type        string           `json:"type"`      // bool, datetime, string, ...
	FieldType   string           `json:"fieldType"` // booleancheckbox, date, text, ...
	GroupName   string           `json:"groupName"`
	Description string           `json:"description,omitempty"`
	Options     []PropertyOption `json:"options,omitempty"`
}

// PropertyOption is one option of a new enumeration or bool property.
type PropertyOption struct {
	Label string `json:"label"`
	Value string `json:"value"`
}

// EnsureProperty creates a contact property (POST
// /crm/v3/properties/contacts, scope crm.schemas.contacts.write); one that
// exists already (409) is fine: created tells which.
func (c *Client) EnsureProperty(ctx context.Context, p NewProperty) (created bool, err error) {
	_, err = c.do(ctx, request{op: opPropertyCreate, method: http.MethodPost, path: "/crm/v3/properties/contacts", body: p}, nil)
	if e, ok := httpx.AsError(err); ok && e.Status == http.StatusConflict {
		return false, nil
	}
	return err == nil, err
}

// Unsubscribe is an email's unsubscription from one subscription type.
type Unsubscribe struct {
	EmailAddress   string `json:"emailAddress"`
	SubscriptionID string `json:"subscriptionId"`
	// LegalBasis and its explanation are required by portals with GDPR
	// features on and accepted by the others.
	LegalBasis            string `json:"legalBasis,omitempty"`
	LegalBasisExplanation string `json:"legalBasisExplanation,omitempty"`
}

// UnsubscribeEmail unsubscribes an email from a subscription type (POST
// /communication-preferences/v3/unsubscribe, scope
// communication_preferences.write). An email already unsubscribed, which
// HubSpot answers with a 400 saying so, is done as well.
func (c *Client) UnsubscribeEmail(ctx context.Context, u Unsubscribe) error {
	_, err := c.do(ctx, request{op: opUnsubscribe, method: http.MethodPost, path: "/communication-preferences/v3/unsubscribe", body: u}, nil)
	if e, ok := httpx.AsError(err); ok && e.Status == http.StatusBadRequest && strings.Contains(strings.ToLower(e.Message), "already unsubscribed") {
		return nil
	}
	return err
}
