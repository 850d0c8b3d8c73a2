package main

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"hubspot-brevo-sync/activities"
	"hubspot-brevo-sync/internal/integration"
	"hubspot-brevo-sync/internal/sandbox"
)

// result is one measured pass.
type result struct {
	name        string
	wall, bound time.Duration
	status      integration.Status // the integrations' figures added up
	statuses    []integration.Status
	hsCalls     int64
	hsSearches  int64
	bvCalls     int64
	// 429s per budget: HubSpot's burst window, its search limit, its
	// daily allowance, and Brevo (every family).
	hsBurst429, hsSearch429, hsDaily429, bv429 int64
	imports                                    int64
	upserts                                    int64
	reads                                      int64
	events                                     int64
	runs                                       int
	workers                                    []workerReport
	workersBefore                              []workerReport
	hsBefore                                   sandbox.HubSpotStats
	bvBefore                                   sandbox.BrevoStats
	eventsBefore                               int64
	passBefore                                 []int
}

// measure triggers a pass and waits until every integration is idle again
// after it, counting the calls and events the pass cost.
func (b *bench) measure(ctx context.Context, name string, bound time.Duration, trigger func() error) (result, error) {
	r := result{name: name, bound: bound, hsBefore: b.sb.HubSpot().Stats(), bvBefore: b.sb.Brevo().Stats(), workersBefore: b.readWorkers()}
	r.passBefore = make([]int, len(b.integrations))
	if sts, err := b.statuses(ctx); err == nil {
		for i, st := range sts {
			r.passBefore[i] = st.Cursor.Pass
		}
		r.eventsBefore, _, _ = b.allEvents(ctx)
	}
	start := time.Now()
	if err := trigger(); err != nil {
		return r, fmt.Errorf("%s: %w", name, err)
	}
	sts, err := b.awaitIdle(ctx, start, r.passBefore)
	if err != nil {
		return r, err
	}
	r.wall, r.statuses, r.status = time.Since(start), sts, combined(sts)
	b.count(&r)
	if r.events, r.runs, err = b.allEvents(ctx); err != nil {
		return r, err
	}
	r.events -= r.eventsBefore
	r.workers = b.readWorkers()
	return r, nil
}

func (b *bench) awaitIdle(ctx context.Context, start time.Time, passBefore []int) ([]integration.Status, error) {
	deadline := start.Add(b.f.timeout)
	lastPrint := time.Now()
	for {
		sts, err := b.statuses(ctx)
		idle := err == nil
		for i, st := range sts {
			if st.State == integration.StateFailed {
				return sts, fmt.Errorf("integration %s failed: %s", b.integrations[i].name, st.LastError)
			}
			idle = idle && st.State == integration.StateIdle && st.Cursor.Pass > passBefore[i]
		}
		st := combined(sts)
		switch {
		case idle:
			return sts, nil
		case time.Now().After(deadline) || ctx.Err() != nil:
			return sts, fmt.Errorf("not idle after %s (%d of %d read, err %v)", time.Since(start).Round(time.Second), st.Cursor.Seen, st.Cursor.ListSize, err)
		}
		if time.Since(lastPrint) >= 15*time.Second {
			hs, bv := b.sb.HubSpot().Stats(), b.sb.Brevo().Stats()
			fmt.Printf("  %6.0fs  %d / %d read, %d written this pass, %d in imports being confirmed; calls: HubSpot %d, Brevo %v\n",
				time.Since(start).Seconds(), st.Cursor.Seen, st.Cursor.ListSize, st.Cursor.Written, st.PendingImports, hs.Calls, bv.Endpoints)
			lastPrint = time.Now()
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// count takes the API calls of the pass from the sandbox's statistics.
func (b *bench) count(r *result) {
	hs, bv := b.sb.HubSpot().Stats(), b.sb.Brevo().Stats()
	r.hsCalls = int64(hs.Calls - r.hsBefore.Calls)
	r.hsSearches = int64(hs.ByFamily["contacts.search"] - r.hsBefore.ByFamily["contacts.search"])
	policy := func(p string) int64 { return int64(hs.RateLimitedByPolicy[p] - r.hsBefore.RateLimitedByPolicy[p]) }
	r.hsBurst429, r.hsSearch429, r.hsDaily429 = policy("TEN_SECONDLY_ROLLING"), policy("SECONDLY"), policy("DAILY")
	for fam, s := range bv.Families {
		r.bvCalls += s.Calls - r.bvBefore.Families[fam].Calls
		r.bv429 += s.RateLimited - r.bvBefore.Families[fam].RateLimited
	}
	delta := func(ep string) int64 { return bv.Endpoints[ep] - r.bvBefore.Endpoints[ep] }
	r.imports = delta("POST /v3/contacts/import")
	r.upserts = delta("POST /v3/contacts") + delta("PUT /v3/contacts/{identifier}") + delta("POST /v3/contacts/batch")
	r.reads = delta("GET /v3/contacts")
}

// initialBound is what HubSpot's burst limit allows for the calls a full
// pass of every list must make (one memberships call per 250 members, one
// batch read per 100), plus one import delay: the last import is read back
// after it.
func (b *bench) initialBound() time.Duration {
	calls := 0
	for _, in := range b.integrations {
		n := len(in.ids)
		calls += (n+249)/250 + (n+99)/100
	}
	return b.perBurst(calls) + max(b.opts.Brevo.ImportDelay, 0)
}

// changesBound is what an incremental pass must spend: the membership
// scans at the burst limit, the search pages at the search budget (5 a
// second), and one import delay. Search reads the portal's changes, not a
// list's, so every integration pages through all of them.
func (b *bench) changesBound() time.Duration {
	scans := 0
	for _, in := range b.integrations {
		scans += (len(in.ids) + 249) / 250
	}
	pages := len(b.integrations) * ((b.f.changes + 199) / 200)
	search := time.Duration(float64(pages) / 5 * float64(time.Second))
	return b.perBurst(scans) + search + max(b.opts.Brevo.ImportDelay, 0)
}

func (b *bench) perBurst(calls int) time.Duration {
	return time.Duration(float64(calls) / float64(b.opts.HubSpot.BurstLimit) * float64(b.opts.HubSpot.BurstWindow))
}

func (b *bench) print(r result, contacts int) {
	n := float64(contacts)
	st := r.status
	mode := "real limits (HubSpot Free 100/10 s, search 5/s, Brevo general 10/s, imports 3 s)"
	if b.f.fast {
		mode = "fast limits (-fast: 20x, instant imports; not a measurement)"
	}
	variant := b.f.variant
	if variant == "" {
		variant = sandbox.BrevoVariants()[0].Name + " (sandbox defaults)"
	}
	fmt.Printf(`
== %s: %d contacts, %s
list                %d members in %d integrations (one HubSpot connection, one Brevo account), faults %.0f %%, Brevo variant %s
machine             %d CPUs, %s/%s, %s
workers             %d on one task queue, sync store %s
wall time           %s
bound               %s
ratio               %.2f x the bound
written this pass   %d (total synced %d, skipped %d, failed %d, unchanged %d)
HubSpot calls       %d (%.1f per 1,000 contacts; %d of them searches)
Brevo calls         %d (%.2f per 1,000 contacts: %d imports, %d contact reads, %d one-by-one or batch writes)
429s                HubSpot burst %d, HubSpot search %d, HubSpot daily %d, Brevo %d
history events      %d (%.1f per 1,000 contacts; %d runs so far)
%s%s`,
		r.name, contacts, mode, b.seed.ListSize, len(b.integrations), b.f.faults*100, variant,
		runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, cpuModel(),
		len(r.workers), b.storeKind,
		r.wall.Round(100*time.Millisecond), r.bound.Round(100*time.Millisecond), r.wall.Seconds()/r.bound.Seconds(),
		st.Cursor.Written, st.ContactsSynced, st.ContactsSkipped, st.ContactsFailed, st.Unchanged,
		r.hsCalls, float64(r.hsCalls)/n*1000, r.hsSearches,
		r.bvCalls, float64(r.bvCalls)/n*1000, r.imports, r.reads, r.upserts,
		r.hsBurst429, r.hsSearch429, r.hsDaily429, r.bv429,
		r.events, float64(r.events)/n*1000, r.runs,
		workerLines(r), repairs(st))
}

// readWorkers reads every worker's file (zero for one not written yet).
func (b *bench) readWorkers() []workerReport {
	out := make([]workerReport, len(b.workerFiles))
	for i, f := range b.workerFiles {
		out[i], _ = readWorker(f)
	}
	return out
}

// workerLines is each worker's peak RSS and its share of the pass's calls,
// with the time its governors held calls back.
func workerLines(r result) string {
	var b strings.Builder
	for i, w := range r.workers {
		var was workerReport
		if i < len(r.workersBefore) {
			was = r.workersBefore[i]
		}
		label := "worker peak RSS"
		if len(r.workers) > 1 {
			label = fmt.Sprintf("worker %d", i+1)
		}
		fmt.Fprintf(&b, "%-19s %s", label, formatRSS(w.PeakRSS))
		if len(r.workers) > 1 {
			fmt.Fprintf(&b, "; HubSpot %d calls (held back %s), Brevo %d calls (held back %s)",
				w.HubSpotCalls-was.HubSpotCalls, (w.HubSpotWaited - was.HubSpotWaited).Round(100*time.Millisecond),
				w.BrevoCalls-was.BrevoCalls, (w.BrevoWaited - was.BrevoWaited).Round(100*time.Millisecond))
		}
		b.WriteString("\n")
	}
	return b.String()
}

// repairs lists the read-back repairs the pass reported, if any.
func repairs(st integration.Status) string {
	var b strings.Builder
	for _, p := range st.RecentProblems {
		if p.Reason == activities.ReasonImportRepaired {
			fmt.Fprintf(&b, "repair              %s\n", p.Text)
		}
	}
	return b.String()
}

// historyEvents sums the history lengths of every run of the workflow id.
func historyEvents(ctx context.Context, c client.Client, id string) (events int64, runs int, err error) {
	var token []byte
	for {
		resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Namespace: namespace, Query: fmt.Sprintf("WorkflowId = '%s'", id), NextPageToken: token,
		})
		if err != nil {
			return 0, 0, err
		}
		for _, e := range resp.GetExecutions() {
			d, err := c.DescribeWorkflowExecution(ctx, id, e.GetExecution().GetRunId())
			if err != nil {
				return 0, 0, err
			}
			events += d.GetWorkflowExecutionInfo().GetHistoryLength()
			runs++
		}
		if token = resp.GetNextPageToken(); len(token) == 0 {
			return events, runs, nil
		}
	}
}
