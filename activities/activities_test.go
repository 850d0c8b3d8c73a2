package activities_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sort"
	"strings"
	"sync"
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
	"hubspot-brevo-sync/internal/mapping"
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

func fastOptions() sandbox.Options {
	return sandbox.Options{
		HubSpot: sandbox.HubSpotOptions{BurstLimit: hsBurst, BurstWindow: 10 * time.Second, SearchPerSecond: 100},
		Brevo:   sandbox.BrevoOptions{ContactsPerSecond: bvPerSecond, ContactsPerHour: bvPerHour, OtherPerHour: bvOtherPerHour},
	}
}

// fixture is a sandbox behind an HTTP server, the real clients pointed at
// it, and a Temporal test activity environment running the activities.
type fixture struct {
	sb   *sandbox.Server
	acts *activities.Activities
	env  *testsuite.TestActivityEnvironment
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
	opts := fastOptions()
	if cfg.opts != nil {
		opts = *cfg.opts
	}
	sb := sandbox.New(opts)
	var h http.Handler = sb
	if cfg.wrap != nil {
		h = cfg.wrap(sb)
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

	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(warnLogger(t))
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "store.db"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	acts := &activities.Activities{HubSpot: hs, Brevo: bv, Store: st, PollInterval: time.Minute}
	ae := suite.NewTestActivityEnvironment()
	ae.RegisterActivity(acts)
	return &fixture{sb: sb, acts: acts, env: ae}
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

func (f *fixture) fetch(t *testing.T, in activities.FetchPageInput) (activities.ContactPage, error) {
	t.Helper()
	v, err := f.env.ExecuteActivity(f.acts.FetchPage, in)
	if err != nil {
		return activities.ContactPage{}, err
	}
	var page activities.ContactPage
	require.NoError(t, v.Get(&page))
	return page, nil
}

func (f *fixture) upsert(t *testing.T, in activities.UpsertInput) (activities.UpsertResult, error) {
	t.Helper()
	v, err := f.env.ExecuteActivity(f.acts.UpsertContacts, in)
	if err != nil {
		return activities.UpsertResult{}, err
	}
	var res activities.UpsertResult
	require.NoError(t, v.Get(&res))
	return res, nil
}

func recordIDs(rs []mapping.Record) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.ID
	}
	return out
}

// ---- FetchPage -----------------------------------------------------------

// TestFetchPageReadsRequestedPropertiesAcrossPages pages through a list of
// 300 (one full page of 250 and a short one) and checks each record holds
// the requested properties, with HubSpot's values, and nothing else.
func TestFetchPageReadsRequestedPropertiesAcrossPages(t *testing.T) {
	f := newFixture(t, fixtureConfig{})
	seed := f.sb.HubSpot().Seed(sandbox.SeedOptions{Contacts: 300, Seed: 3})
	requested := []string{"email", "firstname", "phone"}

	type pageWant struct {
		members  int
		last     bool
		firstIdx int // index into seed.ContactIDs of the page's first record
	}
	wants := []pageWant{
		{members: activities.MembersPerPage, last: false, firstIdx: 0},
		{members: 300 - activities.MembersPerPage, last: true, firstIdx: activities.MembersPerPage},
	}
	after := ""
	var all []string
	withEveryProp := 0
	for i, want := range wants {
		page, err := f.fetch(t, activities.FetchPageInput{HubSpotListID: seed.ListID, After: after, Properties: requested})
		require.NoError(t, err, "page %d", i+1)
		assert.Equal(t, want.members, page.Members, "page %d members", i+1)
		assert.Equal(t, 300, page.ListSize, "page %d list size", i+1)
		assert.Equal(t, want.last, page.Last, "page %d last", i+1)
		assert.Equal(t, want.last, page.NextAfter == "", "page %d: NextAfter %q must be empty exactly on the last page", i+1, page.NextAfter)
		assert.Zero(t, page.Missing, "page %d missing", i+1)
		require.Len(t, page.Records, want.members, "page %d records", i+1)
		assert.Equal(t, seed.ContactIDs[want.firstIdx:want.firstIdx+want.members], recordIDs(page.Records), "page %d record ids", i+1)

		for _, r := range page.Records {
			hc, ok := f.sb.HubSpot().Contact(r.ID)
			require.True(t, ok)
			for k := range r.Properties {
				assert.Contains(t, requested, k, "record %s carries unrequested property %q", r.ID, k)
			}
			for _, p := range requested {
				want, has := hc.Properties[p]
				got, ok := r.Properties[p]
				assert.Equal(t, has, ok, "record %s property %s presence", r.ID, p)
				assert.Equal(t, want, got, "record %s property %s", r.ID, p)
			}
			if len(r.Properties) == len(requested) {
				withEveryProp++
			}
		}
		all = append(all, recordIDs(page.Records)...)
		after = page.NextAfter
	}
	assert.Equal(t, seed.ContactIDs, all, "two pages cover the list exactly once, in order")
	assert.Positive(t, withEveryProp, "some seeded contacts have every requested property")
}

// TestFetchPageCountsMembersArchivedAfterTheMembershipRead archives a
// contact between the memberships call and the batch read, as happens when
// someone deletes a contact while a page is being read.
func TestFetchPageCountsMembersArchivedAfterTheMembershipRead(t *testing.T) {
	var victim string
	var once sync.Once
	f := newFixture(t, fixtureConfig{wrap: func(sb *sandbox.Server) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, "/batch/read") {
				once.Do(func() {
					if err := sb.HubSpot().ArchiveContact(victim); err != nil {
						t.Errorf("archive %s: %v", victim, err)
					}
				})
			}
			sb.ServeHTTP(w, r)
		})
	}})
	seed := f.sb.HubSpot().Seed(sandbox.SeedOptions{Contacts: 10, Seed: 9})
	victim = seed.ContactIDs[4]

	page, err := f.fetch(t, activities.FetchPageInput{HubSpotListID: seed.ListID, Properties: []string{"email"}})
	require.NoError(t, err)
	assert.Equal(t, 10, page.Members, "the membership read still listed the contact")
	assert.Equal(t, 1, page.Missing)
	assert.Len(t, page.Records, 9)
	assert.NotContains(t, recordIDs(page.Records), victim)
}

// TestFetchPageErrors: a missing list id or list is a permanent failure.
func TestFetchPageErrors(t *testing.T) {
	f := newFixture(t, fixtureConfig{})
	f.sb.HubSpot().Seed(sandbox.SeedOptions{Contacts: 5, Seed: 1})
	tests := []struct {
		name, listID, wantType string
	}{
		{"no list id", "", activities.ErrTypeInvalidInput},
		{"unknown list", "999", "NotFound"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.fetch(t, activities.FetchPageInput{HubSpotListID: tc.listID, Properties: []string{"email"}})
			var ae *temporal.ApplicationError
			require.ErrorAs(t, err, &ae)
			assert.Equal(t, tc.wantType, ae.Type())
			assert.True(t, ae.NonRetryable(), "retrying cannot make the list appear")
		})
	}
}

// ---- UpsertContacts ------------------------------------------------------

func contact(extID, email string, attrs map[string]any) mapping.Contact {
	return mapping.Contact{ExtID: extID, Email: email, Attributes: attrs}
}

// TestUpsertContactsCountsCreatedUnchangedUpdated writes a batch, the
// same batch again (nothing to write: the store's hashes match), then
// changed values.
func TestUpsertContactsCountsCreatedUnchangedUpdated(t *testing.T) {
	f := newFixture(t, fixtureConfig{})
	batch := func(suffix string) activities.UpsertInput {
		return activities.UpsertInput{Integration: "t", BrevoListID: 1, Contacts: []mapping.Contact{
			contact("101", "anna@example.com", map[string]any{"FIRSTNAME": "Anna" + suffix}),
			contact("102", "bob@example.com", map[string]any{"FIRSTNAME": "Bob" + suffix, "SMS": "+4915112345678"}),
			contact("103", "", map[string]any{"SMS": "+33612345678", "FIRSTNAME": "Cy" + suffix}),
		}}
	}
	steps := []struct {
		name                        string
		in                          activities.UpsertInput
		created, updated, unchanged int
		writes                      int64
	}{
		{"first write creates", batch(""), 3, 0, 0, 3},
		{"the same values are not written again", batch(""), 0, 0, 3, 0},
		{"changed values update", batch("!"), 0, 3, 0, 3},
	}
	for _, s := range steps {
		before := f.sb.Brevo().Stats().ContactWrites
		res, err := f.upsert(t, s.in)
		require.NoError(t, err, s.name)
		assert.Equal(t, s.created, res.Created, s.name)
		assert.Equal(t, s.updated, res.Updated, s.name)
		assert.Equal(t, s.unchanged, res.Unchanged, s.name)
		assert.Equal(t, s.writes, f.sb.Brevo().Stats().ContactWrites-before, s.name)
		assert.Zero(t, res.Failed, s.name)
		assert.Empty(t, res.Outcomes, s.name)
	}
	members := f.sb.Brevo().ListMembers(1)
	require.Len(t, members, 3, "one Brevo contact per HubSpot record, in the list")
	bob, ok := f.sb.Brevo().ContactByExtID("102")
	require.True(t, ok)
	assert.Equal(t, "bob@example.com", bob.Email)
	assert.Equal(t, "4915112345678", bob.SMS)
	assert.Equal(t, "Bob!", bob.Attributes["FIRSTNAME"])
}

// TestUpsertContactsPerContactRefusals writes one batch in which Brevo
// refuses some contacts or some of their values: each ends as the right
// outcome and the batch goes on to the end.
func TestUpsertContactsPerContactRefusals(t *testing.T) {
	f := newFixture(t, fixtureConfig{})
	require.NoError(t, f.sb.Brevo().CreateAttribute(sandbox.BrevoAttribute{Name: "VIP", Category: "normal", Type: "boolean"}))
	const takenSMS = "+4915100000001"
	_, err := f.sb.Brevo().AddContact(sandbox.BrevoContact{Email: "holder@example.com", SMS: takenSMS})
	require.NoError(t, err)

	tests := []struct {
		name    string
		in      mapping.Contact
		kind    string // outcome kind; "" = no outcome expected
		reason  string
		text    string // part of the outcome text
		inBrevo bool
		sms     string // the SMS Brevo holds afterwards
	}{
		{
			name: "plain contact", in: contact("201", "plain@example.com", map[string]any{"FIRSTNAME": "Plain"}),
			inBrevo: true,
		},
		{
			name: "SMS held by another contact is left out", in: contact("202", "dup@example.com", map[string]any{"SMS": takenSMS, "FIRSTNAME": "Dup"}),
			kind: mapping.OutcomeCreated, reason: mapping.ReasonDuplicateSMS, text: takenSMS, inBrevo: true,
		},
		{
			// Brevo wants the country code. The sandbox refuses a national
			// number as typed (with separators) but, unlike Brevo, accepts
			// bare 0-prefixed digits such as 01512345678.
			name: "national number without country code is left out", in: contact("203", "national@example.com", map[string]any{"SMS": "0151 2345678"}),
			kind: mapping.OutcomeCreated, reason: mapping.ReasonInvalidPhone, text: "0151 2345678", inBrevo: true,
		},
		{
			name: "attribute of the wrong type fails the contact", in: contact("204", "vip@example.com", map[string]any{"VIP": "yes"}),
			kind: mapping.OutcomeFailed, reason: mapping.ReasonRejected, text: "VIP",
		},
		{
			name: "SMS-only contact whose SMS is taken fails", in: contact("205", "", map[string]any{"SMS": takenSMS}),
			kind: mapping.OutcomeFailed, reason: mapping.ReasonRejected, text: "SMS",
		},
		{
			name: "mapping notes are reported with the write", in: mapping.Contact{ExtID: "206", Email: "noted@example.com",
				Notes: []mapping.Note{{Reason: mapping.ReasonInvalidValue, Attribute: "REVENUE", Text: "annual_revenue: \"lots\" is not a number"}}},
			kind: mapping.OutcomeCreated, reason: mapping.ReasonInvalidValue, text: "lots", inBrevo: true,
		},
		{
			name: "contact after the refusals is written", in: contact("207", "last@example.com", map[string]any{"SMS": "+4915100000007"}),
			inBrevo: true, sms: "4915100000007",
		},
	}
	in := activities.UpsertInput{BrevoListID: 1}
	for _, tc := range tests {
		in.Contacts = append(in.Contacts, tc.in)
	}
	res, err := f.upsert(t, in)
	require.NoError(t, err, "per-contact refusals must not fail the batch")

	byID := map[string][]mapping.Outcome{}
	for _, o := range res.Outcomes {
		byID[o.HubSpotID] = append(byID[o.HubSpotID], o)
	}
	wantCreated, wantFailed := 0, 0
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			outs := byID[tc.in.ExtID]
			if tc.kind == "" {
				assert.Empty(t, outs)
			} else if assert.Len(t, outs, 1) {
				o := outs[0]
				assert.Equal(t, tc.kind, o.Kind)
				assert.Equal(t, tc.reason, o.Reason)
				assert.Contains(t, o.Text, tc.text)
				assert.Equal(t, tc.in.Email, o.Email)
			}
			got, ok := f.sb.Brevo().ContactByExtID(tc.in.ExtID)
			assert.Equal(t, tc.inBrevo, ok, "in Brevo")
			if ok {
				assert.Equal(t, tc.sms, got.SMS, "SMS in Brevo")
				assert.Contains(t, got.ListIDs, int64(1))
			}
		})
		if tc.inBrevo {
			wantCreated++
		}
		if tc.kind == mapping.OutcomeFailed {
			wantFailed++
		}
	}
	assert.Equal(t, wantCreated, res.Created)
	assert.Zero(t, res.Updated)
	assert.Equal(t, wantFailed, res.Failed)
	holder, _ := f.sb.Brevo().ContactByEmail("holder@example.com")
	assert.Equal(t, "4915100000001", holder.SMS, "the holder keeps its number")
}

// TestUpsertContactsBatchFailures: failures of the whole call become the
// Temporal errors that drive the retry.
func TestUpsertContactsBatchFailures(t *testing.T) {
	tight := fastOptions()
	tight.Brevo.ContactsPerHour = 1 // the second write of the hour is a 429
	faulty := fastOptions()
	faulty.FaultRate = 1

	tests := []struct {
		name         string
		cfg          fixtureConfig
		wantType     string
		nonRetryable bool
		nextDelay    time.Duration
		benign       bool
		// written is how many contacts got through before the failure.
		written int
	}{
		{
			name: "429 retries after the server's reset, benign",
			cfg:  fixtureConfig{opts: &tight, brevoGov: brevo.DisabledGovernor()},
			// Brevo's x-sib-ratelimit-reset for the hourly bucket: the hour
			// until the first write leaves the window.
			wantType: "RateLimited", nextDelay: time.Hour, benign: true, written: 1,
		},
		{
			name:     "outage retries with the caller's backoff",
			cfg:      fixtureConfig{opts: &faulty},
			wantType: "Transient",
		},
		{
			name:     "wrong API key is not retried",
			cfg:      fixtureConfig{brevoKey: "not-the-key"},
			wantType: "Unauthorized", nonRetryable: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, tc.cfg)
			var mu sync.Mutex
			var last *upsertProgress
			f.env.SetOnActivityHeartbeatListener(func(_ *activity.Info, d converter.EncodedValues) {
				var p upsertProgress
				if err := d.Get(&p); err != nil {
					t.Errorf("heartbeat details: %v", err)
				}
				mu.Lock()
				defer mu.Unlock()
				last = &p
			})
			_, err := f.upsert(t, activities.UpsertInput{BrevoListID: 1, Contacts: []mapping.Contact{
				contact("301", "first@example.com", nil),
				contact("302", "second@example.com", nil),
			}})
			require.Error(t, err)
			var ae *temporal.ApplicationError
			require.True(t, errors.As(err, &ae), "want an ApplicationError, got %T: %v", err, err)
			assert.Equal(t, tc.wantType, ae.Type())
			assert.Equal(t, tc.nonRetryable, ae.NonRetryable(), "non-retryable")
			assert.Equal(t, tc.nextDelay, ae.NextRetryDelay(), "next retry delay")
			assert.Equal(t, tc.benign, ae.Category() == temporal.ApplicationErrorCategoryBenign, "benign category")
			assert.Len(t, f.sb.Brevo().Contacts(), tc.written)

			// The next attempt starts after the confirmed writes.
			mu.Lock()
			defer mu.Unlock()
			require.NotNil(t, last, "the failing attempt heartbeats its progress")
			assert.Equal(t, tc.written, last.Next)
			assert.Equal(t, tc.written, last.Result.Created)
		})
	}
}

// upsertProgress mirrors the activity's heartbeat details (unexported in
// package activities) field for field in JSON.
type upsertProgress struct {
	Next   int                     `json:"next"`
	Result activities.UpsertResult `json:"result"`
}

// TestUpsertContactsResumesFromHeartbeat: a retried attempt skips the
// contacts the previous attempt confirmed and reports totals including them.
func TestUpsertContactsResumesFromHeartbeat(t *testing.T) {
	f := newFixture(t, fixtureConfig{})
	earlier := mapping.Outcome{HubSpotID: "402", Email: "b@example.com", Kind: mapping.OutcomeCreated, Reason: mapping.ReasonDuplicateSMS, Text: "from the first attempt"}
	f.env.SetHeartbeatDetails(upsertProgress{
		Next:   2,
		Result: activities.UpsertResult{Created: 1, Updated: 1, Outcomes: []mapping.Outcome{earlier}},
	})
	res, err := f.upsert(t, activities.UpsertInput{BrevoListID: 1, Contacts: []mapping.Contact{
		contact("401", "a@example.com", nil),
		contact("402", "b@example.com", nil),
		contact("403", "c@example.com", nil),
		contact("404", "d@example.com", nil),
	}})
	require.NoError(t, err)
	assert.Equal(t, 3, res.Created, "1 earlier + 2 now")
	assert.Equal(t, 1, res.Updated, "the earlier update is kept")
	assert.Zero(t, res.Failed)
	assert.Equal(t, []mapping.Outcome{earlier}, res.Outcomes, "earlier outcomes are kept")

	var written []string
	for _, c := range f.sb.Brevo().Contacts() {
		written = append(written, c.ExtID)
	}
	sort.Strings(written)
	assert.Equal(t, []string{"403", "404"}, written, "only the contacts after the heartbeat are written")
	assert.EqualValues(t, 2, f.sb.Brevo().Stats().ContactWrites)
}

// ---- EnsureBrevoList -----------------------------------------------------

func TestEnsureBrevoList(t *testing.T) {
	f := newFixture(t, fixtureConfig{})
	ensure := func(in activities.NewListInput) int64 {
		t.Helper()
		v, err := f.env.ExecuteActivity(f.acts.EnsureBrevoList, in)
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

// ---- MapContacts ---------------------------------------------------------

func TestMapContactsReportsSkippedRecords(t *testing.T) {
	f := newFixture(t, fixtureConfig{})
	spec := mapping.Spec{Fields: []mapping.Field{
		{Property: "email", Attribute: mapping.AttrEmail, PropertyType: "string", FieldType: "text"},
		{Property: "phone", Attribute: mapping.AttrSMS, PropertyType: "string", FieldType: "phonenumber", AttributeType: "text"},
		{Property: "firstname", Attribute: "FIRSTNAME", PropertyType: "string", FieldType: "text", AttributeType: "text"},
	}}
	tests := []struct {
		name       string
		rec        mapping.Record
		skipReason string // "" = written
		skipEmail  string
	}{
		{"valid email", mapping.Record{ID: "1", Properties: map[string]string{"email": "anna@example.com", "firstname": "Anna"}}, "", ""},
		{"phone only", mapping.Record{ID: "2", Properties: map[string]string{"phone": "+49 151 2345678"}}, "", ""},
		{"nothing to identify", mapping.Record{ID: "3", Properties: map[string]string{"firstname": "Nobody"}}, mapping.ReasonNoIdentifier, ""},
		{"invalid email, no phone", mapping.Record{ID: "4", Properties: map[string]string{"email": "not-an-email"}}, mapping.ReasonNoIdentifier, "not-an-email"},
		{"invalid email and phone", mapping.Record{ID: "5", Properties: map[string]string{"email": "a@@example.com", "phone": "1234"}}, mapping.ReasonNoIdentifier, "a@@example.com"},
	}
	in := activities.MapInput{Spec: spec}
	for _, tc := range tests {
		in.Records = append(in.Records, tc.rec)
	}
	v, err := f.env.ExecuteLocalActivity(f.acts.MapContacts, in)
	require.NoError(t, err)
	var res activities.MapResult
	require.NoError(t, v.Get(&res))

	skipped := map[string]mapping.Outcome{}
	for _, o := range res.Skipped {
		skipped[o.HubSpotID] = o
	}
	written := map[string]bool{}
	for _, c := range res.Contacts {
		written[c.ExtID] = true
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o, isSkipped := skipped[tc.rec.ID]
			assert.Equal(t, tc.skipReason != "", isSkipped, "skipped")
			assert.Equal(t, tc.skipReason == "", written[tc.rec.ID], "written")
			if isSkipped {
				assert.Equal(t, mapping.OutcomeSkipped, o.Kind)
				assert.Equal(t, tc.skipReason, o.Reason)
				assert.Equal(t, tc.skipEmail, o.Email, "the email as HubSpot holds it")
				assert.NotEmpty(t, o.Text)
			}
		})
	}
	assert.Len(t, res.Skipped, 3)
	assert.Len(t, res.Contacts, 2)
}
