package brevo

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
)

// Account is what GET /account says about the account behind the key:
// enough for a health check to name the account and its plan.
type Account struct {
	Email          string
	CompanyName    string
	FirstName      string
	LastName       string
	OrganizationID string
	UserID         string
	Enterprise     bool
	Plans          []AccountPlan
	// RelayEnabled: the transactional email (SMTP relay) account is on.
	RelayEnabled bool
}

// AccountPlan is one entry of the account's plan list (there is one per
// channel, e.g. a "free" email plan and an "sms" plan).
type AccountPlan struct {
	// Type is payAsYouGo, free, subscription or sms in the v4 spec.
	Type        string
	CreditsType string
	Credits     float64
	// StartDate and EndDate are kept as sent: Unix seconds in the v4 spec,
	// YYYY-MM-DD in older ones.
	StartDate string
	EndDate   string
}

// flexString reads a JSON string or number (ids whose type the specs
// disagree on) as text.
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	if v != nil {
		*f = flexString(attributeString(v))
	}
	return nil
}

// flexFloat reads a JSON number or a numeric string.
type flexFloat float64

func (f *flexFloat) UnmarshalJSON(b []byte) error {
	s := strings.Trim(strings.TrimSpace(string(b)), `"`)
	if s == "" || s == "null" {
		return nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err == nil {
		*f = flexFloat(v)
	}
	return nil // an unreadable credit count must not hide the account
}

type accountWire struct {
	Email          string     `json:"email"`
	CompanyName    string     `json:"companyName"`
	FirstName      string     `json:"firstName"`
	LastName       string     `json:"lastName"`
	OrganizationID flexString `json:"organization_id"`
	UserID         flexString `json:"user_id"`
	Enterprise     bool       `json:"enterprise"`
	Plan           []struct {
		Type        string     `json:"type"`
		CreditsType string     `json:"creditsType"`
		Credits     flexFloat  `json:"credits"`
		StartDate   flexString `json:"startDate"`
		EndDate     flexString `json:"endDate"`
	} `json:"plan"`
	Relay struct {
		Enabled bool `json:"enabled"`
	} `json:"relay"`
}

// Account reads GET /account. It costs one request of the "other"
// family (100 an hour on the general tier).
func (c *Client) Account(ctx context.Context) (Account, error) {
	var w accountWire
	if _, err := c.do(ctx, request{op: "account.get", method: http.MethodGet, path: "/account"}, &w); err != nil {
		return Account{}, err
	}
	a := Account{Email: w.Email, CompanyName: w.CompanyName, FirstName: w.FirstName, LastName: w.LastName,
		OrganizationID: string(w.OrganizationID), UserID: string(w.UserID), Enterprise: w.Enterprise,
		RelayEnabled: w.Relay.Enabled}
	for _, p := range w.Plan {
		a.Plans = append(a.Plans, AccountPlan{Type: p.Type, CreditsType: p.CreditsType, Credits: float64(p.Credits),
			StartDate: string(p.StartDate), EndDate: string(p.EndDate)})
	}
	return a, nil
}

// Sender is a sender identity transactional email may use.
type Sender struct {
	ID    int64  `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
	// Active: Brevo has validated the sender; mail from an inactive one is
	// refused.
	Active bool `json:"active"`
	// IPs are the dedicated IPs of the sender (empty on standard accounts).
	IPs []SenderIP `json:"ips,omitempty"`
}

// SenderIP is a dedicated IP a sender sends from.
type SenderIP struct {
	IP     string `json:"ip"`
	Domain string `json:"domain"`
	Weight int    `json:"weight"`
}

// Senders lists the account's senders (GET /senders, "other" family).
func (c *Client) Senders(ctx context.Context) ([]Sender, error) {
	var out struct {
		Senders []Sender `json:"senders"`
	}
	if _, err := c.do(ctx, request{op: "senders.list", method: http.MethodGet, path: "/senders"}, &out); err != nil {
		return nil, err
	}
	return out.Senders, nil
}

// ObservedLimit is the last x-sib-ratelimit-limit Brevo sent on a
// contacts call, and whether one was seen yet. It tells which limits the
// account really has (10 or 20 a second, 36,000 or 72,000 an hour, ...),
// whatever tier was configured; which of the two contacts limits the
// header describes is not documented, see TierOfLimit.
func (c *Client) ObservedLimit() (int, bool) {
	return c.gov.ObservedLimit(FamilyContacts)
}

// TierOfLimit names the tier whose published contacts limit (per second or
// per hour) is limit; false when no tier publishes it.
func TierOfLimit(limit int) (Tier, bool) {
	for _, t := range []Tier{TierGeneral, TierAdvanced, TierExtended} {
		l := t.Limits()
		if limit == l.ContactsPerSecond || limit == l.ContactsPerHour {
			return t, true
		}
	}
	return "", false
}
