package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"maps"
	"slices"
	"strings"

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

func (c *cli) quota(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("quota", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print JSON")
	limit := fs.Int64("limit", -1, "with 'set': the new monthly task limit")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	set := len(pos) == 1 && pos[0] == "set"
	// Refuse bad input before dialing Temporal.
	if set && *limit < 0 {
		return errors.New("quota set needs --limit N (N >= 0)")
	}
	if len(pos) > 0 && !set {
		return fmt.Errorf("quota: unexpected %q; use 'starter quota [--json]' or 'starter quota set --limit N'", strings.Join(pos, " "))
	}
	m, err := c.temporal()
	if err != nil {
		return err
	}
	var l quota.Ledger
	switch {
	case len(pos) == 0:
		if l, err = m.Quota(ctx); err != nil {
			return err
		}
	case set:
		if l, err = m.SetQuotaLimit(ctx, *limit); err != nil {
			return err
		}
	default:
		return fmt.Errorf("quota: unexpected %q; use 'starter quota [--json]' or 'starter quota set --limit N'", strings.Join(pos, " "))
	}
	v := viewOf(l)
	if *asJSON {
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
