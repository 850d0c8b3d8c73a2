package activities

import (
	"go.temporal.io/sdk/temporal"

	"hubspot-brevo-sync/internal/hubspot"
	"hubspot-brevo-sync/internal/integration"
	"hubspot-brevo-sync/internal/mapping"
)

// HubSpotClients resolves a HubSpot connection's name to its client (the
// worker's connections.Registry: one client, one budget, per connection).
type HubSpotClients interface {
	Client(name string) (*hubspot.Client, error)
}

// ErrTypeHubSpotConnection: the integration's HubSpot connection has no
// usable file (removed, misspelt). Non-retryable: the integration fails
// visibly and `starter resume` goes on once the file is back.
const ErrTypeHubSpotConnection = "HubSpotConnection"

// hubspotOf is the client of the account's connection: every activity
// that calls HubSpot gets its client here.
func (a *Activities) hubspotOf(acct integration.HubSpotAccount) (*hubspot.Client, error) {
	if a.Connections == nil {
		if acct.ConnectionName() == integration.DefaultConnection && a.HubSpot != nil {
			return a.HubSpot, nil
		}
		return nil, temporal.NewNonRetryableApplicationError("HubSpot connection "+acct.ConnectionName()+
			" is not known to this worker", ErrTypeHubSpotConnection, nil)
	}
	c, err := a.Connections.Client(acct.Connection)
	if err != nil {
		// A missing, unreadable or invalid file: nothing a retry mends.
		return nil, temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeHubSpotConnection, err)
	}
	return c, nil
}

// toRecordOf is toRecord for a contact of acct: its id and the ids merged
// into it become the contact's keys (ext_ids).
func toRecordOf(acct integration.HubSpotAccount, c hubspot.Contact, properties []string) mapping.Record {
	r := toRecord(c, properties)
	r.ID = acct.ExtID(r.ID)
	r.MergedFrom = acct.ExtIDs(r.MergedFrom)
	return r
}
