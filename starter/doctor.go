package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"hubspot-brevo-sync/internal/brevo"
	"hubspot-brevo-sync/internal/connect"
	"hubspot-brevo-sync/internal/doctor"
	"hubspot-brevo-sync/internal/hubspot"
)

// doctorCommand is `starter doctor`: the checks of internal/doctor with
// the worker's configuration, printed as a table or as JSON.
func (c *cli) doctorCommand() *cobra.Command {
	var asJSON, canary bool
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check Temporal, HubSpot and Brevo as the worker will use them",
		Long: `Doctor reads the worker's environment and checks, in under a minute, what the
sync relies on: Temporal (namespace, search attributes, a worker polling the
task queue, the integrations), HubSpot (token, scopes, tier, every
integration's list) and Brevo (key, tier, the notice sender, every
integration's list and mapped attributes). It prints one line per check and
exits non-zero when any fails.

--write-canary also writes to the Brevo account: it creates a scratch folder
and list, imports one canary contact, reads it back, removes it twice and
deletes all of it again, and reports under "observed" how the account
behaves. docs/doctor.md says what each check and observation means.`,
		Example: "  starter doctor\n  starter doctor --json --write-canary",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := c.load(); err != nil {
				return err
			}
			return c.doctor(cmd.Context(), asJSON, canary)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, `print {"ok", "checks", "observed"} as JSON`)
	cmd.Flags().BoolVar(&canary, "write-canary", false, "also write a canary contact to a scratch Brevo list (deleted again)")
	return cmd
}

func (c *cli) doctor(ctx context.Context, asJSON, canary bool) error {
	rep := doctor.Run(ctx, c.doctorOptions(canary))
	if asJSON {
		if err := printJSON(c.out, rep); err != nil {
			return err
		}
	} else {
		printDoctor(c.out, rep)
	}
	if failed := rep.Failed(); len(failed) > 0 {
		return fmt.Errorf("doctor: %d of %d checks failed: %s", len(failed), len(rep.Checks), strings.Join(failed, ", "))
	}
	return nil
}

// doctorTemporal dials Temporal for the doctor; tests replace it to run
// without a server.
var doctorTemporal = func(c *cli) (doctor.Temporal, error) {
	m, err := c.temporal()
	if err != nil {
		return nil, err
	}
	return doctor.NewTemporal(m.Temporal, c.cfg.Temporal.Namespace, c.cfg.Temporal.TaskQueue), nil
}

// doctorOptions builds the clients as the worker does; one that cannot be
// built becomes a failed check, not an error of the command.
func (c *cli) doctorOptions(canary bool) doctor.Options {
	o := doctor.Options{
		TemporalAddress: fmt.Sprintf("%s (%s)", c.cfg.Temporal.Address, c.cfg.Temporal.Security()),
		Namespace:       c.cfg.Temporal.Namespace, TaskQueue: c.cfg.Temporal.TaskQueue,
		HubSpotTier: c.cfg.HubSpot.Tier, BrevoTier: c.cfg.Brevo.Tier, NotifySender: c.cfg.Sync.NotifySender,
		WriteCanary: canary, BrevoAnswers: doctor.NewAnswers(nil),
	}
	o.Temporal, o.TemporalErr = doctorTemporal(c)
	o.HubSpot, o.HubSpotErr = c.doctorHubSpot()
	if named, _ := c.connectionsDir().List(); len(named) > 0 {
		o.Connections = c.registry(o.HubSpot)
		if o.HubSpot == nil {
			o.HubSpotErr = nil // named connections only: nothing to check for HUBSPOT_*
		}
	}
	o.Brevo, o.BrevoErr = c.doctorBrevo(o.BrevoAnswers)
	if o.BrevoTier == "" {
		o.BrevoTier = brevo.TierGeneral // what an empty tier means to the client
	}
	return o
}

func (c *cli) doctorHubSpot() (*hubspot.Client, error) {
	if !c.cfg.HubSpot.HasCredentials() {
		return nil, errors.New("no credentials: set HUBSPOT_ACCESS_TOKEN (or the HUBSPOT_CLIENT_ID/SECRET/REFRESH_TOKEN trio)")
	}
	return connect.HubSpot(c.cfg.HubSpot, c.log)
}

// doctorBrevo builds the Brevo client over answers, which records what
// Brevo answers the canary's removals.
func (c *cli) doctorBrevo(answers *doctor.Answers) (*brevo.Client, error) {
	if c.cfg.Brevo.APIKey == "" {
		return nil, errors.New("no credentials: set BREVO_API_KEY")
	}
	return connect.Brevo(c.cfg.Brevo, c.log, connect.WithTransport(func(string) http.RoundTripper { return answers }))
}

// printDoctor prints the checks as a table and the observations below.
func printDoctor(w io.Writer, rep doctor.Report) {
	rows := make([][]string, 0, len(rep.Checks))
	for _, ch := range rep.Checks {
		result := "ok"
		switch {
		case ch.Skipped:
			result = "skip"
		case !ch.OK:
			result = "FAIL"
		}
		rows = append(rows, []string{ch.Name, result, ch.Detail})
	}
	table(w, "CHECK\tRESULT\tDETAIL", rows)
	if len(rep.Observed) == 0 {
		return
	}
	fmt.Fprintln(w)
	obs := make([][]string, 0, len(rep.Observed))
	for _, k := range slices.Sorted(maps.Keys(rep.Observed)) {
		v := fmt.Sprint(rep.Observed[k])
		if rep.Observed[k] == nil {
			v = "unknown"
		}
		obs = append(obs, []string{k, v})
	}
	table(w, "OBSERVED\tVALUE", obs)
}
