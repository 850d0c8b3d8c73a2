package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hubspot-brevo-sync/internal/doctor"
	"hubspot-brevo-sync/internal/integration"
	"hubspot-brevo-sync/internal/mapping"
	"hubspot-brevo-sync/internal/sandbox"
)

// fakeTemporal answers the doctor's Temporal questions like a healthy
// namespace with a worker and one integration, unless a test changes it.
type fakeTemporal struct {
	namespaceErr error
	problems     []string
	pollers      []string
	integrations []integration.Status
}

func (f *fakeTemporal) DescribeNamespace(context.Context, string) error { return f.namespaceErr }
func (f *fakeTemporal) SearchAttributeProblems(context.Context, string) ([]string, error) {
	return f.problems, nil
}
func (f *fakeTemporal) Pollers(context.Context, string) ([]string, []string, error) {
	return f.pollers, f.pollers, nil
}
func (f *fakeTemporal) Integrations(context.Context) ([]integration.Status, error) {
	return f.integrations, nil
}

// demoIntegration syncs the sandbox's HubSpot list 1 into Brevo list 1.
func demoIntegration() integration.Status {
	spec := integration.Spec{Name: "demo", HubSpotListID: "1", BrevoListID: 1, Mapping: mapping.Spec{Fields: []mapping.Field{
		{Property: "email", Attribute: "EMAIL", PropertyType: "string", FieldType: "text"},
		{Property: "firstname", Attribute: "FIRSTNAME", PropertyType: "string", FieldType: "text", AttributeType: "text"},
	}}}
	return integration.Status{Name: "demo", State: integration.StateIdle, HubSpotListID: "1", BrevoListID: 1, Spec: &spec}
}

// withTemporal makes the doctor talk to f instead of dialling.
func withTemporal(t *testing.T, f *fakeTemporal) {
	t.Helper()
	saved := doctorTemporal
	doctorTemporal = func(*cli) (doctor.Temporal, error) { return f, nil }
	t.Cleanup(func() { doctorTemporal = saved })
}

func healthyTemporal() *fakeTemporal {
	return &fakeTemporal{pollers: []string{"1@worker-host@"}, integrations: []integration.Status{demoIntegration()}}
}

// doctorSandbox is sandboxEnv with options: a seeded sandbox the
// environment points at.
func doctorSandbox(t *testing.T, opts sandbox.Options) *sandbox.Server {
	t.Helper()
	sb := sandbox.New(opts)
	sb.HubSpot().Seed(sandbox.SeedOptions{Contacts: 5, Seed: 1})
	serveSandbox(t, sb)
	return sb
}

// serveSandbox serves h and points the environment at it.
func serveSandbox(t *testing.T, h http.Handler) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	env := sandbox.DevEnv(srv.URL)
	unsetConfig(t)
	t.Setenv("HUBSPOT_BASE_URL", env.HubSpotBaseURL)
	t.Setenv("HUBSPOT_ACCESS_TOKEN", env.HubSpotToken)
	t.Setenv("BREVO_BASE_URL", env.BrevoBaseURL)
	t.Setenv("BREVO_API_KEY", env.BrevoAPIKey)
	t.Setenv("TEMPORAL_ADDRESS", closedAddr(t))
}

// runDoctor runs `starter doctor --json` with args and decodes the report.
func runDoctor(t *testing.T, args ...string) (doctor.Report, error) {
	t.Helper()
	out, err := runCLI(append([]string{"doctor", "--json"}, args...)...)
	var rep doctor.Report
	require.NoError(t, json.Unmarshal([]byte(out), &rep), out)
	return rep, err
}

func checkNamed(t *testing.T, rep doctor.Report, name string) doctor.Check {
	t.Helper()
	for _, c := range rep.Checks {
		if c.Name == name {
			return c
		}
	}
	require.Failf(t, "no such check", "%s in %+v", name, rep.Checks)
	return doctor.Check{}
}

func TestDoctorHealthy(t *testing.T) {
	doctorSandbox(t, sandbox.Options{})
	t.Setenv("SYNC_NOTIFY_SENDER", "sync@sandbox.example")
	withTemporal(t, healthyTemporal())

	rep, err := runDoctor(t)
	require.NoError(t, err)
	assert.True(t, rep.OK)
	var names []string
	for _, c := range rep.Checks {
		names = append(names, c.Name)
		assert.True(t, c.OK, "%s: %s", c.Name, c.Detail)
	}
	assert.Equal(t, []string{"temporal.reachable", "temporal.namespace", "temporal.searchAttributes", "temporal.worker",
		"temporal.integrations", "hubspot.credentials", "hubspot.scopes", "hubspot.tier", "hubspot.list[demo]",
		"brevo.credentials", "brevo.tier", "brevo.sender", "brevo.list[demo]", "brevo.attributes[demo]"}, names)
	assert.Contains(t, checkNamed(t, rep, "hubspot.list[demo]").Detail, "COMPLETE")
	assert.EqualValues(t, 10, rep.Observed["brevoContactsLimit"])
	assert.Equal(t, "general", rep.Observed["brevoTier"])
	assert.Equal(t, "free or starter", rep.Observed["hubspotTier"])

	out, err := runCLI("doctor")
	require.NoError(t, err)
	assert.Regexp(t, `(?m)^CHECK\s+RESULT\s+DETAIL$`, out)
	assert.Regexp(t, `(?m)^hubspot\.scopes\s+ok\s+crm\.lists\.read, crm\.objects\.contacts\.read granted$`, out)
	assert.NotContains(t, out, "FAIL")
}

func TestDoctorFailuresNameTheCheck(t *testing.T) {
	noListsScope := sandbox.Options{HubSpot: sandbox.HubSpotOptions{Scopes: []string{"crm.objects.contacts.read"}}}
	readOnlyScopes := sandbox.Options{HubSpot: sandbox.HubSpotOptions{Scopes: []string{"crm.lists.read", "crm.objects.contacts.read"}}}
	unvalidated := sandbox.Options{Brevo: sandbox.BrevoOptions{Senders: []sandbox.BrevoSender{{ID: 2, Email: "ops@example.com"}}}}
	tests := []struct {
		name     string
		opts     sandbox.Options
		env      map[string]string
		temporal func(*fakeTemporal)
		failed   []string
		detail   string
	}{
		{name: "wrong HubSpot token", env: map[string]string{"HUBSPOT_ACCESS_TOKEN": "wrong"},
			failed: []string{"hubspot.credentials"}, detail: "HUBSPOT_ACCESS_TOKEN"},
		{name: "missing scope", opts: noListsScope,
			failed: []string{"hubspot.scopes", "hubspot.list[demo]"}, detail: "missing crm.lists.read"},
		{name: "unknown sender", env: map[string]string{"SYNC_NOTIFY_SENDER": "nobody@example.com"},
			failed: []string{"brevo.sender"}, detail: "nobody@example.com is not a sender"},
		{name: "unvalidated sender", opts: unvalidated, env: map[string]string{"SYNC_NOTIFY_SENDER": "ops@example.com"},
			failed: []string{"brevo.sender"}, detail: "not validated"},
		{name: "wrong Brevo key", env: map[string]string{"BREVO_API_KEY": "wrong"},
			failed: []string{"brevo.credentials"}, detail: "BREVO_API_KEY"},
		{name: "Brevo tier", env: map[string]string{"BREVO_TIER": "advanced"},
			failed: []string{"brevo.tier"}, detail: "set BREVO_TIER=general"},
		{name: "HubSpot tier", env: map[string]string{"HUBSPOT_TIER": "enterprise"},
			failed: []string{"hubspot.tier"}, detail: "set HUBSPOT_TIER=free"},
		{name: "no worker", temporal: func(f *fakeTemporal) { f.pollers = nil },
			failed: []string{"temporal.worker"}, detail: "start the worker"},
		{name: "search attributes", temporal: func(f *fakeTemporal) { f.problems = []string{"BrevoListId is missing"} },
			failed: []string{"temporal.searchAttributes"}, detail: "worker --setup"},
		{name: "deleted HubSpot list", temporal: func(f *fakeTemporal) { f.integrations[0].HubSpotListID = "999" },
			failed: []string{"hubspot.list[demo]"}, detail: "does not exist"},
		{name: "unsubscribe reporting without write scopes", opts: readOnlyScopes, temporal: func(f *fakeTemporal) {
			f.integrations[0].Spec.ReportUnsubscribes, f.integrations[0].Spec.HubSpotSubscriptionID = true, "77"
		}, failed: []string{"hubspot.scopes"}, detail: "missing crm.objects.contacts.write, crm.schemas.contacts.write, communication_preferences.write"},
		{name: "attribute gone", temporal: func(f *fakeTemporal) {
			f.integrations[0].Spec.Mapping.Fields[1].Attribute = "NICKNAME"
		}, failed: []string{"brevo.attributes[demo]"}, detail: "NICKNAME (from firstname) does not exist"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doctorSandbox(t, tc.opts)
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			f := healthyTemporal()
			if tc.temporal != nil {
				tc.temporal(f)
			}
			withTemporal(t, f)

			rep, err := runDoctor(t)
			requireOneLine(t, err, tc.failed...)
			assert.False(t, rep.OK)
			var failed []string
			for _, c := range rep.Checks {
				if !c.OK && !c.Skipped {
					failed = append(failed, c.Name)
				}
			}
			assert.Equal(t, tc.failed, failed)
			assert.Contains(t, checkNamed(t, rep, tc.failed[0]).Detail, tc.detail)
		})
	}
}

// TestDoctorSkipsWhatAFailureHides: a check that cannot run is listed as
// skipped, naming the failed one it needs.
func TestDoctorSkipsWhatAFailureHides(t *testing.T) {
	doctorSandbox(t, sandbox.Options{})
	t.Setenv("HUBSPOT_ACCESS_TOKEN", "wrong")
	f := healthyTemporal()
	f.namespaceErr = errors.New("namespace nope is not found")
	withTemporal(t, f)

	rep, err := runDoctor(t)
	requireOneLine(t, err, "temporal.namespace", "hubspot.credentials")
	for _, name := range []string{"temporal.searchAttributes", "temporal.worker", "temporal.integrations", "hubspot.scopes", "hubspot.tier"} {
		c := checkNamed(t, rep, name)
		assert.True(t, c.Skipped, name)
		assert.False(t, c.OK, name)
		assert.True(t, strings.HasPrefix(c.Detail, "not checked: needs "), c.Detail)
	}
	assert.True(t, checkNamed(t, rep, "brevo.credentials").OK, "Brevo is checked regardless")
}

func TestDoctorTemporalUnreachable(t *testing.T) {
	doctorSandbox(t, sandbox.Options{})
	rep, err := runDoctor(t)
	requireOneLine(t, err, "temporal.reachable")
	assert.Contains(t, checkNamed(t, rep, "temporal.reachable").Detail, "cannot reach Temporal")
	assert.True(t, checkNamed(t, rep, "hubspot.scopes").OK, "HubSpot is checked without Temporal")
}

func TestDoctorHelp(t *testing.T) {
	unsetConfig(t)
	viaHelp, err := runCLI("help", "doctor")
	require.NoError(t, err)
	viaFlag, err := runCLI("doctor", "--help")
	require.NoError(t, err)
	assert.Equal(t, viaHelp, viaFlag)
	assert.Contains(t, viaHelp, "Usage:\n  starter doctor")
	for _, flag := range []string{"--json", "--write-canary"} {
		assert.Contains(t, viaHelp, flag)
	}
	_, err = runCLI("doctor", "extra")
	requireOneLine(t, err, `doctor: unexpected argument "extra"`)
}

// TestDoctorIntegrationKnownBySearchAttributesOnly: an integration whose
// workflow did not answer has no spec; its HubSpot list is still checked,
// its Brevo list and mapping are skipped, and a stopped one is left out.
func TestDoctorIntegrationKnownBySearchAttributesOnly(t *testing.T) {
	doctorSandbox(t, sandbox.Options{})
	f := healthyTemporal()
	f.integrations = []integration.Status{
		{Name: "quiet", State: integration.StateSyncing, HubSpotListID: "1"},
		{Name: "gone", State: integration.StateStopped, HubSpotListID: "999"},
	}
	withTemporal(t, f)

	rep, err := runDoctor(t)
	requireOneLine(t, err, "brevo.list[quiet]", "brevo.attributes[quiet]")
	assert.True(t, checkNamed(t, rep, "hubspot.list[quiet]").OK)
	for _, name := range []string{"brevo.list[quiet]", "brevo.attributes[quiet]"} {
		c := checkNamed(t, rep, name)
		assert.True(t, c.Skipped, name)
		assert.Contains(t, c.Detail, "is a worker running?")
	}
	for _, c := range rep.Checks {
		assert.NotContains(t, c.Name, "[gone]", "stopped integrations are not checked")
	}
}
