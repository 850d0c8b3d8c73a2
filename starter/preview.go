package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"hubspot-brevo-sync/internal/integration"
	"hubspot-brevo-sync/internal/manage"
	"hubspot-brevo-sync/internal/mapping"
	"hubspot-brevo-sync/internal/store"
)

// validateCreate validates a create request before Temporal is dialed and,
// with --create-attributes, lists the Brevo attributes Create will make.
func (c *cli) validateCreate(ctx context.Context, m *manage.Manager, req manage.CreateRequest) ([]manage.AttributePlan, error) {
	spec, err := m.Validate(ctx, req)
	if err != nil || !req.CreateAttributes {
		return nil, err
	}
	return m.MissingAttributes(ctx, spec)
}

// printCreatedAttributes confirms the attributes a create made.
func printCreatedAttributes(w io.Writer, plans []manage.AttributePlan) {
	for _, p := range plans {
		fmt.Fprintf(w, "created Brevo attribute %s (%s) for %s\n", p.Name, p.Type, p.Property)
	}
}

// dryRun is `create ... --dry-run`: validate, preview, write nothing.
func (c *cli) dryRun(ctx context.Context, req manage.CreateRequest, sample int, asJSON bool) error {
	m, err := c.manager(true)
	if err != nil {
		return err
	}
	p, err := m.DryRun(ctx, req, sample)
	if err != nil {
		return err
	}
	if asJSON {
		return printJSON(c.out, p)
	}
	fmt.Fprintf(c.out, "dry run of %s: nothing was written to Brevo and no integration was started\n", p.Name)
	printPreview(c.out, p, true)
	return nil
}

func (c *cli) previewCommand() *cobra.Command {
	var asJSON bool
	var sample int
	cmd := &cobra.Command{
		Use:   "preview NAME",
		Short: "Map the first list members with a saved integration's mapping; write nothing",
		Long: `Preview reads the first list members of a saved integration (a draft, say) and
shows what its mapping would write to Brevo, the values it would leave out and
the contacts it would skip, with the reasons. Nothing is written.`,
		Args: oneName, ValidArgsFunction: c.completeNames,
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.preview(cmd.Context(), args[0], sample, asJSON)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().IntVar(&sample, "sample", 0, "list members to read (default 25, max 250)")
	return cmd
}

func (c *cli) preview(ctx context.Context, name string, sample int, asJSON bool) error {
	if _, err := manage.CheckSample(sample); err != nil {
		return err
	}
	if _, err := c.manager(true); err != nil {
		return err
	}
	m, err := c.temporal()
	if err != nil {
		return err
	}
	p, err := m.PreviewIntegration(ctx, name, sample)
	if err != nil {
		return err
	}
	if asJSON {
		return printJSON(c.out, p)
	}
	fmt.Fprintf(c.out, "preview of %s: nothing was written to Brevo\n", p.Name)
	printPreview(c.out, p, false)
	return nil
}

func (c *cli) reportCommand() *cobra.Command {
	var asJSON bool
	var contact string
	cmd := &cobra.Command{
		Use:   "report NAME",
		Short: "The latest skipped and failed records, or what happened to one contact",
		Long: `Report lists the latest records that did not simply go through (skipped,
failed, or written with a value left out), newest first, counted by kind and
by reason.

--contact answers for one contact, by HubSpot id or email: written (when,
created or updated, the hash of the values written), skipped or failed (why),
not a member of the list, or unknown to HubSpot. It reads the sync store the
worker writes (SYNC_STORE_DSN; with --dev, the one of 'worker --dev').`,
		Args: oneName, ValidArgsFunction: c.completeNames,
		RunE: func(cmd *cobra.Command, args []string) error {
			if contact != "" {
				return c.contactReport(cmd.Context(), args[0], contact, asJSON)
			}
			return c.report(cmd.Context(), args[0], asJSON)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().StringVar(&contact, "contact", "", "what happened to this contact (HubSpot id or email)?")
	return cmd
}

// report is `report NAME`: the latest skipped and failed records.
func (c *cli) report(ctx context.Context, name string, asJSON bool) error {
	m, err := c.temporal()
	if err != nil {
		return err
	}
	r, err := m.Report(ctx, name)
	if err != nil {
		return err
	}
	if asJSON {
		return printJSON(c.out, r)
	}
	printReport(c.out, r)
	return nil
}

func printPreview(w io.Writer, p manage.Preview, dryRun bool) {
	fmt.Fprintf(w, "HubSpot list %s: read the first %d of %d members\n", p.HubSpotListID, p.Read, p.ListSize)

	missing := map[string]bool{}
	for _, a := range p.MissingAttributes {
		missing[a.Name] = true
	}
	fmt.Fprintln(w, "\nmapping")
	rows := make([][]string, 0, len(p.Fields))
	for _, f := range p.Fields {
		brevoType := f.AttributeType
		switch {
		case f.Attribute == mapping.AttrEmail:
			brevoType = "email identifier"
		case f.Attribute == mapping.AttrSMS:
			brevoType = "SMS identifier"
		case missing[f.Attribute] && dryRun:
			brevoType += " (to be created)"
		case missing[f.Attribute]:
			brevoType += " (missing in Brevo)"
		}
		rows = append(rows, []string{f.Property, f.PropertyType + "/" + f.FieldType, f.Attribute, brevoType})
	}
	table(w, "  HUBSPOT PROPERTY\tHUBSPOT TYPE\tBREVO ATTRIBUTE\tBREVO TYPE", indent(rows))

	if len(p.MissingAttributes) > 0 {
		if dryRun {
			fmt.Fprintf(w, "\nBrevo attributes that would be created (%d)\n", len(p.MissingAttributes))
		} else {
			fmt.Fprintf(w, "\nmapped Brevo attributes that do not exist (%d): Brevo would refuse the contacts; recreate them\n", len(p.MissingAttributes))
		}
		rows = rows[:0]
		for _, a := range p.MissingAttributes {
			rows = append(rows, []string{a.Name, a.Category, a.Type, attributeOptions(a)})
		}
		table(w, "  NAME\tCATEGORY\tTYPE\tOPTIONS", indent(rows))
	}

	fmt.Fprintf(w, "\nwould write %d contacts\n", len(p.Contacts))
	if len(p.Contacts) > 0 {
		labels := categoryLabels(p.Fields)
		rows = rows[:0]
		for _, c := range p.Contacts {
			rows = append(rows, []string{c.ExtID, orDash(c.Email), formatAttributes(c.Attributes, labels)})
		}
		table(w, "  EXT_ID\tEMAIL\tATTRIBUTES", indent(rows))
	}

	fmt.Fprintf(w, "\nvalues left out (%d)\n", p.Notes())
	if p.Notes() > 0 {
		rows = rows[:0]
		for _, c := range p.Contacts {
			for _, n := range c.Notes {
				rows = append(rows, []string{c.ExtID, n.Attribute, n.Reason, n.Text})
			}
		}
		table(w, "  EXT_ID\tATTRIBUTE\tREASON\tWHY", indent(rows))
	}

	if n := len(p.NoCountryCode); n > 0 {
		fmt.Fprintf(w, "\n%d SMS numbers have no country code (extId %s): Brevo refuses them, so those contacts\n"+
			"would be written without SMS, or fail where SMS is their only identifier; --default-country-code CC prefixes them\n",
			n, strings.Join(p.NoCountryCode, ", "))
	}

	printConsentPreview(w, p)

	fmt.Fprintf(w, "\nwould skip %d contacts\n", len(p.Skipped))
	if len(p.Skipped) > 0 {
		rows = rows[:0]
		for _, s := range p.Skipped {
			rows = append(rows, []string{s.HubSpotID, orDash(s.Email), s.Reason, s.Text})
		}
		table(w, "  HUBSPOT ID\tEMAIL\tREASON\tWHY", indent(rows))
	}
}

func printReport(w io.Writer, r manage.Report) {
	fmt.Fprintf(w, "integration %s (%s): %d synced, %d skipped, %d failed in total\n",
		r.Name, r.State, r.ContactsSynced, r.ContactsSkipped, r.ContactsFailed)
	if len(r.SkippedByReason) > 0 {
		fmt.Fprintf(w, "skipped by reason  %s\n", counts(r.SkippedByReason))
	}
	for _, line := range r.Consent {
		fmt.Fprintf(w, "consent            %s\n", line)
	}
	if r.DeletedInHubSpot > 0 || r.UnsubscribesReported > 0 {
		fmt.Fprintf(w, "consent counts     %d deleted in HubSpot (reason deleted_in_hubspot), %d Brevo unsubscribes reported (unsubscribed_in_brevo)\n",
			r.DeletedInHubSpot, r.UnsubscribesReported)
	}
	if len(r.Problems) == 0 {
		fmt.Fprintln(w, "\nno skipped or failed records, and no values left out")
		return
	}
	fmt.Fprintf(w, "\nlatest %d records, newest first (kind created/updated: written without the value, or blocklisted)\n", len(r.Problems))
	rows := make([][]string, 0, len(r.Problems))
	for _, o := range r.Problems {
		rows = append(rows, []string{o.HubSpotID, orDash(o.Email), o.Kind, o.Reason, o.Text})
	}
	table(w, "HUBSPOT ID\tEMAIL\tKIND\tREASON\tTEXT", rows)
	fmt.Fprintf(w, "\nby kind    %s\nby reason  %s\n", counts(r.ByKind), counts(r.ByReason))
}

// counts prints a count map as "a 1, b 2", by key.
func counts[N int | int64](m map[string]N) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}

func indent(rows [][]string) [][]string {
	out := make([][]string, len(rows))
	for i, r := range rows {
		out[i] = append([]string{"  " + r[0]}, r[1:]...)
	}
	return out
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// attributeOptions shows what a planned attribute offers: its categories
// (id and label) or its choices.
func attributeOptions(a manage.AttributePlan) string {
	var parts []string
	for _, e := range a.Enumeration {
		parts = append(parts, fmt.Sprintf("%d %s", e.Value, e.Label))
	}
	parts = append(parts, a.MultiCategoryOptions...)
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, ", ")
}

// categoryLabels maps attribute → category id → HubSpot label, so people
// read "2 (Lead)" rather than "2".
func categoryLabels(fields []mapping.Field) map[string]map[int]string {
	out := map[string]map[int]string{}
	for _, f := range fields {
		if f.AttributeType != manage.TypeCategory {
			continue
		}
		ids := map[int]string{}
		for value, id := range f.Categories {
			if l := f.Labels[value]; l != "" {
				ids[id] = l
			} else {
				ids[id] = value
			}
		}
		out[f.Attribute] = ids
	}
	return out
}

// formatAttributes prints attributes as KEY=value by key, values as JSON
// (so text with spaces stays readable and arrays look like arrays).
func formatAttributes(attrs map[string]any, labels map[string]map[int]string) string {
	keys := make([]string, 0, len(attrs))
	for k := range attrs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		v := jsonValue(attrs[k])
		if id, ok := categoryID(attrs[k]); ok {
			if l, ok := labels[k][id]; ok {
				v += " (" + l + ")"
			}
		}
		parts = append(parts, k+"="+v)
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, " ")
}

// categoryID reads a category value: an int as mapped, a float64 once it
// went through JSON.
func categoryID(v any) (int, bool) {
	switch x := v.(type) {
	case int:
		return x, true
	case float64:
		if x == float64(int(x)) {
			return int(x), true
		}
	}
	return 0, false
}

func jsonValue(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return strconv.Quote(fmt.Sprint(v))
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// contactReport answers "what happened to this contact?" from the sync
// store the worker writes (SYNC_STORE_DSN; the same file or database), and
// from HubSpot for a contact the store knows nothing of.
func (c *cli) contactReport(ctx context.Context, name, key string, asJSON bool) error {
	if err := c.load(); err != nil {
		return err
	}
	st, err := store.Open(ctx, c.cfg.Sync.StoreDSN)
	if err != nil {
		return fmt.Errorf("sync store (SYNC_STORE_DSN=%s): %w", c.cfg.Sync.StoreDSN, err)
	}
	defer st.Close()
	facts, err := st.Lookup(ctx, name, key)
	if err != nil {
		return err
	}
	answers := manage.ContactAnswers(facts)
	if len(answers) == 0 {
		status, err := c.statusIfReachable(ctx, name)
		if err != nil {
			return err
		}
		// A named connection's store keys are ext_ids: "<portal>-<record id>".
		if acct := specAccount(status); acct.Portal != "" && !strings.Contains(key, "@") {
			if facts, err = st.Lookup(ctx, name, acct.ExtID(key)); err != nil {
				return err
			}
			answers = manage.ContactAnswers(facts)
		}
		if len(answers) == 0 {
			a, err := c.askHubSpot(ctx, key, status)
			if err != nil {
				return err
			}
			answers = append(answers, a)
		}
	}
	if asJSON {
		return printJSON(c.out, answers)
	}
	for _, a := range answers {
		fmt.Fprintln(c.out, contactLine(key, a))
	}
	return nil
}

// askHubSpot asks HubSpot about a contact the store does not know, with
// the integration's status (its list, whether a pass ended) when Temporal
// answers.
func (c *cli) askHubSpot(ctx context.Context, key string, status *integration.Status) (manage.ContactAnswer, error) {
	m, err := c.managerOn(specAccount(status).Connection)
	if err != nil {
		return manage.ContactAnswer{}, err
	}
	return m.AskHubSpot(ctx, key, status)
}

// statusIfReachable is the integration's status when Temporal answers
// (nil otherwise); a name Temporal does not know is an error.
func (c *cli) statusIfReachable(ctx context.Context, name string) (*integration.Status, error) {
	m, err := c.temporal()
	if err != nil {
		return nil, nil
	}
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	st, err := m.Status(sctx, name)
	switch {
	case errors.Is(err, manage.ErrNoIntegration):
		return nil, err // a misspelt name, not a contact outside the list
	case err != nil:
		return nil, nil
	}
	return &st, nil
}

// specAccount is the HubSpot account of a status's spec (the default one
// when unknown).
func specAccount(st *integration.Status) integration.HubSpotAccount {
	if st == nil || st.Spec == nil {
		return integration.HubSpotAccount{}
	}
	return st.Spec.HubSpot()
}

// contactLine says what happened to one contact in one line.
func contactLine(asked string, a manage.ContactAnswer) string {
	who := strings.TrimSpace(a.HubSpotID + " " + a.Email)
	list := "the HubSpot list"
	if a.ListID != "" {
		list = "HubSpot list " + a.ListID
	}
	switch a.Verdict {
	case manage.VerdictWritten:
		return who + ": written to Brevo " + writeDetails(a) + remark(a)
	case manage.VerdictLeft:
		if a.Hash == "" {
			return who + ": left " + list + " before it was written"
		}
		return who + ": left " + list + "; written to Brevo before it left, " + writeDetails(a)
	case manage.VerdictSkipped, manage.VerdictFailed:
		return who + ": " + refusal(a)
	case manage.VerdictImporting:
		return who + ": sent to Brevo in an import not confirmed yet"
	case manage.VerdictMemberNotWritten:
		return who + ": a member of " + list + ", not written yet (the pass has not come to it)"
	case manage.VerdictNotAMember:
		if a.PassEndedAt != nil {
			return fmt.Sprintf("%s: in HubSpot, not a member of %s (as of the pass that ended %s)", who, list, a.PassEndedAt.Format(time.RFC3339))
		}
		return who + ": in HubSpot, and the sync never found it in " + list
	case manage.VerdictNotReadYet:
		return who + ": in HubSpot; the first pass has not read it yet, or it is not a member of " + list
	}
	return fmt.Sprintf("%q: unknown to HubSpot (no contact with this id or email)", asked)
}

// writeDetails describes the last good write: when and how, if it was
// the last write, and the hash of its values.
func writeDetails(a manage.ContactAnswer) string {
	when := "(time not recorded)"
	if a.WrittenAt != nil && a.WrittenKind != mapping.OutcomeFailed {
		when = a.WrittenAt.Format(time.RFC3339)
		if a.WrittenKind != "" {
			when += " (" + a.WrittenKind + ")"
		}
	}
	return when + ", values hash " + shortHash(a.Hash)
}

// refusal says why a contact was skipped or failed, and what Brevo holds
// of it from before.
func refusal(a manage.ContactAnswer) string {
	line := a.Verdict
	switch o := a.Outcome; {
	case o != nil && o.Kind == a.Verdict:
		line += fmt.Sprintf(" %s: %s: %s", o.At.Format(time.RFC3339), o.Reason, o.Detail)
	case a.WrittenAt != nil:
		line += " " + a.WrittenAt.Format(time.RFC3339) + " (no reason recorded)"
	}
	if a.Hash != "" {
		line += "; Brevo holds an earlier write, values hash " + shortHash(a.Hash)
	}
	return line
}

func shortHash(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

// remark is a written contact's note: a value the write left out.
func remark(a manage.ContactAnswer) string {
	if a.Outcome == nil || a.Outcome.Reason == "" || a.Outcome.Kind == mapping.OutcomeSkipped || a.Outcome.Kind == mapping.OutcomeFailed {
		return ""
	}
	return fmt.Sprintf("; %s: %s", a.Outcome.Reason, a.Outcome.Detail)
}

// printConsentPreview says what the consent options would do to the
// sampled contacts.
func printConsentPreview(w io.Writer, p manage.Preview) {
	if len(p.Consent) == 0 {
		return
	}
	fmt.Fprintln(w, "\nconsent options")
	for _, line := range p.Consent {
		fmt.Fprintln(w, "  "+line)
	}
	var rows [][]string
	for _, c := range p.Contacts {
		if e := manage.ConsentEffect(c); e != "" {
			rows = append(rows, []string{c.ExtID, orDash(c.Email), e})
		}
	}
	for _, s := range p.Skipped {
		if s.Reason == mapping.ReasonNotMarketingContact {
			rows = append(rows, []string{s.HubSpotID, orDash(s.Email), "would skip (" + s.Reason + ")"})
		}
	}
	fmt.Fprintf(w, "%d of the sampled contacts affected\n", len(rows))
	if len(rows) > 0 {
		table(w, "  HUBSPOT ID\tEMAIL\tCONSENT", indent(rows))
	}
}
