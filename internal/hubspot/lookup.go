package hubspot

import (
	"context"
	"strings"
)

// FindContact finds one contact by record id or by email, for a person
// asking about it (`starter report --contact`); found is false when
// HubSpot has no such (unarchived) contact. A merged-away id finds the
// record it was merged into. An email is looked up with search, whose
// index lags writes by a few seconds.
func (c *Client) FindContact(ctx context.Context, idOrEmail string) (contact Contact, found bool, err error) {
	key := strings.TrimSpace(idOrEmail)
	if !strings.Contains(key, "@") {
		res, err := c.BatchReadContacts(ctx, []string{key}, []string{"email"})
		if err != nil || len(res.Contacts) == 0 {
			return Contact{}, false, err
		}
		return res.Contacts[0], true, nil
	}
	res, err := c.search(ctx, searchRequest{
		FilterGroups: []searchFilterGroup{{Filters: []searchFilter{{PropertyName: "email", Operator: "EQ", Value: key}}}},
		Properties:   []string{"email"},
		Limit:        1,
	})
	if err != nil || len(res.Results) == 0 {
		return Contact{}, false, err
	}
	return res.Results[0].contact(), true, nil
}
