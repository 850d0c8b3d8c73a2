package activities

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/activity"

	"hubspot-brevo-sync/internal/brevo"
	"hubspot-brevo-sync/internal/httpx"
	"hubspot-brevo-sync/internal/mapping"
	"hubspot-brevo-sync/internal/store"
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
	Integration string            `json:"integration"`
	BrevoListID int64             `json:"brevoListId"`
	Contacts    []mapping.Contact `json:"contacts"`
	// Skipped are the batch's records the mapping left out; their reasons
	// are kept in the store with the write outcomes.
	Skipped []mapping.Outcome `json:"skipped,omitempty"`
}

// UpsertResult counts confirmed writes and contacts left alone because
// Brevo already has exactly their values. Outcomes lists the contacts that
// failed and those written with values left out.
type UpsertResult struct {
	Created   int               `json:"created"`
	Updated   int               `json:"updated"`
	Unchanged int               `json:"unchanged"`
	Failed    int               `json:"failed"`
	Outcomes  []mapping.Outcome `json:"outcomes,omitempty"`
}

// upsertProgress is heartbeated after each contact so a retried attempt
// continues where the last one stopped instead of writing (and counting)
// the same contacts again.
type upsertProgress struct {
	Next   int          `json:"next"`
	Result UpsertResult `json:"result"`
}

// UpsertContacts writes each contact to Brevo keyed by ext_id (the HubSpot
// record id) and adds it to the list. A contact whose mapped values equal
// what was last written is not written again (no task spent). Per-contact
// refusals (validation, a phone held by another contact) become outcomes;
// failures that concern the whole batch (rate limits, outages, revoked
// key, deleted list) fail the activity so Temporal retries it or the
// workflow reports it.
func (a *Activities) UpsertContacts(ctx context.Context, in UpsertInput) (UpsertResult, error) {
	var p upsertProgress
	if activity.HasHeartbeatDetails(ctx) {
		if err := activity.GetHeartbeatDetails(ctx, &p); err != nil {
			p = upsertProgress{}
		}
	}
	known, err := a.Store.Records(ctx, in.Integration, relatedIDs(in.Contacts))
	if err != nil {
		return UpsertResult{}, temporalError(err)
	}
	var written []store.Written
	var outcomes []store.Outcome
	claims := map[string]string{}
	if p.Next == 0 {
		for _, o := range in.Skipped {
			outcomes = append(outcomes, storeOutcome(o))
		}
	}
	flush := func() error {
		if err := a.Store.SaveWritten(ctx, in.Integration, written); err != nil {
			return err
		}
		written = written[:0]
		// The numbers written, so a later import leaves them out of
		// other contacts' rows.
		if _, err := a.Store.ClaimSMS(ctx, in.Integration, claims); err != nil {
			return err
		}
		clear(claims)
		err := a.Store.SaveOutcomes(ctx, in.Integration, outcomes)
		outcomes = outcomes[:0]
		return err
	}
	for ; p.Next < len(in.Contacts); p.Next++ {
		c := in.Contacts[p.Next]
		hash := ContentHash(c)
		if known[c.ExtID].Hash == hash {
			p.Result.Unchanged++
			continue
		}
		created, notes, err := a.writeOne(ctx, in, c, known)
		if err != nil {
			e, ok := httpx.AsError(err)
			if !ok || e.Retryable() || !contactLevel(e) {
				activity.RecordHeartbeat(ctx, p)
				if ferr := flush(); ferr != nil {
					return UpsertResult{}, temporalError(ferr)
				}
				return UpsertResult{}, temporalError(err)
			}
			p.Result.Failed++
			o := mapping.Outcome{HubSpotID: c.ExtID, Email: c.Email, Kind: mapping.OutcomeFailed, Reason: mapping.ReasonRejected, Text: e.Error()}
			p.Result.Outcomes = append(p.Result.Outcomes, o)
			outcomes = append(outcomes, storeOutcome(o))
			activity.RecordHeartbeat(ctx, upsertProgress{Next: p.Next + 1, Result: p.Result})
			continue
		}
		kind := mapping.OutcomeUpdated
		if created {
			kind = mapping.OutcomeCreated
			p.Result.Created++
		} else {
			p.Result.Updated++
		}
		written = append(written, store.Written{HubSpotID: c.ExtID, Email: c.Email, Hash: hash})
		if key, ok := smsKey(c.SMS()); ok && len(notes) == 0 {
			claims[key] = c.ExtID
		}
		for _, n := range append(c.Notes, notes...) {
			o := mapping.Outcome{HubSpotID: c.ExtID, Email: c.Email, Kind: kind, Reason: n.Reason, Text: n.Text}
			p.Result.Outcomes = append(p.Result.Outcomes, o)
			outcomes = append(outcomes, storeOutcome(o))
		}
		activity.RecordHeartbeat(ctx, upsertProgress{Next: p.Next + 1, Result: p.Result})
		if len(written) >= 50 {
			if err := flush(); err != nil {
				return UpsertResult{}, temporalError(err)
			}
		}
	}
	if err := flush(); err != nil {
		return UpsertResult{}, temporalError(err)
	}
	return p.Result, nil
}

// relatedIDs are the ids the store is asked about: the contacts and the
// records merged into them.
func relatedIDs(cs []mapping.Contact) []string {
	var ids []string
	for _, c := range cs {
		ids = append(ids, c.ExtID)
		ids = append(ids, c.MergedFrom...)
	}
	return ids
}

// ContentHash identifies the values written for a contact: equal hashes
// mean Brevo already holds exactly these values.
func ContentHash(c mapping.Contact) string {
	b, _ := json.Marshal(struct {
		Email      string         `json:"e"`
		Attributes map[string]any `json:"a"`
	}{c.Email, c.Attributes}) // map keys are sorted by encoding/json
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}

func storeOutcome(o mapping.Outcome) store.Outcome {
	return store.Outcome{HubSpotID: o.HubSpotID, Email: strings.ToLower(o.Email), Kind: o.Kind, Reason: o.Reason, Detail: o.Text, At: time.Now()}
}

// contactLevel reports whether a permanent error concerns only the contact
// being written (and the batch can go on) rather than the account or list.
func contactLevel(e *httpx.Error) bool {
	return e.Kind == httpx.KindValidation || e.Kind == httpx.KindDuplicate
}

// writeOne writes one contact, keeping its Brevo identity:
//   - a contact HubSpot merged (new id, the old ones in hs_merged_object_ids)
//     re-keys the Brevo contact of an old id instead of creating another;
//   - a contact Brevo already holds whose email changed is updated by
//     ext_id with the new EMAIL (an upsert by email would create a second
//     contact), and stays blacklisted if it was (Brevo un-blacklists a
//     contact whose email changes);
//   - everything else is an upsert (POST /contacts, updateEnabled) keyed by
//     ext_id, which also adopts a Brevo contact with the same email and no
//     ext_id rather than duplicating it.
func (a *Activities) writeOne(ctx context.Context, in UpsertInput, c mapping.Contact, known map[string]store.Record) (created bool, notes []mapping.Note, err error) {
	prev, ok := known[c.ExtID]
	if !ok || prev.Hash == "" {
		if prev, ok, err = a.rekeyMerged(ctx, in.Integration, c, known); err != nil {
			return false, nil, err
		}
	}
	if ok && prev.Hash != "" && prev.Email != c.Email && c.Email != "" {
		notes, err = writeWithSMSFallback(c, func(attrs map[string]any) error {
			return a.updateByExtID(ctx, in.BrevoListID, c, attrs)
		})
		if !httpx.IsKind(err, httpx.KindNotFound) {
			return false, notes, err
		}
		// Somebody deleted it in Brevo: create it again below.
	}
	notes, err = writeWithSMSFallback(c, func(attrs map[string]any) error {
		res, err := a.Brevo.UpsertContact(ctx, brevo.ContactUpsert{
			Email: c.Email, ExtID: c.ExtID, Attributes: attrs, ListIDs: []int64{in.BrevoListID}, UpdateEnabled: true,
		})
		created = res.Created
		return err
	})
	return created, notes, err
}

// rekeyMerged gives the Brevo contact of a merged-away id the merged
// record's id. It returns what the store knew of that contact.
func (a *Activities) rekeyMerged(ctx context.Context, integration string, c mapping.Contact, known map[string]store.Record) (store.Record, bool, error) {
	for _, old := range c.MergedFrom {
		r, ok := known[old]
		if !ok || r.Hash == "" {
			continue
		}
		err := a.Brevo.UpdateContact(ctx, old, brevo.IdentifierExtID, brevo.ContactUpdate{ExtID: c.ExtID})
		if httpx.IsKind(err, httpx.KindNotFound) {
			continue
		}
		if err != nil {
			return store.Record{}, false, err
		}
		if err := a.Store.Rekey(ctx, integration, old, c.ExtID); err != nil {
			return store.Record{}, false, err
		}
		r.HubSpotID = c.ExtID
		return r, true, nil
	}
	return store.Record{}, false, nil
}

// updateByExtID updates an existing Brevo contact, email included.
func (a *Activities) updateByExtID(ctx context.Context, listID int64, c mapping.Contact, attrs map[string]any) error {
	current, err := a.Brevo.GetContact(ctx, c.ExtID, brevo.IdentifierExtID)
	if err != nil {
		return err
	}
	upd := brevo.ContactUpdate{Attributes: withKey(attrs, mapping.AttrEmail, c.Email), ListIDs: []int64{listID}}
	if current.EmailBlacklisted {
		upd.EmailBlacklisted = brevo.Bool(true)
	}
	return a.Brevo.UpdateContact(ctx, c.ExtID, brevo.IdentifierExtID, upd)
}

// writeWithSMSFallback runs write with the contact's attributes. Brevo
// refuses the whole call when the SMS number belongs to another contact
// or does not look like a phone number to Brevo (a national number
// without country code); the contact is then written without it, and a
// note says why.
func writeWithSMSFallback(c mapping.Contact, write func(attrs map[string]any) error) ([]mapping.Note, error) {
	err := write(c.Attributes)
	reason, refused := smsRefused(err)
	if !refused || c.Email == "" || c.SMS() == "" {
		return nil, err
	}
	notes := []mapping.Note{{
		Reason: reason, Attribute: mapping.AttrSMS,
		Text: fmt.Sprintf("Brevo refused SMS %s (%s); written without it", c.SMS(), err),
	}}
	return notes, write(withoutKey(c.Attributes, mapping.AttrSMS))
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

func withKey(m map[string]any, key string, v any) map[string]any {
	out := make(map[string]any, len(m)+1)
	for k, val := range m {
		out[k] = val
	}
	out[key] = v
	return out
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
