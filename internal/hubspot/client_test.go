package hubspot_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hubspot-brevo-sync/internal/clocktest"
	"hubspot-brevo-sync/internal/httpx"
	"hubspot-brevo-sync/internal/hubspot"
	"hubspot-brevo-sync/internal/sandbox"
)

// newTestClock is shared by the emulator and the client so token
// lifetimes and daily resets can be moved without waiting.
func newTestClock() *clocktest.Clock {
	return clocktest.New(time.Date(2026, 5, 4, 12, 0, 0, 0, time.UTC))
}

// Limits high enough that tests not about rate limiting never wait.
var (
	unthrottled        = hubspot.Limits{Burst: 1_000_000, BurstPeriod: time.Second, Daily: 100_000_000, SearchPerSecond: 1_000_000}
	unthrottledSandbox = sandbox.HubSpotOptions{BurstLimit: 1_000_000, BurstWindow: time.Second, DailyLimit: 100_000_000, SearchPerSecond: 1_000_000}
)

type env struct {
	t   *testing.T
	srv *sandbox.Server
	hs  *sandbox.HubSpot
	url string
}

func newEnv(t *testing.T, o sandbox.Options) *env {
	t.Helper()
	srv := sandbox.New(o)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return &env{t: t, srv: srv, hs: srv.HubSpot(), url: ts.URL}
}

// client builds a static-token client; adjust tweaks the configuration.
func (e *env) client(adjust func(*hubspot.Config)) *hubspot.Client {
	e.t.Helper()
	cfg := hubspot.Config{
		BaseURL:     e.url,
		AccessToken: sandbox.HubSpotDemoToken,
		Governor:    hubspot.NewGovernor(unthrottled, nil),
	}
	if adjust != nil {
		adjust(&cfg)
	}
	c, err := hubspot.New(cfg)
	require.NoError(e.t, err)
	return c
}

func oauthConfig(refreshToken string) *hubspot.OAuthConfig {
	return &hubspot.OAuthConfig{
		ClientID:     sandbox.HubSpotDemoClientID,
		ClientSecret: sandbox.HubSpotDemoClientSecret,
		RefreshToken: refreshToken,
	}
}

func requireKind(t *testing.T, err error, kind httpx.Kind) *httpx.Error {
	t.Helper()
	e, ok := httpx.AsError(err)
	require.True(t, ok, "want *httpx.Error, got %v", err)
	require.Equal(t, kind, e.Kind, "error: %v", e)
	return e
}

func TestNewValidatesCredentials(t *testing.T) {
	_, err := hubspot.New(hubspot.Config{})
	assert.Error(t, err)
	_, err = hubspot.New(hubspot.Config{AccessToken: "x", OAuth: oauthConfig("r")})
	assert.Error(t, err)
	_, err = hubspot.New(hubspot.Config{OAuth: &hubspot.OAuthConfig{ClientID: "id", RefreshToken: "r"}})
	assert.ErrorContains(t, err, "client secret")
	c, err := hubspot.New(hubspot.Config{AccessToken: "pat-na1-x"})
	require.NoError(t, err)
	assert.Equal(t, 95, c.Governor().Stats().BurstLimit, "default governor from the Free tier")
}

func TestListMembershipsPagesThrough25000(t *testing.T) {
	e := newEnv(t, sandbox.Options{HubSpot: unthrottledSandbox})
	seed := e.hs.Seed(sandbox.SeedOptions{Contacts: 25_000, Seed: 11})
	c := e.client(nil)
	ctx := context.Background()

	list, err := c.GetList(ctx, seed.ListID)
	require.NoError(t, err)
	assert.Equal(t, 25_000, list.Size)
	assert.True(t, list.IsContactList())

	var ids []string
	seen := map[string]bool{}
	after, pages := "", 0
	for {
		page, err := c.ListMemberships(ctx, seed.ListID, after, 0)
		require.NoError(t, err)
		pages++
		assert.Equal(t, 25_000, page.Total)
		require.Equal(t, len(page.RecordIDs), len(page.Members))
		for i, id := range page.RecordIDs {
			require.False(t, seen[id], "duplicate %s", id)
			seen[id] = true
			assert.False(t, page.Members[i].JoinedAt.IsZero())
		}
		ids = append(ids, page.RecordIDs...)
		if page.After == "" {
			break
		}
		after = page.After
		require.Less(t, pages, 200, "paging does not end")
	}
	assert.Equal(t, 100, pages, "250 per page")
	assert.Len(t, ids, 25_000)
	assert.Equal(t, seed.ContactIDs, ids, "every member once, ordered by record id")
	assert.Equal(t, 101, e.hs.Stats().ByFamily["lists.memberships"]+e.hs.Stats().ByFamily["lists.get"])
}

// recordingTransport keeps the URL and body of every request.
type recordingTransport struct {
	mu       sync.Mutex
	requests []recorded
}

type recorded struct {
	method, url string
	body        []byte
}

func (rt *recordingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	var body []byte
	if r.Body != nil {
		body, _ = io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	rt.mu.Lock()
	rt.requests = append(rt.requests, recorded{method: r.Method, url: r.URL.String(), body: body})
	rt.mu.Unlock()
	return http.DefaultTransport.RoundTrip(r)
}

func TestBatchReadSplitsAndSendsPropertiesInBody(t *testing.T) {
	e := newEnv(t, sandbox.Options{HubSpot: unthrottledSandbox})
	seed := e.hs.Seed(sandbox.SeedOptions{Contacts: 300, Seed: 5})
	rt := &recordingTransport{}
	c := e.client(func(cfg *hubspot.Config) { cfg.Transport = rt })

	require.NoError(t, e.hs.ArchiveContact(seed.ContactIDs[7]))
	merged, err := e.hs.MergeContacts(seed.ContactIDs[8], seed.ContactIDs[9])
	require.NoError(t, err)
	ids := append([]string{}, seed.ContactIDs[:250]...)
	ids = append(ids, "999999991", "999999992", seed.ContactIDs[0]) // two unknown, one repeated
	props := []string{"email", "firstname", "lastname", "phone", "jobtitle", "newsletter_opt_in", "interests"}

	res, err := c.BatchReadContacts(context.Background(), ids, props)
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{seed.ContactIDs[7], "999999991", "999999992"}, res.Missing)
	assert.Len(t, res.Contacts, 252-3-1, "ids 8 and 9 both answer with the merged record")
	byID := map[string]hubspot.Contact{}
	for _, ct := range res.Contacts {
		require.NotContains(t, byID, ct.ID, "duplicate result")
		byID[ct.ID] = ct
	}
	require.Contains(t, byID, merged)
	assert.Equal(t, seed.ContactIDs[8]+";"+seed.ContactIDs[9], e.mustContact(merged).Properties["hs_merged_object_ids"])
	for _, id := range seed.ContactIDs[10:250] {
		ct, ok := byID[id]
		require.True(t, ok, id)
		stored := e.mustContact(id)
		for _, p := range props {
			assert.Equal(t, stored.Properties[p], ct.Properties[p], "%s of %s", p, id)
			if _, set := stored.Properties[p]; !set {
				assert.NotContains(t, ct.Properties, p, "unset (null) values are left out")
			}
		}
		assert.NotContains(t, ct.Properties, "city", "only requested properties")
		assert.Equal(t, stored.UpdatedAt, ct.UpdatedAt)
		assert.Equal(t, stored.CreatedAt, ct.CreatedAt)
	}

	require.Len(t, rt.requests, 3, "252 distinct ids make three calls of at most 100")
	for _, r := range rt.requests {
		assert.Equal(t, http.MethodPost, r.method)
		u, err := url.Parse(r.url)
		require.NoError(t, err)
		assert.Equal(t, "/crm/v3/objects/contacts/batch/read", u.Path)
		assert.Equal(t, url.Values{"archived": {"false"}}, u.Query(), "no properties in the URL")
		for _, p := range props {
			assert.NotContains(t, r.url, p)
		}
		var body struct {
			Properties []string         `json:"properties"`
			Inputs     []map[string]any `json:"inputs"`
		}
		require.NoError(t, json.Unmarshal(r.body, &body))
		assert.Equal(t, props, body.Properties)
		assert.LessOrEqual(t, len(body.Inputs), 100)
	}
	assert.Equal(t, 3, e.hs.Stats().ByFamily["contacts.batchRead"])
}

func (e *env) mustContact(id string) sandbox.HubSpotContact {
	e.t.Helper()
	c, ok := e.hs.Contact(id)
	require.True(e.t, ok, id)
	return c
}

// readAllModified runs a search read to the end, passing the cursor
// through JSON between pages as workflow state would.
func readAllModified(t *testing.T, c *hubspot.Client, cur hubspot.SearchCursor, between func(page int)) (ids []string, calls int) {
	t.Helper()
	ctx := context.Background()
	lastStamp := time.Time{}
	for page := 0; ; page++ {
		require.Less(t, page, 5000, "search read does not end")
		res, err := c.SearchContactsModified(ctx, cur, []string{"email", "jobtitle"}, 0)
		require.NoError(t, err)
		calls++
		for _, ct := range res.Contacts {
			ids = append(ids, ct.ID)
			require.False(t, ct.UpdatedAt.Before(lastStamp), "ascending lastmodifieddate")
			lastStamp = ct.UpdatedAt
		}
		if res.Next == nil {
			return ids, calls
		}
		raw, err := json.Marshal(res.Next)
		require.NoError(t, err)
		require.Less(t, len(raw), 200, "the cursor stays small: %s", raw)
		cur = hubspot.SearchCursor{}
		require.NoError(t, json.Unmarshal(raw, &cur))
		if between != nil {
			between(page)
		}
	}
}

func TestSearchReadsBeyondTenThousandResults(t *testing.T) {
	clock := newTestClock()
	o := unthrottledSandbox
	o.Now = clock.Now
	e := newEnv(t, sandbox.Options{HubSpot: o})
	seed := e.hs.Seed(sandbox.SeedOptions{Contacts: 25_000, Seed: 3})

	// A bulk update: 12,000 contacts share one millisecond, the others come
	// in groups that straddle page boundaries (1 .. 450 per millisecond).
	clock.Advance(time.Hour)
	since := clock.Now()
	order := rand.New(rand.NewPCG(1, 2)).Perm(len(seed.ContactIDs))
	i := 0
	touch := func() {
		require.NoError(t, e.hs.UpdateContact(seed.ContactIDs[order[i]], map[string]string{"jobtitle": fmt.Sprintf("Updated %d", i)}))
		i++
	}
	for i < 12_000 {
		touch()
	}
	sizes := []int{1, 2, 5, 150, 199, 200, 201, 450, 3, 37, 1, 1}
	for k := 0; i < len(order); k++ {
		clock.Advance(time.Millisecond)
		for j := 0; j < sizes[k%len(sizes)] && i < len(order); j++ {
			touch()
		}
	}
	clock.Advance(time.Minute)

	c := e.client(nil)
	start := time.Now()
	ids, calls := readAllModified(t, c, hubspot.NewSearchCursor(since, time.Time{}), nil)
	t.Logf("read %d contacts in %d searches (%s)", len(ids), calls, time.Since(start))

	seen := map[string]bool{}
	for _, id := range ids {
		require.False(t, seen[id], "duplicate %s", id)
		seen[id] = true
	}
	assert.Len(t, seen, 25_000)
	st := e.hs.Stats()
	assert.Zero(t, st.ByStatus[400], "never paged past the cap")
	assert.Zero(t, st.RateLimited)
	assert.Less(t, calls, 25_000/200*2, "re-reading the boundary costs little")
}

func TestSearchSeesContactsEditedWhileReading(t *testing.T) {
	clock := newTestClock()
	o := unthrottledSandbox
	o.Now = clock.Now
	e := newEnv(t, sandbox.Options{HubSpot: o})
	e.hs.Seed(sandbox.SeedOptions{Contacts: 1_000, Seed: 4})
	c := e.client(nil)

	// After the first page, 50 contacts already read are edited: they move
	// to the end of the order. Offset paging would now skip 50 unread ones.
	var edited []string
	ids, _ := readAllModified(t, c, hubspot.NewSearchCursor(time.Unix(0, 0), time.Time{}), func(page int) {
		if page != 0 {
			return
		}
		clock.Advance(time.Second)
		// The 50 least recently modified contacts were on the first page.
		res, err := c.SearchContactsModified(context.Background(), hubspot.NewSearchCursor(time.Unix(0, 0), time.Time{}), nil, 50)
		require.NoError(t, err)
		for _, ct := range res.Contacts {
			edited = append(edited, ct.ID)
			require.NoError(t, e.hs.UpdateContact(ct.ID, map[string]string{"city": "Edited"}))
		}
	})
	count := map[string]int{}
	for _, id := range ids {
		count[id]++
	}
	assert.Len(t, count, 1_000, "no contact skipped")
	for _, id := range edited {
		assert.Equal(t, 2, count[id], "an edited contact is read again with its new version")
	}
}

func TestSearchWindowUntilAndResume(t *testing.T) {
	clock := newTestClock()
	o := unthrottledSandbox
	o.Now = clock.Now
	e := newEnv(t, sandbox.Options{HubSpot: o})
	seed := e.hs.Seed(sandbox.SeedOptions{Contacts: 600, Seed: 8})
	clock.Advance(time.Hour)
	from := clock.Now()
	for i, id := range seed.ContactIDs[:500] {
		if i%100 == 0 {
			clock.Advance(time.Second)
		}
		require.NoError(t, e.hs.UpdateContact(id, map[string]string{"city": "x"}))
	}
	until := clock.Now() // the last 100 updated at exactly this ms are excluded
	c := e.client(nil)
	ids, _ := readAllModified(t, c, hubspot.NewSearchCursor(from, until), nil)
	assert.ElementsMatch(t, seed.ContactIDs[:400], ids)
}

func TestPropertiesAndMappable(t *testing.T) {
	e := newEnv(t, sandbox.Options{HubSpot: unthrottledSandbox})
	props, err := e.client(nil).Properties(context.Background())
	require.NoError(t, err)
	byName := map[string]hubspot.Property{}
	for _, p := range props {
		byName[p.Name] = p
	}
	assert.NotContains(t, byName, "legacy_score", "archived properties are not listed")
	stage := byName["lifecyclestage"]
	assert.Equal(t, "enumeration", stage.Type)
	assert.Equal(t, "select", stage.FieldType)
	assert.Equal(t, hubspot.Option{Label: "Lead", Value: "lead", DisplayOrder: 1}, stage.Options[1])
	assert.True(t, stage.Mappable())
	assert.Equal(t, "checkbox", byName["interests"].FieldType)
	assert.Equal(t, "bool", byName["newsletter_opt_in"].Type)
	assert.Equal(t, "date", byName["date_of_birth"].Type)
	assert.True(t, byName["hubspot_owner_id"].ExternalOptions)
	var hidden bool
	for _, o := range byName["hs_lead_status"].Options {
		hidden = hidden || o.Hidden
	}
	assert.True(t, hidden, "hidden options are kept")
	for _, name := range []string{"lastmodifieddate", "createdate", "hs_object_id", "hs_email_domain", "hubspotscore", "num_associated_deals"} {
		assert.False(t, byName[name].Mappable(), name)
	}
	assert.True(t, byName["hs_object_id"].ReadOnlyValue)
	assert.True(t, byName["num_associated_deals"].Calculated)
	for _, name := range []string{"email", "phone", "annual_revenue", "hs_email_optout"} {
		assert.True(t, byName[name].Mappable(), name)
	}
}

func TestListsLookupAndSearch(t *testing.T) {
	e := newEnv(t, sandbox.Options{HubSpot: unthrottledSandbox})
	seed := e.hs.Seed(sandbox.SeedOptions{Contacts: 50, Seed: 2})
	for i := 0; i < 7; i++ {
		_, err := e.hs.CreateList(fmt.Sprintf("Q%d/2026 – Ünïcode list", i))
		require.NoError(t, err)
	}
	c := e.client(nil)
	ctx := context.Background()

	l, err := c.FindListByName(ctx, "all SANDBOX contacts")
	require.NoError(t, err)
	assert.Equal(t, seed.ListID, l.ID)
	assert.Equal(t, "MANUAL", l.ProcessingType)
	l, err = c.FindListByName(ctx, "q3/2026 – ünïcode LIST")
	require.NoError(t, err, "names with slashes and non-ASCII are escaped")
	assert.Equal(t, "Q3/2026 – Ünïcode list", l.Name)
	_, err = c.FindListByName(ctx, "no such list")
	requireKind(t, err, httpx.KindNotFound)
	calls := e.hs.CallCount()
	_, err = c.GetList(ctx, " ")
	requireKind(t, err, httpx.KindValidation)
	_, err = c.ListMemberships(ctx, "", "", 0)
	requireKind(t, err, httpx.KindValidation)
	assert.Equal(t, calls, e.hs.CallCount(), "refused without a call")
	_, err = c.GetList(ctx, "424242")
	e404 := requireKind(t, err, httpx.KindNotFound)
	assert.Equal(t, "lists.get", e404.Op)
	assert.Equal(t, "OBJECT_NOT_FOUND", e404.Code)

	page, err := c.SearchLists(ctx, "ünïcode", 0, 3)
	require.NoError(t, err)
	assert.Len(t, page.Lists, 3)
	assert.True(t, page.HasMore)
	assert.Equal(t, 3, page.Offset)
	assert.Equal(t, 7, page.Total)

	all, err := c.AllContactLists(ctx)
	require.NoError(t, err)
	assert.Len(t, all, 9)
	sizes := map[string]int{}
	for _, l := range all {
		sizes[l.ID] = l.Size
	}
	assert.Equal(t, 50, sizes[seed.ListID], "size from hs_list_size")
	assert.Equal(t, seed.SmallListSize, sizes[seed.SmallListID])
}

func TestListContactIDs(t *testing.T) {
	e := newEnv(t, sandbox.Options{HubSpot: unthrottledSandbox})
	seed := e.hs.Seed(sandbox.SeedOptions{Contacts: 350, Seed: 2})
	require.NoError(t, e.hs.ArchiveContact(seed.ContactIDs[100]))
	c := e.client(nil)
	var ids []string
	after := ""
	for {
		page, err := c.ListContactIDs(context.Background(), after, 0)
		require.NoError(t, err)
		ids = append(ids, page.IDs...)
		if page.After == "" {
			break
		}
		after = page.After
	}
	want := append(append([]string{}, seed.ContactIDs[:100]...), seed.ContactIDs[101:]...)
	assert.Equal(t, want, ids)
}

func TestOAuthRefreshesAheadOfExpiry(t *testing.T) {
	// Real time: the token cache is golang.org/x/oauth2's, on its clock.
	// A 4 s token is replaced a quarter of its life early, at 3 s.
	o := unthrottledSandbox
	o.AccessTokenTTL = 4 * time.Second
	e := newEnv(t, sandbox.Options{HubSpot: o})
	e.hs.Seed(sandbox.SeedOptions{Contacts: 10, Seed: 1})
	c := e.client(func(cfg *hubspot.Config) {
		cfg.AccessToken = ""
		cfg.OAuth = oauthConfig(sandbox.HubSpotDemoRefreshToken)
	})
	ctx := context.Background()
	issued := time.Now()
	_, err := c.GetList(ctx, "1")
	require.NoError(t, err)
	_, err = c.GetList(ctx, "1")
	require.NoError(t, err)
	require.Equal(t, 1, e.hs.Stats().TokensIssued, "a fresh token is reused")

	time.Sleep(time.Until(issued.Add(3200 * time.Millisecond))) // inside the lead, before expiry
	var wg sync.WaitGroup
	for g := 0; g < 20; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.GetList(ctx, "1")
			assert.NoError(t, err)
		}()
	}
	wg.Wait()
	st := e.hs.Stats()
	assert.Equal(t, 2, st.TokensIssued, "twenty concurrent callers, one refresh")
	assert.Zero(t, st.Unauthorized, "refreshed before the server refused anything")
}

func TestOAuthRefreshesAndRetriesOnceOnExpiredAuthentication(t *testing.T) {
	e := newEnv(t, sandbox.Options{HubSpot: unthrottledSandbox})
	e.hs.Seed(sandbox.SeedOptions{Contacts: 10, Seed: 1})
	c := e.client(func(cfg *hubspot.Config) {
		cfg.AccessToken = ""
		cfg.OAuth = oauthConfig(sandbox.HubSpotDemoRefreshToken)
	})
	ctx := context.Background()
	_, err := c.GetList(ctx, "1")
	require.NoError(t, err)

	e.hs.ExpireTokens() // revoked early, or our clock is behind
	l, err := c.GetList(ctx, "1")
	require.NoError(t, err)
	assert.Equal(t, "1", l.ID)
	st := e.hs.Stats()
	assert.Equal(t, 1, st.ExpiredTokens)
	assert.Equal(t, 2, st.TokensIssued)
	assert.Equal(t, 3, st.ByFamily["lists.get"])
}

func TestOAuthExpiredTwiceIsAnAuthError(t *testing.T) {
	var apiCalls, tokenCalls atomic.Int32
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/oauth/v3/token" {
			tokenCalls.Add(1)
			require.NoError(t, r.ParseForm())
			assert.Equal(t, "refresh_token", r.PostForm.Get("grant_type"))
			assert.Equal(t, "rt", r.PostForm.Get("refresh_token"))
			assert.Empty(t, r.URL.RawQuery, "credentials travel in the body")
			fmt.Fprintf(w, `{"access_token":"at-%d","refresh_token":"rt","expires_in":1800,"token_type":"bearer"}`, tokenCalls.Load())
			return
		}
		apiCalls.Add(1)
		w.WriteHeader(401)
		fmt.Fprint(w, `{"status":"error","message":"The OAuth token used to make this call expired 1 second(s) ago.","category":"EXPIRED_AUTHENTICATION","correlationId":"c"}`)
	}))
	defer ts.Close()
	c, err := hubspot.New(hubspot.Config{BaseURL: ts.URL, OAuth: &hubspot.OAuthConfig{ClientID: "id", ClientSecret: "s", RefreshToken: "rt"}})
	require.NoError(t, err)
	_, err = c.GetList(context.Background(), "1")
	e := requireKind(t, err, httpx.KindAuth)
	assert.Equal(t, "EXPIRED_AUTHENTICATION", e.Code)
	assert.Equal(t, int32(2), apiCalls.Load(), "retried once, not more")
	assert.Equal(t, int32(2), tokenCalls.Load())
}

func TestOAuthBadRefreshTokenIsAuthError(t *testing.T) {
	e := newEnv(t, sandbox.Options{HubSpot: unthrottledSandbox})
	c := e.client(func(cfg *hubspot.Config) {
		cfg.AccessToken = ""
		cfg.OAuth = oauthConfig("revoked-refresh-token")
	})
	_, err := c.GetList(context.Background(), "1")
	herr := requireKind(t, err, httpx.KindAuth)
	assert.Equal(t, "oauth.token", herr.Op)
	assert.Equal(t, "BAD_REFRESH_TOKEN", herr.Code)
	assert.Equal(t, 400, herr.Status)
	assert.False(t, herr.Retryable())
	assert.Zero(t, e.hs.Stats().ByFamily["lists.get"], "no API call without a token")
}

func TestOAuthRotatedRefreshTokenIsHandedOver(t *testing.T) {
	o := unthrottledSandbox
	o.RotateRefreshTokens = true
	e := newEnv(t, sandbox.Options{HubSpot: o})
	e.hs.Seed(sandbox.SeedOptions{Contacts: 5, Seed: 1})
	var mu sync.Mutex
	var rotated []string
	cfg := oauthConfig(sandbox.HubSpotDemoRefreshToken)
	cfg.OnRefresh = func(tok string) {
		mu.Lock()
		defer mu.Unlock()
		rotated = append(rotated, tok)
	}
	c := e.client(func(c *hubspot.Config) { c.AccessToken, c.OAuth = "", cfg })
	ctx := context.Background()
	_, err := c.GetList(ctx, "1")
	require.NoError(t, err)
	e.hs.ExpireTokens()
	_, err = c.GetList(ctx, "1")
	require.NoError(t, err, "the second refresh uses the rotated refresh token")
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, rotated, 2)
	assert.NotEqual(t, rotated[0], rotated[1])
	for _, tok := range rotated {
		assert.NotEqual(t, sandbox.HubSpotDemoRefreshToken, tok)
	}
}

func TestRateLimitResponsesAreClassified(t *testing.T) {
	clock := clocktest.New(time.Date(2026, 5, 4, 22, 0, 0, 0, time.UTC)) // the emulator's windows stand still
	e := newEnv(t, sandbox.Options{HubSpot: sandbox.HubSpotOptions{BurstLimit: 3, SearchPerSecond: 1, DailyLimit: 1000, Now: clock.Now}})
	e.hs.Seed(sandbox.SeedOptions{Contacts: 5, Seed: 1})
	ctx := context.Background()

	// Four workers that do not share a governor: the situation that makes
	// HubSpot answer 429 to a client that paces itself.
	var last *hubspot.Client
	var err error
	for i := 0; i < 4; i++ {
		last = e.client(func(cfg *hubspot.Config) { cfg.Governor = hubspot.NewGovernor(hubspot.Limits{}, clock) })
		_, err = last.GetList(ctx, "1")
	}
	herr := requireKind(t, err, httpx.KindRateLimited)
	assert.Equal(t, hubspot.PolicyTenSecondly, herr.Code)
	assert.Equal(t, 429, herr.Status)
	assert.Equal(t, 10*time.Second, herr.RetryAfter)
	assert.True(t, herr.Retryable())
	assert.Equal(t, int64(1), last.Governor().Stats().RateLimited)

	s1 := e.client(func(cfg *hubspot.Config) { cfg.Governor = hubspot.NewGovernor(hubspot.Limits{}, clock) })
	s2 := e.client(func(cfg *hubspot.Config) { cfg.Governor = hubspot.NewGovernor(hubspot.Limits{}, clock) })
	cur := hubspot.NewSearchCursor(time.Unix(0, 0), time.Time{})
	_, err = s1.SearchContactsModified(ctx, cur, nil, 10)
	require.NoError(t, err)
	_, err = s2.SearchContactsModified(ctx, cur, nil, 10)
	herr = requireKind(t, err, httpx.KindRateLimited)
	assert.Equal(t, hubspot.PolicySecondly, herr.Code)
	assert.Equal(t, time.Second, herr.RetryAfter)

	st := e.hs.Stats()
	assert.Equal(t, 1, st.RateLimitedByPolicy["TEN_SECONDLY_ROLLING"])
	assert.Equal(t, 1, st.RateLimitedByPolicy["SECONDLY"])
}

func TestDailyLimitFromServerAndGovernor(t *testing.T) {
	clock := clocktest.New(time.Date(2026, 5, 4, 22, 0, 0, 0, time.UTC))
	e := newEnv(t, sandbox.Options{HubSpot: sandbox.HubSpotOptions{DailyLimit: 3, Now: clock.Now}})
	e.hs.Seed(sandbox.SeedOptions{Contacts: 5, Seed: 1})
	ctx := context.Background()

	// One governor that knows the budget: it stops before the server does.
	gov := hubspot.NewGovernor(hubspot.Limits{Daily: 3}, clock, hubspot.WithDailyReserve(0))
	c := e.client(func(cfg *hubspot.Config) { cfg.Governor = gov })
	for i := 0; i < 3; i++ {
		_, err := c.GetList(ctx, "1")
		require.NoError(t, err)
	}
	_, err := c.GetList(ctx, "1")
	herr := requireKind(t, err, httpx.KindRateLimited)
	assert.Equal(t, hubspot.PolicyDaily, herr.Code)
	assert.Equal(t, 2*time.Hour, herr.RetryAfter, "until midnight UTC")
	assert.Equal(t, 3, e.hs.CallCount(), "the fourth call never left")

	// A governor that thought it had budget learns from the server's 429.
	other := e.client(func(cfg *hubspot.Config) { cfg.Governor = hubspot.NewGovernor(hubspot.Limits{}, clock) })
	_, err = other.GetList(ctx, "1")
	herr = requireKind(t, err, httpx.KindRateLimited)
	assert.Equal(t, hubspot.PolicyDaily, herr.Code)
	assert.Equal(t, 2*time.Hour, herr.RetryAfter)
	_, err = other.GetList(ctx, "1")
	requireKind(t, err, httpx.KindRateLimited)
	assert.Equal(t, 4, e.hs.CallCount(), "after a DAILY 429 the governor stops calling")
}

func TestServerErrorsAreTransient(t *testing.T) {
	e := newEnv(t, sandbox.Options{HubSpot: unthrottledSandbox, FaultRate: 1})
	_, err := e.client(nil).GetList(context.Background(), "1")
	herr := requireKind(t, err, httpx.KindTransient)
	assert.Equal(t, 502, herr.Status)
	assert.True(t, herr.Retryable())

	ts := httptest.NewServer(http.NotFoundHandler())
	ts.Close() // nothing listens any more
	c, err := hubspot.New(hubspot.Config{BaseURL: ts.URL, AccessToken: "t"})
	require.NoError(t, err)
	_, err = c.GetList(context.Background(), "1")
	herr = requireKind(t, err, httpx.KindTransient)
	assert.Zero(t, herr.Status)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = c.GetList(ctx, "1")
	requireKind(t, err, httpx.KindPermanent) // our own cancellation
}

func TestErrorClassification(t *testing.T) {
	cases := []struct {
		name       string
		status     int
		header     map[string]string
		body       string
		kind       httpx.Kind
		code       string
		fields     []string
		retryAfter time.Duration
	}{
		{name: "validation with property names", status: 400,
			body: `{"status":"error","message":"Property values were not valid","correlationId":"x","category":"VALIDATION_ERROR","context":{"propertyName":["discount"]},"errors":[{"message":"discount was not a valid number","code":"INVALID_INTEGER","in":"discount","context":{"propertyName":["discount","amount"]}}]}`,
			kind: httpx.KindValidation, code: "VALIDATION_ERROR", fields: []string{"discount", "amount"}},
		{name: "missing scopes", status: 403,
			body: `{"status":"error","message":"This app hasn't been granted all required scopes","category":"MISSING_SCOPES","context":{"requiredGranularScopes":["crm.lists.read"]}}`,
			kind: httpx.KindAuth, code: "MISSING_SCOPES", fields: []string{"crm.lists.read"}},
		{name: "user permissions", status: 403, body: `{"status":"error","message":"no","category":"USER_DOES_NOT_HAVE_PERMISSIONS"}`,
			kind: httpx.KindAuth, code: "USER_DOES_NOT_HAVE_PERMISSIONS"},
		{name: "invalid token", status: 401, body: `{"status":"error","message":"Authentication credentials not found.","category":"INVALID_AUTHENTICATION"}`,
			kind: httpx.KindAuth, code: "INVALID_AUTHENTICATION"},
		{name: "not found", status: 404, body: `{"status":"error","message":"Object not found","category":"OBJECT_NOT_FOUND"}`,
			kind: httpx.KindNotFound, code: "OBJECT_NOT_FOUND"},
		{name: "conflict", status: 409, body: `{"status":"error","message":"Contact already exists. Existing ID: 6001","category":"CONFLICT"}`,
			kind: httpx.KindDuplicate, code: "CONFLICT"},
		{name: "validation category on another status", status: 422, body: `{"status":"error","message":"bad","category":"VALIDATION_ERROR"}`,
			kind: httpx.KindValidation, code: "VALIDATION_ERROR"},
		{name: "ten secondly without Retry-After", status: 429,
			body: `{"status":"error","message":"You have reached your ten_secondly_rolling limit.","errorType":"RATE_LIMIT","correlationId":"c","policyName":"TEN_SECONDLY_ROLLING","groupName":"g"}`,
			kind: httpx.KindRateLimited, code: "TEN_SECONDLY_ROLLING", retryAfter: 10 * time.Second},
		{name: "429 with Retry-After", status: 429, header: map[string]string{"Retry-After": "3"},
			body: `{"status":"error","message":"You have reached your ten_secondly_rolling limit.","errorType":"RATE_LIMIT","policyName":"TEN_SECONDLY_ROLLING"}`,
			kind: httpx.KindRateLimited, code: "TEN_SECONDLY_ROLLING", retryAfter: 3 * time.Second},
		{name: "search secondly without policy", status: 429,
			body: `{"status":"error","message":"You have reached your secondly limit.","errorType":"RATE_LIMIT","correlationId":"c"}`,
			kind: httpx.KindRateLimited, code: "SECONDLY", retryAfter: time.Second},
		{name: "old RATE_LIMITS category", status: 429, body: `{"status":"error","message":"slow down","category":"RATE_LIMITS"}`,
			kind: httpx.KindRateLimited, code: "RATE_LIMITS", retryAfter: 10 * time.Second},
		{name: "locked", status: 423, body: `{"status":"error","message":"locked","category":"LOCKED"}`,
			kind: httpx.KindTransient, code: "LOCKED", retryAfter: 2 * time.Second},
		{name: "migration in progress", status: 477, header: map[string]string{"Retry-After": "120"}, body: `{}`,
			kind: httpx.KindTransient, retryAfter: 2 * time.Minute},
		{name: "cloudflare html", status: 502, body: `<html><body>Bad gateway</body></html>`, kind: httpx.KindTransient},
		{name: "unavailable with Retry-After", status: 503, header: map[string]string{"Retry-After": "30"}, body: ``,
			kind: httpx.KindTransient, retryAfter: 30 * time.Second},
		{name: "uri too long", status: 414, body: `<html>414</html>`, kind: httpx.KindPermanent},
		{name: "banned", status: 403, body: `{"status":"error","message":"banned","category":"BANNED"}`, kind: httpx.KindPermanent, code: "BANNED"},
		{name: "plain 400", status: 400, body: `oops`, kind: httpx.KindValidation},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tc.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tc.status)
				io.WriteString(w, tc.body)
			}))
			defer ts.Close()
			c, err := hubspot.New(hubspot.Config{BaseURL: ts.URL, AccessToken: "t"})
			require.NoError(t, err)
			_, err = c.GetList(context.Background(), "1")
			herr := requireKind(t, err, tc.kind)
			assert.Equal(t, "hubspot", herr.API)
			assert.Equal(t, "lists.get", herr.Op)
			assert.Equal(t, tc.status, herr.Status)
			assert.Equal(t, tc.code, herr.Code)
			assert.Equal(t, tc.fields, herr.Fields)
			assert.Equal(t, tc.retryAfter, herr.RetryAfter)
			assert.NotEmpty(t, herr.Message)
			assert.NotContains(t, herr.Message, "<html>", "bodies are not copied into errors")
		})
	}
}

func TestGovernorKeepsTwoThousandCallsUnderTheBurstLimit(t *testing.T) {
	const (
		limit   = 100
		window  = 250 * time.Millisecond
		calls   = 2_000
		workers = 8
	)
	o := sandbox.HubSpotOptions{BurstLimit: limit, BurstWindow: window, DailyLimit: 1_000_000}
	e := newEnv(t, sandbox.Options{HubSpot: o})
	e.hs.Seed(sandbox.SeedOptions{Contacts: 5, Seed: 1})
	gov := hubspot.NewGovernor(hubspot.Limits{Burst: limit, BurstPeriod: window, Daily: 1_000_000}, nil)
	// Several clients, one governor: how the worker's activities share it.
	clients := make([]*hubspot.Client, workers)
	for i := range clients {
		clients[i] = e.client(func(cfg *hubspot.Config) { cfg.Governor = gov })
	}

	var next atomic.Int32
	var failures atomic.Int32
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(c *hubspot.Client) {
			defer wg.Done()
			for next.Add(1) <= calls {
				if _, err := c.GetList(context.Background(), "1"); err != nil {
					failures.Add(1)
				}
			}
		}(clients[w])
	}
	wg.Wait()
	took := time.Since(start)

	// The server admits at most `limit` per rolling window, so 2,000 calls
	// need at least (2000/limit - 1) full windows.
	minimum := time.Duration(calls/limit-1) * window
	st := e.hs.Stats()
	t.Logf("%d calls in %s (server minimum %s); governor: %+v", calls, took, minimum, gov.Stats())
	assert.Zero(t, st.RateLimited, "no 429 at all")
	assert.Zero(t, failures.Load())
	assert.Equal(t, calls, st.ByFamily["lists.get"])
	assert.GreaterOrEqual(t, took, minimum)
}

func TestContextCancellationWhileThrottled(t *testing.T) {
	e := newEnv(t, sandbox.Options{HubSpot: sandbox.HubSpotOptions{BurstLimit: 1, BurstWindow: time.Hour}})
	e.hs.Seed(sandbox.SeedOptions{Contacts: 5, Seed: 1})
	gov := hubspot.NewGovernor(hubspot.Limits{Burst: 1, BurstPeriod: time.Hour}, nil)
	c := e.client(func(cfg *hubspot.Config) { cfg.Governor = gov })
	_, err := c.GetList(context.Background(), "1")
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	_, err = c.GetList(ctx, "1")
	requireKind(t, err, httpx.KindTransient)
	assert.Equal(t, 1, e.hs.CallCount())
	assert.True(t, strings.Contains(err.Error(), "deadline"), err.Error())
}
