package workflows

import (
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"hubspot-brevo-sync/activities"
)

// Phases of a pass (see Cursor).
const (
	phaseList    = "list"
	phaseScan    = "scan"
	phaseChanges = "changes"
	phaseLeaves  = "leaves"
)

// Defaults of the integration options.
const (
	DefaultUnlinkGuardPercent = 20
	DefaultReconcileEvery     = 24 * time.Hour
)

// ScanPagesPerActivity is how many memberships pages (250 ids each) one
// ScanMembers call reads: fewer activities, a bounded result.
var ScanPagesPerActivity = 20

// pass runs the current pass from its cursor until it is done, or a
// pause, stop or continue-as-new interrupts it between batches.
//
// The first pass and every ReconcileEvery a full pass reads every member
// with its properties and writes what differs from Brevo (drift repair).
// Other passes are incremental: they scan the member ids to find joiners
// and leavers, and search the contacts modified since the last pass.
// Values that did not change are never written again.
func (w *integration) pass(ctx workflow.Context) (done bool, err error) {
	if err := w.ensureBrevoList(ctx); err != nil {
		return false, err
	}
	w.setState(ctx, StateSyncing)
	cur := &w.st.Cursor
	if cur.StartedAt.IsZero() {
		cur.StartedAt = workflow.Now(ctx)
	}
	if cur.Phase == "" {
		cur.Phase, cur.Full = phaseScan, false
		if cur.Pass <= 1 || w.reconcileDue(ctx) {
			cur.Phase, cur.Full = phaseList, true
		}
	}
	for {
		var phaseDone bool
		switch cur.Phase {
		case phaseList:
			phaseDone, err = w.listPhase(ctx)
		case phaseScan:
			phaseDone, err = w.scanPhase(ctx)
		case phaseChanges:
			phaseDone, err = w.changesPhase(ctx)
		case phaseLeaves:
			err = w.leavesPhase(ctx)
			phaseDone = err == nil
		default:
			return false, temporal.NewNonRetryableApplicationError("unknown pass phase "+cur.Phase, activities.ErrTypeInvalidInput, nil)
		}
		if err != nil || !phaseDone {
			return false, err
		}
		if cur.Phase == phaseLeaves {
			return true, nil
		}
		cur.Phase = map[string]string{phaseList: phaseLeaves, phaseScan: phaseChanges, phaseChanges: phaseLeaves}[cur.Phase]
		cur.After, cur.Last, cur.SearchToken = "", false, ""
		w.publish(ctx)
		if w.interrupted() || w.shouldContinueAsNew(ctx) {
			return false, nil
		}
	}
}

func (w *integration) reconcileDue(ctx workflow.Context) bool {
	every := w.spec.ReconcileEvery
	if every <= 0 {
		every = DefaultReconcileEvery
	}
	return workflow.Now(ctx).Sub(w.st.LastFullPassAt) >= every
}

// stopBetweenBatches reports whether the pass must yield: paused, stopped,
// or the run should continue as new.
func (w *integration) stopBetweenBatches(ctx workflow.Context) bool {
	return w.interrupted() || w.shouldContinueAsNew(ctx)
}

// listPhase writes every list member. A large list goes in chunks of
// ChunkPages pages, each read and written by one activity (bulk imports,
// confirmed later); a small one, the first page and whatever the quota
// cuts go page by page, reading the next page while the current one is
// written. The phase ends when every import of the pass is confirmed.
func (w *integration) listPhase(ctx workflow.Context) (bool, error) {
	// Runs recorded before chunks existed replay page by page.
	if workflow.GetVersion(ctx, "bulk-list-phase", workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		w.bulkOff = true
	}
	for {
		if !w.bulkOff && w.bulkDue() {
			last, fallback, err := w.chunkStep(ctx)
			if err != nil {
				return false, err
			}
			if fallback {
				w.bulkOff = true // the quota is nearly spent: page by page, exactly
				continue
			}
			w.st.Cursor.Bulk = true
			if err := w.maybeConfirmImports(ctx); err != nil {
				return false, err
			}
			if last {
				return w.endListPhase(ctx)
			}
			if w.stopBetweenBatches(ctx) {
				return false, nil
			}
			continue
		}
		done, switchToBulk, err := w.pageLoop(ctx)
		if err != nil || (!done && !switchToBulk) {
			return false, err
		}
		if done {
			return w.endListPhase(ctx)
		}
	}
}

// endListPhase waits for the pass's imports to be confirmed.
func (w *integration) endListPhase(ctx workflow.Context) (bool, error) {
	if err := w.awaitImports(ctx); err != nil {
		return false, err
	}
	return true, nil
}

// pageLoop writes the list page by page, reading the next page while the
// current one is written, until the list ends (done), a pause or
// continue-as-new interrupts it, or chunks are due (switchToBulk).
func (w *integration) pageLoop(ctx workflow.Context) (done, switchToBulk bool, err error) {
	fetchCtx, cancelFetch := workflow.WithCancel(ctx)
	defer cancelFetch()

	pending := w.fetchPage(fetchCtx, w.st.Cursor.After)
	for {
		var page activities.ContactPage
		if err := pending.Get(ctx, &page); err != nil {
			return false, false, err
		}
		// Chunks are due once the list is known to be large; the next
		// page is then not prefetched.
		bulkNext := !page.Last && !w.bulkOff && BulkMinMembers > 0 && (w.st.Cursor.Bulk ||
			page.ListSize-(w.st.Cursor.Seen+page.Members) >= BulkMinMembers)
		var next workflow.Future
		if !page.Last && !bulkNext {
			next = w.fetchPage(fetchCtx, page.NextAfter)
		}
		if err := w.writeRecords(ctx, page); err != nil {
			return false, false, err
		}
		w.st.Cursor.After = page.NextAfter
		w.st.Cursor.Seen += page.Members
		w.st.Cursor.ListSize = page.ListSize
		w.publish(ctx)
		if page.Last {
			return true, false, nil
		}
		if w.stopBetweenBatches(ctx) {
			return false, false, nil // the prefetched page is read again from the cursor
		}
		if bulkNext {
			return false, true, nil
		}
		pending = next
	}
}

func (w *integration) fetchPage(ctx workflow.Context, after string) workflow.Future {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 2 * time.Minute,
		RetryPolicy:         retryPolicy(),
		Summary: fmt.Sprintf("read HubSpot list %s, page %d of pass %d",
			w.spec.HubSpotListID, (w.st.Cursor.Seen+activities.MembersPerPage-1)/activities.MembersPerPage+1, w.st.Cursor.Pass),
	})
	return workflow.ExecuteActivity(ctx, a.FetchPage, activities.FetchPageInput{
		Integration:   w.spec.Name,
		HubSpotListID: w.spec.HubSpotListID,
		After:         after,
		Properties:    w.spec.Mapping.Properties(),
		Scan:          int64(w.st.Cursor.Pass),
	})
}

// scanPhase reads the member ids and writes the members that joined the
// list since the last scan.
func (w *integration) scanPhase(ctx workflow.Context) (bool, error) {
	cur := &w.st.Cursor
	for {
		for len(cur.Pending) > 0 {
			chunk := cur.Pending[:min(len(cur.Pending), activities.MembersPerPage)]
			actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
				StartToCloseTimeout: 2 * time.Minute,
				RetryPolicy:         retryPolicy(),
				Summary:             fmt.Sprintf("read %d contacts that joined HubSpot list %s", len(chunk), w.spec.HubSpotListID),
			})
			var page activities.ContactPage
			if err := workflow.ExecuteActivity(actx, a.FetchContacts, activities.FetchContactsInput{
				IDs: chunk, Properties: w.spec.Mapping.Properties(),
			}).Get(ctx, &page); err != nil {
				return false, err
			}
			if err := w.writeRecords(ctx, page); err != nil {
				return false, err
			}
			cur.Pending = cur.Pending[len(chunk):]
			w.publish(ctx)
			if w.stopBetweenBatches(ctx) {
				return false, nil
			}
		}
		if cur.Last {
			return true, nil
		}
		actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
			StartToCloseTimeout: 10 * time.Minute,
			HeartbeatTimeout:    time.Minute,
			RetryPolicy:         retryPolicy(),
			Summary:             fmt.Sprintf("scan the members of HubSpot list %s (%d read)", w.spec.HubSpotListID, cur.Seen),
		})
		var res activities.ScanResult
		if err := workflow.ExecuteActivity(actx, a.ScanMembers, activities.ScanInput{
			Integration: w.spec.Name, HubSpotListID: w.spec.HubSpotListID, After: cur.After,
			Scan: int64(cur.Pass), Pages: ScanPagesPerActivity,
		}).Get(ctx, &res); err != nil {
			return false, err
		}
		cur.After, cur.Last, cur.Pending = res.NextAfter, res.Last, res.Joined
		cur.Seen += res.Members
		cur.ListSize = res.ListSize
		w.publish(ctx)
		if len(cur.Pending) == 0 && w.stopBetweenBatches(ctx) && !cur.Last {
			return false, nil
		}
	}
}

// changesPhase writes the list members modified since the last pass. The
// search window ends where this pass started, so the watermark never
// passes a change not yet seen, and begins a little before the last pass
// started, because search lags behind writes.
func (w *integration) changesPhase(ctx workflow.Context) (bool, error) {
	cur := &w.st.Cursor
	for !cur.Last {
		actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
			StartToCloseTimeout: 5 * time.Minute,
			HeartbeatTimeout:    time.Minute,
			RetryPolicy:         retryPolicy(),
			Summary:             "search HubSpot contacts modified since " + cur.ModifiedAfter.UTC().Format(time.RFC3339),
		})
		var res activities.SearchResult
		if err := workflow.ExecuteActivity(actx, a.SearchChanged, activities.SearchInput{
			Integration: w.spec.Name,
			Properties:  w.spec.Mapping.Properties(),
			Since:       cur.ModifiedAfter.Add(-activities.SearchOverlap),
			Until:       cur.StartedAt,
			Token:       cur.SearchToken,
			Pages:       1,
		}).Get(ctx, &res); err != nil {
			return false, err
		}
		if err := w.writeRecords(ctx, activities.ContactPage{Records: res.Records}); err != nil {
			return false, err
		}
		cur.SearchToken, cur.Last = res.Token, res.Token == ""
		w.publish(ctx)
		if !cur.Last && w.stopBetweenBatches(ctx) {
			return false, nil
		}
	}
	return true, nil
}

// leavesPhase unlinks the members the scan did not see.
func (w *integration) leavesPhase(ctx workflow.Context) error {
	guard := w.spec.UnlinkGuardPercent
	if guard == 0 {
		guard = DefaultUnlinkGuardPercent
	}
	onLeave := w.spec.OnLeave
	if onLeave == "" {
		onLeave = activities.OnLeaveUnlink
	}
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 10 * time.Minute,
		HeartbeatTimeout:    time.Minute,
		RetryPolicy:         retryPolicy(),
		Summary:             "handle the members that left HubSpot list " + w.spec.HubSpotListID,
	})
	var res activities.FinishScanResult
	err := workflow.ExecuteActivity(actx, a.FinishScan, activities.FinishScanInput{
		Integration: w.spec.Name, HubSpotListID: w.spec.HubSpotListID, BrevoListID: w.st.BrevoListID, Scan: int64(w.st.Cursor.Pass),
		OnLeave: onLeave, GuardPercent: max(guard, 0), AllowLeaves: w.st.AllowLeaves,
	}).Get(ctx, &res)
	var ae *temporal.ApplicationError
	if errors.As(err, &ae) && ae.Type() == activities.ErrTypeUnlinkGuard {
		return err // fail() shows the guard's message; resume --allow-leaves goes on
	}
	if err != nil {
		return err
	}
	w.st.AllowLeaves = false
	w.st.Counters.Left += int64(res.Left)
	w.st.Counters.Unlinked += int64(res.Unlinked)
	return nil
}
