package integration

import "strings"

// DefaultConnection names the HubSpot connection of the HUBSPOT_*
// environment (config.DefaultConnection says the same): a spec without a
// connection uses it.
const DefaultConnection = "default"

// HubSpotAccount says which HubSpot account an integration reads and how
// its record ids become Brevo ext_ids. Activities that call HubSpot carry
// it in their input; it holds a connection's name, never its credentials.
//
// HubSpot record ids are unique per portal only, Brevo's ext_id per Brevo
// account. The default connection keeps ext_id = record id (the contract
// of every integration made before connections existed); any other
// connection's ext_ids are "<portal id>-<record id>", so two portals that
// feed one Brevo account never share an ext_id. The portal id is fixed in
// the spec at create time: the ext_ids never change under a running
// integration.
type HubSpotAccount struct {
	// Connection is the connection's name; "" is DefaultConnection.
	Connection string `json:"connection,omitempty"`
	// Portal is the HubSpot portal (hub) id that prefixes the ext_ids; ""
	// keeps ext_id = record id.
	Portal string `json:"portal,omitempty"`
}

// ConnectionName is the account's connection, DefaultConnection when unset.
func (a HubSpotAccount) ConnectionName() string {
	if a.Connection == "" {
		return DefaultConnection
	}
	return a.Connection
}

// ExtID is the Brevo ext_id of a HubSpot record id of this account: the
// key the sync store and Brevo know the contact by.
func (a HubSpotAccount) ExtID(recordID string) string {
	if a.Portal == "" {
		return recordID
	}
	return a.Portal + "-" + recordID
}

// RecordID is the HubSpot record id of one of this account's ext_ids; ok
// is false for an ext_id of another account.
func (a HubSpotAccount) RecordID(extID string) (recordID string, ok bool) {
	if a.Portal == "" {
		return extID, extID != "" && !strings.Contains(extID, "-")
	}
	id, found := strings.CutPrefix(extID, a.Portal+"-")
	return id, found && id != ""
}

// ExtIDs converts record ids with ExtID.
func (a HubSpotAccount) ExtIDs(recordIDs []string) []string {
	if a.Portal == "" {
		return recordIDs
	}
	out := make([]string, len(recordIDs))
	for i, id := range recordIDs {
		out[i] = a.ExtID(id)
	}
	return out
}

// RecordIDs converts ext_ids with RecordID, leaving out those of other
// accounts.
func (a HubSpotAccount) RecordIDs(extIDs []string) []string {
	if a.Portal == "" {
		return extIDs
	}
	out := make([]string, 0, len(extIDs))
	for _, e := range extIDs {
		if id, ok := a.RecordID(e); ok {
			out = append(out, id)
		}
	}
	return out
}

// HubSpot is the account the integration reads.
func (s Spec) HubSpot() HubSpotAccount {
	return HubSpotAccount{Connection: s.HubSpotConnection, Portal: s.HubSpotPortalID}
}
