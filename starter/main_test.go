package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hubspot-brevo-sync/internal/brevo"
	"hubspot-brevo-sync/internal/sandbox"
)

// configVars are every variable config.Load reads; tests start from none
// of them set, whatever the developer's shell exports.
var configVars = []string{
	"TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "SYNC_TASK_QUEUE",
	"HUBSPOT_ACCESS_TOKEN", "HUBSPOT_BASE_URL", "HUBSPOT_TIER",
	"HUBSPOT_CLIENT_ID", "HUBSPOT_CLIENT_SECRET", "HUBSPOT_REFRESH_TOKEN",
	"BREVO_API_KEY", "BREVO_BASE_URL", "BREVO_TIER",
	"SYNC_MONTHLY_TASK_LIMIT", "SYNC_NOTIFY_EMAIL", "SYNC_NOTIFY_SENDER",
	"SYNC_POLL_INTERVAL", "SYNC_LOG_LEVEL", "SYNC_LOG_FORMAT",
}

func unsetConfig(t *testing.T) {
	t.Helper()
	for _, k := range configVars {
		t.Setenv(k, "") // restores the original value after the test
		require.NoError(t, os.Unsetenv(k))
	}
}

// closedAddr is a local address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return addr
}

// sandboxEnv serves a seeded sandbox and points the environment at it;
// Temporal is unreachable.
func sandboxEnv(t *testing.T) *sandbox.Server {
	t.Helper()
	sb := sandbox.New(sandbox.Options{})
	sb.HubSpot().Seed(sandbox.SeedOptions{Contacts: 20, Seed: 1})
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	env := sandbox.DevEnv(srv.URL)
	unsetConfig(t)
	t.Setenv("HUBSPOT_BASE_URL", env.HubSpotBaseURL)
	t.Setenv("HUBSPOT_ACCESS_TOKEN", env.HubSpotToken)
	t.Setenv("BREVO_BASE_URL", env.BrevoBaseURL)
	t.Setenv("BREVO_API_KEY", env.BrevoAPIKey)
	t.Setenv("TEMPORAL_ADDRESS", closedAddr(t))
	return sb
}

func runCLI(args ...string) (string, error) {
	var out bytes.Buffer
	err := run(context.Background(), args, &out)
	return out.String(), err
}

// requireOneLine checks a refusal is a single line holding each part.
func requireOneLine(t *testing.T, err error, parts ...string) {
	t.Helper()
	require.Error(t, err)
	msg := err.Error()
	assert.NotContains(t, msg, "\n", "errors are one line")
	for _, p := range parts {
		assert.Contains(t, msg, p)
	}
}

// tableColumn returns the first column of a table's rows (header skipped).
func tableColumn(out string) []string {
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	var col []string
	for _, l := range lines[1:] {
		if f := strings.Fields(l); len(f) > 0 {
			col = append(col, f[0])
		}
	}
	return col
}

func TestDiscoveryCommands(t *testing.T) {
	sandboxEnv(t)
	readOnly := []string{"createdate", "hs_email_domain", "hubspotscore", "hs_object_id", "lastmodifieddate", "num_associated_deals"}

	t.Run("hubspot lists", func(t *testing.T) {
		out, err := runCLI("hubspot", "lists")
		require.NoError(t, err)
		assert.True(t, strings.HasPrefix(out, "ID"), "table header first:\n%s", out)
		assert.Equal(t, []string{"1", "2"}, tableColumn(out))
		assert.Regexp(t, `(?m)^1\s+All sandbox contacts\s+MANUAL\s+20\s*$`, out)
	})
	t.Run("hubspot lists --json", func(t *testing.T) {
		out, err := runCLI("hubspot", "lists", "--json")
		require.NoError(t, err)
		var lists []map[string]any
		require.NoError(t, json.Unmarshal([]byte(out), &lists), out)
		require.Len(t, lists, 2)
		assert.Equal(t, "1", lists[0]["ID"])
	})
	t.Run("hubspot properties --mappable hides read-only ones", func(t *testing.T) {
		out, err := runCLI("hubspot", "properties", "--mappable")
		require.NoError(t, err)
		names := tableColumn(out)
		for _, p := range []string{"email", "firstname", "phone", "lifecyclestage", "date_of_birth"} {
			assert.Contains(t, names, p)
		}
		for _, p := range readOnly {
			assert.NotContains(t, names, p)
		}
		assert.NotContains(t, out, "read-only")
	})
	t.Run("hubspot properties lists read-only ones as such", func(t *testing.T) {
		out, err := runCLI("hubspot", "properties")
		require.NoError(t, err)
		for _, p := range readOnly {
			assert.Regexp(t, `(?m)^`+p+`\s.*\sread-only\s`, out)
		}
		assert.Regexp(t, `(?m)^email\s.*\smappable\s+-\s`, out)
		assert.Regexp(t, `(?m)^hs_email_optout\s.*\sread by --sync-opt-outs\s`, out)
		assert.Regexp(t, `(?m)^hs_marketable_status\s.*\sread-only\s+read by --only-marketing-contacts\s`, out)
	})
	t.Run("hubspot properties --json names the consent properties", func(t *testing.T) {
		out, err := runCLI("hubspot", "properties", "--json")
		require.NoError(t, err)
		var props []map[string]any
		require.NoError(t, json.Unmarshal([]byte(out), &props), out)
		consent := map[string]any{}
		for _, p := range props {
			if c, ok := p["Consent"]; ok {
				consent[p["Name"].(string)] = c
			}
		}
		assert.Equal(t, map[string]any{"hs_email_optout": "read by --sync-opt-outs", "hs_marketable_status": "read by --only-marketing-contacts"}, consent)
	})
	t.Run("brevo lists --json", func(t *testing.T) {
		out, err := runCLI("brevo", "lists", "--json")
		require.NoError(t, err)
		var lists []brevo.List
		require.NoError(t, json.Unmarshal([]byte(out), &lists), out)
		require.Len(t, lists, 1)
		assert.EqualValues(t, 1, lists[0].ID)
		assert.Equal(t, "Newsletter", lists[0].Name)
	})
	t.Run("brevo attributes", func(t *testing.T) {
		out, err := runCLI("brevo", "attributes")
		require.NoError(t, err)
		assert.ElementsMatch(t, []string{"EMAIL", "SMS", "FIRSTNAME", "LASTNAME", "EXT_ID"}, tableColumn(out))
		assert.Regexp(t, `(?m)^SMS\s+normal\s+text\s*$`, out)
	})
	t.Run("wrong subcommand", func(t *testing.T) {
		_, err := runCLI("hubspot", "deals")
		requireOneLine(t, err, "lists", "properties")
		_, err = runCLI("brevo")
		requireOneLine(t, err, "lists", "attributes")
	})
}

// TestDevFlagAnywhere: --dev is taken out wherever it stands; with
// credentials set it changes nothing else.
func TestDevFlagAnywhere(t *testing.T) {
	sandboxEnv(t)
	plain, err := runCLI("brevo", "lists")
	require.NoError(t, err)
	for _, args := range [][]string{
		{"--dev", "brevo", "lists"},
		{"brevo", "--dev", "lists"},
		{"brevo", "lists", "--dev"},
		{"brevo", "lists", "-dev"},
		{"brevo", "lists", "--dev=true"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			out, err := runCLI(args...)
			require.NoError(t, err)
			assert.Equal(t, plain, out)
		})
	}
}

// TestDevWithoutCredentialsUsesTheDevSandbox serves a sandbox where
// `worker --dev` would and runs a discovery command with no credentials.
func TestDevWithoutCredentialsUsesTheDevSandbox(t *testing.T) {
	unsetConfig(t)
	l, err := net.Listen("tcp", sandbox.DevAddr)
	if err != nil {
		t.Skipf("%s is in use (a worker --dev running?): %v", sandbox.DevAddr, err)
	}
	sb := sandbox.New(sandbox.Options{})
	srv := &http.Server{Handler: sb}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })

	_, err = runCLI("brevo", "lists")
	requireOneLine(t, err, "BREVO_API_KEY")

	for _, dev := range []string{"--dev", "--dev=true"} {
		out, err := runCLI("brevo", "attributes", dev)
		require.NoError(t, err, dev)
		assert.Contains(t, tableColumn(out), "EXT_ID", dev)
	}
}

func TestHelp(t *testing.T) {
	unsetConfig(t)
	t.Setenv("SYNC_LOG_LEVEL", "loud") // help needs no valid configuration
	for _, args := range [][]string{nil, {"help"}, {"-h"}, {"--help"}, {"--dev", "help"}} {
		t.Run(strings.Join(append([]string{"starter"}, args...), " "), func(t *testing.T) {
			out, err := runCLI(args...)
			require.NoError(t, err)
			assert.Equal(t, usage, out)
		})
	}
}

func TestUnknownCommand(t *testing.T) {
	sandboxEnv(t)
	out, err := runCLI("frobnicate", "demo")
	requireOneLine(t, err, `unknown command "frobnicate"`, "starter help")
	assert.Empty(t, out)
}

// TestStatusParsesFlagsAfterTheName: flags after the positional name are
// parsed as flags; with Temporal down the command fails at the dial with
// one line.
func TestStatusParsesFlagsAfterTheName(t *testing.T) {
	sandboxEnv(t)
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"status", "demo", "--json"}, []string{"cannot reach Temporal", "TEMPORAL_ADDRESS"}},
		{[]string{"status", "--json", "demo"}, []string{"cannot reach Temporal", "TEMPORAL_ADDRESS"}},
		{[]string{"status", "demo", "--json", "--watch"}, []string{"cannot reach Temporal", "TEMPORAL_ADDRESS"}},
		{[]string{"status", "demo", "other", "--json"}, []string{"exactly one integration name", "got 2"}},
		{[]string{"status", "--json"}, []string{"exactly one integration name", "got 0"}},
		{[]string{"status", "demo", "--verbose"}, []string{"status", "-verbose"}},
		{[]string{"pause", "demo", "--json"}, []string{"pause", "-json"}},
		{[]string{"list", "--json"}, []string{"cannot reach Temporal"}},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			out, err := runCLI(tc.args...)
			requireOneLine(t, err, tc.want...)
			assert.Empty(t, out)
		})
	}
}

// TestCreateRefusalsComeBeforeTemporal: configuration mistakes are
// reported in one line even though Temporal is down; a valid request gets
// as far as the dial.
func TestCreateRefusalsComeBeforeTemporal(t *testing.T) {
	sb := sandboxEnv(t)
	// create builds its request from these flags; each case changes one.
	flags := func(change map[string]string, extra ...string) []string {
		base := [][2]string{
			{"--name", "demo"}, {"--hubspot-list", "1"}, {"--brevo-list", "1"},
			{"--map", "email=EMAIL"}, {"--opt-in-confirmed", ""},
		}
		args := []string{"create"}
		for _, f := range base {
			v, changed := change[f[0]]
			switch {
			case changed && v == "-":
				continue // drop the flag
			case changed:
				f[1] = v
			}
			args = append(args, f[0])
			if f[1] != "" {
				args = append(args, f[1])
			}
		}
		return append(args, extra...)
	}
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"no opt-in", flags(map[string]string{"--opt-in-confirmed": "-"}), []string{"--opt-in-confirmed"}},
		{"no email or SMS mapping", flags(map[string]string{"--map": "firstname=FIRSTNAME"}), []string{"email=EMAIL", "SMS"}},
		{"unknown HubSpot list", flags(map[string]string{"--hubspot-list": "999"}), []string{"HubSpot list 999 does not exist"}},
		{"unknown Brevo list", flags(map[string]string{"--brevo-list": "999"}), []string{"Brevo list 999 does not exist"}},
		{"read-only property", flags(nil, "--map", "createdate=LASTNAME"), []string{"createdate", "read-only"}},
		{"unknown Brevo attribute", flags(nil, "--map", "lastname=NICKNAME"), []string{"NICKNAME"}},
		{"malformed map", flags(nil, "--map", "lastname"), []string{`--map "lastname"`}},
		{"both Brevo lists", flags(nil, "--new-brevo-list", "Fresh"), []string{"--brevo-list", "--new-brevo-list"}},
		{"positional argument", flags(nil, "extra"), []string{`unexpected argument "extra"`}},
		{"bad flag value", flags(map[string]string{"--brevo-list": "one"}), []string{"create", "brevo-list"}},
		{"unknown flag", flags(nil, "--colour"), []string{"create", "-colour"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := runCLI(tc.args...)
			requireOneLine(t, err, tc.want...)
			assert.NotContains(t, err.Error(), "Temporal", "refused before Temporal is contacted")
			assert.Empty(t, out)
		})
	}

	t.Run("missing credentials", func(t *testing.T) {
		t.Setenv("BREVO_API_KEY", "")
		require.NoError(t, os.Unsetenv("BREVO_API_KEY"))
		_, err := runCLI(flags(nil)...)
		requireOneLine(t, err, "BREVO_API_KEY")
		assert.NotContains(t, err.Error(), "Temporal")
	})
	t.Run("valid request reaches the Temporal dial", func(t *testing.T) {
		out, err := runCLI(flags(nil)...)
		requireOneLine(t, err, "cannot reach Temporal", "TEMPORAL_ADDRESS")
		assert.Empty(t, out)
	})
	for pattern := range sb.Brevo().Stats().Endpoints {
		assert.False(t, strings.HasPrefix(pattern, "POST"), "create wrote to Brevo: %s", pattern)
	}
}
