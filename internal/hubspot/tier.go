package hubspot

import (
	"fmt"
	"strings"
	"time"
)

// Tier is the HubSpot subscription tier of the account the sync reads from.
// It decides the burst and daily budgets of the rate governor.
type Tier string

const (
	TierFree         Tier = "free"
	TierStarter      Tier = "starter"
	TierProfessional Tier = "professional"
	TierEnterprise   Tier = "enterprise"
)

// UnmarshalText lets envconfig (and flags) parse and validate a tier.
func (t *Tier) UnmarshalText(b []byte) error {
	switch v := Tier(strings.ToLower(strings.TrimSpace(string(b)))); v {
	case TierFree, TierStarter, TierProfessional, TierEnterprise:
		*t = v
		return nil
	default:
		return fmt.Errorf("unknown HubSpot tier %q: want free, starter, professional or enterprise", string(b))
	}
}

// Limits are the published API limits for one account (reference:
// HubSpot usage guidelines, as of 2026-10).
type Limits struct {
	// Burst requests per BurstPeriod for a privately distributed app
	// (private app token or service key), rolling window.
	Burst       int
	BurstPeriod time.Duration
	// Daily requests per day, shared by the whole account; resets at
	// midnight in the account's time zone.
	Daily int
	// SearchPerSecond is the separate budget of the CRM search endpoints;
	// their responses carry no rate headers.
	SearchPerSecond int
}

// OAuthBurstLimit is the burst window of a publicly distributed OAuth app:
// 110 requests per 10 s per installed account, on every tier (the API
// Limit Increase add-on does not apply). OAuth apps have no daily cap.
const OAuthBurstLimit = 110

// Limits returns the published limits of the tier. Professional's daily
// allowance is 650,000: HubSpot's changelog "Increasing our API limits"
// raised it from 500,000 (our older notes said 625,000, which no official
// source gives). Enterprise is 1,000,000. The governor adopts the server's
// X-HubSpot-RateLimit-Daily anyway, so these only matter until the first
// response.
func (t Tier) Limits() Limits {
	l := Limits{Burst: 100, BurstPeriod: 10 * time.Second, Daily: 250_000, SearchPerSecond: 5}
	switch t {
	case TierProfessional:
		l.Burst, l.Daily = 190, 650_000
	case TierEnterprise:
		l.Burst, l.Daily = 190, 1_000_000
	}
	return l
}
