package e2e

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/workflowservice/v1"

	"hubspot-brevo-sync/activities"
	"hubspot-brevo-sync/internal/connections"
	"hubspot-brevo-sync/internal/integration"
	"hubspot-brevo-sync/internal/manage"
	"hubspot-brevo-sync/internal/mapping"
	"hubspot-brevo-sync/internal/quota"
	"hubspot-brevo-sync/internal/sandbox"
)

// portal is one HubSpot account of the sandbox with its seeded list.
type portal struct {
	hs   *sandbox.HubSpot
	seed sandbox.SeedResult
}

// addPortal adds a HubSpot account reached with token, seeds it and
// gives its emails a prefix of their own (the people of two portals are
// different people; their record ids are the same).
func addPortal(t *testing.T, sb *sandbox.Server, token string, id int64, contacts int, prefix string) portal {
	t.Helper()
	hs := sb.AddHubSpotPortal(sandbox.HubSpotOptions{StaticTokens: []string{token}, PortalID: id})
	seed := hs.Seed(sandbox.SeedOptions{Contacts: contacts, Seed: uint64(id)})
	for _, rid := range seed.ContactIDs {
		c, _ := hs.Contact(rid)
		if email := c.Properties["email"]; email != "" {
			if err := hs.UpdateContact(rid, map[string]string{"email": prefix + email}); err != nil {
				t.Fatal(err)
			}
		}
	}
	return portal{hs: hs, seed: seed}
}

var connectionsMap = []string{"email=EMAIL", "firstname=FIRSTNAME", "lastname=LASTNAME"}

// checkPortal compares Brevo with one portal's list, contact by contact,
// through the integration's ext_ids, and returns how many were written.
func checkPortal(t *testing.T, s *stack, p portal, spec integration.Spec, brevoList int64) int64 {
	t.Helper()
	acct := spec.HubSpot()
	var synced int64
	for _, id := range p.seed.ContactIDs {
		hc, _ := p.hs.Contact(id)
		want, skip := mapping.Map(spec.Mapping, mapping.Record{ID: acct.ExtID(id), Properties: hc.Properties})
		got, inBrevo := s.sb.Brevo().ContactByExtID(acct.ExtID(id))
		switch {
		case skip != nil && inBrevo:
			t.Errorf("%s: contact %s should be skipped (%s) but Brevo holds %s", spec.Name, id, skip.Reason, got.Email)
		case skip != nil:
		case !inBrevo:
			t.Errorf("%s: contact %s (ext_id %s, %s) missing in Brevo", spec.Name, id, acct.ExtID(id), want.Email)
		case !strings.EqualFold(got.Email, want.Email) || got.Attributes["FIRSTNAME"] != want.Attributes["FIRSTNAME"]:
			t.Errorf("%s: contact %s: Brevo has %s %v, want %s %v", spec.Name, id, got.Email, got.Attributes["FIRSTNAME"], want.Email, want.Attributes["FIRSTNAME"])
		case !slices.Contains(got.ListIDs, brevoList):
			t.Errorf("%s: contact %s is not in Brevo list %d", spec.Name, id, brevoList)
		default:
			synced++
		}
	}
	return synced
}

// createOn creates an integration on a connection into a new Brevo list
// and waits until it is idle.
func createOn(t *testing.T, s *stack, name, connection, listID string) (integration.Spec, integration.Status) {
	t.Helper()
	spec, err := s.mgr.Create(context.Background(), manage.CreateRequest{
		Name: name, HubSpotListID: listID, NewBrevoList: "from " + name, Map: connectionsMap,
		OptInConfirmed: true, HubSpotConnection: connection,
	})
	if err != nil {
		t.Fatal(err)
	}
	st := s.waitFor(t, name, 3*time.Minute, func(st integration.Status) bool { return st.State == integration.StateIdle })
	return spec, st
}

// TestConnectionsKeepPortalsApart: two HubSpot portals (the default
// connection and a named one) feed one Brevo account under one quota;
// their record ids collide, their Brevo contacts do not. A third
// connection, added while the worker runs, is used without a restart.
func TestConnectionsKeepPortalsApart(t *testing.T) {
	dir := t.TempDir()
	s := newStackOpts(t, fastLimits(), 100_000, activities.Notifier{}, stackConfig{connectionsDir: dir})
	ctx := context.Background()
	a := portal{hs: s.sb.HubSpot()}
	a.seed = a.hs.Seed(sandbox.SeedOptions{Contacts: 300, Seed: 7})
	b := addPortal(t, s.sb, "portal-b-token", 7_000_002, 300, "b.")
	if a.seed.ContactIDs[0] != b.seed.ContactIDs[0] {
		t.Fatalf("the portals' record ids should collide: %s vs %s", a.seed.ContactIDs[0], b.seed.ContactIDs[0])
	}
	if err := connections.Dir(dir).Save(connections.Connection{Name: "beta", AccessToken: "portal-b-token"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.mgr.Create(ctx, manage.CreateRequest{Name: "nope", HubSpotListID: b.seed.ListID, BrevoListID: 1,
		Map: connectionsMap, OptInConfirmed: true, HubSpotConnection: "missing"}); err == nil ||
		!strings.Contains(err.Error(), `"missing"`) || strings.Contains(err.Error(), "\n") {
		t.Fatalf("create on a missing connection: %v, want one line naming it", err)
	}

	specA, stA := createOn(t, s, "from-a", "", a.seed.ListID)
	specB, stB := createOn(t, s, "from-b", "beta", b.seed.ListID)
	if specA.HubSpotPortalID != "" || specB.HubSpotPortalID != "7000002" || stB.HubSpotConnection != "beta" {
		t.Fatalf("portal ids: default %q, beta %q (status connection %q); want none and 7000002", specA.HubSpotPortalID, specB.HubSpotPortalID, stB.HubSpotConnection)
	}
	syncedA := checkPortal(t, s, a, specA, stA.BrevoListID)
	syncedB := checkPortal(t, s, b, specB, stB.BrevoListID)
	if syncedA == 0 || syncedA != stA.ContactsSynced || syncedB == 0 || syncedB != stB.ContactsSynced {
		t.Fatalf("Brevo holds %d and %d contacts; the integrations report %d and %d synced", syncedA, syncedB, stA.ContactsSynced, stB.ContactsSynced)
	}
	collided := 0
	for _, id := range a.seed.ContactIDs {
		fromA, okA := s.sb.Brevo().ContactByExtID(id)
		fromB, okB := s.sb.Brevo().ContactByExtID("7000002-" + id)
		if okA && okB {
			collided++
			if fromA.ID == fromB.ID || strings.EqualFold(fromA.Email, fromB.Email) {
				t.Fatalf("record %s of both portals landed on one Brevo contact: %+v %+v", id, fromA, fromB)
			}
		}
	}
	if collided == 0 {
		t.Fatal("no record id was written from both portals")
	}

	// A connection added while the worker runs.
	c := addPortal(t, s.sb, "portal-c-token", 7_000_003, 120, "c.")
	if err := connections.Dir(dir).Save(connections.Connection{Name: "gamma", AccessToken: "portal-c-token"}); err != nil {
		t.Fatal(err)
	}
	specC, stC := createOn(t, s, "from-c", "gamma", c.seed.ListID)
	syncedC := checkPortal(t, s, c, specC, stC.BrevoListID)
	if syncedC == 0 || syncedC != stC.ContactsSynced {
		t.Fatalf("Brevo holds %d contacts of portal c; the integration reports %d", syncedC, stC.ContactsSynced)
	}

	// One quota: the ledger counted every write of the three.
	total := syncedA + syncedB + syncedC
	l := waitLedger(t, s, func(l quota.Ledger) bool { return l.Used == total })
	if l.Used != total {
		t.Fatalf("quota used %d, want %d", l.Used, total)
	}
	for _, p := range []portal{a, b, c} {
		if st := p.hs.Stats(); st.RateLimited != 0 {
			t.Errorf("a HubSpot portal answered %d requests with 429", st.RateLimited)
		}
	}
	// The connection is a search attribute.
	resp, err := s.temporal.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
		Namespace: s.ns, Query: "HubSpotConnection = 'gamma'"})
	if err != nil || len(resp.GetExecutions()) != 1 {
		t.Fatalf("HubSpotConnection = 'gamma' found %d integrations (err %v)", len(resp.GetExecutions()), err)
	}
	using, err := s.mgr.UsingConnection(ctx, "beta")
	if err != nil || fmt.Sprint(using) != "[from-b]" {
		t.Fatalf("UsingConnection(beta) = %v, %v", using, err)
	}
}
