package activities_test

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"hubspot-brevo-sync/activities"
	"hubspot-brevo-sync/internal/brevo"
	"hubspot-brevo-sync/internal/hubspot"
	"hubspot-brevo-sync/internal/integration"
	"hubspot-brevo-sync/internal/mapping"
	"hubspot-brevo-sync/internal/quota"
	"hubspot-brevo-sync/internal/sandbox"
	"hubspot-brevo-sync/internal/store"
)

// Generous limits, the same on both sides: the governors never make a test
// wait, and the sandbox never answers 429 unless a test tightens it.
const (
	hsBurst        = 10_000
	bvPerSecond    = 1_000
	bvPerHour      = 1_000_000
	bvOtherPerHour = 10_000
)

// brevoList is the sandbox's ready-made Brevo list every test syncs into.
const brevoList int64 = 1

// fastOptions: generous limits, and Brevo imports that complete at the
// next read instead of after 1.5 s.
func fastOptions() sandbox.Options {
	return sandbox.Options{
		HubSpot: sandbox.HubSpotOptions{BurstLimit: hsBurst, BurstWindow: 10 * time.Second, SearchPerSecond: 100},
		Brevo:   sandbox.BrevoOptions{ContactsPerSecond: bvPerSecond, ContactsPerHour: bvPerHour, OtherPerHour: bvOtherPerHour, ImportDelay: -1},
	}
}

// testSpec maps email, phone and first name.
var testSpec = mapping.Spec{Fields: []mapping.Field{
	{Property: "email", Attribute: mapping.AttrEmail, PropertyType: "string", FieldType: "text"},
	{Property: "phone", Attribute: mapping.AttrSMS, PropertyType: "string", FieldType: "phonenumber", AttributeType: "text"},
	{Property: "firstname", Attribute: "FIRSTNAME", PropertyType: "string", FieldType: "text", AttributeType: "text"},
}}

// fixture is a sandbox behind an HTTP server, the real clients pointed at
// it, a store, a stand-in quota ledger, and Temporal test activity
// environments running the activities.
type fixture struct {
	sb     *sandbox.Server
	acts   *activities.Activities
	st     *store.Store
	quota  *fakeQuota
	suite  *testsuite.WorkflowTestSuite
	listID string // the HubSpot list synced
	// skew shifts the Brevo emulator's clock.
	skew atomic.Int64
	// heartbeat is the last heartbeat that reached Temporal: the SDK sends
	// the first of each throttling window, and a failed attempt's last
	// one with its failure.
	mu        sync.Mutex
	heartbeat converter.EncodedValues
}

type fixtureConfig struct {
	opts *sandbox.Options // nil: fastOptions()
	// wrap, when set, sits between the HTTP server and the sandbox.
	wrap func(sb *sandbox.Server) http.Handler
	// brevoKey replaces the sandbox's key; brevoGov the generous governor.
	brevoKey string
	brevoGov *brevo.Governor
}

func newFixture(t *testing.T, cfg fixtureConfig) *fixture {
	t.Helper()
	f := &fixture{}
	opts := fastOptions()
	if cfg.opts != nil {
		opts = *cfg.opts
	}
	opts.Brevo.Now = func() time.Time { return time.Now().Add(time.Duration(f.skew.Load())) }
	f.sb = sandbox.New(opts)
	var h http.Handler = f.sb
	if cfg.wrap != nil {
		h = cfg.wrap(f.sb)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	env := sandbox.DevEnv(srv.URL)

	hsGov := hubspot.NewGovernor(hubspot.Limits{Burst: hsBurst, BurstPeriod: 10 * time.Second, Daily: 1_000_000, SearchPerSecond: 100}, nil)
	hs, err := hubspot.New(hubspot.Config{BaseURL: env.HubSpotBaseURL, AccessToken: env.HubSpotToken, Governor: hsGov})
	require.NoError(t, err)
	if cfg.brevoKey == "" {
		cfg.brevoKey = env.BrevoAPIKey
	}
	if cfg.brevoGov == nil {
		cfg.brevoGov = brevo.NewGovernor(brevo.Limits{ContactsPerSecond: bvPerSecond, ContactsPerHour: bvPerHour, OtherPerHour: bvOtherPerHour, EmailPerSecond: 1000}, nil)
	}
	bv, err := brevo.New(brevo.Config{BaseURL: env.BrevoBaseURL, APIKey: cfg.brevoKey, Governor: cfg.brevoGov})
	require.NoError(t, err)

	f.st = openStore(t)
	f.quota = newFakeQuota(-1)
	f.acts = &activities.Activities{HubSpot: hs, Brevo: bv, Store: f.st, PollInterval: time.Minute, Quota: f.quota}
	f.suite = &testsuite.WorkflowTestSuite{}
	f.suite.SetLogger(warnLogger(t))
	f.listID, err = f.sb.HubSpot().CreateList("Synced")
	require.NoError(t, err)
	return f
}

// openStore opens a store of the test's own: SQLite, or a fresh schema
// on the PostgreSQL server SYNC_TEST_POSTGRES_DSN names (.ci/run starts
// one). A schema of its own, because the identity index is the Brevo
// account's, not an integration's.
func openStore(t *testing.T) *store.Store {
	t.Helper()
	ctx := context.Background()
	dsn := os.Getenv("SYNC_TEST_POSTGRES_DSN")
	if dsn == "" {
		st, err := store.Open(ctx, filepath.Join(t.TempDir(), "store.db"))
		require.NoError(t, err)
		t.Cleanup(func() { _ = st.Close() })
		return st
	}
	admin, err := sql.Open("pgx", dsn)
	require.NoError(t, err)
	t.Cleanup(func() { _ = admin.Close() })
	schema := fmt.Sprintf("activities_test_%d", time.Now().UnixNano())
	_, err = admin.ExecContext(ctx, "CREATE SCHEMA "+schema)
	require.NoError(t, err)
	t.Cleanup(func() { _, _ = admin.ExecContext(ctx, "DROP SCHEMA IF EXISTS "+schema+" CASCADE") })
	u, err := url.Parse(dsn)
	require.NoError(t, err)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	st, err := store.Open(ctx, u.String())
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// env is a fresh activity environment (heartbeat details do not leak from
// one run to the next); details, when given, are what an earlier attempt
// heartbeated.
func (f *fixture) env(details any) *testsuite.TestActivityEnvironment {
	ae := f.suite.NewTestActivityEnvironment()
	ae.RegisterActivity(f.acts)
	ae.SetOnActivityHeartbeatListener(func(_ *activity.Info, d converter.EncodedValues) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.heartbeat = d
	})
	if details != nil {
		ae.SetHeartbeatDetails(details)
	}
	return ae
}

// warnLogger shows the SDK's warnings in the test log and drops the rest.
func warnLogger(t *testing.T) log.Logger {
	return log.NewStructuredLogger(slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn})))
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// input is batch seq of a pass over the fixture's list.
func (f *fixture) input(pass, seq int, src activities.Source) activities.BatchInput {
	key := fmt.Sprintf("%d/%d", pass, seq)
	return activities.BatchInput{
		Integration: "t", HubSpotListID: f.listID, BrevoListID: brevoList, Mapping: testSpec,
		Key: key, Pass: pass, Source: src, Reservation: "t/run/" + key,
		ImportMin: 50, ImportTimeout: time.Minute,
	}
}

// members reads the whole list (one batch of up to 4 pages).
func members() activities.Source {
	return activities.Source{Phase: integration.PhaseMembers, Pages: 4}
}

// confirming is a batch that reads nothing and confirms the imports.
func (f *fixture) confirming(pass, seq int, imports ...integration.Import) activities.BatchInput {
	in := f.input(pass, seq, activities.Source{})
	in.Imports, in.MustConfirm = imports, len(imports)
	return in
}

// sync runs one SyncBatch attempt.
func (f *fixture) sync(t *testing.T, in activities.BatchInput) (activities.BatchResult, error) {
	t.Helper()
	return f.syncResuming(t, in, nil)
}

// syncResuming runs an attempt that gets an earlier attempt's heartbeat.
func (f *fixture) syncResuming(t *testing.T, in activities.BatchInput, details any) (activities.BatchResult, error) {
	t.Helper()
	v, err := f.env(details).ExecuteActivity(f.acts.SyncBatch, in)
	if err != nil {
		return activities.BatchResult{}, err
	}
	var res activities.BatchResult
	require.NoError(t, v.Get(&res))
	return res, nil
}

func (f *fixture) mustSync(t *testing.T, in activities.BatchInput) activities.BatchResult {
	t.Helper()
	res, err := f.sync(t, in)
	require.NoError(t, err, "batch %s", in.Key)
	return res
}

// lastProgress decodes the last heartbeat as the activity's progress.
func (f *fixture) lastProgress(t *testing.T) *batchProgress {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.heartbeat == nil {
		return nil
	}
	var p batchProgress
	require.NoError(t, f.heartbeat.Get(&p))
	return &p
}

// batchProgress mirrors the activity's (unexported) heartbeat details.
type batchProgress struct {
	Sent *integration.Import `json:"sent,omitempty"`
}

// member is a HubSpot contact of the synced list.
type member struct {
	ID, Email, Phone, First string
}

// sms is the number as Brevo shows it.
func (m member) sms() string { return strings.TrimPrefix(m.Phone, "+") }

// addMembers creates n HubSpot contacts in the synced list, numbered from
// first (emails m<i>@example.com, phones +49151000<i>, first names N<i>).
func (f *fixture) addMembers(t *testing.T, first, n int) []member {
	t.Helper()
	var out []member
	for i := first; i < first+n; i++ {
		m := member{Email: fmt.Sprintf("m%d@example.com", i), Phone: fmt.Sprintf("+4915100%05d", i), First: fmt.Sprintf("N%d", i)}
		id, err := f.sb.HubSpot().CreateContact(map[string]string{"email": m.Email, "phone": m.Phone, "firstname": m.First})
		require.NoError(t, err)
		m.ID = id
		require.NoError(t, f.sb.HubSpot().AddToList(f.listID, id))
		out = append(out, m)
	}
	return out
}

// requireSynced checks that Brevo holds the member as the sync writes it.
func (f *fixture) requireSynced(t *testing.T, m member) sandbox.BrevoContact {
	t.Helper()
	c, ok := f.sb.Brevo().ContactByExtID(m.ID)
	require.True(t, ok, "member %s (%s) has a Brevo contact with its ext_id", m.ID, m.Email)
	assert.Equal(t, m.Email, c.Email, "member %s email", m.ID)
	assert.Equal(t, m.sms(), c.SMS, "member %s SMS", m.ID)
	assert.Equal(t, m.First, c.Attributes["FIRSTNAME"], "member %s first name", m.ID)
	assert.Contains(t, c.ListIDs, brevoList, "member %s in the Brevo list", m.ID)
	return c
}

// fakeQuota is the quota ledger's behaviour without the workflow: a
// reservation's grant is remembered by id (a retried reservation gets the
// same), a commit counts once.
type fakeQuota struct {
	mu        sync.Mutex
	limit     int64 // negative: unlimited
	used      int64
	grants    map[string]int64
	committed map[string]int64
	commits   int
}

func newFakeQuota(limit int64) *fakeQuota {
	return &fakeQuota{limit: limit, grants: map[string]int64{}, committed: map[string]int64{}}
}

func (q *fakeQuota) Reserve(_ context.Context, r quota.ReserveRequest) (quota.Grant, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if g, ok := q.grants[r.ID]; ok {
		return quota.Grant{Granted: g}, nil
	}
	g := r.Tasks
	if q.limit >= 0 {
		held := q.used
		for id, n := range q.grants {
			if _, done := q.committed[id]; !done {
				held += n
			}
		}
		g = max(min(g, q.limit-held), 0)
	}
	q.grants[r.ID] = g
	return quota.Grant{Granted: g}, nil
}

func (q *fakeQuota) Commit(_ context.Context, c quota.CommitRequest) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.commits++
	if _, done := q.committed[c.ID]; done {
		return nil
	}
	q.committed[c.ID] = c.Written
	q.used += c.Written
	return nil
}

// spent is what the ledger counted for a reservation (false: not
// committed).
func (q *fakeQuota) spent(id string) (int64, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	n, ok := q.committed[id]
	return n, ok
}

func (q *fakeQuota) total() int64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.used
}

// tally adds up what a batch and the confirmations it carried counted.
func tally(results ...activities.BatchResult) (created, updated, failed int) {
	for _, r := range results {
		created += r.Written.Created
		updated += r.Written.Updated
		failed += r.Written.Failed
		for _, c := range r.Confirmed {
			created += c.Created
			updated += c.Updated
			failed += c.Failed
		}
	}
	return
}

func problemsByID(results ...activities.BatchResult) map[string][]mapping.Outcome {
	out := map[string][]mapping.Outcome{}
	for _, r := range results {
		for _, o := range r.Problems {
			out[o.HubSpotID] = append(out[o.HubSpotID], o)
		}
	}
	return out
}

// ---- SyncBatch: import and confirmation ------------------------------------

// TestFullBatchImportsAndALaterBatchConfirms: a batch of 60 members (20
// already in Brevo with other values, 40 new) is sent as one Brevo import
// and counts nothing yet; a confirm-only batch reads the contacts back and
// counts 40 created and 20 updated, once, and commits the 60 tasks to the
// first batch's reservation. Confirming again counts nothing more.
func TestFullBatchImportsAndALaterBatchConfirms(t *testing.T) {
	f := newFixture(t, fixtureConfig{})
	old := f.addMembers(t, 0, 20)
	first := f.mustSync(t, f.input(1, 1, members()))
	require.Nil(t, first.Sent, "20 contacts go one by one")
	require.Equal(t, 20, first.Written.Created)
	for i, m := range old {
		old[i].First = m.First + "!"
		require.NoError(t, f.sb.HubSpot().UpdateContact(m.ID, map[string]string{"firstname": old[i].First}))
	}
	fresh := f.addMembers(t, 20, 40)
	writesBefore := f.sb.Brevo().Stats().ContactWrites

	in := f.input(2, 1, members())
	res := f.mustSync(t, in)
	require.NotNil(t, res.Sent, "60 contacts go as one import")
	assert.Equal(t, 60, res.Sent.Contacts)
	assert.Equal(t, "2/1/import", res.Sent.Batch)
	assert.Equal(t, in.Reservation, res.Sent.Reservation)
	assert.Equal(t, 60, res.Members)
	assert.True(t, res.Last)
	assert.Zero(t, res.Written.Created+res.Written.Updated, "nothing counts before Brevo returns it")
	_, committed := f.quota.spent(in.Reservation)
	assert.False(t, committed, "the reservation waits for the confirmation")
	require.Len(t, f.sb.Brevo().Processes(), 1)

	conf := f.mustSync(t, f.confirming(2, 2, *res.Sent))
	require.Len(t, conf.Confirmed, 1)
	c := conf.Confirmed[0]
	assert.Equal(t, res.Sent.ProcessID, c.ProcessID)
	assert.Equal(t, 40, c.Created)
	assert.Equal(t, 20, c.Updated)
	assert.Zero(t, c.Failed)
	assert.Zero(t, conf.Written.Created+conf.Written.Updated, "the confirm-only batch writes nothing itself")
	spent, committed := f.quota.spent(in.Reservation)
	assert.True(t, committed)
	assert.EqualValues(t, 60, spent)
	for _, m := range append(old, fresh...) {
		f.requireSynced(t, m)
	}
	assert.Len(t, f.sb.Brevo().Contacts(), 60)
	assert.Zero(t, f.sb.Brevo().Stats().ContactsDeleted)
	// Whether the import set the ext_ids or they were repaired, each
	// contact was written at most twice.
	assert.LessOrEqual(t, f.sb.Brevo().Stats().ContactWrites-writesBefore, int64(120))

	// The confirm batch retried: the same counts, nothing counted twice.
	again := f.mustSync(t, f.confirming(2, 2, *res.Sent))
	assert.Equal(t, conf.Confirmed, again.Confirmed)
	assert.EqualValues(t, 20+60, f.quota.total())

	// A next pass finds nothing to write.
	next := f.mustSync(t, f.input(3, 1, members()))
	assert.Nil(t, next.Sent)
	assert.Equal(t, 60, next.Written.Unchanged)
	assert.Zero(t, next.Written.Created+next.Written.Updated)
}

// TestSmallBatchGoesOneByOne: fewer contacts than ImportMin are upserted
// one by one, confirmed by Brevo's answers, and committed at once.
func TestSmallBatchGoesOneByOne(t *testing.T) {
	f := newFixture(t, fixtureConfig{})
	ms := f.addMembers(t, 0, 12)
	in := f.input(1, 1, members())
	res := f.mustSync(t, in)
	assert.Nil(t, res.Sent)
	assert.Empty(t, f.sb.Brevo().Processes(), "no import")
	assert.Equal(t, 12, res.Written.Created)
	assert.Zero(t, res.Written.Updated)
	assert.Equal(t, 12, res.Members)
	assert.Equal(t, 12, res.ListSize)
	assert.True(t, res.Last)
	assert.Empty(t, res.Position)
	for _, m := range ms {
		f.requireSynced(t, m)
	}
	spent, ok := f.quota.spent(in.Reservation)
	assert.True(t, ok)
	assert.EqualValues(t, 12, spent)

	// Changed values update, the others are unchanged.
	require.NoError(t, f.sb.HubSpot().UpdateContact(ms[3].ID, map[string]string{"firstname": "Changed"}))
	ms[3].First = "Changed"
	res = f.mustSync(t, f.input(2, 1, members()))
	assert.Equal(t, 1, res.Written.Updated)
	assert.Equal(t, 11, res.Written.Unchanged)
	assert.Zero(t, res.Written.Created)
	f.requireSynced(t, ms[3])
}

// failWrites makes the Brevo emulator answer 401 to contact writes after
// the first `after` while armed: an attempt that fails part way with an
// error no in-activity retry hides.
type failWrites struct {
	armed atomic.Bool
	after int64
	seen  atomic.Int64
	paths []string // request "METHOD path-prefix" that count; default POST /v3/contacts
	// always are requests that fail from the first while armed.
	always []string
	// status is the answer; default 401 (the key was revoked).
	status int
}

func (w *failWrites) wrap(sb *sandbox.Server) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if w.armed.Load() && (matches(r, w.always) || w.counts(r) && w.seen.Add(1) > w.after) {
			rw.Header().Set("Content-Type", "application/json")
			if w.status != 0 {
				rw.WriteHeader(w.status)
				_, _ = rw.Write([]byte(`{"code":"unavailable","message":"try again"}`))
				return
			}
			rw.WriteHeader(http.StatusUnauthorized)
			_, _ = rw.Write([]byte(`{"code":"unauthorized","message":"Key not found"}`))
			return
		}
		sb.ServeHTTP(rw, r)
	})
}

func (w *failWrites) counts(r *http.Request) bool {
	paths := w.paths
	if len(paths) == 0 {
		paths = []string{"POST /v3/contacts"}
	}
	return matches(r, paths)
}

// matches reports whether the request is one of "METHOD path" (POST:
// exactly that path; other methods: paths that start with it).
func matches(r *http.Request, paths []string) bool {
	for _, p := range paths {
		method, prefix, _ := strings.Cut(p, " ")
		if r.Method == method && (r.URL.Path == prefix || method != "POST" && strings.HasPrefix(r.URL.Path, prefix)) {
			return true
		}
	}
	return false
}

// TestRetriedBatchCountsEachContactOnce: an attempt fails after writing 4
// of 10 contacts one by one; the retry (same input, same store) writes
// the other 6 and reports all 10 as created, once; the ledger is charged
// 10.
func TestRetriedBatchCountsEachContactOnce(t *testing.T) {
	fw := &failWrites{after: 4}
	f := newFixture(t, fixtureConfig{wrap: fw.wrap})
	ms := f.addMembers(t, 0, 10)
	in := f.input(1, 1, members())

	fw.armed.Store(true)
	_, err := f.sync(t, in)
	var ae *temporal.ApplicationError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, "Unauthorized", ae.Type())
	require.Len(t, f.sb.Brevo().Contacts(), 4, "the first attempt wrote 4")
	_, committed := f.quota.spent(in.Reservation)
	assert.False(t, committed, "a failed attempt commits nothing")

	fw.armed.Store(false)
	writes := f.sb.Brevo().Stats().ContactWrites
	res := f.mustSync(t, in)
	assert.Equal(t, 10, res.Written.Created, "every contact counted once, as created")
	assert.Zero(t, res.Written.Updated, "what the first attempt created is not counted again as updated")
	assert.EqualValues(t, 6, f.sb.Brevo().Stats().ContactWrites-writes, "the retry writes only the rest")
	for _, m := range ms {
		f.requireSynced(t, m)
	}
	spent, _ := f.quota.spent(in.Reservation)
	assert.EqualValues(t, 10, spent)

	// A third attempt of the same batch (its result was lost) reports the
	// same and writes nothing.
	again := f.mustSync(t, in)
	assert.Equal(t, res.Written, again.Written)
	assert.EqualValues(t, 10, f.quota.total(), "the ledger counts the batch once")
}

// TestRetriedImportBatchKeepsItsImport: the batch sends its import; the
// attempt then fails (Brevo refuses the key for the contacts that go one
// by one, where the batch writes them itself) or its completion is lost.
// The retry, given the last heartbeat, keeps that import (no second one)
// and the confirmation counts every contact once.
func TestRetriedImportBatchKeepsItsImport(t *testing.T) {
	fw := &failWrites{}
	f := newFixture(t, fixtureConfig{wrap: fw.wrap})
	ms := f.addMembers(t, 0, 60)
	// Two members share an SMS with contacts made in Brevo by hand: they
	// cannot be imported as they are.
	for _, m := range ms[:2] {
		_, err := f.sb.Brevo().AddContact(sandbox.BrevoContact{Email: "holder-" + m.Email, SMS: m.Phone})
		require.NoError(t, err)
	}
	in := f.input(1, 1, members())
	fw.armed.Store(true)
	first, err := f.sync(t, in)
	// A failed attempt's last heartbeat reaches Temporal with the failure;
	// a completed one whose completion was lost is retried with the last
	// heartbeat it sent, which named its import once it was sent.
	p := &batchProgress{Sent: first.Sent}
	if err != nil {
		p = f.lastProgress(t)
		require.NotNil(t, p, "the attempt heartbeated")
	}
	require.NotNil(t, p.Sent, "the import was sent")
	require.Len(t, f.sb.Brevo().Processes(), 1)

	fw.armed.Store(false)
	res, err := f.syncResuming(t, in, p)
	require.NoError(t, err)
	require.NotNil(t, res.Sent)
	assert.Equal(t, p.Sent.ProcessID, res.Sent.ProcessID, "the retry keeps the import")
	assert.Len(t, f.sb.Brevo().Processes(), 1, "no second import")

	conf := f.mustSync(t, f.confirming(1, 2, *res.Sent))
	created, updated, failed := tally(res, conf)
	assert.Equal(t, 60, created)
	assert.Zero(t, updated)
	assert.Zero(t, failed)
	spent, ok := f.quota.spent(in.Reservation)
	assert.True(t, ok)
	assert.EqualValues(t, 60, spent)
	for _, m := range ms[2:] {
		f.requireSynced(t, m)
	}
	for _, m := range ms[:2] {
		c, ok := f.sb.Brevo().ContactByExtID(m.ID)
		require.True(t, ok)
		assert.Empty(t, c.SMS, "the number stays with its holder")
	}
	assert.Len(t, f.sb.Brevo().Contacts(), 62)
}

// TestQuotaShortWritesTheGrantOnly: granted 3 tasks for 10 contacts, the
// batch writes 3, says QuotaShort and leaves its position where it was;
// the batch after it (more quota) writes the other 7.
func TestQuotaShortWritesTheGrantOnly(t *testing.T) {
	f := newFixture(t, fixtureConfig{})
	f.quota = newFakeQuota(3)
	f.acts.Quota = f.quota
	ms := f.addMembers(t, 0, 10)
	in := f.input(1, 1, activities.Source{Phase: integration.PhaseMembers, Pages: 4, Position: ""})
	res := f.mustSync(t, in)
	assert.True(t, res.QuotaShort)
	assert.False(t, res.Last, "a short batch is not the last")
	assert.Equal(t, in.Source.Position, res.Position, "the position does not move")
	assert.Equal(t, 3, res.Written.Created)
	assert.Len(t, f.sb.Brevo().Contacts(), 3)
	spent, _ := f.quota.spent(in.Reservation)
	assert.EqualValues(t, 3, spent)

	f.quota.mu.Lock()
	f.quota.limit = 100
	f.quota.mu.Unlock()
	res = f.mustSync(t, f.input(1, 2, in.Source))
	assert.False(t, res.QuotaShort)
	assert.True(t, res.Last)
	assert.Equal(t, 7, res.Written.Created, "the rest of the page, not the 3 again")
	assert.Zero(t, res.Written.Unchanged, "the 3 this pass wrote are not counted again as unchanged")
	for _, m := range ms {
		f.requireSynced(t, m)
	}
	assert.EqualValues(t, 10, f.quota.total())
}

// TestBatchCompletesThroughFaults: with 10 % of the API calls answered
// 502, a batch of 60 members imported and confirmed still completes: the
// in-activity retries absorb the faults.
func TestBatchCompletesThroughFaults(t *testing.T) {
	opts := fastOptions()
	opts.FaultRate, opts.Seed = 0.1, 7
	var faults atomic.Int64
	f := newFixture(t, fixtureConfig{opts: &opts, wrap: func(sb *sandbox.Server) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rec := &statusRecorder{ResponseWriter: w}
			sb.ServeHTTP(rec, r)
			if rec.status == http.StatusBadGateway {
				faults.Add(1)
			}
		})
	}})
	ms := f.addMembers(t, 0, 60)
	// A few contacts go one by one: they share an SMS with a Brevo contact.
	for _, m := range ms[:3] {
		_, err := f.sb.Brevo().AddContact(sandbox.BrevoContact{Email: "holder-" + m.Email, SMS: m.Phone})
		require.NoError(t, err)
	}
	res := f.mustSync(t, f.input(1, 1, members()))
	require.NotNil(t, res.Sent)
	conf := f.mustSync(t, f.confirming(1, 2, *res.Sent))
	created, updated, failed := tally(res, conf)
	assert.Equal(t, 60, created+updated)
	assert.Zero(t, failed)
	for _, m := range ms[3:] {
		f.requireSynced(t, m)
	}
	assert.Positive(t, faults.Load(), "faults were injected")
}

// statusRecorder remembers the status a handler answered.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(status int) {
	r.status = status
	r.ResponseWriter.WriteHeader(status)
}

// ---- EnsureBrevoList -----------------------------------------------------

func TestEnsureBrevoList(t *testing.T) {
	f := newFixture(t, fixtureConfig{})
	ensure := func(in activities.NewListInput) int64 {
		t.Helper()
		v, err := f.env(nil).ExecuteActivity(f.acts.EnsureBrevoList, in)
		require.NoError(t, err)
		var id int64
		require.NoError(t, v.Get(&id))
		return id
	}
	folderNamed := func(name string) (ids []int64) {
		for _, fo := range f.sb.Brevo().Folders() {
			if fo.Name == name {
				ids = append(ids, fo.ID)
			}
		}
		return ids
	}
	listsBefore := len(f.sb.Brevo().Lists())

	first := ensure(activities.NewListInput{Name: "HubSpot demo"})
	folders := folderNamed(activities.DefaultFolderName)
	require.Len(t, folders, 1, "the default folder is created")
	lists := f.sb.Brevo().Lists()
	require.Len(t, lists, listsBefore+1)
	created := lists[len(lists)-1]
	assert.Equal(t, first, created.ID)
	assert.Equal(t, "HubSpot demo", created.Name)
	assert.Equal(t, folders[0], created.FolderID, "the list is in the default folder")

	again := ensure(activities.NewListInput{Name: "HubSpot demo"})
	assert.Equal(t, first, again, "a second call finds the list")
	assert.Len(t, f.sb.Brevo().Lists(), listsBefore+1, "no second list")
	assert.Len(t, folderNamed(activities.DefaultFolderName), 1, "no second folder")

	// A folder the user named: the existing list there is found, a new
	// name is created there.
	assert.EqualValues(t, 1, ensure(activities.NewListInput{Name: "Newsletter", FolderID: 1}))
	other := ensure(activities.NewListInput{Name: "HubSpot demo", FolderID: 1})
	assert.NotEqual(t, first, other, "same name in another folder is another list")
	assert.Len(t, f.sb.Brevo().Lists(), listsBefore+2)
}
