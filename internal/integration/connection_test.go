package integration_test

import (
	"slices"
	"testing"

	"hubspot-brevo-sync/internal/integration"
)

func TestDefaultAccountKeepsExtIDEqualToRecordID(t *testing.T) {
	var acct integration.HubSpotAccount
	if got := acct.ExtID("1001"); got != "1001" {
		t.Fatalf("ExtID = %q, want the record id", got)
	}
	if id, ok := acct.RecordID("1001"); !ok || id != "1001" {
		t.Fatalf("RecordID(1001) = %q, %v", id, ok)
	}
	if _, ok := acct.RecordID("7000002-1001"); ok {
		t.Fatal("a prefixed ext_id of another portal is taken for the default account's")
	}
	if acct.ConnectionName() != integration.DefaultConnection {
		t.Fatalf("connection %q, want default", acct.ConnectionName())
	}
}

func TestNamedAccountPrefixesExtIDsWithItsPortal(t *testing.T) {
	acct := integration.Spec{HubSpotConnection: "beta", HubSpotPortalID: "7000002"}.HubSpot()
	if got := acct.ExtID("1001"); got != "7000002-1001" {
		t.Fatalf("ExtID = %q", got)
	}
	for ext, want := range map[string]bool{"7000002-1001": true, "1001": false, "7000003-1001": false, "7000002-": false, "70000021-1001": false} {
		id, ok := acct.RecordID(ext)
		if ok != want || (ok && id != "1001") {
			t.Errorf("RecordID(%q) = %q, %v; want ok %v", ext, id, ok, want)
		}
	}
	ids := []string{"1001", "1002"}
	back := acct.RecordIDs(append(acct.ExtIDs(ids), "1003", "9-1004"))
	if !slices.Equal(back, ids) {
		t.Fatalf("round trip %v, want %v (other accounts' ext_ids left out)", back, ids)
	}
	other := integration.HubSpotAccount{Connection: "gamma", Portal: "7000003"}
	if acct.ExtID("1001") == other.ExtID("1001") || acct.ExtID("1001") == (integration.HubSpotAccount{}).ExtID("1001") {
		t.Fatal("the same record id of two portals shares an ext_id")
	}
}
