package devserver

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Origin says which HubSpot and Brevo the integrations of a dev directory
// were made against. A dev directory keeps its integrations, and they run
// again at the next start: against whatever APIs that start has.
type Origin string

const (
	// OriginSandbox is the demo: the sandbox emulators, no credentials.
	OriginSandbox Origin = "sandbox"
	// OriginReal is real HubSpot and Brevo accounts (credentials set).
	OriginReal Origin = "real"
)

// OriginFile is the file in a dev directory that records its Origin.
const OriginFile = "origin"

// ClaimDir makes sure the dev directory was made with origin, recording
// it in a new directory. A directory made with the other origin is
// refused with one line that says what to do: the demo's integrations
// must never run against real accounts (and the reverse would run real
// integrations against the sandbox). A directory made before origins were
// recorded is taken for the demo, which it most likely holds.
func ClaimDir(dir string, origin Origin) error {
	recorded, used, err := readOrigin(dir)
	if err != nil {
		return err
	}
	switch {
	case recorded == origin:
		return nil
	case recorded == "" && (!used || origin == OriginSandbox):
		return writeOrigin(dir, origin)
	case recorded == "":
		return fmt.Errorf("%s holds a dev stack made before its origin was recorded, most likely the demo: with real credentials "+
			"its integrations would sync into your accounts; delete it (rm -rf %s) or use another directory (--dev-dir or SYNC_DEV_DIR)", dir, dir)
	case recorded == OriginSandbox:
		return fmt.Errorf("%s was made with the sandbox and HubSpot or Brevo credentials are set now: its demo integrations would sync "+
			"into your real accounts; delete it (rm -rf %s) or use another directory (--dev-dir or SYNC_DEV_DIR)", dir, dir)
	default:
		return fmt.Errorf("%s was made with real HubSpot and Brevo credentials and none are set now: set them again, "+
			"or run the demo in another directory (--dev-dir or SYNC_DEV_DIR)", dir)
	}
}

// readOrigin returns the recorded origin ("" if none) and whether the
// directory holds anything at all.
func readOrigin(dir string) (recorded Origin, used bool, err error) {
	raw, err := os.ReadFile(filepath.Join(dir, OriginFile))
	switch {
	case err == nil:
		o := Origin(strings.TrimSpace(string(raw)))
		if o != OriginSandbox && o != OriginReal {
			return "", true, fmt.Errorf("%s: unknown origin %q (want %s or %s)", filepath.Join(dir, OriginFile), o, OriginSandbox, OriginReal)
		}
		return o, true, nil
	case !errors.Is(err, os.ErrNotExist):
		return "", false, fmt.Errorf("dev directory: %w", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", false, fmt.Errorf("dev directory: %w", err)
	}
	return "", len(entries) > 0, nil
}

func writeOrigin(dir string, o Origin) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("dev directory: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, OriginFile), []byte(string(o)+"\n"), 0o644); err != nil {
		return fmt.Errorf("dev directory: %w", err)
	}
	return nil
}
