package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"hubspot-brevo-sync/internal/brevo"
	"hubspot-brevo-sync/internal/hubspot"
	"hubspot-brevo-sync/internal/manage"
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
	fmt.Fprintf(w, "integration     %s\nstate           %s\nHubSpot list    %s\nBrevo list      %d\n",
		st.Name, st.State, st.HubSpotListID, st.BrevoListID)
	fmt.Fprintf(w, "pass            %d (%d of %d list members read)\n", st.Cursor.Pass, st.Cursor.Seen, st.Cursor.ListSize)
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
	fmt.Fprintf(w, "tasks %-9s %d\nlast sync       %s\n", st.Month, st.TasksThisMonth, last)
	if st.LastError != "" {
		fmt.Fprintf(w, "last error      %s\n", st.LastError)
	}
}

// progressLine draws a bar of the current pass against the list size.
func progressLine(st integration.Status) string {
	const width = 30
	total, seen := st.Cursor.ListSize, st.Cursor.Seen
	frac := 0.0
	if total > 0 {
		frac = min(float64(seen)/float64(total), 1)
	}
	filled := int(frac * width)
	return fmt.Sprintf("%s [%s%s] %3.0f%% %d/%d read · %d synced · %d skipped · %d failed",
		st.State, strings.Repeat("#", filled), strings.Repeat(".", width-filled), frac*100,
		seen, total, st.ContactsSynced, st.ContactsSkipped, st.ContactsFailed)
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

// discovery parses `starter API WHAT [--json] [flags]` for the discovery
// commands and builds the API clients.
func (c *cli) discovery(api string, whats [2]string, args []string, flags func(*flag.FlagSet)) (what string, asJSON bool, m *manage.Manager, err error) {
	fs := flag.NewFlagSet(api, flag.ContinueOnError)
	jsonFlag := fs.Bool("json", false, "print JSON")
	if flags != nil {
		flags(fs)
	}
	pos, err := parse(fs, args)
	if err != nil {
		return "", false, nil, err
	}
	if len(pos) != 1 || (pos[0] != whats[0] && pos[0] != whats[1]) {
		return "", false, nil, fmt.Errorf("%s: want '%s' or '%s'", api, whats[0], whats[1])
	}
	m, err = c.manager(true)
	return pos[0], *jsonFlag, m, err
}

func (c *cli) hubspot(ctx context.Context, args []string) error {
	var mappable bool
	what, asJSON, m, err := c.discovery("hubspot", [2]string{"lists", "properties"}, args, func(fs *flag.FlagSet) {
		fs.BoolVar(&mappable, "mappable", false, "only properties that can be mapped")
	})
	if err != nil {
		return err
	}
	if what == "lists" {
		lists, err := m.HubSpotLists(ctx)
		if err != nil {
			return err
		}
		return show(c, lists, asJSON, "ID\tNAME\tTYPE\tSIZE", func(l hubspot.List) []string {
			return []string{l.ID, l.Name, l.ProcessingType, fmt.Sprint(l.Size)}
		})
	}
	props, err := m.HubSpotProperties(ctx)
	if err != nil {
		return err
	}
	if mappable {
		props = slices.DeleteFunc(props, func(p hubspot.Property) bool { return !p.Mappable() })
	}
	sort.Slice(props, func(i, j int) bool { return props[i].Name < props[j].Name })
	return show(c, props, asJSON, "NAME\tTYPE\tFIELD TYPE\tMAPPING\tLABEL", func(p hubspot.Property) []string {
		mode := "mappable"
		if !p.Mappable() {
			mode = "read-only"
		}
		return []string{p.Name, p.Type, p.FieldType, mode, p.Label}
	})
}

func (c *cli) brevo(ctx context.Context, args []string) error {
	what, asJSON, m, err := c.discovery("brevo", [2]string{"lists", "attributes"}, args, nil)
	if err != nil {
		return err
	}
	if what == "lists" {
		lists, err := m.BrevoLists(ctx)
		if err != nil {
			return err
		}
		return show(c, lists, asJSON, "ID\tNAME\tFOLDER", func(l brevo.List) []string {
			return []string{fmt.Sprint(l.ID), l.Name, fmt.Sprint(l.FolderID)}
		})
	}
	attrs, err := m.BrevoAttributes(ctx)
	if err != nil {
		return err
	}
	return show(c, attrs, asJSON, "NAME\tCATEGORY\tTYPE", func(a brevo.Attribute) []string {
		return []string{a.Name, a.Category, a.Type}
	})
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
