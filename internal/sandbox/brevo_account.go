package sandbox

import (
	"net/http"
	"strconv"
)

// BrevoSender is a sender of the emulated account.
type BrevoSender struct {
	ID     int64  `json:"id"`
	Name   string `json:"name"`
	Email  string `json:"email"`
	Active bool   `json:"active"`
}

// brevoDefaultSenders is the account's sender unless BrevoOptions.Senders
// says otherwise: one validated sender, as a new account has once its
// login address is confirmed.
var brevoDefaultSenders = []BrevoSender{{ID: 1, Name: "HubSpot sync", Email: "sync@sandbox.example", Active: true}}

// handleAccount is GET /account in the v4 shape (plan dates as Unix
// seconds in strings, credits as numbers).
func (b *Brevo) handleAccount(w http.ResponseWriter, _ *http.Request) {
	start := b.now().UTC()
	end := start.AddDate(0, 1, 0)
	unix := func(t int64) string { return strconv.FormatInt(t, 10) }
	plan := b.opts.Plan
	if plan == "enterprise" {
		plan = "subscription"
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"organization_id": "sandbox-organization", "user_id": 1, "enterprise": b.opts.Plan == "enterprise",
		"companyName": "Sandbox", "email": "owner@sandbox.example", "firstName": "Sandbox", "lastName": "Owner",
		"address":             map[string]string{"city": "", "country": "", "street": "", "zipCode": ""},
		"dateTimePreferences": map[string]string{"timezone": "UTC", "timeFormat": "24", "dateFormat": "dd-mm-yyyy"},
		"plan": []map[string]any{{"type": plan, "creditsType": "sendLimit", "credits": 300,
			"startDate": unix(start.Unix()), "endDate": unix(end.Unix())}},
		"relay": map[string]any{"enabled": true,
			"data": map[string]any{"userName": "owner@sandbox.example", "relay": "smtp-relay.brevo.com", "port": 587}},
	})
}

// handleSenders is GET /senders.
func (b *Brevo) handleSenders(w http.ResponseWriter, _ *http.Request) {
	out := []map[string]any{}
	for _, s := range b.opts.Senders {
		out = append(out, map[string]any{"id": s.ID, "name": s.Name, "email": s.Email, "active": s.Active, "ips": []any{}})
	}
	writeJSON(w, http.StatusOK, map[string]any{"senders": out})
}
