package main

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"go.uber.org/zap"

	"hubspot-brevo-sync/internal/config"
	"hubspot-brevo-sync/internal/devserver"
	"hubspot-brevo-sync/internal/sandbox"
)

// sandboxStateFile holds the sandbox's HubSpot and Brevo data in the dev
// directory: the sync store there remembers what it wrote to Brevo, so the
// emulated Brevo must remember it too.
const sandboxStateFile = "sandbox.json"

// sandboxSaveEvery bounds what a crash of `worker --dev` loses of the
// sandbox's data; a clean stop saves everything.
const sandboxSaveEvery = 10 * time.Second

// usesSandbox tells that `worker --dev` runs the demo: no credentials set.
func usesSandbox(cfg config.Config) bool {
	return !cfg.HubSpot.HasCredentials() && cfg.Brevo.APIKey == ""
}

// claimDevDir refuses a dev directory made with other APIs than this
// start has (the demo's integrations against real accounts, or the
// reverse), and records the APIs of a new one.
func claimDevDir(f flags, cfg config.Config) error {
	origin := devserver.OriginSandbox
	if !usesSandbox(cfg) {
		origin = devserver.OriginReal
		if !f.setup {
			// Half a set of credentials fails later anyway; fail before
			// the directory is claimed for real accounts.
			named, _ := workerConnectionsDir(f, cfg).List()
			if err := cfg.RequireAPIsWith(len(named) > 0); err != nil {
				return err
			}
		}
	}
	return devserver.ClaimDir(f.devDir, origin)
}

// startSandbox serves the sandbox APIs with the data saved in the dev
// directory (seeded demo contacts the first time) and points cfg at them.
// The data is saved periodically and when stopped.
func startSandbox(f flags, cfg *config.Config, log *zap.Logger) (stop func(), err error) {
	sb := sandbox.New(sandbox.Options{})
	statePath := filepath.Join(f.devDir, sandboxStateFile)
	loaded := true
	if err := sb.LoadFile(statePath); errors.Is(err, os.ErrNotExist) {
		loaded = false
		sb.HubSpot().Seed(sandbox.SeedOptions{Contacts: f.demoContacts, Seed: 1})
	} else if err != nil {
		return nil, fmt.Errorf("sandbox: %w (delete it to start the demo afresh)", err)
	}
	ln, err := net.Listen("tcp", f.sandboxAddr)
	if err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	hs := &http.Server{Handler: sb, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("sandbox stopped", zap.Error(err))
		}
	}()
	stopSaving := saveSandboxPeriodically(sb, statePath, log)
	env := sandbox.DevEnv("http://" + ln.Addr().String())
	cfg.HubSpot.BaseURL, cfg.HubSpot.AccessToken = env.HubSpotBaseURL, env.HubSpotToken
	cfg.Brevo.BaseURL, cfg.Brevo.APIKey = env.BrevoBaseURL, env.BrevoAPIKey
	fmt.Printf("Sandbox APIs: http://%s (HubSpot at /, Brevo at /v3, state at /_sandbox/brevo/state)\n", ln.Addr())
	if loaded {
		fmt.Printf("  HubSpot and Brevo data loaded from %s; the starter talks to them with --dev\n", statePath)
	} else {
		fmt.Printf("  %d demo contacts in HubSpot list %s, saved in %s; the starter talks to them with --dev\n",
			f.demoContacts, sandbox.DemoListID, statePath)
	}
	return func() {
		_ = hs.Close()
		stopSaving()
	}, nil
}

// saveSandboxPeriodically saves the sandbox's data every sandboxSaveEvery
// and once more when stopped.
func saveSandboxPeriodically(sb *sandbox.Server, path string, log *zap.Logger) (stop func()) {
	save := func() {
		if err := sb.SaveFile(path); err != nil {
			log.Error("sandbox data not saved", zap.String("file", path), zap.Error(err))
		}
	}
	save() // the seeded data, so a crash before the first tick keeps it
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(sandboxSaveEvery)
		defer tick.Stop()
		for {
			select {
			case <-done:
				save()
				return
			case <-tick.C:
				save()
			}
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}
