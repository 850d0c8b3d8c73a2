package doctor

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hubspot-brevo-sync/internal/brevo"
	"hubspot-brevo-sync/internal/hubspot"
	"hubspot-brevo-sync/internal/sandbox"
)

func TestJudgeHubSpotTier(t *testing.T) {
	seen := func(burst, daily int) hubspot.ObservedLimits {
		return hubspot.ObservedLimits{BurstMax: burst, BurstInterval: 10 * time.Second, Daily: daily, SeenAt: time.Unix(1, 0)}
	}
	tests := []struct {
		name       string
		seen       hubspot.ObservedLimits
		configured hubspot.Tier
		ok         bool
		detail     string
	}{
		{"nothing seen", hubspot.ObservedLimits{}, hubspot.TierFree, true, "not revealed"},
		{"starter as free", seen(100, 250_000), hubspot.TierStarter, true, "free or starter, as HUBSPOT_TIER=starter"},
		{"professional set as free", seen(190, 650_000), hubspot.TierFree, false, "set HUBSPOT_TIER=professional"},
		{"enterprise", seen(190, 1_000_000), hubspot.TierEnterprise, true, "enterprise, as"},
		{"enterprise set as professional", seen(190, 1_000_000), hubspot.TierProfessional, false, "set HUBSPOT_TIER=enterprise"},
		{"burst only", seen(190, 0), hubspot.TierFree, false, "professional or enterprise"},
		{"OAuth app", seen(hubspot.OAuthBurstLimit, 0), hubspot.TierFree, true, "an OAuth app"},
		{"limit increase", seen(250, 1_250_000), hubspot.TierProfessional, true, "no published tier's"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ok, detail := judgeHubSpotTier(tc.seen, tc.configured)
			assert.Equal(t, tc.ok, ok, detail)
			assert.Contains(t, detail, tc.detail)
		})
	}
}

// sandboxClients serves a sandbox and builds both clients against it.
func sandboxClients(t *testing.T, opts sandbox.Options, oauth bool) (*sandbox.Server, *hubspot.Client, *brevo.Client, *Answers) {
	t.Helper()
	sb := sandbox.New(opts)
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	env := sandbox.DevEnv(srv.URL)
	cfg := hubspot.Config{BaseURL: env.HubSpotBaseURL, AccessToken: env.HubSpotToken}
	if oauth {
		cfg.AccessToken, cfg.OAuth = "", &hubspot.OAuthConfig{ClientID: sandbox.HubSpotDemoClientID,
			ClientSecret: sandbox.HubSpotDemoClientSecret, RefreshToken: sandbox.HubSpotDemoRefreshToken}
	}
	hs, err := hubspot.New(cfg)
	require.NoError(t, err)
	answers := NewAnswers(nil)
	bv, err := brevo.New(brevo.Config{BaseURL: env.BrevoBaseURL, APIKey: env.BrevoAPIKey, Transport: answers})
	require.NoError(t, err)
	return sb, hs, bv, answers
}

func checkOf(t *testing.T, rep Report, name string) Check {
	t.Helper()
	for _, c := range rep.Checks {
		if c.Name == name {
			return c
		}
	}
	require.Failf(t, "no such check", name)
	return Check{}
}

// TestOAuthConnection: an OAuth token is described as such, and its
// rate headers (110, no daily) say nothing against HUBSPOT_TIER.
func TestOAuthConnection(t *testing.T) {
	_, hs, bv, _ := sandboxClients(t, sandbox.Options{}, true)
	rep := Run(context.Background(), Options{TemporalErr: assert.AnError, HubSpot: hs, HubSpotTier: hubspot.TierProfessional,
		Brevo: bv, BrevoTier: brevo.TierGeneral})
	assert.Equal(t, []string{"temporal.reachable", "temporal.namespace", "temporal.searchAttributes", "temporal.worker",
		"temporal.integrations"}, rep.Failed(), "only Temporal, which is down")
	assert.Contains(t, checkOf(t, rep, "hubspot.credentials").Detail, "OAuth access token of portal")
	assert.Contains(t, checkOf(t, rep, "hubspot.tier").Detail, "an OAuth app")
}

// TestCanaryCleanupRunsOnce: a second cleanup deletes nothing more and
// still passes.
func TestCanaryCleanupRunsOnce(t *testing.T) {
	sb, _, bv, answers := sandboxClients(t, sandbox.Options{Brevo: sandbox.BrevoOptions{ImportDelay: -1}}, false)
	r := &run{o: Options{Brevo: bv, BrevoAnswers: answers}, report: Report{Observed: map[string]any{}}}
	c := &canaryRun{r: r, b: bv, token: randomToken()}
	c.address = canaryEmail("owner@sandbox.example", c.token)
	ctx := context.Background()
	require.True(t, c.setup(ctx))
	require.True(t, c.importOne(ctx))

	c.cleanup(ctx)
	deletes := sb.Brevo().Stats().Endpoints
	c.cleanup(ctx)
	assert.Equal(t, deletes, sb.Brevo().Stats().Endpoints, "no call the second time")
	first, second := r.report.Checks[len(r.report.Checks)-2], r.report.Checks[len(r.report.Checks)-1]
	assert.True(t, first.OK, first.Detail)
	assert.Contains(t, first.Detail, "deleted contact "+c.email())
	assert.Equal(t, Check{Name: canaryCleanup, OK: true, Detail: "nothing left to delete"}, second)
	_, found := sb.Brevo().ContactByEmail(c.email())
	assert.False(t, found)
}

func TestCanaryEmail(t *testing.T) {
	for owner, want := range map[string]string{
		"owner@company.com":      "owner+" + CanaryPrefix + "-t1@company.com",
		"owner+news@company.com": "owner+" + CanaryPrefix + "-t1@company.com",
		"":                       "canary+" + CanaryPrefix + "-t1@example.com",
		"not an address":         "canary+" + CanaryPrefix + "-t1@example.com",
	} {
		assert.Equal(t, want, canaryEmail(owner, "t1"), owner)
	}
}
