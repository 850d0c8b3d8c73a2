package workflows

import (
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"hubspot-brevo-sync/activities"
	"hubspot-brevo-sync/internal/hubspot"
	"hubspot-brevo-sync/internal/integration"
)

// errQuotaExhausted ends a pass early: the quota granted fewer tasks than
// a batch needed.
var errQuotaExhausted = errors.New("monthly task quota exhausted")

// nextPhase is the order of the phases of a pass.
var nextPhase = map[string]string{
	integration.PhaseMembers: integration.PhaseLeaves,
	integration.PhaseScan:    integration.PhaseJoiners,
	integration.PhaseJoiners: integration.PhaseChanges,
	integration.PhaseChanges: integration.PhaseLeaves,
}

// pass runs the current pass from its cursor until it is done, or a
// pause, stop or continue-as-new interrupts it between batches.
//
// The first pass, and a pass every ReconcileEvery, is full: it reads every
// member with its properties and writes what differs from what Brevo was
// last given. The others are incremental: they scan the member ids for
// joiners and leavers, write the joiners, then the members modified since
// the last pass. Both end with the members that left.
func (w *run) pass(ctx workflow.Context) (done bool, err error) {
	if err := w.ensureBrevoList(ctx); err != nil {
		return false, err
	}
	w.setState(ctx, integration.StateSyncing)
	// An activation or a resume set the state without publishing it.
	w.publish(ctx)
	cur := &w.cp.Cursor
	if cur.Phase == "" {
		cur.StartedAt, cur.Seen, cur.Written, cur.Batches = workflow.Now(ctx), 0, 0, 0
		cur.Phase, cur.Full = integration.PhaseScan, false
		if cur.Pass <= 1 || workflow.Now(ctx).Sub(w.cp.LastFullPassAt) >= w.spec.ReconcileInterval() {
			cur.Phase, cur.Full = integration.PhaseMembers, true
		}
	}
	for {
		phaseDone, err := w.phase(ctx, cur.Phase)
		if err != nil || !phaseDone {
			return false, err
		}
		if cur.Phase == integration.PhaseLeaves {
			return true, nil
		}
		cur.Phase, cur.Position = nextPhase[cur.Phase], ""
		w.publish(ctx)
		// The phase's imports are confirmed before the next phase starts.
		// Should that fail, the cursor is already past the phase read to
		// its end (whose last position, like its first, is ""): resume
		// goes on from the next phase, which confirms them first.
		if err := w.drainImports(ctx); err != nil {
			return false, err
		}
		if w.mustYield(ctx) {
			return false, nil
		}
	}
}

func (w *run) phase(ctx workflow.Context, phase string) (bool, error) {
	if w.cp.Cursor.Position == "" {
		// A phase starts with the imports of the one before confirmed.
		if err := w.drainImports(ctx); err != nil {
			return false, err
		}
	}
	switch phase {
	case integration.PhaseMembers, integration.PhaseJoiners, integration.PhaseChanges:
		return w.batches(ctx)
	case integration.PhaseScan:
		return w.scan(ctx)
	case integration.PhaseLeaves:
		return true, w.leaves(ctx)
	}
	return false, temporal.NewNonRetryableApplicationError("unknown pass phase "+phase, activities.ErrTypeInvalidInput, nil)
}

// batches runs the phase's batches to its end; pass confirms the imports
// they sent before the next phase.
func (w *run) batches(ctx workflow.Context) (bool, error) {
	for {
		res, err := w.batch(ctx, w.source())
		if err != nil {
			return false, err
		}
		switch {
		case res.QuotaShort:
			// What was written counts before the integration waits.
			if err := w.drainImports(ctx); err != nil {
				return false, err
			}
			return false, errQuotaExhausted
		case res.Last:
			return true, nil
		case w.interrupted():
			// A paused or stopped integration has nothing in flight.
			return false, w.drainImports(ctx)
		case w.shouldContinueAsNew(ctx):
			return false, nil
		}
	}
}

// source is what the next batch of the current phase reads.
func (w *run) source() activities.Source {
	cur, t := w.cp.Cursor, w.cp.Tuning
	src := activities.Source{Phase: cur.Phase, Position: cur.Position, Pages: t.PagesPerBatch}
	if cur.Phase == integration.PhaseChanges {
		// The window ends where this pass started, so the watermark never
		// passes a change not yet seen, and begins a little before the
		// last pass started, because search lags behind writes.
		src.Pages = t.SearchPagesPerBatch
		src.Since, src.Until = cur.ModifiedAfter.Add(-activities.SearchOverlap), cur.StartedAt
	}
	return src
}

// capacity is how many contacts a source can yield, for summaries.
func capacity(src activities.Source) int {
	if src.Phase == integration.PhaseChanges {
		return src.Pages * hubspot.MaxSearchPage
	}
	return src.Pages * activities.MembersPerPage
}

// batch runs one SyncBatch and counts what Brevo confirmed. Imports stay
// in flight while the next batches read HubSpot; the batch waits for the
// oldest when more would be in flight than the tuning allows.
func (w *run) batch(ctx workflow.Context, src activities.Source) (activities.BatchResult, error) {
	cur, t := &w.cp.Cursor, w.cp.Tuning
	cur.Batches++
	key := fmt.Sprintf("%d/%d", cur.Pass, cur.Batches)
	must := len(w.cp.Imports) - (t.ImportsInFlight - 1)
	if src.Phase == "" {
		must = len(w.cp.Imports)
	}
	summary := fmt.Sprintf("pass %d batch %d: %s, up to %d contacts", cur.Pass, cur.Batches, src.Phase, capacity(src))
	if src.Phase == "" {
		summary = fmt.Sprintf("pass %d: confirm %d Brevo imports", cur.Pass, len(w.cp.Imports))
	}
	var res activities.BatchResult
	err := workflow.ExecuteActivity(withActivity(ctx, 30*time.Minute, w.cp.Tuning.HeartbeatTimeout, summary), a.SyncBatch, activities.BatchInput{
		Integration: w.spec.Name, HubSpotListID: w.spec.HubSpotListID, BrevoListID: w.cp.BrevoListID,
		HubSpot: w.spec.HubSpot(),
		Mapping: w.spec.Mapping, Key: key, Pass: cur.Pass, Source: src,
		Reservation: fmt.Sprintf("%s/%s/%s", w.spec.Name, workflow.GetInfo(ctx).FirstRunID, key),
		ImportMin:   t.ImportMin, Imports: w.cp.Imports, MustConfirm: max(must, 0), ImportTimeout: t.ImportTimeout,
		OnLeave: w.spec.LeavePolicy(),
	}).Get(ctx, &res)
	if err != nil {
		return res, err
	}
	w.apply(ctx, src, res)
	return res, nil
}

// drainImports confirms every import still in flight.
func (w *run) drainImports(ctx workflow.Context) error {
	for len(w.cp.Imports) > 0 {
		if _, err := w.batch(ctx, activities.Source{}); err != nil {
			return err
		}
	}
	return nil
}

// scan reads member ids to find the list's joiners and leavers.
func (w *run) scan(ctx workflow.Context) (bool, error) {
	cur := &w.cp.Cursor
	for {
		summary := fmt.Sprintf("scan the members of HubSpot list %s (%d read)", w.spec.HubSpotListID, cur.Seen)
		var res activities.ScanResult
		if err := workflow.ExecuteActivity(withActivity(ctx, 10*time.Minute, w.cp.Tuning.HeartbeatTimeout, summary), a.ScanMembers, activities.ScanInput{
			Integration: w.spec.Name, HubSpotListID: w.spec.HubSpotListID, HubSpot: w.spec.HubSpot(), After: cur.Position,
			Scan: int64(cur.Pass), Pages: w.cp.Tuning.ScanPagesPerBatch,
		}).Get(ctx, &res); err != nil {
			return false, err
		}
		cur.Position, cur.Seen, cur.ListSize = res.NextAfter, cur.Seen+res.Members, res.ListSize
		w.batchesThisRun++
		w.publish(ctx)
		if res.Last {
			return true, nil
		}
		if w.mustYield(ctx) {
			return false, nil
		}
	}
}

// leaves unlinks the members the scan did not see, under the guard.
func (w *run) leaves(ctx workflow.Context) error {
	var res activities.FinishScanResult
	summary := "handle the members that left HubSpot list " + w.spec.HubSpotListID
	err := workflow.ExecuteActivity(withActivity(ctx, 10*time.Minute, w.cp.Tuning.HeartbeatTimeout, summary), a.FinishScan, activities.FinishScanInput{
		Integration: w.spec.Name, HubSpotListID: w.spec.HubSpotListID, HubSpot: w.spec.HubSpot(),
		BrevoListID: w.cp.BrevoListID, Scan: int64(w.cp.Cursor.Pass),
		OnLeave: w.spec.LeavePolicy(), GuardPercent: w.spec.GuardPercent(), AllowLeaves: w.cp.AllowLeaves,
		OnDelete: w.spec.OnDelete,
	}).Get(ctx, &res)
	if err != nil {
		return err // the guard's error fails the integration; resume --allow-leaves goes on
	}
	// A list HubSpot is still recomputing may have been read in part: its
	// leavers wait for the next pass (and so does an allowance to unlink).
	w.cp.Cursor.LeavesDeferred = res.Deferred
	if res.Deferred {
		return nil
	}
	w.cp.AllowLeaves = false
	w.cp.Counters.Left += int64(res.Left)
	w.cp.Counters.Unlinked += int64(res.Unlinked)
	w.cp.Counters.DeletedInHubSpot += int64(res.DeletedInHubSpot)
	return nil
}

// ensureBrevoList creates the Brevo list named in the spec on first use.
func (w *run) ensureBrevoList(ctx workflow.Context) error {
	if w.cp.BrevoListID != 0 {
		return nil
	}
	if w.spec.NewBrevoList == nil {
		return temporal.NewNonRetryableApplicationError("the integration names no Brevo list", activities.ErrTypeInvalidInput, nil)
	}
	summary := fmt.Sprintf("create Brevo list %q", w.spec.NewBrevoList.Name)
	var id int64
	if err := workflow.ExecuteActivity(withActivity(ctx, time.Minute, 0, summary), a.EnsureBrevoList, activities.NewListInput{
		Name: w.spec.NewBrevoList.Name, FolderID: w.spec.NewBrevoList.FolderID,
	}).Get(ctx, &id); err != nil {
		return err
	}
	w.cp.BrevoListID = id
	return workflow.UpsertTypedSearchAttributes(ctx, integration.SABrevoListID.ValueSet(fmt.Sprint(id)))
}
