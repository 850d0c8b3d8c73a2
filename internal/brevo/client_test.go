package brevo_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hubspot-brevo-sync/internal/brevo"
	"hubspot-brevo-sync/internal/httpx"
	"hubspot-brevo-sync/internal/sandbox"
)

// sent is one request as it left the client.
type sent struct {
	Method, Path, RawPath, Query string
	Body                         []byte
}

// recorder is a RoundTripper that keeps a copy of every request, so tests
// can check the JSON the client really sends.
type recorder struct {
	mu   sync.Mutex
	reqs []sent
}

func (rec *recorder) RoundTrip(r *http.Request) (*http.Response, error) {
	var body []byte
	if r.Body != nil {
		body, _ = io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	rec.mu.Lock()
	rec.reqs = append(rec.reqs, sent{r.Method, r.URL.Path, r.URL.EscapedPath(), r.URL.RawQuery, body})
	rec.mu.Unlock()
	return http.DefaultTransport.RoundTrip(r)
}

func (rec *recorder) all() []sent {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]sent(nil), rec.reqs...)
}

func (rec *recorder) last(t *testing.T) sent {
	t.Helper()
	all := rec.all()
	require.NotEmpty(t, all)
	return all[len(all)-1]
}

// matching returns the requests to a path (suffix match after /v3).
func (rec *recorder) matching(method, suffix string) []sent {
	var out []sent
	for _, s := range rec.all() {
		if s.Method == method && strings.HasSuffix(s.Path, suffix) {
			out = append(out, s)
		}
	}
	return out
}

func (rec *recorder) reset() {
	rec.mu.Lock()
	rec.reqs = nil
	rec.mu.Unlock()
}

// fastLimits keeps the governor out of the way of tests that are not about
// rate limits.
var fastLimits = brevo.Limits{ContactsPerSecond: 1000, ContactsPerHour: 1_000_000, OtherPerHour: 10_000, EmailPerSecond: 1000}

type env struct {
	client *brevo.Client
	sb     *sandbox.Server
	srv    *httptest.Server
	rec    *recorder
}

// newEnv serves a sandbox and points a client at it. Unless the options say
// otherwise, sandbox limits are generous and the governor matches them.
func newEnv(t *testing.T, opts sandbox.Options, gov *brevo.Governor) *env {
	t.Helper()
	if opts.Brevo.ContactsPerSecond == 0 {
		opts.Brevo.ContactsPerSecond = fastLimits.ContactsPerSecond
	}
	if opts.Brevo.OtherPerHour == 0 {
		opts.Brevo.OtherPerHour = fastLimits.OtherPerHour
	}
	if gov == nil {
		gov = brevo.NewGovernor(fastLimits, nil)
	}
	sb := sandbox.New(opts)
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	rec := &recorder{}
	c, err := brevo.New(brevo.Config{BaseURL: srv.URL + "/v3", APIKey: sandbox.BrevoDemoKey, Governor: gov, Transport: rec})
	require.NoError(t, err)
	return &env{client: c, sb: sb, srv: srv, rec: rec}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return c
}

func requireKind(t *testing.T, err error, kind httpx.Kind) *httpx.Error {
	t.Helper()
	require.Error(t, err)
	e, ok := httpx.AsError(err)
	require.True(t, ok, "want *httpx.Error, got %T: %v", err, err)
	require.Equal(t, kind, e.Kind, "error: %v", err)
	return e
}

func TestNewRequiresAPIKey(t *testing.T) {
	_, err := brevo.New(brevo.Config{})
	require.Error(t, err)
}

func TestWrongAPIKeyIsUnauthorized(t *testing.T) {
	e := newEnv(t, sandbox.Options{}, nil)
	c, err := brevo.New(brevo.Config{BaseURL: e.srv.URL + "/v3", APIKey: "xkeysib-wrong", Governor: brevo.NewGovernor(fastLimits, nil)})
	require.NoError(t, err)
	_, err = c.Attributes(ctx(t))
	he := requireKind(t, err, httpx.KindAuth)
	assert.Equal(t, 401, he.Status)
	assert.Equal(t, "Key not found", he.Message)
}

func TestUpsertCreatesThenUpdates(t *testing.T) {
	e := newEnv(t, sandbox.Options{}, nil)
	u := brevo.ContactUpsert{Email: "jane@example.com", ExtID: "hs-1",
		Attributes: map[string]any{"FIRSTNAME": "Jane"}, ListIDs: []int64{1}, UpdateEnabled: true}
	res, err := e.client.UpsertContact(ctx(t), u)
	require.NoError(t, err)
	assert.True(t, res.Created)
	assert.Positive(t, res.ID)

	u.Attributes["FIRSTNAME"] = "Janet"
	res2, err := e.client.UpsertContact(ctx(t), u)
	require.NoError(t, err)
	assert.False(t, res2.Created, "second upsert must be an update (204)")

	got, err := e.client.GetContact(ctx(t), "hs-1", brevo.IdentifierExtID)
	require.NoError(t, err)
	assert.Equal(t, res.ID, got.ID)
	assert.Equal(t, "Janet", got.Attributes["FIRSTNAME"])
	assert.Equal(t, "hs-1", got.ExtID)
	assert.Equal(t, []int64{1}, got.ListIDs)
	assert.False(t, got.CreatedAt.IsZero())
	assert.Len(t, e.sb.Brevo().Contacts(), 1)
}

func TestUpsertWithoutIdentifierIsRefusedLocally(t *testing.T) {
	e := newEnv(t, sandbox.Options{}, nil)
	_, err := e.client.UpsertContact(ctx(t), brevo.ContactUpsert{Attributes: map[string]any{"FIRSTNAME": "X"}})
	requireKind(t, err, httpx.KindValidation)
	assert.Empty(t, e.rec.all())
}

func TestExtIDIsTheIdentityAcrossEmailChanges(t *testing.T) {
	e := newEnv(t, sandbox.Options{}, nil)
	res, err := e.client.UpsertContact(ctx(t), brevo.ContactUpsert{Email: "old@example.com", ExtID: "hs-42", UpdateEnabled: true})
	require.NoError(t, err)

	// The new address has a "+", which must reach Brevo as %2B, not a space.
	newEmail := "new+tag@example.com"
	require.NoError(t, e.client.UpdateContact(ctx(t), "hs-42", brevo.IdentifierExtID,
		brevo.ContactUpdate{Attributes: map[string]any{"EMAIL": newEmail}}))
	last := e.rec.last(t)
	assert.Equal(t, "identifierType=ext_id", last.Query)

	got, err := e.client.GetContact(ctx(t), newEmail, brevo.IdentifierEmail)
	require.NoError(t, err)
	assert.Equal(t, res.ID, got.ID)
	assert.Equal(t, newEmail, got.Email)
	assert.Contains(t, e.rec.last(t).RawPath, "new%2Btag%40example.com")

	// An upsert keyed by ext_id with yet another address still updates the
	// same contact.
	up, err := e.client.UpsertContact(ctx(t), brevo.ContactUpsert{Email: "third@example.com", ExtID: "hs-42", UpdateEnabled: true})
	require.NoError(t, err)
	assert.False(t, up.Created)
	contacts := e.sb.Brevo().Contacts()
	require.Len(t, contacts, 1)
	assert.Equal(t, "third@example.com", contacts[0].Email)
	assert.Equal(t, "hs-42", contacts[0].ExtID)

	_, err = e.client.GetContact(ctx(t), "old@example.com", brevo.IdentifierEmail)
	requireKind(t, err, httpx.KindNotFound)
}

// bodyKeys decodes a recorded JSON body into a map to see which keys exist.
func bodyKeys(t *testing.T, s sent) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(s.Body, &m), "body %s", s.Body)
	return m
}

func TestBlacklistFlagsAreTriState(t *testing.T) {
	e := newEnv(t, sandbox.Options{}, nil)
	b := e.sb.Brevo()
	// A contact who unsubscribed in Brevo.
	_, err := b.AddContact(sandbox.BrevoContact{Email: "unsub@example.com", EmailBlacklisted: true, SMSBlacklisted: true})
	require.NoError(t, err)

	// Unset flags: not in the body at all, and Brevo's value survives.
	_, err = e.client.UpsertContact(ctx(t), brevo.ContactUpsert{Email: "unsub@example.com",
		Attributes: map[string]any{"FIRSTNAME": "U"}, UpdateEnabled: true})
	require.NoError(t, err)
	m := bodyKeys(t, e.rec.last(t))
	assert.NotContains(t, m, "emailBlacklisted")
	assert.NotContains(t, m, "smsBlacklisted")
	assert.NotContains(t, string(e.rec.last(t).Body), "false", "no false anywhere unless set")
	c, _ := b.ContactByEmail("unsub@example.com")
	assert.True(t, c.EmailBlacklisted)
	assert.True(t, c.SMSBlacklisted)

	require.NoError(t, e.client.UpdateContact(ctx(t), "unsub@example.com", brevo.IdentifierEmail,
		brevo.ContactUpdate{Attributes: map[string]any{"LASTNAME": "V"}}))
	m = bodyKeys(t, e.rec.last(t))
	assert.NotContains(t, m, "emailBlacklisted")
	assert.NotContains(t, m, "smsBlacklisted")

	require.NoError(t, e.client.UpdateContactsBatch(ctx(t), []brevo.BatchContactUpdate{
		{Email: "unsub@example.com", Attributes: map[string]any{"LASTNAME": "W"}}}))
	assert.NotContains(t, string(e.rec.last(t).Body), "Blacklisted")
	c, _ = b.ContactByEmail("unsub@example.com")
	assert.True(t, c.EmailBlacklisted, "omitted flag must leave the blacklist alone")

	// Set explicitly: true is sent as true ...
	_, err = e.client.UpsertContact(ctx(t), brevo.ContactUpsert{Email: "optout@example.com",
		EmailBlacklisted: brevo.Bool(true), UpdateEnabled: true})
	require.NoError(t, err)
	m = bodyKeys(t, e.rec.last(t))
	assert.Equal(t, true, m["emailBlacklisted"])
	assert.NotContains(t, m, "smsBlacklisted")
	c, _ = b.ContactByEmail("optout@example.com")
	assert.True(t, c.EmailBlacklisted)

	// ... and false only when the caller means it.
	require.NoError(t, e.client.UpdateContact(ctx(t), "optout@example.com", brevo.IdentifierEmail,
		brevo.ContactUpdate{EmailBlacklisted: brevo.Bool(false)}))
	m = bodyKeys(t, e.rec.last(t))
	assert.Equal(t, false, m["emailBlacklisted"])
	c, _ = b.ContactByEmail("optout@example.com")
	assert.False(t, c.EmailBlacklisted)
}

func TestDuplicateSMSRefusesTheWholeCall(t *testing.T) {
	e := newEnv(t, sandbox.Options{}, nil)
	_, err := e.client.UpsertContact(ctx(t), brevo.ContactUpsert{Email: "a@example.com",
		Attributes: map[string]any{"SMS": "+4915112345678"}, UpdateEnabled: true})
	require.NoError(t, err)

	_, err = e.client.UpsertContact(ctx(t), brevo.ContactUpsert{Email: "b@example.com", ExtID: "hs-b",
		Attributes: map[string]any{"SMS": "004915112345678", "FIRSTNAME": "Bea"}, ListIDs: []int64{1}, UpdateEnabled: true})
	he := requireKind(t, err, httpx.KindDuplicate)
	assert.Equal(t, []string{"SMS"}, he.Fields)
	assert.Equal(t, 400, he.Status)
	_, found := e.sb.Brevo().ContactByEmail("b@example.com")
	assert.False(t, found, "nothing of the refused call may be applied")

	// The same on update: the name change travels with the SMS and is lost.
	_, err = e.client.UpsertContact(ctx(t), brevo.ContactUpsert{Email: "c@example.com",
		Attributes: map[string]any{"FIRSTNAME": "Cid"}, UpdateEnabled: true})
	require.NoError(t, err)
	err = e.client.UpdateContact(ctx(t), "c@example.com", brevo.IdentifierEmail, brevo.ContactUpdate{
		Attributes: map[string]any{"SMS": "4915112345678", "FIRSTNAME": "Changed"}})
	he = requireKind(t, err, httpx.KindDuplicate)
	assert.Equal(t, []string{"SMS"}, he.Fields)
	c, _ := e.sb.Brevo().ContactByEmail("c@example.com")
	assert.Equal(t, "Cid", c.Attributes["FIRSTNAME"])
}

func TestInvalidPhoneIsValidation(t *testing.T) {
	e := newEnv(t, sandbox.Options{}, nil)
	for _, phone := range []string{"12345", "+49 151 1234", "0151-1234567", "12345678901234567"} {
		_, err := e.client.UpsertContact(ctx(t), brevo.ContactUpsert{Email: "p@example.com",
			Attributes: map[string]any{"SMS": phone}, UpdateEnabled: true})
		he := requireKind(t, err, httpx.KindValidation)
		assert.Equal(t, "Invalid phone number", he.Message, phone)
		assert.Equal(t, "invalid_parameter", he.Code)
	}
	assert.Empty(t, e.sb.Brevo().Contacts())
}

func TestImportRunsToCompletionWithReport(t *testing.T) {
	for _, listInfo := range []bool{false, true} {
		t.Run(fmt.Sprintf("listInfo=%v", listInfo), func(t *testing.T) {
			testImportRunsToCompletion(t, sandbox.BrevoOptions{ImportDelay: 300 * time.Millisecond,
				ImportKeepsExtID: true, ProcessListInfo: listInfo})
		})
	}
}

func testImportRunsToCompletion(t *testing.T, o sandbox.BrevoOptions) {
	e := newEnv(t, sandbox.Options{Brevo: o}, nil)
	id, err := e.client.ImportContacts(ctx(t), brevo.ImportRequest{
		Contacts: []brevo.ImportContact{
			{Email: "one@example.com", Attributes: map[string]any{"FIRSTNAME": "One", "EXT_ID": "hs-1", "SMS": "+33612345678", "NOT_AN_ATTRIBUTE": "x"}},
			{Email: "not-an-email", Attributes: map[string]any{"FIRSTNAME": "Bad"}},
			{Email: "two@example.com", Attributes: map[string]any{"EXT_ID": "hs-2"}},
		},
		ListIDs: []int64{1}, UpdateExistingContacts: true, DisableNotification: true,
	})
	require.NoError(t, err)
	require.Positive(t, id)

	// The body is jsonBody with updateExistingContacts sent explicitly.
	m := bodyKeys(t, e.rec.last(t))
	assert.Contains(t, m, "jsonBody")
	assert.Equal(t, true, m["updateExistingContacts"])

	p, err := e.client.GetProcess(ctx(t), id)
	require.NoError(t, err)
	assert.False(t, p.Done(), "status %q", p.Status)
	_, found := e.sb.Brevo().ContactByEmail("one@example.com")
	assert.False(t, found, "contacts appear only when the process completes")

	deadline := time.Now().Add(5 * time.Second)
	for !p.Done() {
		require.True(t, time.Now().Before(deadline), "import did not complete")
		time.Sleep(100 * time.Millisecond)
		ps, err := e.client.ListProcesses(ctx(t), 0, 50)
		require.NoError(t, err)
		require.NotEmpty(t, ps)
		p = ps[0]
	}
	assert.Equal(t, id, p.ID)
	assert.False(t, p.Failed())
	assert.Equal(t, "IMPORTUSER", p.Name)
	assert.False(t, p.CompletedAt.IsZero())

	report, ok := p.Import()
	assert.Equal(t, o.ProcessListInfo, ok, "a listed process carries its report only in that variant")
	if !ok {
		p, err = e.client.GetProcess(ctx(t), id)
		require.NoError(t, err)
		report, ok = p.Import()
		require.True(t, ok, "GET /processes/{id} carries the report")
	}
	require.Contains(t, report.Reports, "invalid_emails")
	resp, err := http.Get(report.Reports["invalid_emails"])
	require.NoError(t, err)
	csv, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Contains(t, string(csv), "not-an-email")
	assert.NotContains(t, report.Reports, "duplicate_email_id", "null: no duplicate emails")
	assert.Zero(t, report.Counts["duplicate_phone_id"])
	rows, exact := report.Refused()
	assert.EqualValues(t, 1, rows)
	assert.False(t, exact)

	one, found := e.sb.Brevo().ContactByExtID("hs-1")
	require.True(t, found)
	assert.Equal(t, "one@example.com", one.Email)
	assert.Equal(t, "33612345678", one.SMS)
	assert.NotContains(t, one.Attributes, "NOT_AN_ATTRIBUTE")
	assert.Len(t, e.sb.Brevo().ListMembers(1), 2)

	_, err = e.client.GetProcess(ctx(t), 9999)
	requireKind(t, err, httpx.KindNotFound)
}

func TestImportTooLargeIsRefusedBeforeSending(t *testing.T) {
	e := newEnv(t, sandbox.Options{}, nil)
	big := strings.Repeat("x", 1000)
	contacts := make([]brevo.ImportContact, 9000)
	for i := range contacts {
		contacts[i] = brevo.ImportContact{Email: "c@example.com", Attributes: map[string]any{"LASTNAME": big}}
	}
	_, err := e.client.ImportContacts(ctx(t), brevo.ImportRequest{Contacts: contacts, ListIDs: []int64{1}})
	requireKind(t, err, httpx.KindValidation)
	assert.True(t, errors.Is(err, brevo.ErrImportTooLarge))
	assert.Empty(t, e.rec.all())

	// SplitImport makes groups the client accepts, keeping every contact.
	groups := brevo.SplitImport(contacts)
	require.Len(t, groups, 2)
	total := 0
	for _, g := range groups {
		total += len(g)
		raw, err := json.Marshal(map[string]any{"jsonBody": g, "listIds": []int64{1}})
		require.NoError(t, err)
		assert.Less(t, len(raw), brevo.MaxImportBodyBytes)
	}
	assert.Equal(t, len(contacts), total)
	assert.Empty(t, brevo.SplitImport(nil))
}

func TestBatchUpdateIsAllOrNothing(t *testing.T) {
	e := newEnv(t, sandbox.Options{}, nil)
	b := e.sb.Brevo()
	for _, em := range []string{"a@example.com", "b@example.com"} {
		_, err := b.AddContact(sandbox.BrevoContact{Email: em, Attributes: map[string]any{"FIRSTNAME": "orig"}})
		require.NoError(t, err)
	}
	err := e.client.UpdateContactsBatch(ctx(t), []brevo.BatchContactUpdate{
		{Email: "a@example.com", Attributes: map[string]any{"FIRSTNAME": "new"}},
		{Email: "ghost@example.com", Attributes: map[string]any{"FIRSTNAME": "new"}},
		{Email: "b@example.com", Attributes: map[string]any{"FIRSTNAME": "new"}},
	})
	he := requireKind(t, err, httpx.KindNotFound)
	assert.Equal(t, 404, he.Status)
	assert.Contains(t, he.Message, "items 1")
	assert.Equal(t, []string{"ghost@example.com"}, he.Fields)
	for _, em := range []string{"a@example.com", "b@example.com"} {
		c, _ := b.ContactByEmail(em)
		assert.Equal(t, "orig", c.Attributes["FIRSTNAME"], em)
	}

	// More than 100 items go out in several calls.
	var items []brevo.BatchContactUpdate
	for i := 0; i < 150; i++ {
		items = append(items, brevo.BatchContactUpdate{Email: "a@example.com", Attributes: map[string]any{"LASTNAME": "x"}})
	}
	e.rec.reset()
	require.NoError(t, e.client.UpdateContactsBatch(ctx(t), items))
	assert.Len(t, e.rec.matching(http.MethodPost, "/contacts/batch"), 2)

	// Exactly one identifier per item, checked before anything is sent.
	e.rec.reset()
	err = e.client.UpdateContactsBatch(ctx(t), []brevo.BatchContactUpdate{{Email: "a@example.com", ID: 1}})
	requireKind(t, err, httpx.KindValidation)
	assert.Empty(t, e.rec.all())
}

func TestListAddIsSplitIntoCallsOf150(t *testing.T) {
	e := newEnv(t, sandbox.Options{}, nil)
	b := e.sb.Brevo()
	var emails []string
	for i := 0; i < 320; i++ {
		em := "member." + itoa(i) + "@example.com"
		_, err := b.AddContact(sandbox.BrevoContact{Email: em})
		require.NoError(t, err)
		emails = append(emails, em)
	}
	listID, err := e.client.CreateList(ctx(t), "HubSpot: customers", 1)
	require.NoError(t, err)

	e.rec.reset()
	ch, err := e.client.AddToList(ctx(t), listID, brevo.Members{Emails: emails})
	require.NoError(t, err)
	assert.Len(t, ch.Success, 320)
	assert.Empty(t, ch.Failure)
	calls := e.rec.matching(http.MethodPost, "/contacts/add")
	require.Len(t, calls, 3)
	for _, c := range calls {
		var body map[string][]string
		require.NoError(t, json.Unmarshal(c.Body, &body))
		assert.LessOrEqual(t, len(body["emails"]), 150)
	}
	assert.Len(t, b.ListMembers(listID), 320)
	n, err := e.client.ListContactCount(ctx(t), listID)
	require.NoError(t, err)
	assert.EqualValues(t, 320, n)

	// Already members: reported as failures, not as an error.
	ch, err = e.client.AddToList(ctx(t), listID, brevo.Members{Emails: emails[:5]})
	require.NoError(t, err)
	assert.Len(t, ch.Failure, 5)

	// By id, removing: ids come back as decimal strings.
	ids := []int64{b.Contacts()[0].ID, 99999}
	ch, err = e.client.RemoveFromList(ctx(t), listID, brevo.Members{IDs: ids})
	require.NoError(t, err)
	assert.Equal(t, []string{itoa(int(ids[0]))}, ch.Success)
	assert.Equal(t, []string{"99999"}, ch.Failure)

	// Mixed identifier kinds are refused before sending.
	e.rec.reset()
	_, err = e.client.AddToList(ctx(t), listID, brevo.Members{Emails: emails[:1], ExtIDs: []string{"hs-1"}})
	requireKind(t, err, httpx.KindValidation)
	assert.Empty(t, e.rec.all())

	_, err = e.client.AddToList(ctx(t), 4242, brevo.Members{Emails: emails[:1]})
	requireKind(t, err, httpx.KindNotFound)
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestListsAndFoldersArePaged(t *testing.T) {
	e := newEnv(t, sandbox.Options{}, nil)
	b := e.sb.Brevo()
	folder, err := e.client.CreateFolder(ctx(t), "Sync")
	require.NoError(t, err)
	for i := 0; i < 120; i++ {
		_, err := b.CreateList("list "+itoa(i), folder)
		require.NoError(t, err)
	}
	e.rec.reset()
	lists, err := e.client.AllLists(ctx(t))
	require.NoError(t, err)
	assert.Len(t, lists, 121) // plus the seeded "Newsletter"
	calls := e.rec.matching(http.MethodGet, "/contacts/lists")
	assert.Len(t, calls, 3)
	for _, c := range calls {
		assert.Contains(t, c.Query, "limit=50")
	}
	seen := map[int64]bool{}
	for _, l := range lists {
		assert.False(t, seen[l.ID], "list %d twice", l.ID)
		seen[l.ID] = true
	}

	l, err := e.client.GetList(ctx(t), 1)
	require.NoError(t, err)
	assert.Equal(t, "Newsletter", l.Name)
	assert.EqualValues(t, 1, l.FolderID)
	_, err = e.client.GetList(ctx(t), 9999)
	requireKind(t, err, httpx.KindNotFound)

	folders, err := e.client.AllFolders(ctx(t))
	require.NoError(t, err)
	assert.Len(t, folders, 2)

	_, err = e.client.CreateList(ctx(t), "orphan", 0)
	requireKind(t, err, httpx.KindValidation)
}

func TestAttributesListAndCreate(t *testing.T) {
	e := newEnv(t, sandbox.Options{Brevo: sandbox.BrevoOptions{Language: "fr"}}, nil)
	attrs, err := e.client.Attributes(ctx(t))
	require.NoError(t, err)
	names := map[string]bool{}
	for _, a := range attrs {
		names[a.Name] = true
	}
	assert.True(t, names["PRENOM"] && names["NOM"] && names["SMS"], "%v", names)

	require.NoError(t, e.client.CreateAttribute(ctx(t), "normal", "birth_date", brevo.AttributeSpec{Type: brevo.TypeDate}))
	assert.True(t, strings.HasSuffix(e.rec.last(t).Path, "/contacts/attributes/normal/BIRTH_DATE"))
	require.NoError(t, e.client.CreateAttribute(ctx(t), brevo.CategoryCategory, "LIFECYCLE",
		brevo.AttributeSpec{Enumeration: []brevo.EnumValue{{Value: 1, Label: "lead"}, {Value: 2, Label: "customer"}}}))
	require.NoError(t, e.client.CreateAttribute(ctx(t), "normal", "INTERESTS",
		brevo.AttributeSpec{Type: brevo.TypeMultipleChoice, MultiCategoryOptions: []string{"golf", "chess"}}))

	attrs, err = e.client.Attributes(ctx(t))
	require.NoError(t, err)
	byName := map[string]brevo.Attribute{}
	for _, a := range attrs {
		byName[a.Name] = a
	}
	assert.Equal(t, "date", byName["BIRTH_DATE"].Type)
	assert.Equal(t, "category", byName["LIFECYCLE"].Category)
	assert.Equal(t, []brevo.EnumValue{{Value: 1, Label: "lead"}, {Value: 2, Label: "customer"}}, byName["LIFECYCLE"].Enumeration)
	assert.Equal(t, []string{"golf", "chess"}, byName["INTERESTS"].MultiCategoryOptions)

	err = e.client.CreateAttribute(ctx(t), "normal", "BIRTH_DATE", brevo.AttributeSpec{Type: brevo.TypeDate})
	he := requireKind(t, err, httpx.KindDuplicate)
	assert.Equal(t, 400, he.Status)

	e.rec.reset()
	err = e.client.CreateAttribute(ctx(t), "normal", "bad-name", brevo.AttributeSpec{Type: brevo.TypeText})
	requireKind(t, err, httpx.KindValidation)
	assert.Empty(t, e.rec.all())

	// The new attributes are usable, with their types enforced.
	_, err = e.client.UpsertContact(ctx(t), brevo.ContactUpsert{Email: "t@example.com", UpdateEnabled: true,
		Attributes: map[string]any{"BIRTH_DATE": "1990-04-13", "LIFECYCLE": 2, "INTERESTS": []string{"chess"}, "PRENOM": "Té"}})
	require.NoError(t, err)
	_, err = e.client.UpsertContact(ctx(t), brevo.ContactUpsert{Email: "t@example.com", UpdateEnabled: true,
		Attributes: map[string]any{"BIRTH_DATE": "13.04.1990"}})
	requireKind(t, err, httpx.KindValidation)
}

func TestSendEmailIsRecordedOnce(t *testing.T) {
	e := newEnv(t, sandbox.Options{}, nil)
	mail := brevo.Email{
		Sender:  brevo.Address{Email: "sync@example.com", Name: "HubSpot Sync"},
		To:      []brevo.Address{{Email: "ops@example.com"}},
		Subject: "80% of the monthly quota used", TextContent: "80000 of 100000", Tags: []string{"quota"},
		IdempotencyKey: "quota-2026-05-80",
	}
	id, err := e.client.SendEmail(ctx(t), mail)
	require.NoError(t, err)
	assert.NotEmpty(t, id)
	m := bodyKeys(t, e.rec.last(t))
	assert.Equal(t, map[string]any{"idempotencyKey": "quota-2026-05-80"}, m["headers"])

	id2, err := e.client.SendEmail(ctx(t), mail)
	require.NoError(t, err)
	assert.Equal(t, id, id2)
	emails := e.sb.Brevo().Emails()
	require.Len(t, emails, 1)
	assert.Equal(t, "80% of the monthly quota used", emails[0].Subject)
	assert.Equal(t, []string{"ops@example.com"}, emails[0].To)

	mail.IdempotencyKey = ""
	mail.To = []brevo.Address{{Email: "not an email"}}
	_, err = e.client.SendEmail(ctx(t), mail)
	requireKind(t, err, httpx.KindValidation)
}

// fixedClock is a sandbox clock that stands still, so reset values are exact.
type fixedClock struct{ t time.Time }

func (c fixedClock) now() time.Time { return c.t }

func TestRateLimitedCarriesResetAsRetryAfter(t *testing.T) {
	clock := fixedClock{time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)}
	e := newEnv(t, sandbox.Options{Brevo: sandbox.BrevoOptions{ContactsPerHour: 3, Now: clock.now}}, brevo.DisabledGovernor())
	for i := 0; i < 3; i++ {
		_, err := e.client.Attributes(ctx(t))
		require.NoError(t, err)
	}
	_, err := e.client.Attributes(ctx(t))
	he := requireKind(t, err, httpx.KindRateLimited)
	assert.Equal(t, 429, he.Status)
	assert.Equal(t, time.Hour, he.RetryAfter, "x-sib-ratelimit-reset of the hourly bucket")
	assert.True(t, he.Retryable())
	assert.EqualValues(t, 1, e.sb.Brevo().Stats().Families["contacts"].RateLimited)
}

func TestServerFaultIsTransient(t *testing.T) {
	e := newEnv(t, sandbox.Options{FaultRate: 1}, nil)
	_, err := e.client.UpsertContact(ctx(t), brevo.ContactUpsert{Email: "x@example.com"})
	he := requireKind(t, err, httpx.KindTransient)
	assert.Equal(t, 502, he.Status)
	assert.True(t, httpx.IsRetryable(err))
}

func TestTransportFailureIsTransient(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	c, err := brevo.New(brevo.Config{BaseURL: url + "/v3", APIKey: "k", Governor: brevo.NewGovernor(fastLimits, nil)})
	require.NoError(t, err)
	_, err = c.Attributes(ctx(t))
	requireKind(t, err, httpx.KindTransient)
}

// TestErrorClassification feeds canned Brevo answers to the client.
func TestErrorClassification(t *testing.T) {
	type answer struct {
		status  int
		body    string
		headers map[string]string
	}
	cases := []struct {
		name       string
		answer     answer
		call       func(*brevo.Client) error
		kind       httpx.Kind
		fields     []string
		message    string
		retryAfter time.Duration
	}{
		{name: "duplicate by metadata", kind: httpx.KindDuplicate, fields: []string{"email"},
			answer: answer{400, `{"code":"duplicate_parameter","message":"Unable to create contact, email is already associated with another Contact","metadata":{"duplicate_identifiers":["email"]}}`, nil}},
		{name: "duplicate arriving as invalid_parameter (code drift)", kind: httpx.KindDuplicate, fields: []string{"email"},
			answer: answer{400, `{"code":"invalid_parameter","message":"Unable to create contact, email is already associated with another Contact"}`, nil}},
		{name: "SMS or EXT_ID by message", kind: httpx.KindDuplicate, fields: []string{"SMS", "EXT_ID"},
			answer: answer{400, `{"code":"duplicate_parameter","message":"Unable to update contact, SMS or EXT_ID are already associated with another Contact"}`, nil}},
		{name: "typo variant", kind: httpx.KindDuplicate, fields: []string{"SMS"},
			answer: answer{400, `{"code":"invalid_parameter","message":"SMS is already associate with another Contact"}`, nil}},
		{name: "old wording", kind: httpx.KindDuplicate, fields: []string{"email"},
			answer: answer{400, `{"code":"duplicate_parameter","message":"Contact already exist"}`, nil}},
		{name: "not found", kind: httpx.KindNotFound,
			answer: answer{404, `{"code":"document_not_found","message":"Contact does not exist"}`, nil}},
		{name: "key not found", kind: httpx.KindAuth, message: "Key not found",
			answer: answer{401, `{"code":"unauthorized","message":"Key not found"}`, nil}},
		{name: "permission denied", kind: httpx.KindAuth,
			answer: answer{403, `{"code":"permission_denied","message":"Permission denied"}`, nil}},
		{name: "no credits", kind: httpx.KindPermanent,
			answer: answer{402, `{"code":"not_enough_credits","message":"Not enough credits"}`, nil}},
		{name: "too early", kind: httpx.KindTransient,
			answer: answer{425, `{"code":"account_in_process","message":"Account is being set up"}`, nil}},
		{name: "429 with reset", kind: httpx.KindRateLimited, retryAfter: 7 * time.Second,
			answer: answer{429, `{"message":"Too Many Requests"}`, map[string]string{"x-sib-ratelimit-limit": "36000", "x-sib-ratelimit-remaining": "0", "x-sib-ratelimit-reset": "7"}}},
		{name: "429 without headers on contacts", kind: httpx.KindRateLimited, retryAfter: time.Second,
			answer: answer{429, ``, nil}},
		{name: "429 without headers on processes", kind: httpx.KindRateLimited, retryAfter: time.Minute,
			answer: answer{429, `{"message":"Too Many Requests"}`, nil},
			call:   func(c *brevo.Client) error { _, err := c.GetProcess(context.Background(), 1); return err }},
		{name: "500", kind: httpx.KindTransient, answer: answer{500, `{"code":"internal","message":"boom"}`, nil}},
		{name: "524 origin time-out with html", kind: httpx.KindTransient, answer: answer{524, `<html>timeout</html>`, nil}},
		{name: "other 400", kind: httpx.KindValidation, message: "Invalid date format for attribute DOB",
			answer: answer{400, `{"code":"invalid_parameter","message":"Invalid date format for attribute DOB"}`, nil}},
		{name: "missing parameter", kind: httpx.KindValidation,
			answer: answer{400, `{"code":"missing_parameter","message":"An email or SMS phone number is mandatory to create a new contact"}`, nil}},
		{name: "405", kind: httpx.KindPermanent,
			answer: answer{405, `{"code":"method_not_allowed","message":"not allowed to delete registered email contact"}`, nil}},
		{name: "list add: nothing to add is not an error", kind: "",
			answer: answer{400, `{"code":"invalid_parameter","message":"Contact is already present in the selected list or contact does not exist in account"}`, nil},
			call: func(c *brevo.Client) error {
				ch, err := c.AddToList(context.Background(), 1, brevo.Members{Emails: []string{"a@example.com"}})
				if err == nil && len(ch.Failure) != 1 {
					return errors.New("want the contact listed as failure")
				}
				return err
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tc.answer.headers {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tc.answer.status)
				_, _ = io.WriteString(w, tc.answer.body)
			}))
			defer srv.Close()
			c, err := brevo.New(brevo.Config{BaseURL: srv.URL + "/v3", APIKey: "k", Governor: brevo.NewGovernor(fastLimits, nil)})
			require.NoError(t, err)
			call := tc.call
			if call == nil {
				call = func(c *brevo.Client) error {
					_, err := c.UpsertContact(context.Background(), brevo.ContactUpsert{Email: "a@example.com"})
					return err
				}
			}
			err = call(c)
			if tc.kind == "" {
				require.NoError(t, err)
				return
			}
			he := requireKind(t, err, tc.kind)
			assert.Equal(t, tc.answer.status, he.Status)
			assert.Equal(t, "brevo", he.API)
			assert.NotEmpty(t, he.Op)
			if tc.fields != nil {
				assert.Equal(t, tc.fields, he.Fields)
			}
			if tc.message != "" {
				assert.Equal(t, tc.message, he.Message)
			}
			assert.Equal(t, tc.retryAfter, he.RetryAfter)
		})
	}
}

// TestGovernorKeepsBurstUnderLimit sends a burst far above a small contacts
// limit through a governor configured with that limit: every call must
// succeed without a single 429. Without the governor the sandbox would
// refuse most of the burst.
func TestGovernorKeepsBurstUnderLimit(t *testing.T) {
	const perSecond, calls = 3, 10
	gov := brevo.NewGovernor(brevo.Limits{ContactsPerSecond: perSecond, ContactsPerHour: 36_000, OtherPerHour: 100, EmailPerSecond: 1000}, nil)
	e := newEnv(t, sandbox.Options{Brevo: sandbox.BrevoOptions{ContactsPerSecond: perSecond}}, gov)

	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, calls)
	for i := 0; i < calls; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, err := e.client.UpsertContact(ctx(t), brevo.ContactUpsert{Email: "burst" + itoa(i) + "@example.com", UpdateEnabled: true})
			errs <- err
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		assert.NoError(t, err)
	}
	stats := e.sb.Brevo().Stats().Families["contacts"]
	assert.EqualValues(t, calls, stats.Calls)
	assert.Zero(t, stats.RateLimited, "the governor must keep the burst under the limit")
	// 10 calls at 3 per second need at least three full windows.
	assert.GreaterOrEqual(t, time.Since(start), 3*time.Second)

	var contacts brevo.FamilyStatus
	for _, fs := range gov.Status() {
		if fs.Family == brevo.FamilyContacts {
			contacts = fs
		}
	}
	assert.EqualValues(t, calls, contacts.Calls)
	assert.Positive(t, contacts.Waited)
	assert.Equal(t, perSecond, contacts.ServerLimit)
	assert.False(t, contacts.ObservedAt.IsZero())
}
