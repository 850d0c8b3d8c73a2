package manage_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hubspot-brevo-sync/internal/manage"
	"hubspot-brevo-sync/internal/mapping"
	"hubspot-brevo-sync/internal/sandbox"
)

// TestConsentOptionsNeedWhatTheyRead: --sync-opt-outs blocks an email
// address, so it needs EMAIL mapped; accepted, both options are in the
// spec.
func TestConsentOptionsNeedWhatTheyRead(t *testing.T) {
	m, _ := newManager(t)
	req := validRequest()
	req.Map = []string{"phone=SMS", "firstname=FIRSTNAME"}
	req.SyncOptOuts = true
	_, err := m.Validate(context.Background(), req)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "--sync-opt-outs")
	assert.Contains(t, err.Error(), "email=EMAIL")
	assert.NotContains(t, err.Error(), "\n")

	req.OnlyMarketingContacts = true
	req.SyncOptOuts = false
	spec, err := m.Validate(context.Background(), req)
	require.NoError(t, err, "only marketing contacts works without email")
	assert.Equal(t, mapping.Consent{OnlyMarketingContacts: true}, spec.Mapping.Consent)

	req = validRequest()
	req.SyncOptOuts, req.OnlyMarketingContacts = true, true
	spec, err = m.Validate(context.Background(), req)
	require.NoError(t, err)
	assert.Equal(t, mapping.Consent{SyncOptOuts: true, OnlyMarketingContacts: true}, spec.Mapping.Consent)
	assert.Contains(t, spec.Mapping.Properties(), mapping.PropEmailOptOut)
	assert.Contains(t, spec.Mapping.Properties(), mapping.PropMarketableStatus)
}

// TestDryRunShowsWhatTheConsentOptionsDo: each sampled contact that opted
// out would be blocklisted, each non-marketing one skipped, as the
// sandbox's own data says.
func TestDryRunShowsWhatTheConsentOptionsDo(t *testing.T) {
	e := fmNewEnv(t, sandbox.BrevoOptions{}, 300)
	req := fmRequest("email=EMAIL", "firstname=FIRSTNAME")
	req.SyncOptOuts, req.OnlyMarketingContacts = true, true
	p, err := e.mgr.DryRun(context.Background(), req, 250)
	require.NoError(t, err)
	assert.Len(t, p.Consent, 2)

	blocklisted, notMarketing := 0, 0
	for _, c := range p.Contacts {
		hc, ok := e.sb.HubSpot().Contact(c.ExtID)
		require.True(t, ok)
		assert.Equal(t, hc.Properties[mapping.PropEmailOptOut] == "true", c.Blocklist, "contact %s", c.ExtID)
		assert.NotEqual(t, "false", hc.Properties[mapping.PropMarketableStatus], "contact %s is no marketing contact but would be written", c.ExtID)
		if c.Blocklist {
			blocklisted++
			assert.Contains(t, manage.ConsentEffect(c), "would blocklist")
		}
	}
	for _, s := range p.Skipped {
		hc, _ := e.sb.HubSpot().Contact(s.HubSpotID)
		if s.Reason == mapping.ReasonNotMarketingContact {
			notMarketing++
			assert.Equal(t, "false", hc.Properties[mapping.PropMarketableStatus])
		}
	}
	assert.Positive(t, blocklisted, "the seed has opted-out contacts")
	assert.Positive(t, notMarketing, "the seed has non-marketing contacts")

	// Without the options the same sample writes both kinds, unblocked.
	p, err = e.mgr.DryRun(context.Background(), fmRequest("email=EMAIL", "firstname=FIRSTNAME"), 250)
	require.NoError(t, err)
	assert.Empty(t, p.Consent)
	for _, c := range p.Contacts {
		assert.False(t, c.Blocklist)
	}
	for _, s := range p.Skipped {
		assert.NotEqual(t, mapping.ReasonNotMarketingContact, s.Reason)
	}
}
