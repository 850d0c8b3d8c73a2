package brevo_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hubspot-brevo-sync/internal/brevo"
	"hubspot-brevo-sync/internal/sandbox"
)

func TestAccountAndSenders(t *testing.T) {
	e := newEnv(t, sandbox.Options{Brevo: sandbox.BrevoOptions{Plan: "enterprise",
		Senders: []sandbox.BrevoSender{{ID: 3, Name: "Ops", Email: "ops@example.com", Active: true}, {ID: 4, Email: "new@example.com"}}}}, nil)
	a, err := e.client.Account(ctx(t))
	require.NoError(t, err)
	assert.Equal(t, "owner@sandbox.example", a.Email)
	assert.True(t, a.Enterprise)
	require.Len(t, a.Plans, 1)
	assert.Equal(t, "subscription", a.Plans[0].Type)
	assert.EqualValues(t, 300, a.Plans[0].Credits)
	assert.Equal(t, "1", a.UserID)

	ss, err := e.client.Senders(ctx(t))
	require.NoError(t, err)
	require.Len(t, ss, 2)
	assert.Equal(t, brevo.Sender{ID: 3, Name: "Ops", Email: "ops@example.com", Active: true, IPs: []brevo.SenderIP{}}, ss[0])
	assert.False(t, ss[1].Active)
	assert.Len(t, e.rec.matching(http.MethodGet, "/senders"), 1)
	assert.EqualValues(t, 2, e.sb.Brevo().Stats().Families["other"].Calls, "both on the hourly family")
}

func TestAccountToleratesOlderFieldTypes(t *testing.T) {
	body := `{"email":"a@example.com","organization_id":12345,"user_id":"77","plan":[
		{"type":"payAsYouGo","creditsType":"sendLimit","credits":"1500.5","startDate":"2016-12-31","endDate":null}]}`
	a, err := cannedClient(t, 200, body, nil).Account(ctx(t))
	require.NoError(t, err)
	assert.Equal(t, "12345", a.OrganizationID)
	assert.Equal(t, "77", a.UserID)
	require.Len(t, a.Plans, 1)
	assert.Equal(t, 1500.5, a.Plans[0].Credits)
	assert.Equal(t, "2016-12-31", a.Plans[0].StartDate)
	assert.Empty(t, a.Plans[0].EndDate)
}

func TestObservedLimitComesFromContactsCalls(t *testing.T) {
	e := newEnv(t, sandbox.Options{Brevo: sandbox.BrevoOptions{ContactsPerSecond: 20, ContactsPerHour: 72_000}}, nil)
	_, ok := e.client.ObservedLimit()
	assert.False(t, ok, "nothing seen yet")
	_, err := e.client.Account(ctx(t))
	require.NoError(t, err)
	_, ok = e.client.ObservedLimit()
	assert.False(t, ok, "the account call is not on the contacts budget")

	_, err = e.client.Attributes(ctx(t))
	require.NoError(t, err)
	limit, ok := e.client.ObservedLimit()
	require.True(t, ok)
	assert.Equal(t, 20, limit)
	tier, ok := brevo.TierOfLimit(limit)
	require.True(t, ok)
	assert.Equal(t, brevo.TierAdvanced, tier)
	tier, _ = brevo.TierOfLimit(36_000)
	assert.Equal(t, brevo.TierGeneral, tier)
	_, ok = brevo.TierOfLimit(7)
	assert.False(t, ok)

	c := cannedClient(t, 200, `{"attributes":[]}`, map[string]string{"x-sib-ratelimit-remaining": "5"})
	_, err = c.Attributes(ctx(t))
	require.NoError(t, err)
	_, ok = c.ObservedLimit()
	assert.False(t, ok, "remaining without limit says nothing about the limit")
}
