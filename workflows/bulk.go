package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	"hubspot-brevo-sync/activities"
	"hubspot-brevo-sync/internal/mapping"
)

// The bulk path of a full pass (see listPhase).
var (
	// BulkMinMembers is how many list members must remain to be read for
	// a full pass to go on in chunks; smaller lists (and the rest of a
	// pass) are written page by page. 0 or less: never.
	BulkMinMembers = 5000
	// ChunkPages is how many memberships pages (250 members) one chunk
	// reads.
	ChunkPages = 8
	// ImportMinContacts is the fewest contacts of a chunk written as one
	// Brevo import; fewer are written one by one.
	ImportMinContacts = 200
	// MaxPendingImports is how many chunks may wait for their imports to be
	// confirmed before the pass waits for Brevo. At HubSpot's pace a chunk
	// takes about 3 s, so 40 chunks cover the time between two checks;
	// one GET /processes lists 50 processes.
	MaxPendingImports = 40
	// ImportCheckEvery spaces the checks of /processes during a pass: at
	// most 90 an hour of the 100 the account has (the governor holds any
	// call over the budget); at the end of a pass the checks back off
	// from ImportFirstCheck to ImportCheckEvery.
	ImportCheckEvery = 40 * time.Second
	ImportFirstCheck = 3 * time.Second
)

// bulkDue reports whether the list phase should go on in chunks: enough
// members remain, and no page is half written (a page the quota cut is
// finished page by page).
func (w *integration) bulkDue() bool {
	cur := w.st.Cursor
	size := cur.ListSize
	if size == 0 && cur.Seen == 0 {
		size = w.spec.ListSizeHint
	}
	return BulkMinMembers > 0 && len(cur.Written) == 0 && (cur.Seen == 0 || cur.After != "") &&
		(cur.Bulk || size-cur.Seen >= BulkMinMembers)
}

// chunkStep reserves tasks for a chunk, runs it and records its imports
// as pending. It returns fallback when the quota granted less than a
// chunk may need: the caller goes on page by page, which handles partial
// grants exactly.
func (w *integration) chunkStep(ctx workflow.Context) (last, fallback bool, err error) {
	need := ChunkPages * activities.MembersPerPage
	g, err := w.reserve(ctx, need, true)
	if err != nil {
		return false, false, err
	}
	if g.Granted < need {
		if err := w.commit(ctx, g.id, 0); err != nil {
			return false, false, err
		}
		return false, true, nil
	}
	w.st.Chunks++
	cur := &w.st.Cursor
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Minute,
		HeartbeatTimeout:    UpsertHeartbeatTimeout,
		RetryPolicy:         retryPolicy(),
		Summary: fmt.Sprintf("read and write HubSpot list %s members %d-%d of pass %d (chunk %d)",
			w.spec.HubSpotListID, cur.Seen+1, cur.Seen+need, cur.Pass, w.st.Chunks),
	})
	var res activities.ChunkResult
	if err := workflow.ExecuteActivity(actx, a.SyncChunk, activities.ChunkInput{
		Integration: w.spec.Name, HubSpotListID: w.spec.HubSpotListID, BrevoListID: w.st.BrevoListID,
		After: cur.After, Spec: w.spec.Mapping, Scan: int64(cur.Pass), Pages: ChunkPages, ImportMin: ImportMinContacts,
	}).Get(ctx, &res); err != nil {
		return false, false, err
	}
	// What was written one by one is confirmed; the imports are not yet.
	w.countWrites(ctx, res.Written)
	w.countChunk(res)
	written := res.Written.Created + res.Written.Updated
	if len(res.Imports) == 0 {
		if err := w.commit(ctx, g.id, written); err != nil {
			return false, false, err
		}
	} else {
		w.st.PendingImports = append(w.st.PendingImports, PendingImport{
			Chunk: w.st.Chunks, Reservation: g.id, Written: written, Imports: res.Imports,
		})
	}
	cur.After = res.NextAfter
	cur.Seen += res.Members
	cur.ListSize = res.ListSize
	w.st.LastSyncAt = workflow.Now(ctx)
	w.pagesThisRun += res.Pages
	w.publish(ctx)
	return res.Last, false, nil
}

// countChunk adds a chunk's skipped and vanished members.
func (w *integration) countChunk(res activities.ChunkResult) {
	c := &w.st.Counters
	if c.SkippedByReason == nil {
		c.SkippedByReason = map[string]int64{}
	}
	for reason, n := range res.SkippedByReason {
		c.Skipped += int64(n)
		c.SkippedByReason[reason] += int64(n)
	}
	if res.Missing > 0 {
		c.Skipped += int64(res.Missing)
		c.SkippedByReason[mapping.ReasonNotInList] += int64(res.Missing)
	}
	w.remember(res.Skipped)
}

// confirmImports checks the pending imports once (one or a few GET
// /processes calls), counts the completed ones, writes the contacts of
// failed or partly refused ones one by one, and commits the quota of
// every chunk that has nothing pending any more.
func (w *integration) confirmImports(ctx workflow.Context) error {
	var ids []int64
	for _, p := range w.st.PendingImports {
		for _, im := range p.Imports {
			ids = append(ids, im.ProcessID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	w.st.ImportsCheckedAt = workflow.Now(ctx)
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 2 * time.Hour, // the governor may hold the call for the hourly budget
		RetryPolicy:         retryPolicy(),
		Summary:             fmt.Sprintf("check %d Brevo imports", len(ids)),
	})
	var sts []activities.ImportStatus
	if err := workflow.ExecuteActivity(actx, a.ConfirmImports, activities.ConfirmInput{
		Integration: w.spec.Name, ProcessIDs: ids,
	}).Get(ctx, &sts); err != nil {
		return err
	}
	byID := make(map[int64]activities.ImportStatus, len(sts))
	for _, s := range sts {
		byID[s.ProcessID] = s
	}
	var still []PendingImport
	for _, p := range w.st.PendingImports {
		var left []activities.ImportSent
		for _, im := range p.Imports {
			s := byID[im.ProcessID]
			switch {
			case !s.Done:
				left = append(left, im)
				continue
			case !s.Failed && s.Rejected == 0:
				w.countWrites(ctx, activities.UpsertResult{Created: im.Created, Updated: im.Updated})
				p.Written += im.Contacts
			default:
				// A failed import, or one that refused rows Brevo does not
				// name: its contacts are written one by one, each ending
				// written or failed with Brevo's own reason.
				w.remember([]mapping.Outcome{{Kind: mapping.OutcomeFailed, Reason: activities.ReasonImportRejected,
					Text: s.Report + fmt.Sprintf("; the %d contacts of chunk %d are written one by one", im.Contacts, p.Chunk)}})
				var res activities.UpsertResult
				rctx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
					StartToCloseTimeout: time.Hour,
					HeartbeatTimeout:    UpsertHeartbeatTimeout,
					RetryPolicy:         retryPolicy(),
					Summary:             fmt.Sprintf("write the %d contacts of Brevo import %d one by one", im.Contacts, im.ProcessID),
				})
				if err := workflow.ExecuteActivity(rctx, a.RewriteImport, activities.RewriteInput{
					Integration: w.spec.Name, BrevoListID: w.st.BrevoListID, ProcessID: im.ProcessID,
				}).Get(ctx, &res); err != nil {
					return err
				}
				w.countWrites(ctx, res)
				p.Written += res.Created + res.Updated
			}
		}
		if len(left) > 0 {
			p.Imports = left
			still = append(still, p)
			continue
		}
		if err := w.commit(ctx, p.Reservation, p.Written); err != nil {
			return err
		}
	}
	w.st.PendingImports = still
	w.publish(ctx)
	return nil
}

// maybeConfirmImports checks the pending imports during a pass when
// enough time passed since the last check, and waits for Brevo when too
// many are pending.
func (w *integration) maybeConfirmImports(ctx workflow.Context) error {
	if len(w.st.PendingImports) == 0 {
		return nil
	}
	if workflow.Now(ctx).Sub(w.st.ImportsCheckedAt) >= ImportCheckEvery {
		if err := w.confirmImports(ctx); err != nil {
			return err
		}
	}
	wait := ImportFirstCheck
	for len(w.st.PendingImports) > MaxPendingImports {
		w.sleep(ctx, max(wait, ImportCheckEvery-workflow.Now(ctx).Sub(w.st.ImportsCheckedAt)), "wait for Brevo to process the imports")
		if err := w.confirmImports(ctx); err != nil {
			return err
		}
	}
	return nil
}

// awaitImports waits until every pending import is confirmed, checking
// soon at first and then at most every ImportCheckEvery.
func (w *integration) awaitImports(ctx workflow.Context) error {
	wait := ImportFirstCheck
	for len(w.st.PendingImports) > 0 {
		w.sleep(ctx, wait, "wait for Brevo to process the imports")
		if err := w.confirmImports(ctx); err != nil {
			return err
		}
		wait = min(wait*2, ImportCheckEvery)
	}
	return nil
}

func (w *integration) sleep(ctx workflow.Context, d time.Duration, summary string) {
	_ = workflow.NewTimerWithOptions(ctx, d, workflow.TimerOptions{Summary: summary}).Get(ctx, nil)
}

// pendingImportContacts counts the contacts waiting in imports.
func (w *integration) pendingImportContacts() int {
	n := 0
	for _, p := range w.st.PendingImports {
		for _, im := range p.Imports {
			n += im.Contacts
		}
	}
	return n
}
