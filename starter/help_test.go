package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestEveryCommandHasItsHelp: each command of the overview has a help of
// its own, reached as 'help COMMAND' and 'COMMAND --help'.
func TestEveryCommandHasItsHelp(t *testing.T) {
	unsetConfig(t)
	t.Setenv("SYNC_LOG_LEVEL", "loud") // help needs no valid configuration
	for _, command := range []string{
		"create", "activate", "pause", "resume", "stop", "sync", "status", "preview", "report", "list",
		"quota", "quota set", "connect hubspot", "hubspot lists", "hubspot properties", "brevo lists", "brevo attributes",
	} {
		t.Run(command, func(t *testing.T) {
			words := strings.Fields(command)
			viaHelp, err := runCLI(append([]string{"help"}, words...)...)
			require.NoError(t, err)
			viaFlag, err := runCLI(append(words, "--help")...)
			require.NoError(t, err)
			assert.Equal(t, viaHelp, viaFlag)
			assert.Contains(t, viaHelp, "Usage:\n  starter "+command)
			assert.NotEqual(t, usage, viaHelp, "the overview instead of the command's help")
		})
	}
	out, err := runCLI("help", "resume")
	require.NoError(t, err)
	assert.Contains(t, out, "--allow-leaves")
	out, err = runCLI("help", "create")
	require.NoError(t, err)
	for _, flag := range []string{"--name", "--hubspot-list", "--brevo-list", "--new-brevo-list", "--brevo-folder", "--map", "--opt-in-confirmed",
		"--draft", "--default-country-code", "--create-attributes", "--dry-run", "--sample", "--json", "--on-leave", "--unlink-guard", "--reconcile-every",
		"--on-delete", "--report-unsubscribes-to-hubspot", "--hubspot-subscription-id"} {
		assert.Contains(t, out, flag)
	}
}

func TestShellCompletion(t *testing.T) {
	unsetConfig(t)
	for shell, want := range map[string]string{"bash": "bash completion", "zsh": "#compdef starter", "fish": "complete -c starter", "powershell": "Register-ArgumentCompleter"} {
		out, err := runCLI("completion", shell)
		require.NoError(t, err, shell)
		assert.Contains(t, out, want, shell)
	}
	// What the scripts ask the binary: the commands, and a flag's values.
	out, err := runCLI("__complete", "")
	require.NoError(t, err)
	for _, cmd := range []string{"create", "pause", "resume", "status", "report", "quota", "hubspot", "brevo", "connect"} {
		assert.Contains(t, out, cmd+"\t")
	}
	out, err = runCLI("__complete", "create", "--on-leave", "")
	require.NoError(t, err)
	assert.Equal(t, []string{"unlink", "keep"}, strings.Split(out, "\n")[:2])
	out, err = runCLI("__complete", "create", "--on-delete", "")
	require.NoError(t, err)
	assert.Equal(t, []string{"unlink", "delete", "keep"}, strings.Split(out, "\n")[:3])
}

// TestCreateCompletesFromTheAPIs: create's lists and --map complete from
// what HubSpot and Brevo hold.
func TestCreateCompletesFromTheAPIs(t *testing.T) {
	sandboxEnv(t)
	complete := func(args ...string) []string {
		t.Helper()
		out, err := runCLI(append([]string{"__complete", "create"}, args...)...)
		require.NoError(t, err)
		lines := strings.Split(strings.TrimSpace(out), "\n")
		return lines[:len(lines)-1] // the last line is the directive
	}
	assert.Contains(t, complete("--hubspot-list", ""), "1\tAll sandbox contacts (20)")
	assert.Contains(t, complete("--brevo-list", ""), "1\tNewsletter")
	props := complete("--map", "")
	assert.Contains(t, props, "firstname=\tFirst Name")
	assert.NotContains(t, strings.Join(props, "\n"), "createdate=", "read-only properties cannot be mapped")
	assert.Contains(t, complete("--map", "firstname="), "firstname=FIRSTNAME\ttext")
}
