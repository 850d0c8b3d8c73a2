package workflows

import (
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"

	"hubspot-brevo-sync/internal/integration"
)

func (w *run) setState(ctx workflow.Context, s integration.State) {
	if w.cp.State == s {
		return
	}
	w.cp.State = s
	w.publish(ctx)
}

func (w *run) status() integration.Status {
	c := w.cp.Counters
	s := integration.Status{
		Name: w.spec.Name, State: w.cp.State, HubSpotListID: w.spec.HubSpotListID, BrevoListID: w.cp.BrevoListID,
		HubSpotConnection: w.spec.HubSpot().ConnectionName(),
		TasksThisMonth:    c.TasksThisMonth, Month: c.Month,
		ContactsSynced: c.Created + c.Updated, ContactsCreated: c.Created, ContactsUpdated: c.Updated,
		Unchanged: c.Unchanged, ContactsSkipped: c.Skipped, SkippedByReason: c.SkippedByReason,
		ContactsFailed: c.Failed, ContactsLeft: c.Left, Unlinked: c.Unlinked,
		DeletedInHubSpot: c.DeletedInHubSpot, UnsubscribesReported: c.UnsubscribesReported,
		LastError: w.cp.LastError, Warning: w.cp.Warning, Cursor: w.cp.Cursor, PendingImports: w.pendingImportContacts(),
		RecentProblems: w.cp.RecentProblems, Spec: &w.spec,
	}
	if !w.cp.LastSyncAt.IsZero() {
		t := w.cp.LastSyncAt
		s.LastSyncAt = &t
	}
	if !w.cp.WaitingUntil.IsZero() {
		t := w.cp.WaitingUntil
		s.WaitingUntil = &t
	}
	return s
}

// pendingImportContacts counts the contacts waiting in imports.
func (w *run) pendingImportContacts() int {
	n := 0
	for _, im := range w.cp.Imports {
		n += im.Contacts
	}
	return n
}

// publish shows the state in the Web UI: search attributes for lists and
// queries, current details (the User Metadata tab) for people.
func (w *run) publish(ctx workflow.Context) {
	c := w.cp.Counters
	synced := c.Created + c.Updated
	if p := &w.published; !p.done || p.state != w.cp.State || p.synced != synced {
		if err := workflow.UpsertTypedSearchAttributes(ctx,
			integration.SAIntegrationState.ValueSet(string(w.cp.State)),
			integration.SAContactsSynced.ValueSet(synced),
		); err != nil {
			w.logger.Warn("search attributes not updated", "Error", err)
		}
		p.done, p.state, p.synced = true, w.cp.State, synced
	}
	workflow.SetCurrentDetails(ctx, w.details())
}

func (w *run) details() string {
	c, cur := w.cp.Counters, w.cp.Cursor
	d := fmt.Sprintf("**%s** · pass %d", w.cp.State, cur.Pass)
	if cur.Phase != "" {
		d += " · " + cur.Phase
	}
	if cur.ListSize > 0 {
		d += fmt.Sprintf(" · %d / %d list members read · %d written", cur.Seen, cur.ListSize, cur.Written)
	}
	if n := w.pendingImportContacts(); n > 0 {
		d += fmt.Sprintf(" · %d contacts in Brevo imports being confirmed", n)
	}
	d += fmt.Sprintf("\n\ncreated %d · updated %d · unchanged %d · skipped %d · failed %d · tasks %s: %d",
		c.Created, c.Updated, c.Unchanged, c.Skipped, c.Failed, c.Month, c.TasksThisMonth)
	if choices := w.spec.ConsentChoices(); len(choices) > 0 {
		d += "\n\n" + strings.Join(choices, " · ")
	}
	if w.spec.CountsDeletionsOrUnsubscribes() {
		d += fmt.Sprintf("\n\ndeleted in HubSpot %d · Brevo unsubscribes reported to HubSpot %d", c.DeletedInHubSpot, c.UnsubscribesReported)
	}
	if cur.LeavesDeferred {
		d += "\n\nthe HubSpot list was being recomputed: its leavers wait for the next pass"
	}
	if !w.cp.WaitingUntil.IsZero() {
		d += "\n\nwaiting for HubSpot's daily API budget until " + w.cp.WaitingUntil.UTC().Format(time.RFC3339)
	}
	if w.cp.State == integration.StateQuotaExceeded {
		d += "\n\nthe monthly task quota is exhausted: waiting for next month or a higher limit (starter quota set --limit N)"
	}
	if w.cp.Warning != "" {
		d += "\n\nwarning: " + w.cp.Warning
	}
	if w.cp.LastError != "" {
		d += "\n\nlast error: " + w.cp.LastError
	}
	return d
}
