package hubspot_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hubspot-brevo-sync/internal/httpx"
	"hubspot-brevo-sync/internal/hubspot"
	"hubspot-brevo-sync/internal/sandbox"
)

func TestPrivateAppTokenInfoTellsTheScopes(t *testing.T) {
	e := newEnv(t, sandbox.Options{HubSpot: unthrottledSandbox})
	info, err := e.client(nil).TokenInfo(context.Background())
	require.NoError(t, err)
	assert.Equal(t, hubspot.TokenPrivateApp, info.Kind)
	assert.EqualValues(t, sandbox.HubSpotDemoPortalID, info.HubID)
	assert.Contains(t, info.Scopes, "crm.lists.read")
	assert.Empty(t, info.MissingScopes(hubspot.RequiredScopes))
	assert.Zero(t, info.ExpiresIn)
}

// TestMissingScopeShowsInTokenInfoAndFailsTheCall: a token without
// crm.lists.read is told apart before the sync runs into 403s.
func TestMissingScopeShowsInTokenInfoAndFailsTheCall(t *testing.T) {
	o := unthrottledSandbox
	o.Scopes = []string{"crm.objects.contacts.read"}
	e := newEnv(t, sandbox.Options{HubSpot: o})
	seed := e.hs.Seed(sandbox.SeedOptions{Contacts: 5, Seed: 1})
	c := e.client(nil)
	ctx := context.Background()

	info, err := c.TokenInfo(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"crm.lists.read"}, info.MissingScopes(hubspot.RequiredScopes))

	_, err = c.GetList(ctx, seed.ListID)
	he := requireKind(t, err, httpx.KindAuth)
	assert.Equal(t, 403, he.Status)
	_, err = c.BatchReadContacts(ctx, seed.ContactIDs, []string{"email"})
	assert.NoError(t, err, "contacts are still readable")
}

func TestOAuthTokenInfoIntrospectsAndFallsBack(t *testing.T) {
	for _, tc := range []struct {
		name      string
		adjust    func(*sandbox.HubSpotOptions)
		wantCalls int
		wantErr   bool
	}{
		{name: "introspection", adjust: func(*sandbox.HubSpotOptions) {}, wantCalls: 1},
		{name: "legacy only", adjust: func(o *sandbox.HubSpotOptions) { o.NoTokenIntrospection = true }, wantCalls: 2},
		{name: "neither", adjust: func(o *sandbox.HubSpotOptions) { o.NoTokenIntrospection, o.NoLegacyTokenInfo = true, true }, wantCalls: 2, wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := unthrottledSandbox
			tc.adjust(&o)
			e := newEnv(t, sandbox.Options{HubSpot: o})
			c := e.client(func(cfg *hubspot.Config) {
				cfg.AccessToken = ""
				cfg.OAuth = oauthConfig(sandbox.HubSpotDemoRefreshToken)
			})
			info, err := c.TokenInfo(context.Background())
			assert.Equal(t, tc.wantCalls, e.hs.Stats().ByFamily["oauth.tokenInfo"])
			if tc.wantErr {
				requireKind(t, err, httpx.KindNotFound)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, hubspot.TokenOAuth, info.Kind)
			assert.Contains(t, info.Scopes, "oauth")
			assert.Empty(t, info.MissingScopes(hubspot.RequiredScopes))
			assert.EqualValues(t, sandbox.HubSpotDemoPortalID, info.HubID)
			assert.Greater(t, info.ExpiresIn, 29*time.Minute)
		})
	}
}

// TestObservedLimitsComeFromTheHeaders: what the account really has, as
// HubSpot's rate headers say; OAuth responses carry no daily figures.
func TestObservedLimitsComeFromTheHeaders(t *testing.T) {
	e := newEnv(t, sandbox.Options{HubSpot: sandbox.HubSpotOptions{DailyLimit: 650_000, BurstLimit: 190}})
	seed := e.hs.Seed(sandbox.SeedOptions{Contacts: 5, Seed: 1})
	ctx := context.Background()
	static := e.client(func(cfg *hubspot.Config) { cfg.Governor = nil })
	assert.True(t, static.ObservedLimits().SeenAt.IsZero(), "nothing observed before a call")
	_, err := static.GetList(ctx, seed.ListID)
	require.NoError(t, err)
	got := static.ObservedLimits()
	assert.Equal(t, 190, got.BurstMax)
	assert.Equal(t, 10*time.Second, got.BurstInterval)
	assert.Equal(t, 189, got.BurstRemaining)
	assert.Equal(t, 650_000, got.Daily)
	assert.Equal(t, 649_999, got.DailyRemaining)
	assert.False(t, got.SeenAt.IsZero())

	oauth := e.client(func(cfg *hubspot.Config) {
		cfg.AccessToken, cfg.Governor = "", nil
		cfg.OAuth = oauthConfig(sandbox.HubSpotDemoRefreshToken)
	})
	_, err = oauth.GetList(ctx, seed.ListID)
	require.NoError(t, err)
	got = oauth.ObservedLimits()
	assert.Equal(t, 110, got.BurstMax)
	assert.Zero(t, got.Daily, "no daily cap for OAuth apps")
}
