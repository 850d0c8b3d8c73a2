package sandbox_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hubspot-brevo-sync/internal/clocktest"
	"hubspot-brevo-sync/internal/sandbox"
)

// newHSClock is a settable clock for the emulator.
func newHSClock() *clocktest.Clock {
	return clocktest.New(time.Date(2026, 5, 4, 12, 0, 0, 0, time.UTC))
}

// hsEnv is a sandbox behind an HTTP server with a fixed clock.
type hsEnv struct {
	t     *testing.T
	srv   *sandbox.Server
	http  *httptest.Server
	clock *clocktest.Clock
}

func newHSEnv(t *testing.T, o sandbox.HubSpotOptions) *hsEnv {
	t.Helper()
	clock := newHSClock()
	if o.Now == nil {
		o.Now = clock.Now
	}
	srv := sandbox.New(sandbox.Options{HubSpot: o})
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	return &hsEnv{t: t, srv: srv, http: hs, clock: clock}
}

type hsResponse struct {
	status int
	header http.Header
	body   map[string]any
	raw    []byte
}

func (e *hsEnv) call(method, path, token string, body any) hsResponse {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(e.t, err)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, e.http.URL+path, rd)
	require.NoError(e.t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return e.send(req)
}

func (e *hsEnv) send(req *http.Request) hsResponse {
	e.t.Helper()
	resp, err := http.DefaultClient.Do(req)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(e.t, err)
	out := hsResponse{status: resp.StatusCode, header: resp.Header, raw: raw}
	_ = json.Unmarshal(raw, &out.body)
	return out
}

func (e *hsEnv) token(form url.Values, path string) hsResponse {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.http.URL+path, strings.NewReader(form.Encode()))
	require.NoError(e.t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return e.send(req)
}

const hsTok = sandbox.HubSpotDemoToken

func TestHubSpotMembershipsRejectLimitAbove250(t *testing.T) {
	e := newHSEnv(t, sandbox.HubSpotOptions{})
	e.srv.HubSpot().Seed(sandbox.SeedOptions{Contacts: 300, Seed: 1})

	r := e.call("GET", "/crm/v3/lists/1/memberships?limit=251", hsTok, nil)
	assert.Equal(t, 400, r.status)
	assert.Equal(t, "VALIDATION_ERROR", r.body["category"])

	r = e.call("GET", "/crm/v3/lists/1/memberships?limit=250", hsTok, nil)
	require.Equal(t, 200, r.status)
	assert.Len(t, r.body["results"], 250)
	assert.EqualValues(t, 300, r.body["total"])

	r = e.call("GET", "/crm/v3/lists/1/memberships", hsTok, nil)
	require.Equal(t, 200, r.status)
	assert.Len(t, r.body["results"], 100, "default page size")
}

func TestHubSpotMembershipCursorIsOpaque(t *testing.T) {
	e := newHSEnv(t, sandbox.HubSpotOptions{})
	seed := e.srv.HubSpot().Seed(sandbox.SeedOptions{Contacts: 30, Seed: 1})

	r := e.call("GET", "/crm/v3/lists/1/memberships?limit=10", hsTok, nil)
	require.Equal(t, 200, r.status)
	after := r.body["paging"].(map[string]any)["next"].(map[string]any)["after"].(string)
	_, err := strconv.ParseInt(after, 10, 64)
	assert.Error(t, err, "cursor must not be a plain record id: %q", after)
	assert.NotContains(t, seed.ContactIDs, after)

	// The cursor continues exactly after the first page, in record id order.
	r2 := e.call("GET", "/crm/v3/lists/1/memberships?limit=10&after="+url.QueryEscape(after), hsTok, nil)
	require.Equal(t, 200, r2.status)
	first := r2.body["results"].([]any)[0].(map[string]any)["recordId"]
	assert.Equal(t, seed.ContactIDs[10], first)

	// A record id, a tampered cursor and a cursor of another list are refused.
	for _, bad := range []string{seed.ContactIDs[9], after + "x", base64.RawURLEncoding.EncodeToString([]byte("m1|2|" + seed.ContactIDs[9]))} {
		r := e.call("GET", "/crm/v3/lists/1/memberships?after="+url.QueryEscape(bad), hsTok, nil)
		assert.Equal(t, 400, r.status, "cursor %q", bad)
	}

	// The last page has no next cursor.
	r = e.call("GET", "/crm/v3/lists/1/memberships?limit=10&after="+url.QueryEscape(after), hsTok, nil)
	next := r.body["paging"].(map[string]any)["next"].(map[string]any)["after"].(string)
	r = e.call("GET", "/crm/v3/lists/1/memberships?limit=10&after="+url.QueryEscape(next), hsTok, nil)
	require.Equal(t, 200, r.status)
	assert.Len(t, r.body["results"], 10)
	assert.Nil(t, r.body["paging"])
}

func hsSearchBody(after string, limit int) map[string]any {
	return map[string]any{
		"filterGroups": []any{map[string]any{"filters": []any{
			map[string]any{"propertyName": "lastmodifieddate", "operator": "GTE", "value": "0"},
		}}},
		"sorts":      []any{map[string]any{"propertyName": "lastmodifieddate", "direction": "ASCENDING"}},
		"properties": []string{"email"},
		"limit":      limit,
		"after":      after,
	}
}

func TestHubSpotSearchRefusesPagingPastCap(t *testing.T) {
	e := newHSEnv(t, sandbox.HubSpotOptions{SearchPerSecond: 1000})
	e.srv.HubSpot().Seed(sandbox.SeedOptions{Contacts: 50, Seed: 1})

	r := e.call("POST", "/crm/v3/objects/contacts/search", hsTok, hsSearchBody("9800", 200))
	assert.Equal(t, 200, r.status, "after+limit = 10,000 is allowed")
	r = e.call("POST", "/crm/v3/objects/contacts/search", hsTok, hsSearchBody("9900", 200))
	assert.Equal(t, 400, r.status)
	assert.Equal(t, "VALIDATION_ERROR", r.body["category"])
	r = e.call("POST", "/crm/v3/objects/contacts/search", hsTok, hsSearchBody("10000", 1))
	assert.Equal(t, 400, r.status)

	r = e.call("POST", "/crm/v3/objects/contacts/search", hsTok, hsSearchBody("0", 201))
	assert.Equal(t, 400, r.status, "limit above 200")
	r = e.call("POST", "/crm/v3/objects/contacts/search", hsTok, hsSearchBody("abc", 10))
	assert.Equal(t, 400, r.status, "after must be an integer offset")

	twoSorts := hsSearchBody("0", 10)
	twoSorts["sorts"] = []any{"createdate", "email"}
	assert.Equal(t, 400, e.call("POST", "/crm/v3/objects/contacts/search", hsTok, twoSorts).status)
}

func TestHubSpotSearchPagingFiltersAndNulls(t *testing.T) {
	e := newHSEnv(t, sandbox.HubSpotOptions{SearchPerSecond: 1000})
	seed := e.srv.HubSpot().Seed(sandbox.SeedOptions{Contacts: 120, Seed: 3})

	r := e.call("POST", "/crm/v3/objects/contacts/search", hsTok, hsSearchBody("0", 50))
	require.Equal(t, 200, r.status)
	assert.EqualValues(t, 120, r.body["total"])
	assert.Equal(t, "50", r.body["paging"].(map[string]any)["next"].(map[string]any)["after"])
	assert.Nil(t, r.header["X-Hubspot-Ratelimit-Remaining"], "search responses carry no rate headers")
	results := r.body["results"].([]any)
	prev := ""
	for _, res := range results {
		props := res.(map[string]any)["properties"].(map[string]any)
		lmd := props["lastmodifieddate"].(string)
		assert.GreaterOrEqual(t, lmd, prev, "ascending by lastmodifieddate")
		prev = lmd
		assert.Contains(t, props, "email", "requested properties are present, null when unset")
		assert.NotContains(t, props, "phone", "unrequested properties are not returned")
		assert.Contains(t, props, "hs_object_id")
	}

	body := map[string]any{
		"filterGroups": []any{map[string]any{"filters": []any{
			map[string]any{"propertyName": "hs_object_id", "operator": "GT", "value": seed.ContactIDs[99]},
		}}},
		"sorts": []any{map[string]any{"propertyName": "hs_object_id", "direction": "ASCENDING"}},
		"limit": 200,
	}
	r = e.call("POST", "/crm/v3/objects/contacts/search", hsTok, body)
	require.Equal(t, 200, r.status)
	require.EqualValues(t, 20, r.body["total"])
	assert.Equal(t, seed.ContactIDs[100], r.body["results"].([]any)[0].(map[string]any)["id"])

	body["filterGroups"] = []any{map[string]any{"filters": []any{map[string]any{"propertyName": "no_such_prop", "operator": "EQ", "value": "x"}}}}
	assert.Equal(t, 400, e.call("POST", "/crm/v3/objects/contacts/search", hsTok, body).status)
}

func TestHubSpotSearchSecondlyLimitHasNoRateHeaders(t *testing.T) {
	e := newHSEnv(t, sandbox.HubSpotOptions{}) // 5 searches per second; the clock stands still
	e.srv.HubSpot().Seed(sandbox.SeedOptions{Contacts: 10, Seed: 1})
	for i := 0; i < 5; i++ {
		require.Equal(t, 200, e.call("POST", "/crm/v3/objects/contacts/search", hsTok, hsSearchBody("0", 10)).status)
	}
	r := e.call("POST", "/crm/v3/objects/contacts/search", hsTok, hsSearchBody("0", 10))
	require.Equal(t, 429, r.status)
	assert.Equal(t, "SECONDLY", r.body["policyName"])
	assert.Equal(t, "You have reached your secondly limit.", r.body["message"])
	for k := range r.header {
		assert.NotContains(t, strings.ToLower(k), "ratelimit", "no rate headers on search 429s")
	}
	// Other endpoints have their own budget.
	assert.Equal(t, 200, e.call("GET", "/crm/v3/lists/1", hsTok, nil).status)
	e.clock.Advance(time.Second)
	assert.Equal(t, 200, e.call("POST", "/crm/v3/objects/contacts/search", hsTok, hsSearchBody("0", 10)).status)
	st := e.srv.HubSpot().Stats()
	assert.Equal(t, 1, st.RateLimitedByPolicy["SECONDLY"])
}

func TestHubSpotBurstLimitHeadersAnd429(t *testing.T) {
	e := newHSEnv(t, sandbox.HubSpotOptions{BurstLimit: 3, BurstWindow: 10 * time.Second})
	e.srv.HubSpot().Seed(sandbox.SeedOptions{Contacts: 5, Seed: 1})
	for i := 0; i < 3; i++ {
		r := e.call("GET", "/crm/v3/lists/1", hsTok, nil)
		require.Equal(t, 200, r.status)
		assert.Equal(t, "3", r.header.Get("X-HubSpot-RateLimit-Max"))
		assert.Equal(t, strconv.Itoa(2-i), r.header.Get("X-HubSpot-RateLimit-Remaining"))
		assert.Equal(t, "10000", r.header.Get("X-HubSpot-RateLimit-Interval-Milliseconds"))
		assert.Equal(t, "250000", r.header.Get("X-HubSpot-RateLimit-Daily"))
		assert.Equal(t, strconv.Itoa(250000-1-i), r.header.Get("X-HubSpot-RateLimit-Daily-Remaining"))
	}
	r := e.call("GET", "/crm/v3/lists/1", hsTok, nil)
	require.Equal(t, 429, r.status)
	assert.Equal(t, "TEN_SECONDLY_ROLLING", r.body["policyName"])
	assert.Equal(t, "RATE_LIMIT", r.body["errorType"])
	assert.Equal(t, "You have reached your ten_secondly_rolling limit.", r.body["message"])
	assert.NotEmpty(t, r.body["correlationId"])
	assert.Equal(t, "0", r.header.Get("X-HubSpot-RateLimit-Remaining"))

	// Rolling: the window frees up 10 s after the first call.
	e.clock.Advance(10 * time.Second)
	assert.Equal(t, 200, e.call("GET", "/crm/v3/lists/1", hsTok, nil).status)
	st := e.srv.HubSpot().Stats()
	assert.Equal(t, 1, st.RateLimited)
	assert.Equal(t, 1, st.RateLimitedByPolicy["TEN_SECONDLY_ROLLING"])
	assert.Equal(t, 5, st.ByFamily["lists.get"])
}

func TestHubSpotDailyLimit(t *testing.T) {
	e := newHSEnv(t, sandbox.HubSpotOptions{DailyLimit: 2})
	e.srv.HubSpot().Seed(sandbox.SeedOptions{Contacts: 5, Seed: 1})
	assert.Equal(t, 200, e.call("GET", "/crm/v3/lists/1", hsTok, nil).status)
	assert.Equal(t, 200, e.call("GET", "/crm/v3/lists/1", hsTok, nil).status)
	r := e.call("GET", "/crm/v3/lists/1", hsTok, nil)
	require.Equal(t, 429, r.status)
	assert.Equal(t, "DAILY", r.body["policyName"])
	assert.Equal(t, "0", r.header.Get("X-HubSpot-RateLimit-Daily-Remaining"))
	e.clock.Advance(24 * time.Hour)
	assert.Equal(t, 200, e.call("GET", "/crm/v3/lists/1", hsTok, nil).status, "the allowance resets at midnight")
}

func TestHubSpotAuthAndOAuth(t *testing.T) {
	e := newHSEnv(t, sandbox.HubSpotOptions{AccessTokenTTL: time.Minute})
	e.srv.HubSpot().Seed(sandbox.SeedOptions{Contacts: 5, Seed: 1})

	r := e.call("GET", "/crm/v3/lists/1", "", nil)
	assert.Equal(t, 401, r.status)
	assert.Equal(t, "INVALID_AUTHENTICATION", r.body["category"])
	assert.Equal(t, 401, e.call("GET", "/crm/v3/lists/1", "pat-na1-unknown", nil).status)

	form := url.Values{
		"grant_type":    {"refresh_token"},
		"client_id":     {sandbox.HubSpotDemoClientID},
		"client_secret": {sandbox.HubSpotDemoClientSecret},
		"refresh_token": {sandbox.HubSpotDemoRefreshToken},
	}
	for _, p := range []string{"/oauth/v3/token", "/oauth/2026-03/token", "/oauth/v1/token"} {
		r := e.token(form, p)
		require.Equal(t, 200, r.status, p)
		assert.EqualValues(t, 60, r.body["expires_in"])
		assert.Equal(t, "bearer", r.body["token_type"])
	}
	access := e.token(form, "/oauth/v3/token").body["access_token"].(string)

	r = e.call("GET", "/crm/v3/lists/1", access, nil)
	require.Equal(t, 200, r.status)
	assert.Empty(t, r.header.Get("X-HubSpot-RateLimit-Daily"), "no daily headers for OAuth")
	assert.Equal(t, "110", r.header.Get("X-HubSpot-RateLimit-Max"), "OAuth apps have their own burst figure")

	e.clock.Advance(time.Minute + 3*time.Second)
	r = e.call("GET", "/crm/v3/lists/1", access, nil)
	require.Equal(t, 401, r.status)
	assert.Equal(t, "EXPIRED_AUTHENTICATION", r.body["category"])
	assert.Equal(t, "The OAuth token used to make this call expired 3 second(s) ago.", r.body["message"])

	access = e.token(form, "/oauth/v3/token").body["access_token"].(string)
	require.Equal(t, 200, e.call("GET", "/crm/v3/lists/1", access, nil).status)
	e.srv.HubSpot().ExpireTokens()
	assert.Equal(t, 401, e.call("GET", "/crm/v3/lists/1", access, nil).status)

	bad := url.Values{}
	for k, v := range form {
		bad[k] = v
	}
	bad.Set("refresh_token", "nope")
	r = e.token(bad, "/oauth/v3/token")
	require.Equal(t, 400, r.status)
	assert.Equal(t, "invalid_grant", r.body["error"])
	assert.Equal(t, "BAD_REFRESH_TOKEN", r.body["status"])

	// v3 wants the parameters in the body, not the query.
	req, _ := http.NewRequest(http.MethodPost, e.http.URL+"/oauth/v3/token?"+form.Encode(), strings.NewReader(""))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	assert.Equal(t, 400, e.send(req).status)

	st := e.srv.HubSpot().Stats()
	assert.Equal(t, 2, st.ExpiredTokens)
	assert.Equal(t, 5, st.TokensIssued)
}

func TestHubSpotBatchRead(t *testing.T) {
	e := newHSEnv(t, sandbox.HubSpotOptions{})
	hs := e.srv.HubSpot()
	seed := hs.Seed(sandbox.SeedOptions{Contacts: 150, Seed: 1})

	inputs := func(ids ...string) []map[string]string {
		out := make([]map[string]string, len(ids))
		for i, id := range ids {
			out[i] = map[string]string{"id": id}
		}
		return out
	}
	r := e.call("POST", "/crm/v3/objects/contacts/batch/read", hsTok, map[string]any{"inputs": inputs(seed.ContactIDs[:101]...)})
	assert.Equal(t, 400, r.status, "more than 100 inputs")

	require.NoError(t, hs.ArchiveContact(seed.ContactIDs[1]))
	merged, err := hs.MergeContacts(seed.ContactIDs[2], seed.ContactIDs[3])
	require.NoError(t, err)
	require.NoError(t, hs.UpdateContact(seed.ContactIDs[0], map[string]string{"jobtitle": ""}))

	r = e.call("POST", "/crm/v3/objects/contacts/batch/read?archived=false", hsTok, map[string]any{
		"properties": []string{"email", "jobtitle"},
		"inputs":     inputs(seed.ContactIDs[0], seed.ContactIDs[1], seed.ContactIDs[2], "999999999"),
	})
	require.Equal(t, 207, r.status)
	assert.EqualValues(t, 1, r.body["numErrors"])
	errs := r.body["errors"].([]any)
	assert.Equal(t, "OBJECT_NOT_FOUND", errs[0].(map[string]any)["category"])
	assert.ElementsMatch(t, []any{seed.ContactIDs[1], "999999999"}, errs[0].(map[string]any)["context"].(map[string]any)["ids"])
	results := r.body["results"].([]any)
	require.Len(t, results, 2)
	first := results[0].(map[string]any)
	props := first["properties"].(map[string]any)
	assert.Contains(t, props, "jobtitle")
	assert.Nil(t, props["jobtitle"], "an unset requested property is null")
	assert.NotContains(t, props, "firstname", "unrequested properties are not returned")
	second := results[1].(map[string]any)
	assert.Equal(t, merged, second["id"], "a merged-away id answers with the merged record")
	mergedIDs := second["properties"].(map[string]any)["hs_object_id"]
	assert.Equal(t, merged, mergedIDs)
	c, ok := hs.Contact(merged)
	require.True(t, ok)
	assert.Equal(t, seed.ContactIDs[2]+";"+seed.ContactIDs[3], c.Properties["hs_merged_object_ids"])

	r = e.call("POST", "/crm/v3/objects/contacts/batch/read", hsTok, map[string]any{"inputs": inputs(seed.ContactIDs[5])})
	require.Equal(t, 200, r.status)
	props = r.body["results"].([]any)[0].(map[string]any)["properties"].(map[string]any)
	for _, p := range []string{"firstname", "lastname", "email", "createdate", "lastmodifieddate", "hs_object_id"} {
		assert.Contains(t, props, p, "default properties")
	}
}

func TestHubSpotSearchLagHidesFreshChanges(t *testing.T) {
	e := newHSEnv(t, sandbox.HubSpotOptions{SearchLag: 5 * time.Second, SearchPerSecond: 1000})
	hs := e.srv.HubSpot()
	seed := hs.Seed(sandbox.SeedOptions{Contacts: 20, Seed: 1})
	since := strconv.FormatInt(e.clock.Now().UnixMilli(), 10)
	body := map[string]any{"filterGroups": []any{map[string]any{"filters": []any{
		map[string]any{"propertyName": "lastmodifieddate", "operator": "GTE", "value": since},
	}}}}
	require.NoError(t, hs.UpdateContact(seed.ContactIDs[4], map[string]string{"city": "Köln"}))
	id, err := hs.CreateContact(map[string]string{"email": "new@example.com"})
	require.NoError(t, err)

	r := e.call("POST", "/crm/v3/objects/contacts/search", hsTok, body)
	assert.EqualValues(t, 0, r.body["total"], "changes younger than the lag are invisible")
	e.clock.Advance(5 * time.Second)
	r = e.call("POST", "/crm/v3/objects/contacts/search", hsTok, body)
	require.EqualValues(t, 2, r.body["total"])
	var ids []any
	for _, res := range r.body["results"].([]any) {
		ids = append(ids, res.(map[string]any)["id"])
	}
	assert.ElementsMatch(t, []any{seed.ContactIDs[4], id}, ids)
}

func TestHubSpotSeedIsDeterministicAwkwardAndFast(t *testing.T) {
	a := sandbox.NewHubSpot(sandbox.HubSpotOptions{Now: newHSClock().Now})
	b := sandbox.NewHubSpot(sandbox.HubSpotOptions{Now: newHSClock().Now})
	start := time.Now()
	ra := a.Seed(sandbox.SeedOptions{Contacts: 25_000, Seed: 42})
	took := time.Since(start)
	rb := b.Seed(sandbox.SeedOptions{Contacts: 25_000, Seed: 42})
	t.Logf("seeding 25,000 contacts took %s", took)
	assert.Less(t, took, 10*time.Second)
	require.Equal(t, ra.ContactIDs, rb.ContactIDs)
	assert.Equal(t, 25_000, ra.ListSize)
	assert.Equal(t, "1", ra.ListID)
	assert.Equal(t, "All sandbox contacts", ra.ListName)
	assert.Greater(t, ra.SmallListSize, 5_000)
	assert.Less(t, ra.SmallListSize, 15_000)

	var phoneOnly, invalidEmail, upperEmail, unicodeName, emoji, fourDigit, twentyDigit, formatted, optIn, multi, dob, empty int
	digits := regexp.MustCompile(`^\d+$`)
	emailRe := regexp.MustCompile(`^[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}$`)
	for i, id := range ra.ContactIDs {
		ca, _ := a.Contact(id)
		cb, _ := b.Contact(id)
		if i%1000 == 0 {
			require.Equal(t, ca.Properties, cb.Properties, "same seed, same data")
		}
		p := ca.Properties
		email, hasEmail := p["email"]
		switch {
		case !hasEmail && p["phone"] != "":
			phoneOnly++
		case hasEmail && email != strings.ToLower(email):
			upperEmail++
		case hasEmail && !emailRe.MatchString(email):
			invalidEmail++
		}
		name := p["firstname"] + p["lastname"]
		if strings.ContainsAny(name, "éßëüøłçñ日本山田") {
			unicodeName++
		}
		if strings.Contains(name, "😀") {
			emoji++
		}
		if ph := p["phone"]; digits.MatchString(ph) && len(ph) == 4 {
			fourDigit++
		} else if digits.MatchString(ph) && len(ph) == 20 {
			twentyDigit++
		} else if strings.ContainsAny(ph, " ()-") {
			formatted++
		}
		if p["newsletter_opt_in"] == "true" {
			optIn++
		}
		if strings.Contains(p["interests"], ";") {
			multi++
		}
		if _, err := time.Parse(time.DateOnly, p["date_of_birth"]); err == nil {
			dob++
		}
		if _, ok := p["company"]; !ok {
			empty++
		}
	}
	for name, n := range map[string]int{"phone-only": phoneOnly, "invalid email": invalidEmail, "upper-case email": upperEmail,
		"unicode name": unicodeName, "emoji": emoji, "4-digit phone": fourDigit, "20-digit phone": twentyDigit,
		"formatted phone": formatted, "opt-in": optIn, "multi-checkbox": multi, "date of birth": dob, "empty company": empty} {
		assert.Greater(t, n, 50, name)
	}
	assert.Equal(t, ra.SmallListSize, optIn, "the small list is the opted-in contacts")
}

func TestHubSpotDynamicListFollowsChanges(t *testing.T) {
	hs := sandbox.NewHubSpot(sandbox.HubSpotOptions{})
	seed := hs.Seed(sandbox.SeedOptions{Contacts: 200, Seed: 5})
	members, err := hs.ListMembers(seed.SmallListID)
	require.NoError(t, err)
	require.NotEmpty(t, members)
	id := members[0]
	require.NoError(t, hs.UpdateContact(id, map[string]string{"newsletter_opt_in": "false"}))
	after, _ := hs.ListMembers(seed.SmallListID)
	assert.NotContains(t, after, id)
	require.NoError(t, hs.UpdateContact(id, map[string]string{"newsletter_opt_in": "true"}))
	after, _ = hs.ListMembers(seed.SmallListID)
	assert.Contains(t, after, id)

	assert.ErrorIs(t, hs.UpdateContact(id, map[string]string{"lastmodifieddate": "1"}), sandbox.ErrHubSpotInvalid)
	assert.ErrorIs(t, hs.UpdateContact(id, map[string]string{"no_such": "1"}), sandbox.ErrHubSpotInvalid)
	assert.ErrorIs(t, hs.UpdateContact("1", map[string]string{"city": "x"}), sandbox.ErrHubSpotNotFound)
	assert.ErrorIs(t, hs.AddToList(seed.SmallListID, id), sandbox.ErrHubSpotInvalid, "dynamic lists follow their filter")
	_, err = hs.CreateContact(map[string]string{"email": "dupe@example.com"})
	require.NoError(t, err)
	_, err = hs.CreateContact(map[string]string{"email": "DUPE@example.com"})
	assert.ErrorIs(t, err, sandbox.ErrHubSpotConflict)
}

func TestHubSpotAdminEndpoints(t *testing.T) {
	e := newHSEnv(t, sandbox.HubSpotOptions{})
	r := e.call("POST", "/_sandbox/hubspot/seed", "", map[string]any{"contacts": 40, "seed": 9})
	require.Equal(t, 200, r.status)
	assert.EqualValues(t, 40, r.body["listSize"])
	first := r.body["firstContactId"].(string)

	r = e.call("POST", "/_sandbox/hubspot/contacts/"+first, "", map[string]any{"properties": map[string]string{"city": "Hamburg"}})
	require.Equal(t, 200, r.status)
	assert.Equal(t, "Hamburg", r.body["properties"].(map[string]any)["city"])
	assert.Equal(t, 404, e.call("POST", "/_sandbox/hubspot/contacts/42", "", map[string]any{"properties": map[string]string{"city": "x"}}).status)

	r = e.call("POST", "/_sandbox/hubspot/lists", "", map[string]any{"name": "Demo list"})
	require.Equal(t, 201, r.status)
	listID := r.body["listId"].(string)
	r = e.call("POST", "/_sandbox/hubspot/lists/"+listID+"/members", "", map[string]any{"add": []string{first}})
	require.Equal(t, 200, r.status)
	assert.EqualValues(t, 1, r.body["size"])
	r = e.call("POST", "/_sandbox/hubspot/lists/"+listID+"/members", "", map[string]any{"remove": []string{first}})
	assert.EqualValues(t, 0, r.body["size"])

	r = e.call("POST", "/_sandbox/hubspot/contacts", "", map[string]any{"properties": map[string]string{"email": "x@example.com"}})
	require.Equal(t, 201, r.status)
	newID := r.body["id"].(string)
	r = e.call("POST", "/_sandbox/hubspot/contacts/merge", "", map[string]any{"primaryObjectId": first, "objectIdToMerge": newID})
	require.Equal(t, 200, r.status)
	assert.NotEqual(t, first, r.body["id"])

	assert.Equal(t, 200, e.call("GET", "/crm/v3/lists/1", hsTok, nil).status)
	assert.Equal(t, 204, e.call("POST", "/_sandbox/hubspot/expire-tokens", "", nil).status)
	r = e.call("GET", "/_sandbox/hubspot/stats", "", nil)
	require.Equal(t, 200, r.status)
	assert.EqualValues(t, 1, r.body["calls"], "admin calls are not counted")
	assert.EqualValues(t, 1, r.body["byFamily"].(map[string]any)["lists.get"])
	assert.EqualValues(t, 40, r.body["contacts"], "40 seeded + 1 created - 2 merged + 1 merged record")
}

func TestHubSpotListsEndpoints(t *testing.T) {
	e := newHSEnv(t, sandbox.HubSpotOptions{})
	hs := e.srv.HubSpot()
	hs.Seed(sandbox.SeedOptions{Contacts: 10, Seed: 1})
	for i := 0; i < 5; i++ {
		_, err := hs.CreateList(fmt.Sprintf("Extra/list %d – ü", i))
		require.NoError(t, err)
	}
	r := e.call("GET", "/crm/v3/lists/object-type-id/0-1/name/"+url.PathEscape("extra/LIST 3 – Ü"), hsTok, nil)
	require.Equal(t, 200, r.status, "names match case-insensitively, slashes escaped")
	assert.Equal(t, "Extra/list 3 – ü", r.body["list"].(map[string]any)["name"])
	assert.Equal(t, 404, e.call("GET", "/crm/v3/lists/object-type-id/0-2/name/"+url.PathEscape("Extra/list 3 – ü"), hsTok, nil).status)
	assert.Equal(t, 404, e.call("GET", "/crm/v3/lists/999", hsTok, nil).status)

	r = e.call("POST", "/crm/v3/lists/search", hsTok, map[string]any{"query": "extra", "offset": 0, "count": 2})
	require.Equal(t, 200, r.status)
	assert.Equal(t, true, r.body["hasMore"])
	assert.EqualValues(t, 2, r.body["offset"])
	assert.EqualValues(t, 5, r.body["total"])
	assert.Equal(t, 400, e.call("POST", "/crm/v3/lists/search", hsTok, map[string]any{"count": 501}).status)

	r = e.call("GET", "/crm/v3/properties/contacts", hsTok, nil)
	require.Equal(t, 200, r.status)
	names := map[string]map[string]any{}
	for _, p := range r.body["results"].([]any) {
		names[p.(map[string]any)["name"].(string)] = p.(map[string]any)
	}
	assert.NotContains(t, names, "legacy_score", "archived properties only with archived=true")
	assert.Equal(t, true, names["hs_object_id"]["modificationMetadata"].(map[string]any)["readOnlyValue"])
	assert.Equal(t, "checkbox", names["interests"]["fieldType"])
}
