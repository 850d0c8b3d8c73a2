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

// TestOAuthCallsAreNotHeldToTheDailyBudget: HubSpot applies no daily cap
// to OAuth apps (their responses carry no daily headers). A governor with
// a tiny daily budget, shared with a private-app client, must still let
// the OAuth client's calls through, and must still refuse the private
// app's once its budget is spent.
func TestOAuthCallsAreNotHeldToTheDailyBudget(t *testing.T) {
	o := unthrottledSandbox
	o.DailyLimit = 5 // the private app's allowance; the server does not hold OAuth calls to it
	e := newEnv(t, sandbox.Options{HubSpot: o})
	e.hs.Seed(sandbox.SeedOptions{Contacts: 10, Seed: 1})
	gov := hubspot.NewGovernor(hubspot.Limits{Burst: 1_000_000, BurstPeriod: time.Second, Daily: 5}, nil, hubspot.WithDailyReserve(0))
	oauth := e.client(func(cfg *hubspot.Config) {
		cfg.AccessToken = ""
		cfg.OAuth = oauthConfig(sandbox.HubSpotDemoRefreshToken)
		cfg.Governor = gov
	})
	static := e.client(func(cfg *hubspot.Config) { cfg.Governor = gov })
	ctx := context.Background()

	for i := 0; i < 20; i++ {
		_, err := oauth.GetList(ctx, "1")
		require.NoError(t, err, "OAuth call %d", i+1)
	}
	assert.Zero(t, gov.Stats().DailyUsed, "OAuth calls spend none of the daily allowance")
	assert.Zero(t, gov.Stats().RefusedDaily)

	for i := 0; i < 5; i++ {
		_, err := static.GetList(ctx, "1")
		require.NoError(t, err, "private-app call %d", i+1)
	}
	_, err := static.GetList(ctx, "1")
	refused := requireKind(t, err, httpx.KindRateLimited)
	assert.Equal(t, hubspot.PolicyDaily, refused.Code, "the private app is still held to its daily budget")
	assert.Zero(t, refused.Status, "refused by the governor, without calling HubSpot")

	_, err = oauth.GetList(ctx, "1")
	assert.NoError(t, err, "a spent daily budget does not stop OAuth calls")
}

// TestOAuthClientDefaultGovernorHasNoDailyCap: without a shared governor,
// an OAuth client paces itself by the OAuth burst window (110 per 10 s,
// less the safety margin) and has no daily budget, whatever the tier.
func TestOAuthClientDefaultGovernorHasNoDailyCap(t *testing.T) {
	c, err := hubspot.New(hubspot.Config{Tier: hubspot.TierProfessional, OAuth: oauthConfig("r")})
	require.NoError(t, err)
	st := c.Governor().Stats()
	assert.Zero(t, st.DailyLimit, "no daily cap for OAuth")
	assert.Equal(t, 104, st.BurstLimit, "110 per 10 s less 5 %")

	static, err := hubspot.New(hubspot.Config{Tier: hubspot.TierProfessional, AccessToken: "pat-na1-x"})
	require.NoError(t, err)
	assert.Equal(t, 650_000, static.Governor().Stats().DailyLimit)
}

// TestOAuthDailyCapVariantIsStillSafe: should HubSpot hold OAuth calls to
// a daily allowance after all, its DAILY 429 surfaces as a daily-budget
// error with the wait until the reset, which the workflow sleeps out; it
// does not turn into a retry storm.
func TestOAuthDailyCapVariantIsStillSafe(t *testing.T) {
	o := unthrottledSandbox
	o.DailyLimit, o.OAuthDailyCap = 3, true
	e := newEnv(t, sandbox.Options{HubSpot: o})
	e.hs.Seed(sandbox.SeedOptions{Contacts: 5, Seed: 1})
	c := e.client(func(cfg *hubspot.Config) {
		cfg.AccessToken, cfg.Governor = "", nil
		cfg.OAuth = oauthConfig(sandbox.HubSpotDemoRefreshToken)
	})
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		_, err := c.GetList(ctx, "1")
		require.NoError(t, err)
	}
	_, err := c.GetList(ctx, "1")
	refused := requireKind(t, err, httpx.KindRateLimited)
	assert.Equal(t, hubspot.PolicyDaily, refused.Code)
	assert.Equal(t, 429, refused.Status, "the server refused it")
	assert.Positive(t, refused.RetryAfter, "with the time until the reset")
	assert.Equal(t, 3, c.ObservedLimits().Daily, "and the daily figures it sent are visible")
}
