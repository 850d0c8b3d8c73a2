package sandbox

import "strings"

// DevAddr is where `worker --dev` serves the sandbox and where
// `starter --dev` looks for it.
const DevAddr = "127.0.0.1:8700"

// DemoListID is the HubSpot list Seed fills with every seeded contact.
const DemoListID = "1"

// Env is how a client reaches a running sandbox: the same settings the
// HUBSPOT_* and BREVO_* variables give for the real APIs.
type Env struct {
	HubSpotBaseURL string
	HubSpotToken   string
	BrevoBaseURL   string
	BrevoAPIKey    string
}

// DevEnv returns the settings for a sandbox served at baseURL
// (e.g. "http://127.0.0.1:8700") with the demo credentials.
func DevEnv(baseURL string) Env {
	baseURL = strings.TrimRight(baseURL, "/")
	return Env{
		HubSpotBaseURL: baseURL,
		HubSpotToken:   HubSpotDemoToken,
		BrevoBaseURL:   baseURL + "/v3",
		BrevoAPIKey:    BrevoDemoKey,
	}
}
