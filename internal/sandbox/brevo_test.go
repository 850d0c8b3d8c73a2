package sandbox_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hubspot-brevo-sync/internal/sandbox"
)

type brevoEnv struct {
	t   *testing.T
	srv *httptest.Server
	b   *sandbox.Brevo
}

func newBrevoEnv(t *testing.T, o sandbox.BrevoOptions) *brevoEnv {
	t.Helper()
	if o.ContactsPerSecond == 0 {
		o.ContactsPerSecond = 10_000
	}
	s := sandbox.New(sandbox.Options{Brevo: o})
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return &brevoEnv{t: t, srv: srv, b: s.Brevo()}
}

type brevoResp struct {
	status int
	header http.Header
	raw    []byte
	body   map[string]any
}

// call sends a request with the demo key; body may be a string (sent raw)
// or anything JSON-encodable.
func (e *brevoEnv) call(method, path string, body any) brevoResp {
	return e.callKey(sandbox.BrevoDemoKey, method, path, body)
}

func (e *brevoEnv) callKey(key, method, path string, body any) brevoResp {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		require.NoError(e.t, err)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	require.NoError(e.t, err)
	if key != "" {
		req.Header.Set("api-key", key)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := brevoResp{status: resp.StatusCode, header: resp.Header, raw: raw}
	_ = json.Unmarshal(raw, &r.body)
	return r
}

// get fetches a URL the sandbox handed out (an import report) as text.
func (e *brevoEnv) get(url string) string {
	e.t.Helper()
	resp, err := http.Get(url)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(e.t, err)
	require.Equal(e.t, http.StatusOK, resp.StatusCode, string(raw))
	return string(raw)
}

func (r brevoResp) code() string { s, _ := r.body["code"].(string); return s }
func (r brevoResp) msg() string  { s, _ := r.body["message"].(string); return s }

func TestBrevoAuth(t *testing.T) {
	e := newBrevoEnv(t, sandbox.BrevoOptions{})
	for _, key := range []string{"", "xkeysib-unknown"} {
		r := e.callKey(key, http.MethodGet, "/v3/contacts/attributes", nil)
		assert.Equal(t, http.StatusUnauthorized, r.status)
		assert.Equal(t, "unauthorized", r.code())
		assert.Equal(t, "Key not found", r.msg())
	}
	assert.EqualValues(t, 2, e.b.Stats().Unauthorized)

	e2 := newBrevoEnv(t, sandbox.BrevoOptions{APIKeys: []string{"xkeysib-mine"}})
	assert.Equal(t, http.StatusOK, e2.callKey("xkeysib-mine", http.MethodGet, "/v3/contacts/attributes", nil).status)
	assert.Equal(t, http.StatusUnauthorized, e2.call(http.MethodGet, "/v3/contacts/attributes", nil).status)
}

func TestBrevoRateLimitHeadersAnd429(t *testing.T) {
	now := time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)
	e := newBrevoEnv(t, sandbox.BrevoOptions{ContactsPerSecond: 2, OtherPerHour: 1, Now: func() time.Time { return now }})

	r := e.call(http.MethodGet, "/v3/contacts/attributes", nil)
	require.Equal(t, http.StatusOK, r.status)
	assert.Equal(t, "2", r.header.Get("x-sib-ratelimit-limit"))
	assert.Equal(t, "1", r.header.Get("x-sib-ratelimit-remaining"))
	assert.Equal(t, "1", r.header.Get("x-sib-ratelimit-reset"))
	e.call(http.MethodGet, "/v3/contacts/attributes", nil)

	r = e.call(http.MethodGet, "/v3/contacts/attributes", nil)
	require.Equal(t, http.StatusTooManyRequests, r.status)
	assert.JSONEq(t, `{"message":"Too Many Requests"}`, string(r.raw))
	assert.Empty(t, r.header.Get("Retry-After"))
	assert.Equal(t, "0", r.header.Get("x-sib-ratelimit-remaining"))
	assert.Equal(t, "1", r.header.Get("x-sib-ratelimit-reset"))

	// The other family has its own (hourly) bucket.
	r = e.call(http.MethodGet, "/v3/processes", nil)
	require.Equal(t, http.StatusOK, r.status)
	r = e.call(http.MethodGet, "/v3/processes", nil)
	require.Equal(t, http.StatusTooManyRequests, r.status)
	assert.Equal(t, "3600", r.header.Get("x-sib-ratelimit-reset"))

	// A second later the contacts window has room again.
	now = now.Add(time.Second)
	assert.Equal(t, http.StatusOK, e.call(http.MethodGet, "/v3/contacts/attributes", nil).status)

	st := e.b.Stats()
	assert.EqualValues(t, 1, st.Families["contacts"].RateLimited)
	assert.EqualValues(t, 4, st.Families["contacts"].Calls)
	assert.EqualValues(t, 1, st.Families["other"].RateLimited)
}

func TestBrevoCreateUpsertAndDuplicates(t *testing.T) {
	e := newBrevoEnv(t, sandbox.BrevoOptions{})
	r := e.call(http.MethodPost, "/v3/contacts", map[string]any{"email": "Jane@Example.com", "attributes": map[string]any{"FIRSTNAME": "Jane"}})
	require.Equal(t, http.StatusCreated, r.status, string(r.raw))
	id := r.body["id"].(float64)
	assert.Positive(t, id)

	r = e.call(http.MethodPost, "/v3/contacts", map[string]any{"email": "jane@example.com"})
	assert.Equal(t, http.StatusBadRequest, r.status)
	assert.Equal(t, "duplicate_parameter", r.code())
	assert.Equal(t, "Contact already exist", r.msg())

	r = e.call(http.MethodPost, "/v3/contacts", map[string]any{"email": "jane@example.com", "updateEnabled": true, "attributes": map[string]any{"LASTNAME": "Doe"}})
	assert.Equal(t, http.StatusNoContent, r.status)
	assert.Empty(t, r.raw)

	r = e.call(http.MethodPost, "/v3/contacts", map[string]any{"attributes": map[string]any{"FIRSTNAME": "Nobody"}})
	assert.Equal(t, http.StatusBadRequest, r.status)
	assert.Equal(t, "missing_parameter", r.code())

	// SMS-only and ext_id-only contacts are allowed.
	require.Equal(t, http.StatusCreated, e.call(http.MethodPost, "/v3/contacts", map[string]any{"attributes": map[string]any{"SMS": "+33612345678"}}).status)
	require.Equal(t, http.StatusCreated, e.call(http.MethodPost, "/v3/contacts", map[string]any{"ext_id": "hs-7"}).status)

	// Two identifiers taken at once: both are named, nothing is created.
	r = e.call(http.MethodPost, "/v3/contacts", map[string]any{"email": "new@example.com", "ext_id": "hs-7", "attributes": map[string]any{"SMS": "0033612345678"}})
	assert.Equal(t, http.StatusBadRequest, r.status)
	assert.Equal(t, "duplicate_parameter", r.code())
	assert.Equal(t, "Unable to create contact, SMS or EXT_ID are already associated with another Contact", r.msg())
	assert.Equal(t, map[string]any{"duplicate_identifiers": []any{"SMS", "EXT_ID"}}, r.body["metadata"])
	_, found := e.b.ContactByEmail("new@example.com")
	assert.False(t, found)
	assert.Len(t, e.b.Contacts(), 3)
	assert.EqualValues(t, 3, e.b.Stats().ContactsCreated)
	assert.EqualValues(t, 1, e.b.Stats().ContactsUpdated)
}

func TestBrevoAttributeValidation(t *testing.T) {
	e := newBrevoEnv(t, sandbox.BrevoOptions{})
	for _, a := range []sandbox.BrevoAttribute{
		{Name: "DOB", Category: "normal", Type: "date"},
		{Name: "VIP", Category: "normal", Type: "boolean"},
		{Name: "SCORE", Category: "normal", Type: "float"},
		{Name: "STAGE", Category: "category", Enumeration: []sandbox.BrevoEnumValue{{Value: 1, Label: "lead"}}},
		{Name: "TAGS", Category: "normal", Type: "multiple-choice", MultiCategoryOptions: []string{"a", "b"}},
	} {
		require.NoError(t, e.b.CreateAttribute(a))
	}
	cases := []struct {
		attrs map[string]any
		ok    bool
	}{
		{map[string]any{"DOB": "1984-04-05"}, true},
		{map[string]any{"DOB": "05.04.1984"}, false},
		{map[string]any{"DOB": "1984-13-05"}, false},
		{map[string]any{"DOB": "1984-04-05T00:00:00Z"}, false},
		{map[string]any{"firstname": "lower"}, false},
		{map[string]any{"Firstname": "mixed"}, false},
		{map[string]any{"NO_SUCH": "x"}, false},
		{map[string]any{"VIP": true}, true},
		{map[string]any{"VIP": "true"}, false},
		{map[string]any{"SCORE": 4.5}, true},
		{map[string]any{"SCORE": "4.5"}, false},
		{map[string]any{"STAGE": 1}, true},
		{map[string]any{"STAGE": 2}, false},
		{map[string]any{"STAGE": "lead"}, false},
		{map[string]any{"TAGS": []string{"a", "b"}}, true},
		{map[string]any{"TAGS": []string{"c"}}, false},
		{map[string]any{"TAGS": "a"}, false},
		{map[string]any{"SMS": "+4915112345678"}, true},
		{map[string]any{"SMS": "4915112345679"}, true},
		{map[string]any{"SMS": "12345"}, false},
		{map[string]any{"SMS": "+49 151 12345678"}, false},
		{map[string]any{"SMS": "12345678901234567"}, false},
	}
	for i, tc := range cases {
		email := "v" + strconv.Itoa(i) + "@example.com"
		r := e.call(http.MethodPost, "/v3/contacts", map[string]any{"email": email, "attributes": tc.attrs})
		if tc.ok {
			assert.Equal(t, http.StatusCreated, r.status, "%v: %s", tc.attrs, r.raw)
			continue
		}
		assert.Equal(t, http.StatusBadRequest, r.status, "%v", tc.attrs)
		assert.Equal(t, "invalid_parameter", r.code(), "%v", tc.attrs)
		_, found := e.b.ContactByEmail(email)
		assert.False(t, found, "%v", tc.attrs)
	}
	c, _ := e.b.ContactByEmail("v17@example.com")
	assert.Equal(t, "4915112345678", c.SMS, "stored as digits without +")
}

func TestBrevoGetAndPut(t *testing.T) {
	e := newBrevoEnv(t, sandbox.BrevoOptions{})
	id, err := e.b.AddContact(sandbox.BrevoContact{Email: "a+b@example.com", SMS: "+4915112345678", ExtID: "hs-1",
		Attributes: map[string]any{"FIRSTNAME": "A"}, EmailBlacklisted: true})
	require.NoError(t, err)

	for _, path := range []string{
		"/v3/contacts/a%2Bb%40example.com",
		"/v3/contacts/" + strconv.FormatInt(id, 10),
		"/v3/contacts/4915112345678",
		"/v3/contacts/hs-1?identifierType=ext_id",
		"/v3/contacts/%2B4915112345678?identifierType=phone_id",
		"/v3/contacts/A%2BB%40example.com?identifierType=email_id",
	} {
		r := e.call(http.MethodGet, path, nil)
		require.Equal(t, http.StatusOK, r.status, path)
		assert.EqualValues(t, id, r.body["id"], path)
		attrs := r.body["attributes"].(map[string]any)
		assert.Equal(t, "4915112345678", attrs["SMS"])
		assert.Equal(t, "hs-1", attrs["EXT_ID"])
	}
	r := e.call(http.MethodGet, "/v3/contacts/nobody@example.com", nil)
	assert.Equal(t, http.StatusNotFound, r.status)
	assert.Equal(t, "document_not_found", r.code())
	assert.Equal(t, "Contact does not exist", r.msg())

	// PUT without identifierType resolves email or id only, not SMS.
	r = e.call(http.MethodPut, "/v3/contacts/4915112345678", map[string]any{"attributes": map[string]any{"FIRSTNAME": "X"}})
	assert.Equal(t, http.StatusNotFound, r.status)

	// Changing the email of a blacklisted contact un-blacklists it.
	r = e.call(http.MethodPut, "/v3/contacts/hs-1?identifierType=ext_id", map[string]any{"attributes": map[string]any{"EMAIL": "new@example.com"}})
	require.Equal(t, http.StatusNoContent, r.status, string(r.raw))
	c, ok := e.b.ContactByExtID("hs-1")
	require.True(t, ok)
	assert.Equal(t, "new@example.com", c.Email)
	assert.False(t, c.EmailBlacklisted)

	// ... unless the same call keeps it blacklisted.
	require.Equal(t, http.StatusNoContent, e.call(http.MethodPut, "/v3/contacts/new@example.com",
		map[string]any{"emailBlacklisted": true}).status)
	require.Equal(t, http.StatusNoContent, e.call(http.MethodPut, "/v3/contacts/new@example.com",
		map[string]any{"attributes": map[string]any{"EMAIL": "newer@example.com"}, "emailBlacklisted": true}).status)
	c, _ = e.b.ContactByExtID("hs-1")
	assert.True(t, c.EmailBlacklisted)

	// Lists: add and unlink.
	require.Equal(t, http.StatusNoContent, e.call(http.MethodPut, "/v3/contacts/newer@example.com",
		map[string]any{"listIds": []int{1}}).status)
	assert.Len(t, e.b.ListMembers(1), 1)
	require.Equal(t, http.StatusNoContent, e.call(http.MethodPut, "/v3/contacts/newer@example.com",
		map[string]any{"unlinkListIds": []int{1}}).status)
	assert.Empty(t, e.b.ListMembers(1))
	r = e.call(http.MethodPut, "/v3/contacts/newer@example.com", map[string]any{"listIds": []int{99}})
	assert.Equal(t, http.StatusBadRequest, r.status)
}

func TestBrevoBatchIsAllOrNothing(t *testing.T) {
	e := newBrevoEnv(t, sandbox.BrevoOptions{})
	for i, em := range []string{"a@example.com", "b@example.com"} {
		_, err := e.b.AddContact(sandbox.BrevoContact{Email: em, Attributes: map[string]any{"FIRSTNAME": "orig"}, SMS: "3361234567" + strconv.Itoa(i)})
		require.NoError(t, err)
	}
	r := e.call(http.MethodPost, "/v3/contacts/batch", map[string]any{"contacts": []map[string]any{
		{"email": "a@example.com", "attributes": map[string]any{"FIRSTNAME": "new"}},
		{"email": "x@example.com"},
		{"id": 9999},
	}})
	assert.Equal(t, http.StatusNotFound, r.status)
	assert.Equal(t, "No contact found for indexes 1,2", r.msg())

	// A conflict inside the batch undoes the items already written.
	r = e.call(http.MethodPost, "/v3/contacts/batch", map[string]any{"contacts": []map[string]any{
		{"email": "a@example.com", "attributes": map[string]any{"FIRSTNAME": "new", "SMS": "4915100000000"}},
		{"email": "b@example.com", "attributes": map[string]any{"SMS": "4915100000000"}},
	}})
	assert.Equal(t, http.StatusBadRequest, r.status)
	assert.Equal(t, "duplicate_parameter", r.code())
	a, _ := e.b.ContactByEmail("a@example.com")
	assert.Equal(t, "orig", a.Attributes["FIRSTNAME"])
	assert.Equal(t, "33612345670", a.SMS)

	r = e.call(http.MethodPost, "/v3/contacts/batch", map[string]any{"contacts": []map[string]any{{"email": "a@example.com", "id": 1}}})
	assert.Equal(t, http.StatusBadRequest, r.status)

	r = e.call(http.MethodPost, "/v3/contacts/batch", map[string]any{"contacts": []map[string]any{
		{"email": "a@example.com", "attributes": map[string]any{"FIRSTNAME": "new"}},
		{"sms": "+33612345671", "ext_id": "hs-b"},
	}})
	require.Equal(t, http.StatusNoContent, r.status, string(r.raw))
	a, _ = e.b.ContactByEmail("a@example.com")
	assert.Equal(t, "new", a.Attributes["FIRSTNAME"])
	b, ok := e.b.ContactByExtID("hs-b")
	require.True(t, ok)
	assert.Equal(t, "b@example.com", b.Email)
}

func TestBrevoListLimits(t *testing.T) {
	e := newBrevoEnv(t, sandbox.BrevoOptions{})
	assert.Equal(t, http.StatusOK, e.call(http.MethodGet, "/v3/contacts/lists?limit=50", nil).status)
	r := e.call(http.MethodGet, "/v3/contacts/lists?limit=51", nil)
	assert.Equal(t, http.StatusBadRequest, r.status)
	assert.Equal(t, http.StatusBadRequest, e.call(http.MethodGet, "/v3/contacts/folders?limit=51", nil).status)
	assert.Equal(t, http.StatusBadRequest, e.call(http.MethodGet, "/v3/contacts/lists/1/contacts?limit=501", nil).status)
	assert.Equal(t, http.StatusOK, e.call(http.MethodGet, "/v3/contacts/lists/1/contacts?limit=500", nil).status)
	assert.Equal(t, http.StatusBadRequest, e.call(http.MethodGet, "/v3/processes?limit=51", nil).status)

	ids := make([]int64, 151)
	for i := range ids {
		id, err := e.b.AddContact(sandbox.BrevoContact{Email: "m" + strconv.Itoa(i) + "@example.com"})
		require.NoError(t, err)
		ids[i] = id
	}
	r = e.call(http.MethodPost, "/v3/contacts/lists/1/contacts/add", map[string]any{"ids": ids})
	assert.Equal(t, http.StatusBadRequest, r.status)
	assert.Equal(t, "invalid_parameter", r.code())
	assert.Empty(t, e.b.ListMembers(1))

	r = e.call(http.MethodPost, "/v3/contacts/lists/1/contacts/add", map[string]any{"ids": ids[:150]})
	require.Equal(t, http.StatusCreated, r.status)
	assert.Len(t, r.body["contacts"].(map[string]any)["success"], 150)
	assert.Len(t, e.b.ListMembers(1), 150)

	assert.Equal(t, http.StatusBadRequest, e.call(http.MethodPost, "/v3/contacts/lists/1/contacts/add", map[string]any{"ids": []int64{}}).status)
	assert.Equal(t, http.StatusBadRequest, e.call(http.MethodPost, "/v3/contacts/lists/1/contacts/add",
		map[string]any{"ids": ids[:1], "emails": []string{"m1@example.com"}}).status)
	r = e.call(http.MethodPost, "/v3/contacts/lists/77/contacts/add", map[string]any{"ids": ids[:1]})
	assert.Equal(t, http.StatusNotFound, r.status)
	assert.Equal(t, "document_not_found", r.code())

	r = e.call(http.MethodPost, "/v3/contacts/lists/1/contacts/remove", map[string]any{"emails": []string{"m0@example.com", "ghost@example.com"}})
	require.Equal(t, http.StatusCreated, r.status)
	assert.Equal(t, map[string]any{"success": []any{"m0@example.com"}, "failure": []any{"ghost@example.com"}}, r.body["contacts"])

	r = e.call(http.MethodGet, "/v3/contacts/lists/1/contacts?limit=10&sort=asc", nil)
	require.Equal(t, http.StatusOK, r.status)
	assert.EqualValues(t, 149, r.body["count"])
	assert.Len(t, r.body["contacts"], 10)

	r = e.call(http.MethodPost, "/v3/contacts/lists", map[string]any{"name": "no folder"})
	assert.Equal(t, http.StatusBadRequest, r.status)
	assert.Equal(t, "missing_parameter", r.code())
	r = e.call(http.MethodPost, "/v3/contacts/lists", map[string]any{"name": "HubSpot: all", "folderId": 1})
	require.Equal(t, http.StatusCreated, r.status)
	assert.EqualValues(t, 2, r.body["id"])
}

func TestBrevoAttributeCreation(t *testing.T) {
	e := newBrevoEnv(t, sandbox.BrevoOptions{})
	assert.Equal(t, http.StatusCreated, e.call(http.MethodPost, "/v3/contacts/attributes/normal/COMPANY", map[string]any{"type": "text"}).status)
	r := e.call(http.MethodPost, "/v3/contacts/attributes/normal/COMPANY", map[string]any{"type": "text"})
	assert.Equal(t, http.StatusBadRequest, r.status)
	assert.Contains(t, r.msg(), "already exist")
	assert.Equal(t, http.StatusBadRequest, e.call(http.MethodPost, "/v3/contacts/attributes/normal/BAD-NAME", map[string]any{"type": "text"}).status)
	assert.Equal(t, http.StatusBadRequest, e.call(http.MethodPost, "/v3/contacts/attributes/normal/X", map[string]any{"type": "shape"}).status)
	assert.Equal(t, http.StatusBadRequest, e.call(http.MethodPost, "/v3/contacts/attributes/category/STAGE", map[string]any{}).status)
	assert.Equal(t, http.StatusBadRequest, e.call(http.MethodPost, "/v3/contacts/attributes/normal/TAGS", map[string]any{"type": "multiple-choice"}).status)
	assert.Equal(t, http.StatusCreated, e.call(http.MethodPost, "/v3/contacts/attributes/category/STAGE",
		map[string]any{"type": "category", "enumeration": []map[string]any{{"value": 1, "label": "lead"}}}).status)

	r = e.call(http.MethodGet, "/v3/contacts/attributes", nil)
	require.Equal(t, http.StatusOK, r.status)
	var names []string
	for _, a := range r.body["attributes"].([]any) {
		names = append(names, a.(map[string]any)["name"].(string))
	}
	assert.Equal(t, []string{"EMAIL", "SMS", "FIRSTNAME", "LASTNAME", "EXT_ID", "COMPANY", "STAGE"}, names)
}

func TestBrevoImport(t *testing.T) {
	now := time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	e := newBrevoEnv(t, sandbox.BrevoOptions{ImportDelay: time.Minute, ImportMaxBytes: 4096, Now: clock})
	_, err := e.b.AddContact(sandbox.BrevoContact{Email: "old@example.com", Attributes: map[string]any{"FIRSTNAME": "Old"}, SMS: "33600000001"})
	require.NoError(t, err)

	r := e.call(http.MethodPost, "/v3/contacts/import", map[string]any{
		"jsonBody": []map[string]any{
			{"email": "old@example.com", "attributes": map[string]any{"FIRSTNAME": "Updated", "UNKNOWN": "dropped"}},
			{"email": "new@example.com", "attributes": map[string]any{"EXT_ID": "hs-9", "SMS": "+33600000001"}},
			{"email": "bad@", "attributes": map[string]any{"FIRSTNAME": "Bad"}},
			{"email": "dup@example.com"},
			{"email": "DUP@example.com"},
		},
		"listIds": []int{1},
	})
	require.Equal(t, http.StatusAccepted, r.status, string(r.raw))
	pid := int64(r.body["processId"].(float64))

	r = e.call(http.MethodGet, "/v3/processes/"+strconv.FormatInt(pid, 10), nil)
	require.Equal(t, http.StatusOK, r.status)
	assert.Equal(t, "queued", r.body["status"])
	now = now.Add(30 * time.Second)
	r = e.call(http.MethodGet, "/v3/processes/"+strconv.FormatInt(pid, 10), nil)
	assert.Equal(t, "processing", r.body["status"])
	assert.Len(t, e.b.Contacts(), 1, "nothing applied before the process completes")

	now = now.Add(31 * time.Second)
	r = e.call(http.MethodGet, "/v3/processes/"+strconv.FormatInt(pid, 10), nil)
	assert.Equal(t, "completed", r.body["status"])
	imp := r.body["info"].(map[string]any)["import"].(map[string]any)
	assert.Contains(t, imp["duplicate_email_id"], "/_sandbox/brevo/processes/", "a URL by default, as the v4 Python SDK types it")
	assert.Contains(t, e.get(imp["duplicate_email_id"].(string)), "dup@example.com")
	assert.EqualValues(t, 1, imp["duplicate_phone_id"], "new@example.com brings an SMS another contact has")
	assert.Contains(t, e.get(imp["invalid_emails"].(string)), "bad@")
	assert.EqualValues(t, 0, imp["duplicate_ext_id"])

	old, _ := e.b.ContactByEmail("old@example.com")
	assert.Equal(t, "Updated", old.Attributes["FIRSTNAME"])
	assert.NotContains(t, old.Attributes, "UNKNOWN")
	_, found := e.b.ContactByEmail("new@example.com")
	assert.False(t, found, "a row clashing with another contact's SMS is skipped")
	_, found = e.b.ContactByEmail("dup@example.com")
	assert.True(t, found)
	assert.Len(t, e.b.ListMembers(1), 2)

	// updateExistingContacts=false leaves existing contacts' attributes.
	r = e.call(http.MethodPost, "/v3/contacts/import", map[string]any{
		"jsonBody": []map[string]any{{"email": "old@example.com", "attributes": map[string]any{"FIRSTNAME": "Again"}}},
		"listIds":  []int{1}, "updateExistingContacts": false,
	})
	require.Equal(t, http.StatusAccepted, r.status)
	now = now.Add(2 * time.Minute)
	old, _ = e.b.ContactByEmail("old@example.com")
	assert.Equal(t, "Updated", old.Attributes["FIRSTNAME"])

	// Body limits and shape.
	r = e.call(http.MethodPost, "/v3/contacts/import", `{"jsonBody":[{"email":"`+strings.Repeat("x", 5000)+`@example.com"}],"listIds":[1]}`)
	assert.Equal(t, http.StatusBadRequest, r.status)
	assert.Equal(t, "invalid_parameter", r.code())
	assert.Equal(t, http.StatusBadRequest, e.call(http.MethodPost, "/v3/contacts/import", map[string]any{"listIds": []int{1}}).status)
	assert.Equal(t, http.StatusBadRequest, e.call(http.MethodPost, "/v3/contacts/import",
		map[string]any{"jsonBody": []any{}, "fileBody": "EMAIL\na@example.com", "listIds": []int{1}}).status)
	assert.Equal(t, http.StatusBadRequest, e.call(http.MethodPost, "/v3/contacts/import",
		map[string]any{"fileBody": "EMAIL\na@example.com"}).status, "listIds or newList required")

	// fileBody CSV with a new list.
	r = e.call(http.MethodPost, "/v3/contacts/import", map[string]any{
		"fileBody": "EMAIL;FIRSTNAME\ncsv@example.com;Csv", "newList": map[string]any{"listName": "Imported", "folderId": 1}})
	require.Equal(t, http.StatusAccepted, r.status, string(r.raw))
	now = now.Add(2 * time.Minute)
	csv, found := e.b.ContactByEmail("csv@example.com")
	require.True(t, found)
	assert.Equal(t, "Csv", csv.Attributes["FIRSTNAME"])
	assert.Len(t, e.b.Lists(), 2)

	r = e.call(http.MethodGet, "/v3/processes/424242", nil)
	assert.Equal(t, http.StatusNotFound, r.status)
	assert.Equal(t, "processId is invalid", r.msg())
	r = e.call(http.MethodGet, "/v3/processes?limit=2&offset=0", nil)
	require.Equal(t, http.StatusOK, r.status)
	assert.EqualValues(t, 3, r.body["count"])
	assert.Len(t, r.body["processes"], 2)
}

func TestBrevoSendEmail(t *testing.T) {
	e := newBrevoEnv(t, sandbox.BrevoOptions{})
	good := map[string]any{
		"sender": map[string]any{"email": "sync@example.com"}, "to": []map[string]any{{"email": "ops@example.com"}},
		"subject": "Quota", "textContent": "80%", "headers": map[string]any{"idempotencyKey": "k1"},
	}
	r := e.call(http.MethodPost, "/v3/smtp/email", good)
	require.Equal(t, http.StatusCreated, r.status, string(r.raw))
	id := r.body["messageId"]
	assert.NotEmpty(t, id)
	r = e.call(http.MethodPost, "/v3/smtp/email", good)
	assert.Equal(t, id, r.body["messageId"])
	assert.Len(t, e.b.Emails(), 1)

	for name, mutate := range map[string]func(m map[string]any){
		"no sender":  func(m map[string]any) { delete(m, "sender") },
		"bad to":     func(m map[string]any) { m["to"] = []map[string]any{{"email": "nope"}} },
		"no to":      func(m map[string]any) { delete(m, "to") },
		"no subject": func(m map[string]any) { delete(m, "subject") },
		"no content": func(m map[string]any) { delete(m, "textContent") },
	} {
		m := map[string]any{}
		for k, v := range good {
			m[k] = v
		}
		delete(m, "headers")
		mutate(m)
		assert.Equal(t, http.StatusBadRequest, e.call(http.MethodPost, "/v3/smtp/email", m).status, name)
	}
	assert.Len(t, e.b.Emails(), 1)
}

func TestBrevoAdminEndpoints(t *testing.T) {
	e := newBrevoEnv(t, sandbox.BrevoOptions{})
	_, err := e.b.AddContact(sandbox.BrevoContact{Email: "a@example.com", ListIDs: []int64{1}})
	require.NoError(t, err)

	resp, err := http.Get(e.srv.URL + "/_sandbox/brevo/state")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var st sandbox.BrevoState
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&st))
	require.Len(t, st.Folders, 1)
	assert.Equal(t, "HubSpot sync", st.Folders[0].Name)
	require.Len(t, st.Lists, 1)
	assert.Equal(t, "Newsletter", st.Lists[0].Name)
	assert.Equal(t, 1, st.Lists[0].Members)
	assert.Len(t, st.Contacts, 1)
	assert.NotEmpty(t, st.Attributes)

	e.call(http.MethodGet, "/v3/contacts/attributes", nil)
	resp2, err := http.Get(e.srv.URL + "/_sandbox/brevo/stats")
	require.NoError(t, err)
	defer resp2.Body.Close()
	var stats sandbox.BrevoStats
	require.NoError(t, json.NewDecoder(resp2.Body).Decode(&stats))
	assert.EqualValues(t, 1, stats.Endpoints["GET /v3/contacts/attributes"])
	assert.EqualValues(t, 1, stats.Families["contacts"].Calls)

	// Unknown API routes answer in Brevo's error shape.
	r := e.call(http.MethodDelete, "/v3/webhooks/1", nil)
	assert.Equal(t, http.StatusNotFound, r.status)
	assert.NotEmpty(t, r.code())
}

// When nothing of a list change can be applied, Brevo answers 400 with its
// own wording; a partial change keeps the 201 with success and failure.
func TestBrevoListChangeWithNothingToDoIs400(t *testing.T) {
	e := newBrevoEnv(t, sandbox.BrevoOptions{})
	_, err := e.b.AddContact(sandbox.BrevoContact{Email: "in@example.com", ListIDs: []int64{1}})
	require.NoError(t, err)

	r := e.call(http.MethodPost, "/v3/contacts/lists/1/contacts/remove", map[string]any{"emails": []string{"ghost@example.com"}})
	assert.Equal(t, http.StatusBadRequest, r.status)
	assert.Equal(t, map[string]any{"code": "invalid_parameter", "message": "Contact already removed from list and/or does not exist"}, r.body)

	r = e.call(http.MethodPost, "/v3/contacts/lists/1/contacts/add", map[string]any{"emails": []string{"in@example.com", "ghost@example.com"}})
	assert.Equal(t, http.StatusBadRequest, r.status)
	assert.Equal(t, map[string]any{"code": "invalid_parameter", "message": "Contact already in list and/or does not exist"}, r.body)

	r = e.call(http.MethodPost, "/v3/contacts/lists/1/contacts/remove", map[string]any{"emails": []string{"in@example.com", "ghost@example.com"}})
	require.Equal(t, http.StatusCreated, r.status)
	assert.Equal(t, map[string]any{"success": []any{"in@example.com"}, "failure": []any{"ghost@example.com"}}, r.body["contacts"])
	assert.Empty(t, e.b.ListMembers(1))
}

// importDone posts a two-row import with a duplicate and lets it complete.
func importDone(t *testing.T, o sandbox.BrevoOptions) (*brevoEnv, string) {
	now := time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)
	o.Now = func() time.Time { return now }
	o.ImportDelay = 3 * time.Second
	e := newBrevoEnv(t, o)
	r := e.call(http.MethodPost, "/v3/contacts/import", map[string]any{
		"jsonBody": []map[string]any{{"email": "a@example.com"}, {"email": "A@example.com"}}, "listIds": []int{1}})
	require.Equal(t, http.StatusAccepted, r.status, string(r.raw))
	pid := strconv.FormatInt(int64(r.body["processId"].(float64)), 10)
	now = now.Add(2 * time.Second)
	r = e.call(http.MethodGet, "/v3/processes/"+pid, nil)
	if o.LegacyProcessStatus {
		assert.Equal(t, "in_process", r.body["status"])
	} else {
		assert.Equal(t, "processing", r.body["status"])
	}
	now = now.Add(2 * time.Second)
	return e, pid
}

func TestBrevoProcessVariants(t *testing.T) {
	t.Run("list items without info by default", func(t *testing.T) {
		e, pid := importDone(t, sandbox.BrevoOptions{})
		r := e.call(http.MethodGet, "/v3/processes", nil)
		item := r.body["processes"].([]any)[0].(map[string]any)
		assert.Equal(t, "completed", item["status"])
		assert.NotContains(t, item, "info")
		r = e.call(http.MethodGet, "/v3/processes/"+pid, nil)
		assert.Contains(t, r.body, "info")
	})
	t.Run("list items with info", func(t *testing.T) {
		e, _ := importDone(t, sandbox.BrevoOptions{ProcessListInfo: true, LegacyProcessStatus: true})
		r := e.call(http.MethodGet, "/v3/processes", nil)
		assert.Contains(t, r.body["processes"].([]any)[0], "info")
	})
	t.Run("report as counts", func(t *testing.T) {
		e, pid := importDone(t, sandbox.BrevoOptions{ImportReportValues: sandbox.BrevoReportCounts})
		imp := e.call(http.MethodGet, "/v3/processes/"+pid, nil).body["info"].(map[string]any)["import"].(map[string]any)
		assert.EqualValues(t, 1, imp["duplicate_email_id"])
		assert.EqualValues(t, 0, imp["invalid_emails"])
	})
	t.Run("report as URLs", func(t *testing.T) {
		e, pid := importDone(t, sandbox.BrevoOptions{ImportReportValues: sandbox.BrevoReportURLs})
		imp := e.call(http.MethodGet, "/v3/processes/"+pid, nil).body["info"].(map[string]any)["import"].(map[string]any)
		assert.Contains(t, e.get(imp["duplicate_email_id"].(string)), "a@example.com")
		assert.Nil(t, imp["duplicate_phone_id"])
		assert.Contains(t, imp, "duplicate_phone_id")
	})
	t.Run("failed import", func(t *testing.T) {
		e, pid := importDone(t, sandbox.BrevoOptions{ImportOutcome: sandbox.BrevoImportFailed})
		r := e.call(http.MethodGet, "/v3/processes/"+pid, nil)
		assert.Equal(t, "failed", r.body["status"])
		assert.NotEmpty(t, r.body["error"])
		assert.NotContains(t, r.body, "info")
		assert.Empty(t, e.b.Contacts())
	})
	assert.Error(t, sandbox.BrevoOptions{ImportConflicts: "merged"}.Validate())
	assert.NoError(t, sandbox.BrevoOptions{ImportOutcome: "cancelled"}.Validate())
}

// runImport posts rows to list 1 and lets the import complete.
func runImport(t *testing.T, o sandbox.BrevoOptions, seed []sandbox.BrevoContact, rows ...map[string]any) (*brevoEnv, sandbox.BrevoProcess) {
	t.Helper()
	o.ImportDelay = -1
	o.ImportReportValues = sandbox.BrevoReportCounts
	e := newBrevoEnv(t, o)
	for _, c := range seed {
		_, err := e.b.AddContact(c)
		require.NoError(t, err)
	}
	r := e.call(http.MethodPost, "/v3/contacts/import", map[string]any{"jsonBody": rows, "listIds": []int{1}})
	require.Equal(t, http.StatusAccepted, r.status, string(r.raw))
	ps := e.b.Processes()
	require.Equal(t, "completed", ps[len(ps)-1].Status)
	return e, ps[len(ps)-1]
}

func TestBrevoImportExtIDVariants(t *testing.T) {
	row := map[string]any{"email": "new@example.com", "attributes": map[string]any{"EXT_ID": "hs-7"}}
	e, _ := runImport(t, sandbox.BrevoOptions{}, nil, row)
	c, ok := e.b.ContactByEmail("new@example.com")
	require.True(t, ok)
	assert.Empty(t, c.ExtID, "dropped like an unknown attribute by default")
	_, ok = e.b.ContactByExtID("hs-7")
	assert.False(t, ok)

	e, _ = runImport(t, sandbox.BrevoOptions{ImportKeepsExtID: true}, nil, row)
	c, ok = e.b.ContactByExtID("hs-7")
	require.True(t, ok)
	assert.Equal(t, "new@example.com", c.Email)

	// In a file import EXT_ID is a documented column, kept either way.
	e = newBrevoEnv(t, sandbox.BrevoOptions{ImportDelay: -1})
	r := e.call(http.MethodPost, "/v3/contacts/import", map[string]any{"fileBody": "EMAIL;EXT_ID\nfile@example.com;hs-8", "listIds": []int{1}})
	require.Equal(t, http.StatusAccepted, r.status, string(r.raw))
	c, ok = e.b.ContactByExtID("hs-8")
	require.True(t, ok)
	assert.Equal(t, "file@example.com", c.Email)
}

func TestBrevoImportConflictVariants(t *testing.T) {
	seed := []sandbox.BrevoContact{
		{ExtID: "hs-1", Email: "a@example.com"},
		{Email: "b@example.com", SMS: "33600000002", ListIDs: []int64{1}},
	}
	// The row's EXT_ID is A's, its email B's.
	byExt := map[string]any{"email": "b@example.com", "attributes": map[string]any{"EXT_ID": "hs-1", "FIRSTNAME": "Row"}}
	// The row's email is A's, its SMS B's.
	bySMS := map[string]any{"email": "a@example.com", "attributes": map[string]any{"SMS": "+33600000002", "FIRSTNAME": "Row"}}

	t.Run("merge keeps the EXT_ID contact and deletes the email one", func(t *testing.T) {
		e, p := runImport(t, sandbox.BrevoOptions{ImportKeepsExtID: true}, seed, byExt)
		a, ok := e.b.ContactByExtID("hs-1")
		require.True(t, ok)
		assert.Equal(t, "b@example.com", a.Email)
		assert.Equal(t, "Row", a.Attributes["FIRSTNAME"])
		assert.Len(t, e.b.Contacts(), 1)
		assert.Equal(t, 1, p.Merged)
		assert.EqualValues(t, 1, e.b.Stats().ContactsDeleted)
		assert.EqualValues(t, 0, p.Info["import"].(map[string]any)["duplicate_email_id"])
	})
	t.Run("merge keeps the email contact and deletes the SMS one", func(t *testing.T) {
		e, _ := runImport(t, sandbox.BrevoOptions{}, seed, bySMS)
		a, ok := e.b.ContactByEmail("a@example.com")
		require.True(t, ok)
		assert.Equal(t, "33600000002", a.SMS)
		assert.Equal(t, "hs-1", a.ExtID)
		_, ok = e.b.ContactByEmail("b@example.com")
		assert.False(t, ok)
	})
	t.Run("duplicate refuses the rows", func(t *testing.T) {
		o := sandbox.BrevoOptions{ImportKeepsExtID: true, ImportConflicts: sandbox.BrevoConflictsDuplicate}
		e, p := runImport(t, o, seed, byExt, bySMS)
		assert.Len(t, e.b.Contacts(), 2)
		a, _ := e.b.ContactByExtID("hs-1")
		assert.Equal(t, "a@example.com", a.Email)
		assert.NotContains(t, a.Attributes, "FIRSTNAME")
		imp := p.Info["import"].(map[string]any)
		assert.EqualValues(t, 1, imp["duplicate_email_id"])
		assert.EqualValues(t, 1, imp["duplicate_phone_id"])
		assert.Zero(t, p.Merged)
	})
	t.Run("a new contact never takes another's SMS", func(t *testing.T) {
		row := map[string]any{"email": "c@example.com", "attributes": map[string]any{"SMS": "33600000002"}}
		e, p := runImport(t, sandbox.BrevoOptions{}, seed, row)
		assert.Len(t, e.b.Contacts(), 2)
		assert.EqualValues(t, 1, p.Info["import"].(map[string]any)["duplicate_phone_id"])
	})
}

func TestBrevoVariantsCoverEveryCombination(t *testing.T) {
	vs := sandbox.BrevoVariants()
	require.Len(t, vs, 9)
	assert.Equal(t, "extid=dropped,info=absent,conflicts=merge", vs[0].Name, "the defaults first")
	seen := map[string]bool{}
	for _, v := range vs {
		o := v.Apply(sandbox.BrevoOptions{ContactsPerSecond: 5})
		assert.Equal(t, 5, o.ContactsPerSecond, "other options are kept")
		key := fmt.Sprint(o.ImportKeepsExtID, o.ProcessListInfo, o.ImportConflicts, o.ImportUnblocklists)
		assert.False(t, seen[key], v.Name)
		seen[key] = true
		assert.Contains(t, v.Name, "conflicts="+o.ImportConflicts)
	}
}

func TestBrevoContactListings(t *testing.T) {
	now := time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)
	e := newBrevoEnv(t, sandbox.BrevoOptions{Now: func() time.Time { return now }})
	_, err := e.b.AddContact(sandbox.BrevoContact{Email: "a@example.com", ExtID: "hs-1", SMS: "+33600000001", ListIDs: []int64{1}})
	require.NoError(t, err)
	now = now.Add(time.Hour)
	_, err = e.b.AddContact(sandbox.BrevoContact{Email: "b@example.com"})
	require.NoError(t, err)

	r := e.call(http.MethodGet, "/v3/contacts?limit=1000&sort=asc", nil)
	require.Equal(t, http.StatusOK, r.status, string(r.raw))
	assert.EqualValues(t, 2, r.body["count"])
	first := r.body["contacts"].([]any)[0].(map[string]any)
	assert.Equal(t, map[string]any{"SMS": "33600000001", "EXT_ID": "hs-1"}, first["attributes"])
	for _, k := range []string{"id", "email", "emailBlacklisted", "smsBlacklisted", "listIds", "createdAt", "modifiedAt"} {
		assert.Contains(t, first, k)
	}
	assert.NotContains(t, first, "statistics")
	assert.Equal(t, "2026-05-04T10:00:00.000Z", first["modifiedAt"])

	count := func(query string) any { return e.call(http.MethodGet, "/v3/contacts?"+query, nil).body["count"] }
	assert.EqualValues(t, 1, count("listIds=1"))
	assert.EqualValues(t, 1, count("listIds[0]=1"))
	assert.EqualValues(t, 1, count("modifiedSince="+url.QueryEscape("2026-05-04T10:30:00.000Z")))
	assert.EqualValues(t, 1, count("modifiedSince="+url.QueryEscape("2026-05-04T12:30:00.000+02:00")))
	assert.EqualValues(t, 2, count("createdSince=2026-05-04T10:00:00.000Z"))
	assert.EqualValues(t, 0, e.call(http.MethodGet, "/v3/contacts/lists/1/contacts?modifiedSince=2026-05-04T10:30:00.000Z", nil).body["count"])
	assert.Equal(t, http.StatusBadRequest, e.call(http.MethodGet, "/v3/contacts?limit=1001", nil).status)
	assert.Equal(t, http.StatusBadRequest, e.call(http.MethodGet, "/v3/contacts?modifiedSince=yesterday", nil).status)
	assert.Equal(t, http.StatusNotFound, e.call(http.MethodGet, "/v3/contacts?listIds=77", nil).status)

	r = e.call(http.MethodDelete, "/v3/contacts/hs-1?identifierType=ext_id", nil)
	assert.Equal(t, http.StatusNoContent, r.status)
	assert.Equal(t, http.StatusNotFound, e.call(http.MethodDelete, "/v3/contacts/hs-1?identifierType=ext_id", nil).status)
	assert.Len(t, e.b.Contacts(), 1)
	assert.EqualValues(t, 1, e.b.Stats().ContactsDeleted)

	top := newBrevoEnv(t, sandbox.BrevoOptions{ContactExtIDTopLevel: true})
	_, err = top.b.AddContact(sandbox.BrevoContact{Email: "a@example.com", ExtID: "hs-1"})
	require.NoError(t, err)
	r = top.call(http.MethodGet, "/v3/contacts/hs-1?identifierType=ext_id", nil)
	assert.Equal(t, "hs-1", r.body["ext_id"])
	assert.NotContains(t, r.body["attributes"], "EXT_ID")
}

// Tests put hand-made contacts into Brevo (as somebody using Brevo's UI
// would) and look them up by any identifier.
func TestBrevoAdminContacts(t *testing.T) {
	e := newBrevoEnv(t, sandbox.BrevoOptions{})
	post := func(c map[string]any) brevoResp {
		return e.callKey("", http.MethodPost, "/_sandbox/brevo/contacts", c)
	}
	r := post(map[string]any{"email": "Only@Example.com"})
	require.Equal(t, http.StatusCreated, r.status, string(r.raw))
	r = post(map[string]any{"sms": "+33600000001"})
	require.Equal(t, http.StatusCreated, r.status, string(r.raw))
	smsOnly := int64(r.body["id"].(float64))
	r = post(map[string]any{"email": "both@example.com", "sms": "0033600000002", "attributes": map[string]any{"FIRSTNAME": "Both"}})
	require.Equal(t, http.StatusCreated, r.status, string(r.raw))
	assert.Equal(t, http.StatusBadRequest, post(map[string]any{"sms": "33600000002"}).status, "the number is taken")
	assert.Equal(t, http.StatusBadRequest, post(map[string]any{"emial": "typo@example.com"}).status, "unknown fields are refused")

	var all []sandbox.BrevoContact
	require.NoError(t, json.Unmarshal(e.callKey("", http.MethodGet, "/_sandbox/brevo/contacts", nil).raw, &all))
	require.Len(t, all, 3)
	assert.Equal(t, "only@example.com", all[0].Email)
	assert.Empty(t, all[2].ExtID)

	lookup := func(query string) []sandbox.BrevoContact {
		var out []sandbox.BrevoContact
		require.NoError(t, json.Unmarshal(e.callKey("", http.MethodGet, "/_sandbox/brevo/contacts?"+query, nil).raw, &out))
		return out
	}
	require.Len(t, lookup("sms="+url.QueryEscape("+33600000002")), 1)
	assert.Equal(t, "Both", lookup("email=both@example.com")[0].Attributes["FIRSTNAME"])
	assert.Empty(t, lookup("ext_id=hs-1"))

	c, ok := e.b.ContactBySMS("0033600000001")
	require.True(t, ok)
	assert.Equal(t, smsOnly, c.ID)
	_, ok = e.b.ContactByID(smsOnly)
	assert.True(t, ok)
	assert.Equal(t, http.StatusNoContent, e.callKey("", http.MethodDelete, "/_sandbox/brevo/contacts/"+strconv.FormatInt(smsOnly, 10), nil).status)
	_, ok = e.b.ContactBySMS("33600000001")
	assert.False(t, ok, "deleted, its number freed")
	assert.Equal(t, http.StatusNotFound, e.callKey("", http.MethodDelete, "/_sandbox/brevo/contacts/"+strconv.FormatInt(smsOnly, 10), nil).status)
}

func TestBrevoAccountAndSendersCarryRateHeaders(t *testing.T) {
	e := newBrevoEnv(t, sandbox.BrevoOptions{OtherPerHour: 3})
	r := e.call(http.MethodGet, "/v3/account", nil)
	require.Equal(t, http.StatusOK, r.status)
	assert.Equal(t, "free", r.body["plan"].([]any)[0].(map[string]any)["type"])
	assert.Equal(t, "3", r.header.Get("x-sib-ratelimit-limit"))
	assert.Equal(t, "2", r.header.Get("x-sib-ratelimit-remaining"))
	r = e.call(http.MethodGet, "/v3/senders", nil)
	require.Equal(t, http.StatusOK, r.status)
	assert.Equal(t, true, r.body["senders"].([]any)[0].(map[string]any)["active"])
	assert.Equal(t, "1", r.header.Get("x-sib-ratelimit-remaining"))
	r = e.call(http.MethodGet, "/v3/contacts/attributes", nil)
	assert.Equal(t, "10000", r.header.Get("x-sib-ratelimit-limit"), "contacts calls show the contacts limit")
}

// The help center's example: an SMS-only contact re-imported with an email
// is the same person and gains the email.
func TestBrevoImportCompletesAnSMSOnlyContact(t *testing.T) {
	seed := []sandbox.BrevoContact{{SMS: "33600000003"}}
	row := map[string]any{"email": "sms@example.com", "attributes": map[string]any{"SMS": "+33600000003"}}
	for _, conflicts := range []string{sandbox.BrevoConflictsMerge, sandbox.BrevoConflictsDuplicate} {
		e, p := runImport(t, sandbox.BrevoOptions{ImportConflicts: conflicts}, seed, row)
		c, ok := e.b.ContactBySMS("33600000003")
		require.True(t, ok)
		assert.Equal(t, "sms@example.com", c.Email, conflicts)
		assert.Len(t, e.b.Contacts(), 1)
		assert.EqualValues(t, 0, p.Info["import"].(map[string]any)["duplicate_phone_id"])
	}
}

// TestBrevoImportUnblocklistsVariant: by default an import leaves the
// blocklisting of the contacts it updates alone; with ImportUnblocklists
// it clears it. An import's emailBlacklist true blocklists either way.
func TestBrevoImportUnblocklistsVariant(t *testing.T) {
	seed := []sandbox.BrevoContact{{Email: "a@example.com", EmailBlacklisted: true}}
	row := map[string]any{"email": "a@example.com", "attributes": map[string]any{"FIRSTNAME": "A"}}
	for _, clears := range []bool{false, true} {
		e, _ := runImport(t, sandbox.BrevoOptions{ImportUnblocklists: clears}, seed, row)
		c, ok := e.b.ContactByEmail("a@example.com")
		require.True(t, ok)
		assert.Equal(t, "A", c.Attributes["FIRSTNAME"])
		assert.Equal(t, !clears, c.EmailBlacklisted, "ImportUnblocklists %v", clears)
	}
}
