package brevo

import (
	"fmt"
	"strings"
)

// Tier is the Brevo rate-limit tier of the account the sync writes to.
// Brevo names three: general (every plan), advanced (Professional and
// Enterprise) and extended (Enterprise add-on). Plan names are accepted as
// aliases so people can write what their invoice says.
type Tier string

const (
	TierGeneral  Tier = "general"
	TierAdvanced Tier = "advanced"
	TierExtended Tier = "extended"
)

// UnmarshalText lets envconfig (and flags) parse and validate a tier.
func (t *Tier) UnmarshalText(b []byte) error {
	switch v := strings.ToLower(strings.TrimSpace(string(b))); v {
	case "general", "free", "starter", "standard", "business":
		*t = TierGeneral
	case "advanced", "professional", "enterprise":
		*t = TierAdvanced
	case "extended":
		*t = TierExtended
	default:
		return fmt.Errorf("unknown Brevo tier %q: want general, advanced or extended (or free, starter, standard, business, professional, enterprise)", string(b))
	}
	return nil
}

// Limits are Brevo's per-account rate limits for the endpoint families the
// sync uses (reference: developers.brevo.com/docs/api-limits, 2026-08).
type Limits struct {
	// ContactsPerSecond and ContactsPerHour bound every /v3/contacts/...
	// call: contacts, lists, folders, attributes, import, batch.
	ContactsPerSecond int
	ContactsPerHour   int
	// OtherPerHour bounds every endpoint not listed separately, such as
	// /v3/processes.
	OtherPerHour int
	// EmailPerSecond bounds POST /v3/smtp/email.
	EmailPerSecond int
}

// Limits returns the published limits of the tier. The extended tier has
// no published hourly contacts figure; 60/s for an hour is used.
func (t Tier) Limits() Limits {
	switch t {
	case TierAdvanced:
		return Limits{ContactsPerSecond: 20, ContactsPerHour: 72_000, OtherPerHour: 200, EmailPerSecond: 2_000}
	case TierExtended:
		return Limits{ContactsPerSecond: 60, ContactsPerHour: 60 * 3600, OtherPerHour: 600, EmailPerSecond: 6_000}
	default:
		return Limits{ContactsPerSecond: 10, ContactsPerHour: 36_000, OtherPerHour: 100, EmailPerSecond: 1_000}
	}
}
