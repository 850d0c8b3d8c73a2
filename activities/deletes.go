package activities

import (
	"context"

	"go.temporal.io/sdk/activity"

	"hubspot-brevo-sync/internal/brevo"
	"hubspot-brevo-sync/internal/httpx"
	"hubspot-brevo-sync/internal/integration"
)

// ReasonDeletedInHubSpot is the outcome reason of a linked contact that
// HubSpot deleted (archived or GDPR-deleted), with --on-delete delete or
// keep.
const ReasonDeletedInHubSpot = "deleted_in_hubspot"

// deletedInHubSpot tells which of the linked leavers (ext_ids of acct)
// HubSpot deleted, when
// the policy needs to know (delete, keep): a batch read (archived=false)
// of them finds those that merely left the list, and answers a merged-away
// id with the record it was merged into. Only the ids HubSpot reports as
// not found are deleted; any other failure of the read fails the call.
func (a *Activities) deletedInHubSpot(ctx context.Context, acct integration.HubSpotAccount, policy string, ids []string) (map[string]bool, error) {
	deleted := map[string]bool{}
	if len(ids) == 0 || (policy != OnDeleteDelete && policy != OnDeleteKeep) {
		return deleted, nil
	}
	hs, err := a.hubspotOf(acct)
	if err != nil {
		return nil, err
	}
	read, err := hs.BatchReadContacts(ctx, acct.RecordIDs(ids), []string{"hs_object_id"})
	if err != nil {
		return nil, temporalError(err)
	}
	asked := make(map[string]bool, len(ids))
	for _, id := range ids {
		asked[id] = true
	}
	for _, id := range acct.ExtIDs(read.Missing) {
		if asked[id] {
			deleted[id] = true
		}
	}
	return deleted, nil
}

// deleteInBrevo deletes the Brevo contacts of records HubSpot deleted,
// by ext_id only: a contact the sync did not link has no such ext_id, and
// the contact of a record merged away was re-keyed to the surviving id
// (rekeyMerged), so neither can be hit. A contact already gone (404) is
// done. Deletes are not tasks: the quota is not asked.
func (a *Activities) deleteInBrevo(ctx context.Context, integration string, ids []string) error {
	for _, id := range ids {
		err := a.Brevo.DeleteContact(ctx, id, brevo.IdentifierExtID)
		if err != nil && !httpx.IsKind(err, httpx.KindNotFound) {
			return temporalError(err)
		}
		activity.RecordHeartbeat(ctx, id)
	}
	// No Brevo contact holds them any more: a record HubSpot restores is
	// written (created) again.
	return temporalError(a.Store.MarkUnlinked(ctx, integration, ids, ""))
}
