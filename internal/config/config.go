// Package config is the one place the worker and the starter read their
// settings from: environment variables, parsed with envconfig, validated
// once at start. The variable names and defaults are the product's public
// contract and are documented in the README and .env.example (Variables
// lists them). The Temporal connection follows the Temporal CLI instead
// (temporal.go).
package config

import (
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/kelseyhightower/envconfig"
	temporalenv "go.temporal.io/sdk/contrib/envconfig"

	"hubspot-brevo-sync/internal/brevo"
	"hubspot-brevo-sync/internal/codec"
	"hubspot-brevo-sync/internal/hubspot"
)

// Config is everything the processes need to know about their surroundings.
type Config struct {
	Temporal Temporal
	HubSpot  HubSpot
	Brevo    Brevo
	Sync     Sync
	Log      Log
	Codec    Codec
	Metrics  Metrics
}

// Temporal says where the Temporal service is and how to reach it.
//
// The connection is the Temporal CLI's: a profile of its TOML file
// (TEMPORAL_CONFIG_FILE, TEMPORAL_PROFILE) overridden by the TEMPORAL_*
// variables, read by go.temporal.io/sdk/contrib/envconfig (see
// temporal.go), so one profile serves the CLI, the worker and the starter.
type Temporal struct {
	// Address and Namespace are the profile's, defaulting to
	// DefaultTemporalAddress and DefaultTemporalNamespace.
	Address   string `ignored:"true"`
	Namespace string `ignored:"true"`
	TaskQueue string `envconfig:"SYNC_TASK_QUEUE" default:"hubspot-brevo-sync"`
	// PayloadKeys ("id:base64,id:base64", first = current) or
	// PayloadKeyFile turn on payload encryption; Load parses them into Keys.
	PayloadKeys    string `envconfig:"SYNC_PAYLOAD_KEYS"`
	PayloadKeyFile string `envconfig:"SYNC_PAYLOAD_KEY_FILE"`
	// Keys is nil when payloads are stored unencrypted.
	Keys *codec.Keyring `ignored:"true"`
	// Profile holds the rest of the connection (API key, TLS, gRPC
	// metadata); ClientOptions turns it into SDK options. nil: plaintext,
	// no credentials. Source says where it was read from, for logs.
	Profile *temporalenv.ClientConfigProfile `ignored:"true"`
	Source  string                           `ignored:"true"`
}

// HubSpot holds the credentials and limits of the HubSpot account synced
// from. Either an access token (private app or service key) or the OAuth
// trio (client id, client secret, refresh token) authenticates.
type HubSpot struct {
	AccessToken  string       `envconfig:"HUBSPOT_ACCESS_TOKEN"`
	BaseURL      string       `envconfig:"HUBSPOT_BASE_URL" default:"https://api.hubapi.com"`
	Tier         hubspot.Tier `envconfig:"HUBSPOT_TIER" default:"free"`
	ClientID     string       `envconfig:"HUBSPOT_CLIENT_ID"`
	ClientSecret string       `envconfig:"HUBSPOT_CLIENT_SECRET"`
	RefreshToken string       `envconfig:"HUBSPOT_REFRESH_TOKEN"`
	// *File variants read the secret from a file instead (Docker and
	// Kubernetes secrets). A rotated refresh token is written back to
	// RefreshTokenFile.
	AccessTokenFile  string `envconfig:"HUBSPOT_ACCESS_TOKEN_FILE"`
	ClientSecretFile string `envconfig:"HUBSPOT_CLIENT_SECRET_FILE"`
	RefreshTokenFile string `envconfig:"HUBSPOT_REFRESH_TOKEN_FILE"`
	// Connection names these credentials: DefaultConnection for the
	// HUBSPOT_* environment, a file's name for a named connection. The
	// client's budgets (governor windows) are keyed by it.
	Connection string `ignored:"true"`
	// RefreshTokenSaver, when set, saves a rotated refresh token instead
	// of RefreshTokenFile: a named connection writes it into its file.
	RefreshTokenSaver RefreshTokenSaver `ignored:"true"`
}

// RefreshTokenSaver keeps a rotated OAuth refresh token. (An interface,
// not a func, so configurations stay comparable.)
type RefreshTokenSaver interface {
	SaveRefreshToken(refreshToken string)
}

// DefaultConnection is the name of the HubSpot connection the HUBSPOT_*
// environment describes.
const DefaultConnection = "default"

// ConnectionName is the connection's name, DefaultConnection when unset.
func (h HubSpot) ConnectionName() string {
	if h.Connection == "" {
		return DefaultConnection
	}
	return h.Connection
}

// HasCredentials reports whether any way to authenticate is configured.
func (h HubSpot) HasCredentials() bool {
	return h.AccessToken != "" || h.RefreshToken != ""
}

// Brevo holds the credentials and limits of the Brevo account synced to.
type Brevo struct {
	APIKey     string     `envconfig:"BREVO_API_KEY"`
	BaseURL    string     `envconfig:"BREVO_BASE_URL" default:"https://api.brevo.com/v3"`
	Tier       brevo.Tier `envconfig:"BREVO_TIER" default:"general"`
	APIKeyFile string     `envconfig:"BREVO_API_KEY_FILE"`
}

// Sync holds the behaviour of the sync itself.
type Sync struct {
	MonthlyTaskLimit int           `envconfig:"SYNC_MONTHLY_TASK_LIMIT" default:"100000"`
	NotifyEmail      string        `envconfig:"SYNC_NOTIFY_EMAIL"`
	NotifySender     string        `envconfig:"SYNC_NOTIFY_SENDER"`
	PollInterval     time.Duration `envconfig:"SYNC_POLL_INTERVAL" default:"5m"`
	// StoreDSN locates the sync store: a SQLite file path (default), or a
	// postgres:// URL when several workers share the work.
	StoreDSN string `envconfig:"SYNC_STORE_DSN" default:"sync-store.db"`
	// DevDir is where `worker --dev` keeps its state (Temporal's SQLite
	// database, the sync store, the sandbox's data) and where
	// `starter --dev` finds the sync store; --dev-dir overrides it.
	DevDir string `envconfig:"SYNC_DEV_DIR" default:".dev"`
	// ConnectionsDir holds the named HubSpot connections, one
	// <name>.json each (internal/connections); "" is DefaultConnectionsDir,
	// or $SYNC_DEV_DIR/connections in dev mode (ConnectionsPath).
	ConnectionsDir string `envconfig:"SYNC_CONNECTIONS_DIR"`
}

// DefaultConnectionsDir is where the named HubSpot connections are without
// SYNC_CONNECTIONS_DIR.
const DefaultConnectionsDir = "connections"

// ConnectionsPath is the connections directory in force: SYNC_CONNECTIONS_DIR,
// else devDir/connections in dev mode (devDir != ""), else
// DefaultConnectionsDir.
func (s Sync) ConnectionsPath(devDir string) string {
	switch {
	case s.ConnectionsDir != "":
		return s.ConnectionsDir
	case devDir != "":
		return filepath.Join(devDir, "connections")
	}
	return DefaultConnectionsDir
}

// Log sets how the processes log.
type Log struct {
	Level  string `envconfig:"SYNC_LOG_LEVEL" default:"info"`
	Format string `envconfig:"SYNC_LOG_FORMAT" default:"console"`
}

// Load reads and validates the environment. Its error is one line that names
// the offending variable.
func Load() (Config, error) {
	var c Config
	// Each part is processed on its own: envconfig would otherwise prefix
	// the names of nested fields in its errors (HUBSPOT_HUBSPOT_TIER).
	for _, part := range []any{&c.Temporal, &c.HubSpot, &c.Brevo, &c.Sync, &c.Log, &c.Codec, &c.Metrics} {
		if err := envconfig.Process("", part); err != nil {
			var pe *envconfig.ParseError
			if errors.As(err, &pe) {
				return c, fmt.Errorf("config: %s=%q is invalid: %s", pe.KeyName, pe.Value, oneLine(pe.Err))
			}
			return c, fmt.Errorf("config: %s", oneLine(err))
		}
	}
	if err := c.loadTemporal(); err != nil {
		return c, err
	}
	if err := c.loadSecrets(); err != nil {
		return c, err
	}
	return c, c.validate()
}

func (c Config) validate() error {
	bad := func(name, value, why string) error {
		return fmt.Errorf("config: %s=%q is invalid: %s", name, value, why)
	}
	for _, u := range []struct{ name, value string }{
		{"HUBSPOT_BASE_URL", c.HubSpot.BaseURL},
		{"BREVO_BASE_URL", c.Brevo.BaseURL},
	} {
		if err := CheckBaseURL(u.value); err != nil {
			return bad(u.name, u.value, err.Error())
		}
	}
	if strings.TrimSpace(c.Temporal.TaskQueue) == "" {
		return bad("SYNC_TASK_QUEUE", c.Temporal.TaskQueue, "must not be empty")
	}
	if c.Sync.MonthlyTaskLimit < 0 {
		return bad("SYNC_MONTHLY_TASK_LIMIT", fmt.Sprint(c.Sync.MonthlyTaskLimit), "must not be negative")
	}
	if strings.TrimSpace(c.Sync.StoreDSN) == "" {
		return bad("SYNC_STORE_DSN", c.Sync.StoreDSN, "must not be empty")
	}
	if c.Sync.PollInterval < time.Second {
		return bad("SYNC_POLL_INTERVAL", c.Sync.PollInterval.String(), "must be at least 1s")
	}
	for _, a := range []struct{ name, value string }{
		{"SYNC_NOTIFY_EMAIL", c.Sync.NotifyEmail},
		{"SYNC_NOTIFY_SENDER", c.Sync.NotifySender},
	} {
		if a.value == "" {
			continue
		}
		if _, err := mail.ParseAddress(a.value); err != nil {
			return bad(a.name, a.value, "want an email address")
		}
	}
	oauth := []string{c.HubSpot.ClientID, c.HubSpot.ClientSecret, c.HubSpot.RefreshToken}
	set := 0
	for _, v := range oauth {
		if v != "" {
			set++
		}
	}
	if set != 0 && set != len(oauth) {
		return bad("HUBSPOT_REFRESH_TOKEN", "(hidden)", "OAuth needs HUBSPOT_CLIENT_ID, HUBSPOT_CLIENT_SECRET and HUBSPOT_REFRESH_TOKEN together")
	}
	if err := c.validateOps(); err != nil {
		return err
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		return bad("SYNC_LOG_LEVEL", c.Log.Level, "want debug, info, warn or error")
	}
	switch c.Log.Format {
	case "console", "json":
	default:
		return bad("SYNC_LOG_FORMAT", c.Log.Format, "want console or json")
	}
	return nil
}

// CheckBaseURL refuses what is not an http(s) URL with a host.
func CheckBaseURL(u string) error {
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return errors.New("want an http(s) URL")
	}
	return nil
}

// RequireAPIs reports, in one line, which API credentials are missing for a
// process that must talk to both APIs.
func (c Config) RequireAPIs() error { return c.RequireAPIsWith(false) }

// RequireAPIsWith is RequireAPIs for a process that may read HubSpot
// through named connections only: with namedHubSpot, the HUBSPOT_*
// credentials may be absent.
func (c Config) RequireAPIsWith(namedHubSpot bool) error {
	var missing []string
	if !c.HubSpot.HasCredentials() && !namedHubSpot {
		missing = append(missing, "HUBSPOT_ACCESS_TOKEN (or the HUBSPOT_CLIENT_ID/SECRET/REFRESH_TOKEN trio)")
	}
	if c.Brevo.APIKey == "" {
		missing = append(missing, "BREVO_API_KEY")
	}
	if len(missing) > 0 {
		return fmt.Errorf("config: missing %s", strings.Join(missing, " and "))
	}
	return nil
}

func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}
