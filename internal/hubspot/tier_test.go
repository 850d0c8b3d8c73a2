package hubspot

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// TestTierLimitsFollowTheChangelog pins the published figures: HubSpot's
// "Increasing our API limits" changelog gives Professional 650,000 calls a
// day and 190 per 10 s, Enterprise 1,000,000 and 190.
func TestTierLimitsFollowTheChangelog(t *testing.T) {
	cases := []struct {
		tier         Tier
		burst, daily int
	}{
		{TierFree, 100, 250_000},
		{TierStarter, 100, 250_000},
		{TierProfessional, 190, 650_000},
		{TierEnterprise, 190, 1_000_000},
	}
	for _, c := range cases {
		l := c.tier.Limits()
		assert.Equal(t, c.burst, l.Burst, "%s burst", c.tier)
		assert.Equal(t, 10*time.Second, l.BurstPeriod, "%s burst period", c.tier)
		assert.Equal(t, c.daily, l.Daily, "%s daily", c.tier)
		assert.Equal(t, 5, l.SearchPerSecond, "%s search", c.tier)
	}
}
