package hubspot_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hubspot-brevo-sync/internal/httpx"
	"hubspot-brevo-sync/internal/hubspot"
	"hubspot-brevo-sync/internal/sandbox"
)

var blacklistedProperty = hubspot.NewProperty{
	Name: "brevo_email_blacklisted", Label: "Blocklisted in Brevo", Type: "bool", FieldType: "booleancheckbox", GroupName: "emailinformation",
	Options: []hubspot.PropertyOption{{Label: "Yes", Value: "true"}, {Label: "No", Value: "false"}},
}

// TestBatchUpdateSplitsAndReportsMissing: 250 updates go as three calls of
// at most 100; a deleted record comes back in Missing, the rest is written.
func TestBatchUpdateSplitsAndReportsMissing(t *testing.T) {
	e := newEnv(t, sandbox.Options{HubSpot: unthrottledSandbox})
	c := e.client(nil)
	ctx := context.Background()
	created, err := c.EnsureProperty(ctx, blacklistedProperty)
	require.NoError(t, err)
	require.True(t, created)

	var updates []hubspot.ContactUpdate
	for i := range 250 {
		id, err := e.hs.CreateContact(map[string]string{"email": fmt.Sprintf("p%d@example.com", i)})
		require.NoError(t, err)
		updates = append(updates, hubspot.ContactUpdate{ID: id, Properties: map[string]string{"brevo_email_blacklisted": "true"}})
	}
	require.NoError(t, e.hs.ArchiveContact(updates[120].ID))
	calls := e.hs.Stats().ByFamily["contacts.batchUpdate"]
	res, err := c.BatchUpdateContacts(ctx, updates)
	require.NoError(t, err)
	assert.Equal(t, 3, e.hs.Stats().ByFamily["contacts.batchUpdate"]-calls)
	assert.Equal(t, []string{updates[120].ID}, res.Missing)
	for _, i := range []int{0, 99, 100, 249} {
		got, _ := e.hs.Contact(updates[i].ID)
		assert.Equal(t, "true", got.Properties["brevo_email_blacklisted"], "contact %d", i)
	}
}

// TestBatchUpdateRefusesBadValues: a value HubSpot refuses fails the call
// as a validation error, not as a partial success.
func TestBatchUpdateRefusesBadValues(t *testing.T) {
	e := newEnv(t, sandbox.Options{HubSpot: unthrottledSandbox})
	c := e.client(nil)
	ctx := context.Background()
	_, err := c.EnsureProperty(ctx, blacklistedProperty)
	require.NoError(t, err)
	id, err := e.hs.CreateContact(map[string]string{"email": "a@example.com"})
	require.NoError(t, err)
	_, err = c.BatchUpdateContacts(ctx, []hubspot.ContactUpdate{{ID: id, Properties: map[string]string{"brevo_email_blacklisted": "yes"}}})
	requireKind(t, err, httpx.KindValidation)
}

// TestEnsurePropertyTakesAnExistingOne: the second creation answers 409,
// which is no error; the property is listed once.
func TestEnsurePropertyTakesAnExistingOne(t *testing.T) {
	e := newEnv(t, sandbox.Options{HubSpot: unthrottledSandbox})
	c := e.client(nil)
	ctx := context.Background()
	created, err := c.EnsureProperty(ctx, blacklistedProperty)
	require.NoError(t, err)
	assert.True(t, created)
	created, err = c.EnsureProperty(ctx, blacklistedProperty)
	require.NoError(t, err)
	assert.False(t, created)
	props, err := c.Properties(ctx)
	require.NoError(t, err)
	n := 0
	for _, p := range props {
		if p.Name == blacklistedProperty.Name {
			n++
			assert.Equal(t, "bool", p.Type)
		}
	}
	assert.Equal(t, 1, n)
}

// TestUnsubscribeEmailToleratesARepeat: whether HubSpot answers a repeated
// unsubscribe with 400 "already unsubscribed" or 200, it is done.
func TestUnsubscribeEmailToleratesARepeat(t *testing.T) {
	for _, repeatOK := range []bool{false, true} {
		t.Run(fmt.Sprintf("repeatOK=%v", repeatOK), func(t *testing.T) {
			o := unthrottledSandbox
			o.RepeatUnsubscribeOK = repeatOK
			e := newEnv(t, sandbox.Options{HubSpot: o})
			c := e.client(nil)
			u := hubspot.Unsubscribe{EmailAddress: "A@example.com", SubscriptionID: "77"}
			require.NoError(t, c.UnsubscribeEmail(context.Background(), u))
			require.NoError(t, c.UnsubscribeEmail(context.Background(), u))
			assert.Equal(t, []string{"77"}, e.hs.Unsubscribed("a@example.com"))
			// Another refusal is still an error.
			err := c.UnsubscribeEmail(context.Background(), hubspot.Unsubscribe{EmailAddress: "a@example.com", SubscriptionID: "x"})
			requireKind(t, err, httpx.KindValidation)
		})
	}
}

// TestWritesNeedTheirScopes: a token without the write scopes gets
// MISSING_SCOPES, an auth error the caller can name.
func TestWritesNeedTheirScopes(t *testing.T) {
	o := unthrottledSandbox
	o.Scopes = []string{"crm.lists.read", "crm.objects.contacts.read"}
	e := newEnv(t, sandbox.Options{HubSpot: o})
	c := e.client(nil)
	ctx := context.Background()
	_, err := c.EnsureProperty(ctx, blacklistedProperty)
	assert.Equal(t, "MISSING_SCOPES", requireKind(t, err, httpx.KindAuth).Code)
	_, err = c.BatchUpdateContacts(ctx, []hubspot.ContactUpdate{{ID: "1", Properties: map[string]string{"firstname": "x"}}})
	assert.Equal(t, "MISSING_SCOPES", requireKind(t, err, httpx.KindAuth).Code)
	err = c.UnsubscribeEmail(ctx, hubspot.Unsubscribe{EmailAddress: "a@example.com", SubscriptionID: "1"})
	assert.Equal(t, "MISSING_SCOPES", requireKind(t, err, httpx.KindAuth).Code)
}
