package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"hubspot-brevo-sync/internal/quota"
)

// quotaView is what `starter quota --json` prints.
type quotaView struct {
	Month        string           `json:"month"`
	Limit        int64            `json:"limit"`
	Used         int64            `json:"used"`
	Reserved     int64            `json:"reserved"`
	Remaining    int64            `json:"remaining"`
	Integrations map[string]int64 `json:"integrations"`
	Paused       []string         `json:"pausedByQuota"`
	Notices      []string         `json:"notices"`
}

func viewOf(l quota.Ledger) quotaView {
	v := quotaView{
		Month: l.Month, Limit: l.Limit, Used: l.Used, Reserved: l.Reserved(), Remaining: l.Available(),
		Integrations: l.PerIntegration, Paused: slices.Sorted(maps.Keys(l.Waiting)), Notices: l.Notices,
	}
	if v.Integrations == nil {
		v.Integrations = map[string]int64{}
	}
	if v.Paused == nil {
		v.Paused = []string{}
	}
	if v.Notices == nil {
		v.Notices = []string{}
	}
	return v
}

func (c *cli) quotaCommand() *cobra.Command {
	const use = "use 'starter quota [--json]' or 'starter quota set --limit N'"
	var asJSON, setJSON bool
	var limit int64
	cmd := &cobra.Command{
		Use:   "quota",
		Short: "The monthly task quota: used, reserved, remaining, per integration",
		Long: `Quota shows this month's (UTC) task quota shared by all integrations: every
contact created or updated in Brevo is a task. An integration that reaches
the limit pauses as quota_exceeded and resumes by itself when the limit is
raised ('quota set') or the month turns.`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return fmt.Errorf("quota: unexpected %q; %s", strings.Join(args, " "), use)
			}
			return c.quota(cmd.Context(), -1, asJSON)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	set := &cobra.Command{
		Use:   "set --limit N",
		Short: "Set the monthly task limit (paused integrations resume when it allows)",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// Refuse bad input before dialing Temporal.
			if limit < 0 {
				return errors.New("quota set needs --limit N (N >= 0)")
			}
			return c.quota(cmd.Context(), limit, setJSON)
		},
	}
	set.Flags().Int64Var(&limit, "limit", -1, "the new monthly task limit")
	set.Flags().BoolVar(&setJSON, "json", false, "print JSON")
	cmd.AddCommand(set)
	return cmd
}

// quota prints the ledger, after setting the limit when limit >= 0.
func (c *cli) quota(ctx context.Context, limit int64, asJSON bool) error {
	m, err := c.temporal()
	if err != nil {
		return err
	}
	var l quota.Ledger
	if limit >= 0 {
		l, err = m.SetQuotaLimit(ctx, limit)
	} else {
		l, err = m.Quota(ctx)
	}
	if err != nil {
		return err
	}
	v := viewOf(l)
	if asJSON {
		return printJSON(c.out, v)
	}
	fmt.Fprintf(c.out, "month      %s (UTC)\nused       %d of %d tasks (%d reserved, %d remaining)\n", v.Month, v.Used, v.Limit, v.Reserved, v.Remaining)
	for _, name := range slices.Sorted(maps.Keys(v.Integrations)) {
		fmt.Fprintf(c.out, "  %-20s %d\n", name, v.Integrations[name])
	}
	if len(v.Paused) > 0 {
		fmt.Fprintf(c.out, "paused     %s (quota_exceeded)\n", strings.Join(v.Paused, ", "))
	}
	for _, n := range v.Notices {
		fmt.Fprintf(c.out, "notice     %s\n", n)
	}
	return nil
}
