// Command bench measures the initial pass of one integration at the APIs'
// real limits: the embedded Temporal server, the sandbox (HubSpot Free,
// Brevo general tier, imports that take a few seconds, /processes at 100
// requests an hour), the sync store and a worker with the real activities.
// The worker runs in a child process of its own, so its peak RSS is the
// worker's alone.
//
//	go run ./internal/bench [-contacts N] [-fast]
//
// It prints the wall time, the lower bound HubSpot's burst limit puts on
// the calls the pass needs, the calls per 1,000 contacts, the 429s, the
// Temporal history events per 1,000 contacts (every run of the
// continue-as-new chain) and the worker's peak RSS.
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"

	"hubspot-brevo-sync/activities"
	"hubspot-brevo-sync/internal/brevo"
	"hubspot-brevo-sync/internal/devserver"
	"hubspot-brevo-sync/internal/hubspot"
	"hubspot-brevo-sync/internal/integration"
	"hubspot-brevo-sync/internal/manage"
	"hubspot-brevo-sync/internal/sandbox"
	"hubspot-brevo-sync/internal/store"
	"hubspot-brevo-sync/workflows"
)

const (
	taskQueue   = "bench"
	namespace   = "default"
	benchName = "bench"
)

type flags struct {
	contacts int
	fast     bool
	timeout  time.Duration

	// child (worker) mode
	worker     bool
	temporal   string
	sandboxURL string
	storePath  string
	rssFile    string
}

func main() {
	var f flags
	flag.IntVar(&f.contacts, "contacts", 10_000, "contacts in the HubSpot list")
	flag.BoolVar(&f.fast, "fast", false, "sandbox limits 20x the real ones and instant imports (a smoke test, not a measurement)")
	flag.DurationVar(&f.timeout, "timeout", 0, "give up after this long (0: 1 h plus 3 ms per contact)")
	flag.BoolVar(&f.worker, "worker", false, "internal: run as the worker process")
	flag.StringVar(&f.temporal, "temporal", "", "internal: Temporal frontend")
	flag.StringVar(&f.sandboxURL, "sandbox", "", "internal: sandbox URL")
	flag.StringVar(&f.storePath, "store", "", "internal: sync store path")
	flag.StringVar(&f.rssFile, "rss-file", "", "internal: where the worker writes its peak RSS")
	flag.Parse()
	var err error
	if f.worker {
		err = runWorker(f)
	} else {
		err = run(f)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// limits are the sandbox's limits, and the governors' (as HUBSPOT_TIER=free
// and BREVO_TIER=general set them).
func limits(fast bool) sandbox.Options {
	hs := hubspot.TierFree.Limits()
	bv := brevo.TierGeneral.Limits()
	o := sandbox.Options{
		HubSpot: sandbox.HubSpotOptions{BurstLimit: hs.Burst, BurstWindow: hs.BurstPeriod, DailyLimit: hs.Daily},
		Brevo: sandbox.BrevoOptions{ContactsPerSecond: bv.ContactsPerSecond, ContactsPerHour: bv.ContactsPerHour,
			OtherPerHour: bv.OtherPerHour, ImportDelay: 3 * time.Second},
	}
	if fast {
		o.HubSpot.BurstLimit *= 20
		o.Brevo.ContactsPerSecond *= 20
		o.Brevo.ContactsPerHour *= 20
		o.Brevo.ImportDelay = -1
	}
	return o
}

func run(f flags) error {
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	if f.timeout == 0 {
		f.timeout = time.Hour + time.Duration(f.contacts)*3*time.Millisecond
	}
	dir, err := os.MkdirTemp("", "hubspot-brevo-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	opts := limits(f.fast)
	sb := sandbox.New(opts)
	seedStart := time.Now()
	seed := sb.HubSpot().Seed(sandbox.SeedOptions{Contacts: f.contacts, Seed: 1})
	fmt.Printf("seeded %d contacts in %s\n", seed.ListSize, time.Since(seedStart).Round(time.Millisecond))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	hsrv := &http.Server{Handler: sb, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hsrv.Serve(ln) }()
	defer hsrv.Close()
	sandboxURL := "http://" + ln.Addr().String()

	port, err := freePort()
	if err != nil {
		return err
	}
	srv, err := devserver.Start(ctx, devserver.Options{
		DataDir: filepath.Join(dir, "temporal"), FrontendPort: port, DisableUI: true,
		Namespace: namespace, SearchAttributes: integration.SearchAttributes(),
	})
	if err != nil {
		return fmt.Errorf("temporal server: %w", err)
	}
	defer func() { _ = srv.Stop() }()

	// The worker, in its own process.
	rssFile := filepath.Join(dir, "worker-rss")
	self, err := os.Executable()
	if err != nil {
		return err
	}
	child := exec.CommandContext(ctx, self, "-worker", "-temporal", srv.FrontendHostPort(), "-sandbox", sandboxURL,
		"-store", filepath.Join(dir, "sync-store.db"), "-rss-file", rssFile, "-contacts", strconv.Itoa(f.contacts),
		"-fast="+strconv.FormatBool(f.fast))
	child.Stdout, child.Stderr = os.Stdout, os.Stderr
	if err := child.Start(); err != nil {
		return err
	}
	defer func() {
		_ = child.Process.Signal(syscall.SIGTERM)
		_ = child.Wait()
	}()

	c, err := client.Dial(client.Options{HostPort: srv.FrontendHostPort(), Namespace: namespace, Logger: quietLogger{}})
	if err != nil {
		return err
	}
	defer c.Close()
	hs, bv, err := apiClients(sandboxURL, f.fast)
	if err != nil {
		return err
	}
	mgr := &manage.Manager{Temporal: c, HubSpot: hs, Brevo: bv, TaskQueue: taskQueue, MonthlyTaskLimit: int64(f.contacts) * 2}

	hsBefore, bvBefore := sb.HubSpot().Stats(), sb.Brevo().Stats()
	start := time.Now()
	if _, err := mgr.Create(ctx, manage.CreateRequest{
		Name: benchName, HubSpotListID: seed.ListID, BrevoListID: 1, OptInConfirmed: true,
		Map: []string{"email=EMAIL", "firstname=FIRSTNAME", "lastname=LASTNAME", "phone=SMS"},
	}); err != nil {
		return fmt.Errorf("create: %w", err)
	}
	deadline := start.Add(f.timeout)
	var st integration.Status
	lastPrint := time.Now()
	for {
		st, err = mgr.Status(ctx, benchName)
		if err == nil && st.State == integration.StateIdle {
			break
		}
		if err == nil && st.State == integration.StateFailed {
			return fmt.Errorf("integration failed: %s", st.LastError)
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("not idle after %s (state %s, %d of %d read, err %v)", time.Since(start).Round(time.Second), st.State, st.Cursor.Seen, st.Cursor.ListSize, err)
		}
		if time.Since(lastPrint) >= 15*time.Second {
			fmt.Printf("  %6.0fs  %d / %d read, %d synced, %d in imports not confirmed yet\n",
				time.Since(start).Seconds(), st.Cursor.Seen, st.Cursor.ListSize, st.ContactsSynced, st.PendingImports)
			lastPrint = time.Now()
		}
		time.Sleep(200 * time.Millisecond)
	}
	wall := time.Since(start)
	hsStats, bvStats := sb.HubSpot().Stats(), sb.Brevo().Stats()
	if got := st.ContactsSynced + st.ContactsSkipped + st.ContactsFailed; got != int64(seed.ListSize) {
		return fmt.Errorf("synced %d + skipped %d + failed %d = %d, list has %d", st.ContactsSynced, st.ContactsSkipped, st.ContactsFailed, got, seed.ListSize)
	}
	if n := len(sb.Brevo().ListMembers(1)); int64(n) != st.ContactsSynced {
		return fmt.Errorf("Brevo list 1 holds %d contacts, status says %d synced", n, st.ContactsSynced)
	}

	events, runs, err := historyEvents(ctx, c, integration.ID(benchName))
	if err != nil {
		return err
	}
	_ = child.Process.Signal(syscall.SIGTERM)
	_ = child.Wait()
	rss := readRSS(rssFile)

	n := float64(seed.ListSize)
	hsCalls := hsStats.Calls - hsBefore.Calls
	var bvCalls, bv429 int64
	for fam, s := range bvStats.Families {
		bvCalls += s.Calls - bvBefore.Families[fam].Calls
		bv429 += s.RateLimited - bvBefore.Families[fam].RateLimited
	}
	hs429 := hsStats.RateLimited - hsBefore.RateLimited
	// The bound: the calls the pass needs (one memberships call per 250
	// members, one batch read per 100), at HubSpot's burst limit.
	needed := (seed.ListSize+249)/250 + (seed.ListSize+99)/100
	bound := time.Duration(float64(needed) / float64(opts.HubSpot.BurstLimit) * float64(opts.HubSpot.BurstWindow))

	mode := "real limits (HubSpot Free 100/10 s, Brevo general 10/s, imports 3 s, /processes 100/h)"
	if f.fast {
		mode = "fast limits (-fast: 20x, instant imports; not a measurement)"
	}
	fmt.Printf(`
contacts            %d (%s)
machine             %d CPUs, %s/%s, %s
wall time           %s (create to idle)
throughput          %.0f contacts/s
HubSpot bound       %s (%d calls at %d per %s)
ratio               %.2f x the bound
synced              %d (skipped %d, failed %d, unchanged %d)
HubSpot calls       %d (%.1f per 1,000 contacts)
Brevo calls         %d (%.2f per 1,000 contacts; %d imports, %d POST /contacts, %d GET /processes)
429s                HubSpot %d, Brevo %d
history events      %d in %d runs (%.1f per 1,000 contacts)
worker peak RSS     %s
`,
		seed.ListSize, mode,
		runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, cpuModel(),
		wall.Round(100*time.Millisecond), n/wall.Seconds(),
		bound.Round(100*time.Millisecond), needed, opts.HubSpot.BurstLimit, opts.HubSpot.BurstWindow,
		wall.Seconds()/bound.Seconds(),
		st.ContactsSynced, st.ContactsSkipped, st.ContactsFailed, st.Unchanged,
		hsCalls, float64(hsCalls)/n*1000,
		bvCalls, float64(bvCalls)/n*1000, bvStats.Endpoints["POST /v3/contacts/import"], bvStats.Endpoints["POST /v3/contacts"], bvStats.Endpoints["GET /v3/processes"]+bvStats.Endpoints["GET /v3/processes/{id}"],
		hs429, bv429,
		events, runs, float64(events)/n*1000,
		rss)
	return nil
}

func apiClients(sandboxURL string, fast bool) (*hubspot.Client, *brevo.Client, error) {
	env := sandbox.DevEnv(sandboxURL)
	o := limits(fast)
	hl := hubspot.TierFree.Limits()
	hl.Burst = o.HubSpot.BurstLimit
	hs, err := hubspot.New(hubspot.Config{BaseURL: env.HubSpotBaseURL, AccessToken: env.HubSpotToken, Governor: hubspot.NewGovernor(hl, nil)})
	if err != nil {
		return nil, nil, err
	}
	bl := brevo.TierGeneral.Limits()
	bl.ContactsPerSecond, bl.ContactsPerHour = o.Brevo.ContactsPerSecond, o.Brevo.ContactsPerHour
	bv, err := brevo.New(brevo.Config{BaseURL: env.BrevoBaseURL, APIKey: env.BrevoAPIKey, Governor: brevo.NewGovernor(bl, nil)})
	if err != nil {
		return nil, nil, err
	}
	return hs, bv, nil
}

// runWorker is the child process: a worker with the real activities. It
// records its peak RSS until it is told to stop.
func runWorker(f flags) error {
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	hs, bv, err := apiClients(f.sandboxURL, f.fast)
	if err != nil {
		return err
	}
	st, err := store.Open(ctx, f.storePath)
	if err != nil {
		return err
	}
	defer st.Close()
	c, err := client.Dial(client.Options{HostPort: f.temporal, Namespace: namespace, Logger: quietLogger{}})
	if err != nil {
		return err
	}
	defer c.Close()
	w := worker.New(c, taskQueue, worker.Options{})
	workflows.Register(w)
	w.RegisterActivity(&activities.Activities{HubSpot: hs, Brevo: bv, Store: st, PollInterval: time.Hour, MonthlyTaskLimit: int64(f.contacts) * 2})
	if err := w.Start(); err != nil {
		return err
	}
	defer w.Stop()
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		_ = os.WriteFile(f.rssFile, []byte(vmHWM()), 0o600)
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
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

func vmHWM() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "unknown (" + err.Error() + ")"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

func readRSS(path string) string {
	b, err := os.ReadFile(path)
	if err != nil || len(b) == 0 {
		return "unknown"
	}
	kb, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(string(b)), " kB"))
	if err != nil {
		return string(b)
	}
	return fmt.Sprintf("%.0f MB (VmHWM %d kB)", float64(kb)/1024, kb)
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "model name"); ok {
			return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
		}
	}
	return "unknown CPU"
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// quietLogger drops the SDK's log: the benchmark prints its own figures.
type quietLogger struct{}

func (quietLogger) Debug(string, ...any) {}
func (quietLogger) Info(string, ...any)  {}
func (quietLogger) Warn(string, ...any)  {}
func (quietLogger) Error(msg string, kv ...any) {
	fmt.Fprintln(os.Stderr, append([]any{"temporal sdk:", msg}, kv...)...)
}

var _ log.Logger = quietLogger{}
