package main

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"hubspot-brevo-sync/internal/integration"
)

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func table(w io.Writer, header string, rows [][]string) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, header)
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	_ = tw.Flush()
}

func printStatus(w io.Writer, st integration.Status) {
	last := "never"
	if st.LastSyncAt != nil {
		last = st.LastSyncAt.Format(time.RFC3339)
	}
	hubspotList := st.HubSpotListID
	if st.HubSpotConnection != "" && st.HubSpotConnection != integration.DefaultConnection {
		hubspotList += " (HubSpot connection " + st.HubSpotConnection + ")"
	}
	fmt.Fprintf(w, "integration     %s\nstate           %s\nHubSpot list    %s\nBrevo list      %d\n",
		st.Name, st.State, hubspotList, st.BrevoListID)
	fmt.Fprintf(w, "pass            %d: %d%% (%d of %d list members read, %d contacts written)\n",
		st.Cursor.Pass, st.Progress(), st.Cursor.Seen, st.Cursor.ListSize, st.Cursor.Written)
	fmt.Fprintf(w, "contacts        %d synced (%d created, %d updated), %d unchanged, %d skipped, %d failed\n",
		st.ContactsSynced, st.ContactsCreated, st.ContactsUpdated, st.Unchanged, st.ContactsSkipped, st.ContactsFailed)
	if st.PendingImports > 0 {
		fmt.Fprintf(w, "importing       %d contacts sent to Brevo in imports not confirmed yet (counted once Brevo completes them)\n", st.PendingImports)
	}
	if len(st.SkippedByReason) > 0 {
		reasons := make([]string, 0, len(st.SkippedByReason))
		for r, n := range st.SkippedByReason {
			reasons = append(reasons, fmt.Sprintf("%s %d", r, n))
		}
		sort.Strings(reasons)
		fmt.Fprintf(w, "skipped by      %s\n", strings.Join(reasons, ", "))
	}
	if st.Spec != nil {
		for _, line := range st.Spec.ConsentChoices() {
			fmt.Fprintf(w, "consent         %s\n", line)
		}
		if st.Spec.CountsDeletionsOrUnsubscribes() {
			fmt.Fprintf(w, "consent counts  %d deleted in HubSpot, %d Brevo unsubscribes reported to HubSpot\n",
				st.DeletedInHubSpot, st.UnsubscribesReported)
		}
	}
	fmt.Fprintf(w, "tasks %-9s %d\nlast sync       %s\n", st.Month, st.TasksThisMonth, last)
	if st.Warning != "" {
		fmt.Fprintf(w, "warning         %s\n", st.Warning)
	}
	if st.LastError != "" {
		fmt.Fprintf(w, "last error      %s\n", st.LastError)
	}
}

// progressLine draws a bar of the current pass: its share done
// (Status.Progress: members read against the list size, 100 % once the
// pass ended), the members read and the contacts written this pass.
func progressLine(st integration.Status) string {
	const width = 30
	pct := st.Progress()
	filled := pct * width / 100
	size := "?"
	if st.Cursor.ListSize > 0 {
		size = fmt.Sprint(st.Cursor.ListSize)
	}
	return fmt.Sprintf("%s [%s%s] %3d%% %d/%s read · %d written · %d synced · %d skipped · %d failed",
		st.State, strings.Repeat("#", filled), strings.Repeat(".", width-filled), pct,
		st.Cursor.Seen, size, st.Cursor.Written, st.ContactsSynced, st.ContactsSkipped, st.ContactsFailed)
}

func printStatusTable(w io.Writer, all []integration.Status) {
	rows := make([][]string, 0, len(all))
	for _, st := range all {
		last := "-"
		if st.LastSyncAt != nil {
			last = st.LastSyncAt.Format(time.RFC3339)
		}
		rows = append(rows, []string{st.Name, string(st.State), st.HubSpotListID, fmt.Sprint(st.BrevoListID),
			fmt.Sprint(st.ContactsSynced), fmt.Sprint(st.ContactsSkipped), fmt.Sprint(st.ContactsFailed),
			fmt.Sprint(st.TasksThisMonth), last})
	}
	table(w, "NAME\tSTATE\tHUBSPOT LIST\tBREVO LIST\tSYNCED\tSKIPPED\tFAILED\tTASKS\tLAST SYNC", rows)
}

// show prints discovered items as JSON for scripts or as a table for
// people.
func show[T any](c *cli, items []T, asJSON bool, header string, row func(T) []string) error {
	if asJSON {
		return printJSON(c.out, items)
	}
	rows := make([][]string, 0, len(items))
	for _, it := range items {
		rows = append(rows, row(it))
	}
	table(c.out, header, rows)
	return nil
}
