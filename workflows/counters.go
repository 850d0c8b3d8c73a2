package workflows

import (
	"go.temporal.io/sdk/workflow"

	"hubspot-brevo-sync/activities"
	"hubspot-brevo-sync/internal/integration"
	"hubspot-brevo-sync/internal/mapping"
)

// apply moves the cursor and counts what a batch and the imports it
// confirmed wrote. Counts only ever come from Brevo's confirmations.
func (w *run) apply(ctx workflow.Context, src activities.Source, res activities.BatchResult) {
	cur := &w.cp.Cursor
	if src.Phase != "" {
		cur.Position = res.Position
	}
	// A batch short of quota did not move the position: the next batch
	// reads its records again and counts them then. Only its writes
	// (counted by batch key) are its own.
	short := res.QuotaShort
	if src.Phase == integration.PhaseMembers {
		if !short {
			cur.Seen += res.Members
		}
		if res.ListSize > 0 {
			cur.ListSize = res.ListSize
		}
	}
	written := res.Written
	if short {
		written.Unchanged, written.Skipped = 0, nil
	}
	w.count(ctx, written)
	w.cp.Counters.Unlinked += int64(res.Unlinked)
	for _, c := range res.Confirmed {
		w.count(ctx, c.Tally)
		w.forgetImport(c.ProcessID)
	}
	if res.Sent != nil {
		w.cp.Imports = append(w.cp.Imports, *res.Sent)
	}
	if res.Missing > 0 && !short {
		w.skip(mapping.ReasonNotInList, res.Missing)
	}
	// Adding up does not depend on the order.
	//workflowcheck:ignore
	for reason, n := range written.Skipped {
		w.skip(reason, n)
	}
	problems := res.Problems
	if short {
		problems = nil
		for _, o := range res.Problems {
			if o.Kind != mapping.OutcomeSkipped {
				problems = append(problems, o)
			}
		}
	}
	w.remember(problems)
	w.cp.LastSyncAt = workflow.Now(ctx)
	w.batchesThisRun++
	w.publish(ctx)
}

// count adds confirmed writes to the counters and this month's tasks.
func (w *run) count(ctx workflow.Context, t activities.Tally) {
	c := &w.cp.Counters
	if month := workflow.Now(ctx).UTC().Format("2006-01"); c.Month != month {
		c.Month, c.TasksThisMonth = month, 0
	}
	c.Created += int64(t.Created)
	c.Updated += int64(t.Updated)
	c.Unchanged += int64(t.Unchanged)
	c.Failed += int64(t.Failed)
	c.TasksThisMonth += int64(t.Created + t.Updated)
	w.cp.Cursor.Written += t.Created + t.Updated
}

func (w *run) skip(reason string, n int) {
	c := &w.cp.Counters
	if c.SkippedByReason == nil {
		c.SkippedByReason = map[string]int64{}
	}
	c.Skipped += int64(n)
	c.SkippedByReason[reason] += int64(n)
}

func (w *run) forgetImport(processID int64) {
	kept := w.cp.Imports[:0]
	for _, im := range w.cp.Imports {
		if im.ProcessID != processID {
			kept = append(kept, im)
		}
	}
	w.cp.Imports = kept
}

// remember keeps the latest problem records, bounded.
func (w *run) remember(outcomes []mapping.Outcome) {
	w.cp.RecentProblems = append(w.cp.RecentProblems, outcomes...)
	if n := len(w.cp.RecentProblems); n > integration.MaxRecentProblems {
		w.cp.RecentProblems = append([]mapping.Outcome(nil), w.cp.RecentProblems[n-integration.MaxRecentProblems:]...)
	}
}
