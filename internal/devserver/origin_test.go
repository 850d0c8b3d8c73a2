package devserver_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"hubspot-brevo-sync/internal/devserver"
)

func TestClaimDirKeepsTheDemoAndRealAccountsApart(t *testing.T) {
	sandbox, real := devserver.OriginSandbox, devserver.OriginReal
	tests := []struct {
		name   string
		made   devserver.Origin // "" = a directory from before origins
		now    devserver.Origin
		refuse []string // one line holding these; none = accepted
	}{
		{"demo again", sandbox, sandbox, nil},
		{"real again", real, real, nil},
		{"credentials over the demo", sandbox, real, []string{"made with the sandbox", "credentials are set now", "rm -rf", "--dev-dir", "SYNC_DEV_DIR"}},
		{"demo over real accounts", real, sandbox, []string{"made with real HubSpot and Brevo credentials", "none are set now", "--dev-dir"}},
		{"credentials over an old directory", "", real, []string{"before its origin was recorded", "rm -rf", "--dev-dir"}},
		{"demo over an old directory", "", sandbox, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), ".dev")
			if tc.made == "" {
				writeFile(t, filepath.Join(dir, "sync-store.db"))
			} else if err := devserver.ClaimDir(dir, tc.made); err != nil {
				t.Fatalf("claiming a new directory for %s: %v", tc.made, err)
			}
			err := devserver.ClaimDir(dir, tc.now)
			if tc.refuse == nil {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if got := readOrigin(t, dir); got != string(tc.now) {
					t.Fatalf("origin file holds %q, want %q", got, tc.now)
				}
				return
			}
			if err == nil || strings.Contains(err.Error(), "\n") {
				t.Fatalf("err = %v, want a one-line refusal", err)
			}
			for _, want := range tc.refuse {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("%q lacks %q", err, want)
				}
			}
			if tc.made != "" && readOrigin(t, dir) != string(tc.made) {
				t.Errorf("a refusal changed the recorded origin")
			}
		})
	}
}

func TestClaimDirRecordsANewDirectory(t *testing.T) {
	for _, o := range []devserver.Origin{devserver.OriginSandbox, devserver.OriginReal} {
		dir := filepath.Join(t.TempDir(), "fresh")
		if err := devserver.ClaimDir(dir, o); err != nil {
			t.Fatalf("%s: %v", o, err)
		}
		if got := readOrigin(t, dir); got != string(o) {
			t.Fatalf("origin %q, want %q", got, o)
		}
	}
}

func TestClaimDirRefusesAnUnknownOrigin(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, devserver.OriginFile), []byte("staging\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := devserver.ClaimDir(dir, devserver.OriginSandbox); err == nil || !strings.Contains(err.Error(), `"staging"`) {
		t.Fatalf("err = %v, want a refusal naming the unknown origin", err)
	}
}

func writeFile(t *testing.T, path string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
}

func readOrigin(t *testing.T, dir string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, devserver.OriginFile))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(raw))
}
