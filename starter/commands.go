package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"hubspot-brevo-sync/internal/integration"
	"hubspot-brevo-sync/internal/manage"
)

func (c *cli) createCommand() *cobra.Command {
	var req manage.CreateRequest
	var dryRun, asJSON bool
	var sample int
	cmd := &cobra.Command{
		Use:   "create --name N --hubspot-list ID (--brevo-list ID | --new-brevo-list NAME) --map prop=ATTR ... --opt-in-confirmed",
		Short: "Validate an integration against HubSpot and Brevo and start it",
		Long: `Create validates the request against both APIs (the list, the properties, the
attributes, the identifiers) and starts the integration, which copies the
HubSpot list into the Brevo list and keeps it up to date. Every refusal is one
line that says what to fix. --dry-run validates and previews the first list
members instead, writing nothing.

On a namespace that lacks the integrations' search attributes, create registers
them first (as the worker does at its start).`,
		Example: `  starter create --name newsletter --hubspot-list 1 --brevo-list 1 \
    --map email=EMAIL --map firstname=FIRSTNAME --map phone=SMS --opt-in-confirmed
  starter create --name leads --hubspot-list 2 --new-brevo-list "HubSpot leads" \
    --map email=EMAIL --map lifecyclestage=STAGE --create-attributes --opt-in-confirmed --dry-run`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !dryRun && (sample != 0 || asJSON) {
				return fmt.Errorf("create: --sample and --json go with --dry-run")
			}
			if dryRun {
				return c.dryRun(cmd.Context(), req, sample, asJSON)
			}
			return c.create(cmd.Context(), req)
		},
	}
	f := cmd.Flags()
	f.StringVar(&req.Name, "name", "", "integration `NAME`: 1-100 letters, digits, '.', '_' or '-'")
	f.StringVar(&req.HubSpotListID, "hubspot-list", "", "HubSpot contact list `ID` (see 'starter hubspot lists')")
	f.Int64Var(&req.BrevoListID, "brevo-list", 0, "Brevo list `ID` (see 'starter brevo lists')")
	f.StringVar(&req.NewBrevoList, "new-brevo-list", "", "`NAME` of a Brevo list the integration creates")
	f.Int64Var(&req.BrevoFolderID, "brevo-folder", 0, "Brevo folder `ID` of the new list")
	f.StringArrayVar(&req.Map, "map", nil, "`property=ATTRIBUTE`[:category|text|multiple-choice]: a HubSpot property and the Brevo attribute it fills; repeat it; email=EMAIL or phone=SMS at least")
	f.BoolVar(&req.OptInConfirmed, "opt-in-confirmed", false, "confirm the HubSpot contacts agreed to receive your marketing (required)")
	f.BoolVar(&req.Draft, "draft", false, "save without running until 'starter activate'")
	f.StringVar(&req.DefaultCountryCode, "default-country-code", "", "country code `CC` for national phone numbers, e.g. 49")
	f.StringVar(&req.OnLeave, "on-leave", "unlink", "unlink|keep: what happens in Brevo to a contact that leaves the HubSpot list")
	f.IntVar(&req.UnlinkGuardPercent, "unlink-guard", 0, "refuse to unlink more than `PCT` % of the list in one pass (default 20; -1 off)")
	f.DurationVar(&req.ReconcileEvery, "reconcile-every", 0, "how often a full pass repairs drift (default 24h)")
	f.StringVar(&req.OnDelete, "on-delete", "unlink", "unlink|delete|keep: what happens in Brevo to a linked contact deleted in HubSpot")
	f.BoolVar(&req.ReportUnsubscribes, "report-unsubscribes-to-hubspot", false, "write Brevo unsubscribes to HubSpot (brevo_email_blacklisted, brevo_blacklisted_at)")
	f.StringVar(&req.HubSpotSubscriptionID, "hubspot-subscription-id", "", "also unsubscribe the email from HubSpot subscription type `ID`")
	f.BoolVar(&req.CreateAttributes, "create-attributes", false, "create the mapped Brevo attributes that do not exist")
	f.BoolVar(&req.SyncOptOuts, "sync-opt-outs", false, "blocklist in Brevo the contacts opted out in HubSpot (hs_email_optout); never un-blocklists")
	f.BoolVar(&req.OnlyMarketingContacts, "only-marketing-contacts", false, "skip non-marketing contacts (hs_marketable_status false); unlink them like leavers (--on-leave)")
	f.StringVar(&req.HubSpotConnection, "hubspot-connection", "", "HubSpot connection `NAME` to read (see 'starter connections list'; default: HUBSPOT_*)")
	f.BoolVar(&dryRun, "dry-run", false, "validate and preview the first list members; write nothing, start nothing")
	f.IntVar(&sample, "sample", 0, "`K` list members a dry run reads (default 25, max 250)")
	f.BoolVar(&asJSON, "json", false, "print the dry run as JSON")
	_ = cmd.RegisterFlagCompletionFunc("on-leave", cobra.FixedCompletions([]string{"unlink", "keep"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("on-delete", cobra.FixedCompletions([]string{"unlink", "delete", "keep"}, cobra.ShellCompDirectiveNoFileComp))
	c.registerCreateCompletions(cmd)
	return cmd
}

func (c *cli) create(ctx context.Context, req manage.CreateRequest) error {
	m, err := c.managerOn(req.HubSpotConnection)
	if err != nil {
		return err
	}
	// Validate before dialing Temporal, so configuration mistakes are
	// reported even when Temporal is down.
	planned, err := c.validateCreate(ctx, m, req)
	if err != nil {
		return err
	}
	if m, err = c.temporal(); err != nil {
		return err
	}
	spec, err := m.Create(ctx, req)
	if err != nil {
		return err
	}
	state := "syncing"
	if spec.Draft {
		state = "draft (run 'starter activate " + spec.Name + "')"
	}
	printCreatedAttributes(c.out, planned)
	fmt.Fprintf(c.out, "created integration %s: %s\n", spec.Name, state)
	return nil
}

// steeringCommands change an integration's state through the workflow's
// updates, which answer with the state reached; sync stays a signal, as it
// only asks for a pass sooner.
func (c *cli) steeringCommands() []*cobra.Command {
	steer := func(use, short, long, update string) *cobra.Command {
		return &cobra.Command{
			Use: use + " NAME", Short: short, Long: long, Args: oneName, ValidArgsFunction: c.completeNames,
			RunE: func(cmd *cobra.Command, args []string) error {
				return c.steer(cmd.Context(), args[0], update, nil)
			},
		}
	}
	activate := steer("activate", "Start a draft integration", "Activate starts a draft (created with --draft) and prints the state it reached.", integration.UpdateActivate)
	pause := steer("pause", "Pause an integration after its current batch",
		"Pause waits until the integration finished its current batch and prints \"paused\".", integration.UpdatePause)
	stop := steer("stop", "End an integration for good",
		"Stop ends the integration's workflow; Brevo keeps what was written. Create it again to start over.", integration.UpdateStop)

	var allowLeaves bool
	resume := &cobra.Command{
		Use: "resume NAME", Short: "Resume a paused or failed integration",
		Long: `Resume continues a paused integration (or one paused by the quota or failed,
once the cause is fixed) where it stopped. An integration that is not paused
refuses, in one line.`,
		Args: oneName, ValidArgsFunction: c.completeNames,
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.steer(cmd.Context(), args[0], integration.UpdateResume, integration.ResumeRequest{AllowLeaves: allowLeaves})
		},
	}
	resume.Flags().BoolVar(&allowLeaves, "allow-leaves", false, "let this pass unlink more members than the unlink guard allows")

	sync := &cobra.Command{
		Use: "sync NAME", Short: "Ask for a pass now instead of at the next poll",
		Args: oneName, ValidArgsFunction: c.completeNames,
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := c.temporal()
			if err != nil {
				return err
			}
			if err := m.Signal(cmd.Context(), args[0], integration.SignalSyncNow); err != nil {
				return err
			}
			fmt.Fprintf(c.out, "sent %s to %s\n", integration.SignalSyncNow, args[0])
			return nil
		},
	}
	return []*cobra.Command{activate, pause, resume, stop, sync}
}

// steer runs an update and prints the state reached.
func (c *cli) steer(ctx context.Context, name, update string, arg any) error {
	m, err := c.temporal()
	if err != nil {
		return err
	}
	reached, err := m.Control(ctx, name, update, arg)
	if err != nil {
		return err
	}
	if reached == "" { // a workflow that takes signals only
		fmt.Fprintf(c.out, "sent %s to %s\n", update, name)
		return nil
	}
	fmt.Fprintf(c.out, "%s: %s\n", name, reached)
	return nil
}

func (c *cli) statusCommand() *cobra.Command {
	var asJSON, watch bool
	cmd := &cobra.Command{
		Use:   "status NAME",
		Short: "Show an integration's state, progress and counts",
		Long: `Status shows the integration's state, the progress of the current pass (list
members read and contacts written, against the list's size) and its totals.
--watch redraws a progress line every second until the pass ended.`,
		Args: oneName, ValidArgsFunction: c.completeNames,
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.status(cmd.Context(), args[0], asJSON, watch)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().BoolVar(&watch, "watch", false, "redraw until the integration is no longer syncing")
	return cmd
}

func (c *cli) status(ctx context.Context, name string, asJSON, watch bool) error {
	m, err := c.temporal()
	if err != nil {
		return err
	}
	for {
		st, err := m.Status(ctx, name)
		if err != nil {
			return err
		}
		switch {
		case asJSON:
			if err := printJSON(c.out, st); err != nil {
				return err
			}
		case watch:
			fmt.Fprint(c.out, "\r\033[K"+progressLine(st))
		default:
			printStatus(c.out, st)
		}
		if !watch || settled(st.State) {
			if watch && !asJSON {
				fmt.Fprintln(c.out)
				printStatus(c.out, st)
			}
			return nil
		}
		select {
		case <-ctx.Done():
			fmt.Fprintln(c.out)
			return nil
		case <-time.After(time.Second):
		}
	}
}

// settled reports whether --watch can stop: the integration waits for
// something other than its own progress.
func settled(s integration.State) bool {
	return s != integration.StateSyncing
}

func (c *cli) listCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the integrations of the namespace",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			m, err := c.temporal()
			if err != nil {
				return err
			}
			all, err := m.List(cmd.Context())
			if err != nil {
				return err
			}
			if asJSON {
				if all == nil {
					all = []integration.Status{}
				}
				return printJSON(c.out, all)
			}
			printStatusTable(c.out, all)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// completeNames offers the integrations' names, when Temporal answers
// within a moment (completion must not hang a shell).
func (c *cli) completeNames(cmd *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	m, err := c.temporal()
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	ctx, cancel := context.WithTimeout(cmd.Context(), 3*time.Second)
	defer cancel()
	all, err := m.List(ctx)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	names := make([]cobra.Completion, 0, len(all))
	for _, st := range all {
		names = append(names, cobra.CompletionWithDesc(st.Name, string(st.State)))
	}
	return names, cobra.ShellCompDirectiveNoFileComp
}
