// Package doctor checks, on the user's own accounts, what the sync
// assumes about its surroundings: Temporal (namespace, search attributes,
// a worker), HubSpot (token, scopes, tier, the integrations' lists) and
// Brevo (key, tier, notice sender, the integrations' lists and
// attributes), and optionally how Brevo really behaves where the pipeline
// has variants (the write canary). It knows nothing of the command line:
// the starter builds its Options from the worker's configuration and
// prints the Report.
package doctor

import (
	"context"
	"fmt"
	"strings"
	"time"

	"hubspot-brevo-sync/internal/brevo"
	"hubspot-brevo-sync/internal/hubspot"
	"hubspot-brevo-sync/internal/integration"
)

// Check is one line of the report.
type Check struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
	// Skipped: the check could not run because one it needs failed; it
	// counts as not ok, since nothing was verified.
	Skipped bool `json:"skipped,omitempty"`
}

// Report is the doctor's answer: OK iff every check is.
type Report struct {
	OK       bool           `json:"ok"`
	Checks   []Check        `json:"checks"`
	Observed map[string]any `json:"observed"`
}

// Failed lists the names of the checks that are not ok.
func (r Report) Failed() []string {
	var out []string
	for _, c := range r.Checks {
		if !c.OK {
			out = append(out, c.Name)
		}
	}
	return out
}

// Options are the clients and settings of the worker's configuration. A
// client that could not be built is nil, with the reason in its Err.
type Options struct {
	Temporal    Temporal
	TemporalErr error
	// TemporalAddress (with how it is secured) and Namespace name what
	// was dialled, for details.
	TemporalAddress string
	Namespace       string
	TaskQueue       string

	HubSpot     *hubspot.Client
	HubSpotErr  error
	HubSpotTier hubspot.Tier
	// Connections, when set, resolves the named HubSpot connections: an
	// integration on one has its list checked through it. HubSpot nil with
	// HubSpotErr nil: only named connections are configured.
	Connections interface {
		Client(name string) (*hubspot.Client, error)
	}

	Brevo     *brevo.Client
	BrevoErr  error
	BrevoTier brevo.Tier
	// NotifySender is SYNC_NOTIFY_SENDER; "" skips the sender check.
	NotifySender string

	// WriteCanary runs the canary, which writes to the Brevo account;
	// BrevoAnswers must be the Brevo client's transport then.
	WriteCanary  bool
	BrevoAnswers *Answers
	// Budget bounds the checks (DefaultBudget when zero); the canary's
	// cleanup has a budget of its own on top, so it runs even when the
	// checks used theirs up.
	Budget time.Duration
}

// DefaultBudget keeps a whole run, cleanup included, under a minute.
const DefaultBudget = 40 * time.Second

// Run runs every check and returns the report; it never fails as a whole,
// because a failure is a check's answer.
func Run(ctx context.Context, o Options) Report {
	if o.Budget <= 0 {
		o.Budget = DefaultBudget
	}
	checkCtx, cancel := context.WithTimeout(ctx, o.Budget)
	defer cancel()
	r := &run{o: o, report: Report{Observed: map[string]any{}}}
	syncing := notStopped(r.temporalChecks(checkCtx))
	r.hubspotChecks(checkCtx, syncing)
	r.brevoChecks(checkCtx, syncing)
	if o.WriteCanary {
		r.canary(ctx, checkCtx)
	}
	r.report.OK = len(r.report.Failed()) == 0
	return r.report
}

// run accumulates the report of one Run.
type run struct {
	o      Options
	report Report
	// brevoOwner is the Brevo account's email, once known.
	brevoOwner string
}

func (r *run) pass(name, format string, args ...any) {
	r.report.Checks = append(r.report.Checks, Check{Name: name, OK: true, Detail: fmt.Sprintf(format, args...)})
}

func (r *run) fail(name, format string, args ...any) {
	r.report.Checks = append(r.report.Checks, Check{Name: name, Detail: fmt.Sprintf(format, args...)})
}

func (r *run) skip(name, needs string) {
	r.report.Checks = append(r.report.Checks, Check{Name: name, Skipped: true, Detail: "not checked: needs " + needs})
}

func (r *run) observe(key string, v any) { r.report.Observed[key] = v }

// notStopped drops the stopped integrations: their lists no longer
// matter.
func notStopped(all []integration.Status) []integration.Status {
	var out []integration.Status
	for _, st := range all {
		if st.State != integration.StateStopped {
			out = append(out, st)
		}
	}
	return out
}

// oneLine keeps an error to one line for a detail.
func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}

// itemName is the name of a per-integration check, e.g. hubspot.list[demo].
func itemName(check, integration string) string {
	return check + "[" + integration + "]"
}
