package manage_test

import (
	"net/http/httptest"
	"reflect"
	"sort"
	"testing"
	"time"

	"hubspot-brevo-sync/internal/brevo"
	"hubspot-brevo-sync/internal/hubspot"
	"hubspot-brevo-sync/internal/manage"
	"hubspot-brevo-sync/internal/sandbox"
)

// fmEnv is a sandbox and a Manager with real API clients and no Temporal:
// enough for validation, attribute creation and dry runs.
type fmEnv struct {
	sb   *sandbox.Server
	mgr  *manage.Manager
	seed sandbox.SeedResult
}

// fmNewEnv starts a sandbox (fast limits, brevo options as given) seeded
// with contacts (0: none).
func fmNewEnv(t *testing.T, bo sandbox.BrevoOptions, contacts int) *fmEnv {
	t.Helper()
	bo.ContactsPerSecond, bo.ContactsPerHour, bo.OtherPerHour = 1000, 1_000_000, 10_000
	sb := sandbox.New(sandbox.Options{
		HubSpot: sandbox.HubSpotOptions{BurstLimit: 2000, BurstWindow: 10 * time.Second},
		Brevo:   bo,
	})
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	env := sandbox.DevEnv(srv.URL)
	hs, err := hubspot.New(hubspot.Config{BaseURL: env.HubSpotBaseURL, AccessToken: env.HubSpotToken,
		Governor: hubspot.NewGovernor(hubspot.Limits{Burst: 2000, BurstPeriod: 10 * time.Second, Daily: 1_000_000, SearchPerSecond: 5}, nil)})
	if err != nil {
		t.Fatal(err)
	}
	bv, err := brevo.New(brevo.Config{BaseURL: env.BrevoBaseURL, APIKey: env.BrevoAPIKey,
		Governor: brevo.NewGovernor(brevo.Limits{ContactsPerSecond: 1000, ContactsPerHour: 1_000_000, OtherPerHour: 10_000, EmailPerSecond: 100}, nil)})
	if err != nil {
		t.Fatal(err)
	}
	e := &fmEnv{sb: sb, mgr: &manage.Manager{HubSpot: hs, Brevo: bv, TaskQueue: "unused"}}
	if contacts > 0 {
		e.seed = sb.HubSpot().Seed(sandbox.SeedOptions{Contacts: contacts, Seed: 3})
	}
	return e
}

// fmRequest is a valid create request for list 1 with the given mapping.
func fmRequest(maps ...string) manage.CreateRequest {
	return manage.CreateRequest{Name: "fm", HubSpotListID: "1", BrevoListID: 1, OptInConfirmed: true, Map: maps}
}

// fmSnapshot is everything of the Brevo emulator a dry run must not change.
type fmSnapshot struct {
	writes, listChanges int64
	posts               int64
	state               sandbox.BrevoState
}

func fmSnap(sb *sandbox.Server) fmSnapshot {
	st := sb.Brevo().Stats()
	var posts int64
	for route, n := range st.Endpoints {
		if len(route) > 4 && route[:4] != "GET " {
			posts += n
		}
	}
	return fmSnapshot{writes: st.ContactWrites, listChanges: st.ListChanges, posts: posts, state: sb.Brevo().State()}
}

// fmSameBrevo fails when Brevo changed between two snapshots.
func fmSameBrevo(t *testing.T, before, after fmSnapshot) {
	t.Helper()
	if after.writes != before.writes || after.listChanges != before.listChanges {
		t.Errorf("Brevo contact writes %d -> %d, list changes %d -> %d", before.writes, after.writes, before.listChanges, after.listChanges)
	}
	if after.posts != before.posts {
		t.Errorf("%d write requests (POST/PUT/DELETE) reached Brevo", after.posts-before.posts)
	}
	if !reflect.DeepEqual(before.state.Contacts, after.state.Contacts) {
		t.Errorf("Brevo contacts changed: %d -> %d", len(before.state.Contacts), len(after.state.Contacts))
	}
	if !reflect.DeepEqual(fmAttrNames(before.state), fmAttrNames(after.state)) {
		t.Errorf("Brevo attributes changed: %v -> %v", fmAttrNames(before.state), fmAttrNames(after.state))
	}
	if !reflect.DeepEqual(before.state.Lists, after.state.Lists) || !reflect.DeepEqual(before.state.Folders, after.state.Folders) {
		t.Errorf("Brevo lists or folders changed")
	}
}

func fmAttrNames(st sandbox.BrevoState) []string {
	var out []string
	for _, a := range st.Attributes {
		out = append(out, a.Name)
	}
	sort.Strings(out)
	return out
}

func fmAttr(sb *sandbox.Server, name string) (sandbox.BrevoAttribute, bool) {
	for _, a := range sb.Brevo().State().Attributes {
		if a.Name == name {
			return a, true
		}
	}
	return sandbox.BrevoAttribute{}, false
}
