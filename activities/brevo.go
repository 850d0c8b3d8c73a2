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

	"hubspot-brevo-sync/internal/brevo"
	"hubspot-brevo-sync/internal/httpx"
	"hubspot-brevo-sync/internal/mapping"
	"hubspot-brevo-sync/internal/store"
)

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
// mean Brevo already holds exactly these values. The blocklist wish is
// one of them (an opt-out after the last write is written), left out
// when false so that hashes from before the consent options still hold.
func ContentHash(c mapping.Contact) string {
	b, _ := json.Marshal(struct {
		Email      string         `json:"e"`
		Attributes map[string]any `json:"a"`
		Blocklist  bool           `json:"b,omitempty"`
	}{c.Email, c.Attributes, c.Blocklist}) // map keys are sorted by encoding/json
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
//     contact whose email changes) or is to be blocklisted;
//   - everything else is an upsert (POST /contacts, updateEnabled) keyed by
//     ext_id, which also adopts a Brevo contact with the same email and no
//     ext_id rather than duplicating it.
func (a *Activities) writeOne(ctx context.Context, integration string, listID int64, c mapping.Contact, known map[string]store.Record) (created bool, notes []mapping.Note, err error) {
	prev, ok := known[c.ExtID]
	if !ok || prev.Hash == "" {
		if prev, ok, err = a.rekeyMerged(ctx, integration, c, known); err != nil {
			return false, nil, err
		}
	}
	if ok && prev.Hash != "" && prev.Email != c.Email && c.Email != "" {
		notes, err = writeWithSMSFallback(c, func(attrs map[string]any) error {
			return a.updateByExtID(ctx, listID, c, attrs)
		})
		if !httpx.IsKind(err, httpx.KindNotFound) {
			return false, notes, err
		}
		// Somebody deleted it in Brevo: create it again below.
	}
	notes, err = writeWithSMSFallback(c, func(attrs map[string]any) error {
		res, err := a.Brevo.UpsertContact(ctx, brevo.ContactUpsert{
			Email: c.Email, ExtID: c.ExtID, Attributes: attrs, ListIDs: []int64{listID}, UpdateEnabled: true,
			EmailBlacklisted: blocklistFlag(c),
		})
		created = res.Created
		return err
	})
	return created, notes, err
}

// rekeyMerged gives the Brevo contact of a merged-away id the merged
// record's id: the one written with the merged record's email if any (in
// Brevo the email is the contact's identity; taking another would clash
// with it), else the first one written. It returns what the store knew of
// that contact.
func (a *Activities) rekeyMerged(ctx context.Context, integration string, c mapping.Contact, known map[string]store.Record) (store.Record, bool, error) {
	olds := slices.Clone(c.MergedFrom)
	slices.SortStableFunc(olds, func(x, y string) int {
		return boolRank(c.Email != "" && strings.EqualFold(known[y].Email, c.Email)) -
			boolRank(c.Email != "" && strings.EqualFold(known[x].Email, c.Email))
	})
	for _, old := range olds {
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

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

// updateByExtID updates an existing Brevo contact, email included.
func (a *Activities) updateByExtID(ctx context.Context, listID int64, c mapping.Contact, attrs map[string]any) error {
	current, err := a.Brevo.GetContact(ctx, c.ExtID, brevo.IdentifierExtID)
	if err != nil {
		return err
	}
	upd := brevo.ContactUpdate{Attributes: withKey(attrs, mapping.AttrEmail, c.Email), ListIDs: []int64{listID}}
	if current.EmailBlacklisted || c.Blocklist {
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
