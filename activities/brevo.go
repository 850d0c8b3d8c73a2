package activities

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"go.temporal.io/sdk/activity"

	"hubspot-brevo-sync/internal/brevo"
	"hubspot-brevo-sync/internal/httpx"
	"hubspot-brevo-sync/internal/mapping"
)

// MapInput is a page of records and the mapping to apply.
type MapInput struct {
	Spec    mapping.Spec     `json:"spec"`
	Records []mapping.Record `json:"records"`
}

// MapResult holds the contacts to write and the records skipped, with why.
type MapResult struct {
	Contacts []mapping.Contact `json:"contacts"`
	Skipped  []mapping.Outcome `json:"skipped,omitempty"`
}

// MapContacts applies the mapping. It is pure and cheap, so the workflow
// runs it as a local activity.
func (a *Activities) MapContacts(_ context.Context, in MapInput) (MapResult, error) {
	var out MapResult
	for _, r := range in.Records {
		c, skip := mapping.Map(in.Spec, r)
		if skip != nil {
			out.Skipped = append(out.Skipped, mapping.Outcome{
				HubSpotID: r.ID, Email: r.Properties["email"], Kind: mapping.OutcomeSkipped, Reason: skip.Reason, Text: skip.Text,
			})
			continue
		}
		out.Contacts = append(out.Contacts, c)
	}
	return out, nil
}

// UpsertInput is a batch of mapped contacts for one Brevo list.
type UpsertInput struct {
	BrevoListID int64             `json:"brevoListId"`
	Contacts    []mapping.Contact `json:"contacts"`
}

// UpsertResult counts confirmed writes. Outcomes lists the contacts that
// failed and those written with values left out.
type UpsertResult struct {
	Created  int               `json:"created"`
	Updated  int               `json:"updated"`
	Failed   int               `json:"failed"`
	Outcomes []mapping.Outcome `json:"outcomes,omitempty"`
}

// upsertProgress is heartbeated after each contact so a retried attempt
// continues where the last one stopped instead of writing (and counting)
// the same contacts again.
type upsertProgress struct {
	Next   int          `json:"next"`
	Result UpsertResult `json:"result"`
}

// UpsertContacts writes each contact to Brevo keyed by ext_id (the HubSpot
// record id) and adds it to the list. Per-contact refusals (validation,
// a phone held by another contact) become outcomes; failures that concern
// the whole batch (rate limits, outages, revoked key, deleted list) fail
// the activity so Temporal retries it or the workflow reports it.
func (a *Activities) UpsertContacts(ctx context.Context, in UpsertInput) (UpsertResult, error) {
	var p upsertProgress
	if activity.HasHeartbeatDetails(ctx) {
		if err := activity.GetHeartbeatDetails(ctx, &p); err != nil {
			p = upsertProgress{}
		}
	}
	for ; p.Next < len(in.Contacts); p.Next++ {
		c := in.Contacts[p.Next]
		created, notes, err := a.upsertOne(ctx, in.BrevoListID, c)
		if err != nil {
			if e, ok := httpx.AsError(err); ok && !e.Retryable() && contactLevel(e) {
				p.Result.Failed++
				p.Result.Outcomes = append(p.Result.Outcomes, mapping.Outcome{
					HubSpotID: c.ExtID, Email: c.Email, Kind: mapping.OutcomeFailed, Reason: mapping.ReasonRejected, Text: e.Error(),
				})
				activity.RecordHeartbeat(ctx, upsertProgress{Next: p.Next + 1, Result: p.Result})
				continue
			}
			activity.RecordHeartbeat(ctx, p)
			return UpsertResult{}, temporalError(err)
		}
		kind := mapping.OutcomeUpdated
		if created {
			kind = mapping.OutcomeCreated
			p.Result.Created++
		} else {
			p.Result.Updated++
		}
		for _, n := range append(c.Notes, notes...) {
			p.Result.Outcomes = append(p.Result.Outcomes, mapping.Outcome{
				HubSpotID: c.ExtID, Email: c.Email, Kind: kind, Reason: n.Reason, Text: n.Text,
			})
		}
		activity.RecordHeartbeat(ctx, upsertProgress{Next: p.Next + 1, Result: p.Result})
	}
	return p.Result, nil
}

// contactLevel reports whether a permanent error concerns only the contact
// being written (and the batch can go on) rather than the account or list.
func contactLevel(e *httpx.Error) bool {
	return e.Kind == httpx.KindValidation || e.Kind == httpx.KindDuplicate
}

// upsertOne writes one contact. Brevo refuses the whole call when the SMS
// number belongs to another contact or does not look like a phone number
// to Brevo (a national number without country code); the contact is then
// written without it, and a note says why.
func (a *Activities) upsertOne(ctx context.Context, listID int64, c mapping.Contact) (created bool, notes []mapping.Note, err error) {
	req := brevo.ContactUpsert{
		Email:         c.Email,
		ExtID:         c.ExtID,
		Attributes:    c.Attributes,
		ListIDs:       []int64{listID},
		UpdateEnabled: true,
	}
	res, err := a.Brevo.UpsertContact(ctx, req)
	if reason, refused := smsRefused(err); refused && c.Email != "" && c.SMS() != "" {
		notes = append(notes, mapping.Note{
			Reason: reason, Attribute: mapping.AttrSMS,
			Text: fmt.Sprintf("Brevo refused SMS %s (%s); written without it", c.SMS(), err),
		})
		req.Attributes = withoutKey(c.Attributes, mapping.AttrSMS)
		res, err = a.Brevo.UpsertContact(ctx, req)
	}
	if err != nil {
		return false, nil, err
	}
	return res.Created, notes, nil
}

// smsRefused reports whether Brevo refused a write because of its SMS
// value, and the reason kind for the record.
func smsRefused(err error) (reason string, refused bool) {
	e, ok := httpx.AsError(err)
	if !ok {
		return "", false
	}
	switch {
	case e.Kind == httpx.KindDuplicate && slices.Contains(e.Fields, mapping.AttrSMS):
		return mapping.ReasonDuplicateSMS, true
	case e.Kind == httpx.KindValidation && (slices.Contains(e.Fields, mapping.AttrSMS) || strings.Contains(strings.ToLower(e.Message), "phone")):
		return mapping.ReasonInvalidPhone, true
	}
	return "", false
}

func withoutKey(m map[string]any, key string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		if k != key {
			out[k] = v
		}
	}
	return out
}

// NewListInput names a Brevo list to create (or find) for an integration.
type NewListInput struct {
	Name     string `json:"name"`
	FolderID int64  `json:"folderId,omitempty"` // 0: the product's own folder
}

// DefaultFolderName is the Brevo folder new lists go into when the user
// names none (Brevo requires a folder for every list).
const DefaultFolderName = "hubspot-brevo-sync"

// EnsureBrevoList returns the id of the named list, creating it (and the
// default folder) when absent. Looking up before creating makes a retried
// attempt find what the first attempt created.
func (a *Activities) EnsureBrevoList(ctx context.Context, in NewListInput) (int64, error) {
	folderID := in.FolderID
	if folderID == 0 {
		folders, err := a.Brevo.AllFolders(ctx)
		if err != nil {
			return 0, temporalError(err)
		}
		for _, f := range folders {
			if f.Name == DefaultFolderName {
				folderID = f.ID
				break
			}
		}
		if folderID == 0 {
			if folderID, err = a.Brevo.CreateFolder(ctx, DefaultFolderName); err != nil {
				return 0, temporalError(err)
			}
		}
	}
	lists, err := a.Brevo.AllLists(ctx)
	if err != nil {
		return 0, temporalError(err)
	}
	for _, l := range lists {
		if l.Name == in.Name && l.FolderID == folderID {
			return l.ID, nil
		}
	}
	id, err := a.Brevo.CreateList(ctx, in.Name, folderID)
	return id, temporalError(err)
}
