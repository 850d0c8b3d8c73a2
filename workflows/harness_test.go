package workflows_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	sdkpb "go.temporal.io/api/sdk/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"hubspot-brevo-sync/activities"
	"hubspot-brevo-sync/internal/integration"
	"hubspot-brevo-sync/internal/mapping"
	"hubspot-brevo-sync/workflows"
)

// a names the activities for the mocks, as in the workflow code.
var a *activities.Activities

// batchTime is how long one SyncBatch takes on the test clock: signals and
// updates sent at a time land inside a known batch. It stays below every
// heartbeat timeout, since mocks do not heartbeat.
const batchTime = 10 * time.Second

// fakeSync plays the activities of the pipeline against an in-memory
// HubSpot list and sync store. It serves batches by position (the index
// of the next member, as a string), writes each member at most once per
// pass, sends a Brevo import when a batch writes at least ImportMin
// contacts and confirms the oldest MustConfirm imports it is given. It
// records every input. Emails live in its store only: what it returns
// carries ids and counts, as the activities' contract says.
type fakeSync struct {
	t *testing.T

	mu sync.Mutex
	// lists holds the member ids each phase reads; per is how many one
	// batch reads.
	lists map[string][]string
	per   int
	// store is the sync store's side: ids and their emails.
	store map[string]string
	// quotaLeft is what the quota still grants (< 0: unlimited).
	quotaLeft int
	// writtenIn remembers the pass that wrote each member.
	writtenIn map[string]int
	// inFlight are the imports sent and not confirmed, oldest first.
	inFlight    []integration.Import
	nextProcess int64
	// scans serve ScanMembers by its After (unless scanFail fails the
	// call); finish answers FinishScan.
	scans    map[string]activities.ScanResult
	scanFail func(activities.ScanInput) error
	finish   func(activities.FinishScanInput) (activities.FinishScanResult, error)
	// fail, when set, may fail a batch before it does anything.
	fail func(in activities.BatchInput, call int) error
	// skip makes every members batch skip this many records (by reason)
	// and report missing members.
	skip map[string]int
	// eager confirms every import given, done already, not only the
	// MustConfirm oldest.
	eager bool
	// onShort runs (under the lock) when a batch finds the quota short,
	// before the batch returns: the quota workflow may answer that soon.
	onShort func()
	// leak puts the store's email into the problems it returns, as a
	// broken activity would.
	leak bool

	// poll is the worker's poll interval setting; while unreadable, every
	// read of it fails.
	poll       time.Duration
	unreadable bool
	// lists are the Brevo lists EnsureBrevoList was asked for.
	newLists []activities.NewListInput
	// settingsReads counts the reads of the settings (one an idle period).
	settingsReads int

	inputs   []activities.BatchInput
	results  []activities.BatchResult
	scanned  []activities.ScanInput
	finished []activities.FinishScanInput
	// log lists the activity calls in order.
	log   []string
	calls map[string]int // SyncBatch calls by key (attempts)
	wrote []string       // member ids written, in order
}

func newFake(t *testing.T, members int) *fakeSync {
	f := &fakeSync{
		t: t, per: 10, quotaLeft: -1, poll: pollInterval,
		lists: map[string][]string{}, store: map[string]string{}, writtenIn: map[string]int{},
		scans: map[string]activities.ScanResult{"": {Last: true}}, calls: map[string]int{},
	}
	f.lists[integration.PhaseMembers] = f.people("m", members)
	return f
}

// people adds n members to the store and returns their ids.
func (f *fakeSync) people(prefix string, n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("%s%03d", prefix, i)
		f.store[ids[i]] = fmt.Sprintf("%s.%d@example.com", prefix, i)
	}
	return ids
}

func (f *fakeSync) SyncBatch(_ context.Context, in activities.BatchInput) (activities.BatchResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.inputs = append(f.inputs, in)
	f.calls[in.Key]++
	f.log = append(f.log, "batch "+phaseName(in.Source.Phase)+" "+in.Key)
	if f.fail != nil {
		if err := f.fail(in, f.calls[in.Key]); err != nil {
			return activities.BatchResult{}, err
		}
	}
	var res activities.BatchResult
	// The imports given are exactly those sent and not confirmed.
	if !slices.Equal(processIDs(in.Imports), processIDs(f.inFlight)) {
		f.t.Errorf("batch %s was given imports %v, in flight are %v", in.Key, processIDs(in.Imports), processIDs(f.inFlight))
	}
	confirm := in.MustConfirm
	if f.eager {
		confirm = len(in.Imports)
	}
	for range min(confirm, len(f.inFlight)) {
		im := f.inFlight[0]
		f.inFlight = f.inFlight[1:]
		res.Confirmed = append(res.Confirmed, activities.Confirmed{
			ProcessID: im.ProcessID, Batch: im.Batch, Tally: activities.Tally{Created: im.Contacts},
		})
	}
	if in.Source.Phase == "" {
		f.results = append(f.results, res)
		return res, nil
	}
	list := f.lists[in.Source.Phase]
	from := 0
	if in.Source.Position != "" {
		var err error
		if from, err = strconv.Atoi(in.Source.Position); err != nil {
			f.t.Errorf("batch %s: position %q is not the fake's", in.Key, in.Source.Position)
		}
	}
	to := min(from+f.per, len(list))
	var todo []string
	left := 0 // the first members of a batch are skipped or missing, when asked
	if in.Source.Phase == integration.PhaseMembers {
		for _, n := range f.skip {
			left += n
		}
	}
	for _, id := range list[from+min(left, to-from) : to] {
		if f.writtenIn[id] != in.Pass {
			todo = append(todo, id)
		}
	}
	granted := len(todo)
	if f.quotaLeft >= 0 {
		granted = min(granted, f.quotaLeft)
		f.quotaLeft -= granted
	}
	for _, id := range todo[:granted] {
		f.writtenIn[id] = in.Pass
		f.wrote = append(f.wrote, id)
	}
	switch {
	case granted == 0:
	case granted >= in.ImportMin:
		f.nextProcess++
		im := integration.Import{ProcessID: f.nextProcess, Batch: in.Key, Contacts: granted, Reservation: in.Reservation}
		f.inFlight = append(f.inFlight, im)
		res.Sent = &im
	default:
		res.Written.Created = granted
	}
	if granted < len(todo) {
		res.QuotaShort, res.Position = true, in.Source.Position
		if f.onShort != nil {
			f.onShort()
		}
	} else {
		res.Position, res.Last = strconv.Itoa(to), to == len(list)
		if res.Last && in.Source.Phase != integration.PhaseJoiners {
			// As HubSpot's cursors: none after the last page.
			res.Position = ""
		}
	}
	if in.Source.Phase == integration.PhaseMembers {
		res.Members, res.ListSize = to-from, len(list)
		next := from
		for _, reason := range slices.Sorted(maps.Keys(f.skip)) {
			n := f.skip[reason]
			if reason == mapping.ReasonNotInList {
				res.Missing += n
				next += n
				continue
			}
			if res.Written.Skipped == nil {
				res.Written.Skipped = map[string]int{}
			}
			res.Written.Skipped[reason] += n
			for range min(n, to-next) {
				id := list[next]
				next++
				o := mapping.Outcome{HubSpotID: id, Kind: mapping.OutcomeSkipped, Reason: reason}
				if f.leak {
					o.Email = f.store[id]
				}
				res.Problems = append(res.Problems, o)
			}
		}
	}
	f.results = append(f.results, res)
	return res, nil
}

func (f *fakeSync) ScanMembers(_ context.Context, in activities.ScanInput) (activities.ScanResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.scanned = append(f.scanned, in)
	f.log = append(f.log, "scan "+in.After)
	if f.scanFail != nil {
		if err := f.scanFail(in); err != nil {
			return activities.ScanResult{}, err
		}
	}
	res, ok := f.scans[in.After]
	if !ok {
		f.t.Errorf("scan continues from %q, which the fake never returned", in.After)
	}
	return res, nil
}

func (f *fakeSync) FinishScan(_ context.Context, in activities.FinishScanInput) (activities.FinishScanResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.finished = append(f.finished, in)
	f.log = append(f.log, fmt.Sprintf("leaves %d", in.Scan))
	if len(f.inFlight) > 0 {
		f.t.Errorf("leaves of pass %d start with imports %v unconfirmed", in.Scan, processIDs(f.inFlight))
	}
	if f.finish != nil {
		return f.finish(in)
	}
	return activities.FinishScanResult{}, nil
}

func (f *fakeSync) Settings() (activities.Settings, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.settingsReads++
	if f.unreadable {
		return activities.Settings{}, errors.New("settings unreadable")
	}
	return activities.Settings{PollInterval: f.poll}, nil
}

// brevoListID is the id of the list EnsureBrevoList creates.
const brevoListID = 42

func (f *fakeSync) EnsureBrevoList(_ context.Context, in activities.NewListInput) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.newLists = append(f.newLists, in)
	f.log = append(f.log, "list "+in.Name)
	return brevoListID, nil
}

// snapshot returns copies of what the fake recorded.
func (f *fakeSync) snapshot() (inputs []activities.BatchInput, log []string, wrote []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.inputs), slices.Clone(f.log), slices.Clone(f.wrote)
}

func phaseName(p string) string {
	if p == "" {
		return "confirm"
	}
	return p
}

func processIDs(ims []integration.Import) []int64 {
	out := []int64{}
	for _, im := range ims {
		out = append(out, im.ProcessID)
	}
	return out
}

// recorder is the data converter of a test: it keeps every payload the
// workflow exchanges (activity inputs and results, signals, updates,
// queries, continue-as-new input, result).
type recorder struct {
	converter.DataConverter
	mu       sync.Mutex
	payloads []string
}

func (r *recorder) ToPayload(v any) (*commonpb.Payload, error) {
	p, err := r.DataConverter.ToPayload(v)
	if err == nil {
		r.keep(p)
	}
	return p, err
}

func (r *recorder) ToPayloads(vs ...any) (*commonpb.Payloads, error) {
	ps, err := r.DataConverter.ToPayloads(vs...)
	if err == nil {
		for _, p := range ps.GetPayloads() {
			r.keep(p)
		}
	}
	return ps, err
}

func (r *recorder) keep(p *commonpb.Payload) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.payloads = append(r.payloads, string(p.GetData()))
}

// containing returns the payloads that contain s.
func (r *recorder) containing(s string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, p := range r.payloads {
		if strings.Contains(p, s) {
			out = append(out, p)
		}
	}
	return out
}

// harness runs the integration workflow against a fakeSync.
type harness struct {
	t   *testing.T
	env *testsuite.TestWorkflowEnvironment
	f   *fakeSync
	rec *recorder
	// batchTime is how long a SyncBatch takes on the test clock.
	batchTime time.Duration
	updates   int // numbers the updates sent
	// states are the values of the IntegrationState search attribute, as
	// upserted.
	states []string
}

// start is the test clock's start: mid-month, so no month boundary.
var start = time.Date(2026, 11, 10, 9, 0, 0, 0, time.UTC)

// pollInterval is the worker setting the tests use.
const pollInterval = time.Hour

func newHarness(t *testing.T, f *fakeSync) *harness {
	var s testsuite.WorkflowTestSuite
	s.SetLogger(log.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	h := &harness{t: t, env: s.NewTestWorkflowEnvironment(), f: f, batchTime: batchTime,
		rec: &recorder{DataConverter: converter.GetDefaultDataConverter()}}
	h.env.SetDataConverter(h.rec)
	workflows.Register(h.env) // before any mock
	h.env.SetStartTime(start)
	h.env.RegisterActivity(a)
	h.env.OnActivity(a.Settings).Return(f.Settings)
	h.env.OnActivity(a.EnsureBrevoList, mock.Anything, mock.Anything).Return(f.EnsureBrevoList)
	h.env.OnActivity(a.SyncBatch, mock.Anything, mock.Anything).AfterFn(func() time.Duration { return h.batchTime }).Return(f.SyncBatch)
	h.env.OnActivity(a.ScanMembers, mock.Anything, mock.Anything).AfterFn(func() time.Duration { return h.batchTime }).Return(f.ScanMembers)
	h.env.OnActivity(a.FinishScan, mock.Anything, mock.Anything).Return(f.FinishScan)
	h.env.OnUpsertTypedSearchAttributes(mock.Anything).Run(func(args mock.Arguments) {
		if state, ok := args.Get(0).(temporal.SearchAttributes).GetKeyword(integration.SAIntegrationState); ok {
			h.states = append(h.states, state)
		}
	}).Return().Maybe()
	h.env.SetTestTimeout(30 * time.Second)
	return h
}

// stateAt records, at d, the integration state last published as a
// search attribute.
func (h *harness) stateAt(d time.Duration) *string {
	s := new(string)
	h.at(d, func() {
		if n := len(h.states); n > 0 {
			*s = h.states[n-1]
		}
	})
	return s
}

// spec is the integration the tests run; its mapping names properties,
// never values.
func spec() integration.Spec {
	return integration.Spec{
		Name: "demo", HubSpotListID: "1", BrevoListID: 7, OptInConfirmed: true,
		Mapping: mapping.Spec{Fields: []mapping.Field{{Property: "email", Attribute: mapping.AttrEmail, PropertyType: "string"}}},
	}
}

// tuning writes every contact one by one (no imports) unless a test says
// otherwise.
func tuning() *integration.Tuning {
	return &integration.Tuning{PagesPerBatch: 3, SearchPagesPerBatch: 4, ScanPagesPerBatch: 5, ImportMin: 1000, ImportsInFlight: 2,
		ImportTimeout: time.Minute, MaxBatchesPerRun: 100, MaxIdlePollsPerRun: 100}
}

func input(tu *integration.Tuning) integration.Input {
	return integration.Input{Spec: spec(), Tuning: tu}
}

// at runs fn at d on the test clock.
func (h *harness) at(d time.Duration, fn func()) { h.env.RegisterDelayedCallback(fn, d) }

func (h *harness) signalAt(d time.Duration, name string) {
	h.at(d, func() { h.env.SignalWorkflow(name, nil) })
}

// statusAt queries the status at d.
func (h *harness) statusAt(d time.Duration) *integration.Status {
	st := new(integration.Status)
	h.at(d, func() { *st = h.status() })
	return st
}

// detailsAt records at d the workflow's current details (the Web UI's
// User Metadata tab).
func (h *harness) detailsAt(d time.Duration) *string {
	out := new(string)
	h.at(d, func() {
		v, err := h.env.QueryWorkflow("__temporal_workflow_metadata")
		require.NoError(h.t, err)
		var m sdkpb.WorkflowMetadata
		require.NoError(h.t, v.Get(&m))
		*out = m.GetCurrentDetails()
	})
	return out
}

func (h *harness) status() integration.Status {
	h.t.Helper()
	v, err := h.env.QueryWorkflow(integration.QueryStatus)
	require.NoError(h.t, err)
	var st integration.Status
	require.NoError(h.t, v.Get(&st))
	return st
}

// updateOutcome is what an update answered.
type updateOutcome struct {
	done     bool
	rejected error
	state    integration.State
	err      error
}

// updateAt sends an update at d and records its outcome.
func (h *harness) updateAt(d time.Duration, name string, req integration.ResumeRequest) *updateOutcome {
	out := new(updateOutcome)
	h.at(d, func() {
		h.updates++
		h.env.UpdateWorkflow(name, fmt.Sprintf("%s-%d", name, h.updates), &testsuite.TestUpdateCallback{
			OnAccept: func() {},
			OnReject: func(err error) { out.done, out.rejected = true, err },
			OnComplete: func(r any, err error) {
				out.done, out.err = true, err
				if s, ok := r.(integration.State); ok {
					out.state = s
				}
			},
		}, req)
	})
	return out
}

func (h *harness) run(in integration.Input) { h.env.ExecuteWorkflow(workflows.IntegrationWorkflow, in) }

// final is the status the workflow returned; it must have completed.
func (h *harness) final() integration.Status {
	h.t.Helper()
	require.True(h.t, h.env.IsWorkflowCompleted())
	require.NoError(h.t, h.env.GetWorkflowError())
	var st integration.Status
	require.NoError(h.t, h.env.GetWorkflowResult(&st))
	return st
}

// continued is the input the run continued as new with.
func (h *harness) continued() integration.Input {
	h.t.Helper()
	err := h.env.GetWorkflowError()
	var can *workflow.ContinueAsNewError
	require.True(h.t, errors.As(err, &can), "not continued as new: %v", err)
	var next integration.Input
	require.NoError(h.t, converterFromCAN(err, &next))
	return next
}

// converterFromCAN decodes the input a continue-as-new error carries.
func converterFromCAN(err error, into any) error {
	var can *workflow.ContinueAsNewError
	if !errors.As(err, &can) {
		return fmt.Errorf("not a continue-as-new: %v", err)
	}
	return converter.GetDefaultDataConverter().FromPayloads(can.Input, into)
}

func temporalNonRetryable(msg, typ string) error {
	return temporal.NewNonRetryableApplicationError(msg, typ, nil)
}

// dailyBudget is the error of an activity that found HubSpot's daily
// budget spent, to be reset in wait.
func dailyBudget(wait time.Duration) error {
	return temporal.NewApplicationErrorWithOptions("hubspot: daily budget spent", activities.ErrTypeDailyBudget,
		temporal.ApplicationErrorOptions{NonRetryable: true, Details: []any{wait}})
}

// requireOnce checks that no member was written twice in one pass.
func requireOnce(t *testing.T, wrote []string) {
	t.Helper()
	seen := map[string]bool{}
	for _, id := range wrote {
		require.False(t, seen[id], "member %s written twice", id)
		seen[id] = true
	}
}
