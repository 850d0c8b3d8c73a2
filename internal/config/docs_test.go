package config_test

import (
	"os"
	"strings"
	"testing"

	"hubspot-brevo-sync/internal/config"
)

// TestEveryVariableIsDocumented: docs/configuration.md names every
// variable the product reads.
func TestEveryVariableIsDocumented(t *testing.T) {
	raw, err := os.ReadFile("../../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range config.Variables() {
		if !strings.Contains(string(raw), "`"+name+"`") {
			t.Errorf("docs/configuration.md does not document %s", name)
		}
	}
}
