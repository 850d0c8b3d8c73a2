package activities

import (
	"context"
	"fmt"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"hubspot-brevo-sync/internal/brevo"
	"hubspot-brevo-sync/internal/integration"
	"hubspot-brevo-sync/internal/mapping"
	"hubspot-brevo-sync/internal/store"
)

// What happens to a contact that leaves the HubSpot list (or is deleted or
// merged away in HubSpot). Brevo contacts are never deleted, unless
// --on-delete delete asks for it for the contacts HubSpot deleted.
const (
	OnLeaveUnlink = integration.OnLeaveUnlink
	OnLeaveKeep   = integration.OnLeaveKeep
)

// ErrTypeUnlinkGuard: more members left than the guard allows in one pass.
const ErrTypeUnlinkGuard = "UnlinkGuard"

// ReasonLeftList is the outcome reason of a contact that left the list.
const ReasonLeftList = "left_list"

// What happens to a linked contact deleted in HubSpot (--on-delete).
const (
	OnDeleteUnlink = integration.OnDeleteUnlink
	OnDeleteDelete = integration.OnDeleteDelete
	OnDeleteKeep   = integration.OnDeleteKeep
)

// FinishScanInput closes a membership scan.
type FinishScanInput struct {
	Integration string `json:"integration"`
	// HubSpotListID is the scanned list, looked up before anyone is
	// unlinked. Empty (inputs scheduled before it existed) skips the look-up.
	HubSpotListID string `json:"hubspotListId,omitempty"`
	BrevoListID   int64  `json:"brevoListId"`
	Scan          int64  `json:"scan"`
	OnLeave       string `json:"onLeave"`
	// GuardPercent refuses to unlink more than this share of the members
	// in one pass; 0 turns the guard off. AllowLeaves overrides it once.
	GuardPercent int  `json:"guardPercent"`
	AllowLeaves  bool `json:"allowLeaves,omitempty"`
	// OnDelete is the --on-delete policy; "" (inputs scheduled before it
	// existed) is OnDeleteUnlink, which does not tell deleted from left.
	OnDelete string `json:"onDelete,omitempty"`

	// HubSpot is the account of the list ("": the default connection).
	HubSpot integration.HubSpotAccount `json:"hubspot,omitzero"`
}

// FinishScanResult counts the members the scan did not see.
type FinishScanResult struct {
	Left     int `json:"left"`
	Unlinked int `json:"unlinked"`
	Members  int `json:"members"`
	// DeletedInHubSpot counts the linked leavers HubSpot deleted
	// (--on-delete delete or keep), deleted in Brevo or kept per OnDelete.
	DeletedInHubSpot int `json:"deletedInHubSpot,omitempty"`
	// Deferred: HubSpot was still computing the list's members (its
	// processingStatus, in ListStatus, was not COMPLETE), so the scan may
	// have missed members who never left. Nobody was unlinked or forgotten:
	// Left is 0, Unseen counts the members the scan did not see, and the
	// next pass's scan decides about them.
	Deferred   bool   `json:"deferred,omitempty"`
	ListStatus string `json:"listStatus,omitempty"`
	Unseen     int    `json:"unseen,omitempty"`
}

// FinishScan handles the members a complete scan did not see: they left
// the list, were archived or merged away. They are unlinked from the Brevo
// list (or kept, by choice) and forgotten as members; with --on-delete
// delete or keep, those HubSpot deleted are deleted in Brevo or kept. A
// guard refuses to unlink (or delete) a large share of the list at once: a
// half-read membership must not empty a Brevo list. A list HubSpot is still processing defers the
// leavers to the next pass; that check comes before the guard, so a
// recompute in progress does not stop the integration for a person.
func (a *Activities) FinishScan(ctx context.Context, in FinishScanInput) (FinishScanResult, error) {
	members, err := a.Store.Members(ctx, in.Integration)
	if err != nil {
		return FinishScanResult{}, temporalError(err)
	}
	left, err := a.Store.CountLeft(ctx, in.Integration, in.Scan)
	if err != nil {
		return FinishScanResult{}, temporalError(err)
	}
	res := FinishScanResult{Left: left, Members: members - left}
	if left == 0 {
		return res, nil
	}
	if status, complete, err := a.listProcessingStatus(ctx, in.HubSpot, in.HubSpotListID); err != nil {
		return FinishScanResult{}, err
	} else if !complete {
		activity.GetLogger(ctx).Info("HubSpot list still processing; leavers deferred to the next pass",
			"List", in.HubSpotListID, "Status", status, "Unseen", left)
		return FinishScanResult{Members: members, Deferred: true, ListStatus: status, Unseen: left}, nil
	}
	if in.GuardPercent > 0 && !in.AllowLeaves && left*100 > in.GuardPercent*members {
		return res, temporal.NewNonRetryableApplicationError(fmt.Sprintf(
			"unlink guard: %d of %d members (%d %%) left the HubSpot list (or were deleted there) in one pass, more than the guard's %d %%; "+
				"nothing was unlinked or deleted. If the list really shrank, run `starter resume %s --allow-leaves`",
			left, members, left*100/members, in.GuardPercent, in.Integration), ErrTypeUnlinkGuard, nil)
	}
	err = a.unlinkLeft(ctx, in, &res)
	return res, err
}

// listProcessingStatus looks the list up and tells whether its members are
// complete. Without a list id there is nothing to ask and the scan is
// taken as complete, which is how FinishScan behaved before the look-up.
func (a *Activities) listProcessingStatus(ctx context.Context, acct integration.HubSpotAccount, listID string) (status string, complete bool, err error) {
	if listID == "" {
		return "", true, nil
	}
	hs, err := a.hubspotOf(acct)
	if err != nil {
		return "", false, err
	}
	l, err := hs.GetList(ctx, listID)
	if err != nil {
		return "", false, temporalError(err)
	}
	return l.ProcessingStatus, l.MembershipsComplete(), nil
}

// unlinkLeft unlinks (or keeps) and forgets the leavers of the scan,
// batch by batch, counting into res. With --on-delete delete or keep, the
// linked leavers HubSpot deleted are told apart first and handled per
// OnDelete; the others are leavers as before.
func (a *Activities) unlinkLeft(ctx context.Context, in FinishScanInput, res *FinishScanResult) error {
	for {
		batch, err := a.Store.Left(ctx, in.Integration, in.Scan, 600)
		if err != nil {
			return temporalError(err)
		}
		if len(batch) == 0 {
			return nil
		}
		ids := make([]string, 0, len(batch))
		var written []string
		for _, r := range batch {
			ids = append(ids, r.HubSpotID)
			if r.Hash != "" {
				written = append(written, r.HubSpotID) // only those ever written are in the Brevo list
			}
		}
		deleted, err := a.deletedInHubSpot(ctx, in.HubSpot, in.OnDelete, written)
		if err != nil {
			return err
		}
		var unlink, remove []string
		outcomes := make([]store.Outcome, 0, len(batch))
		for _, r := range batch {
			o := leaverOutcome(in, r, deleted[r.HubSpotID])
			outcomes = append(outcomes, storeOutcome(o))
			switch {
			case r.Hash == "":
			case deleted[r.HubSpotID] && in.OnDelete == OnDeleteDelete:
				remove = append(remove, r.HubSpotID)
			case !deleted[r.HubSpotID] && in.OnLeave != OnLeaveKeep:
				unlink = append(unlink, r.HubSpotID)
			}
		}
		res.DeletedInHubSpot += len(deleted)
		if err := a.unlinkFromList(ctx, in, unlink, res); err != nil {
			return err
		}
		if err := a.deleteInBrevo(ctx, in.Integration, remove); err != nil {
			return err
		}
		if err := a.Store.SaveOutcomes(ctx, in.Integration, outcomes); err != nil {
			return temporalError(err)
		}
		if err := a.Store.MarkLeft(ctx, in.Integration, ids); err != nil {
			return temporalError(err)
		}
		activity.RecordHeartbeat(ctx, res.Unlinked)
	}
}

func (a *Activities) unlinkFromList(ctx context.Context, in FinishScanInput, ids []string, res *FinishScanResult) error {
	n, err := a.unlink(ctx, in.Integration, in.BrevoListID, ids, "")
	res.Unlinked += n
	return temporalError(err)
}

// unlink removes the records' contacts (by ext_id) from the Brevo list
// and says how many Brevo removed. Unlinked, they are no longer as Brevo
// was last given them: a record that comes back is written (linked)
// again. by is the batch key that unlinks them, if a batch does
// (store.MarkUnlinked).
func (a *Activities) unlink(ctx context.Context, integration string, listID int64, ids []string, by string) (int, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	change, err := a.Brevo.RemoveFromList(ctx, listID, brevo.Members{ExtIDs: ids})
	if err != nil {
		return 0, err
	}
	return len(change.Success), a.Store.MarkUnlinked(ctx, integration, ids, by)
}

// leaverOutcome is what the store keeps of a leaver.
func leaverOutcome(in FinishScanInput, r store.Record, deleted bool) mapping.Outcome {
	o := mapping.Outcome{HubSpotID: r.HubSpotID, Email: r.Email, Kind: "left", Reason: ReasonLeftList}
	switch {
	case deleted && in.OnDelete == OnDeleteDelete:
		o.Kind, o.Reason, o.Text = "deleted", ReasonDeletedInHubSpot, "deleted in HubSpot; deleted in Brevo (--on-delete delete)"
	case deleted:
		o.Kind, o.Reason, o.Text = "deleted", ReasonDeletedInHubSpot, "deleted in HubSpot; kept in Brevo and in the list (--on-delete keep)"
	case in.OnLeave == OnLeaveKeep:
		o.Text = "left the HubSpot list; kept in the Brevo list (--on-leave keep)"
	default:
		o.Text = "left the HubSpot list (or was deleted or merged in HubSpot); removed from the Brevo list"
	}
	return o
}
