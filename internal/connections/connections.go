// Package connections keeps the named HubSpot connections: one JSON file
// per connection, <name>.json in SYNC_CONNECTIONS_DIR, mode 0600, holding
// a private-app token (or service key) or an OAuth client and refresh
// token, and optionally a base URL and tier. The files live outside
// Temporal and are read at use, so a connection added while the worker
// runs needs no restart. The HUBSPOT_* environment is the connection named
// "default" and has no file.
package connections

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"hubspot-brevo-sync/internal/config"
	"hubspot-brevo-sync/internal/connect"
	"hubspot-brevo-sync/internal/hubspot"
)

// Connection is one connection file's content plus its name.
type Connection struct {
	Name         string       `json:"-"`
	AccessToken  string       `json:"accessToken,omitempty"`
	ClientID     string       `json:"clientId,omitempty"`
	ClientSecret string       `json:"clientSecret,omitempty"`
	RefreshToken string       `json:"refreshToken,omitempty"`
	BaseURL      string       `json:"baseUrl,omitempty"`
	Tier         hubspot.Tier `json:"tier,omitempty"`
}

// Kinds of connection, as `connections list` shows them.
const (
	KindAccessToken = "access-token"
	KindOAuth       = "oauth"
)

// Kind says how the connection authenticates.
func (c Connection) Kind() string {
	if c.AccessToken != "" {
		return KindAccessToken
	}
	return KindOAuth
}

// Summary is what may be shown of a connection: never a secret.
type Summary struct {
	Name    string       `json:"name"`
	Kind    string       `json:"kind"`
	BaseURL string       `json:"baseUrl"`
	Tier    hubspot.Tier `json:"tier,omitempty"`
}

// Summary describes the connection without its secrets.
func (c Connection) Summary() Summary {
	return Summary{Name: c.Name, Kind: c.Kind(), BaseURL: c.BaseURL, Tier: c.Tier}
}

var validName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

// ValidateName refuses, in one line, a name that cannot be a connection's.
func ValidateName(name string) error {
	switch {
	case name == config.DefaultConnection:
		return fmt.Errorf("connection name %q is taken by the HUBSPOT_* environment; pick another", name)
	case !validName.MatchString(name):
		return fmt.Errorf("connection name %q: use 1-63 lower-case letters, digits, '_' or '-', starting with a letter or digit", name)
	}
	return nil
}

// validate checks the content once the name is known.
func (c Connection) validate() error {
	oauth := []string{c.ClientID, c.ClientSecret, c.RefreshToken}
	set := 0
	for _, v := range oauth {
		if v != "" {
			set++
		}
	}
	switch {
	case c.AccessToken != "" && set > 0:
		return fmt.Errorf("connection %q: give accessToken or clientId/clientSecret/refreshToken, not both", c.Name)
	case c.AccessToken == "" && set != len(oauth):
		return fmt.Errorf("connection %q: want accessToken, or clientId, clientSecret and refreshToken together", c.Name)
	}
	if c.BaseURL != "" {
		if err := config.CheckBaseURL(c.BaseURL); err != nil {
			return fmt.Errorf("connection %q: baseUrl %q: %v", c.Name, c.BaseURL, err)
		}
	}
	return nil
}

// Config is the HubSpot configuration of the connection: base holds what
// the file leaves out (base URL, tier: the HUBSPOT_* values) and nothing
// of the default connection's credentials is kept.
func (c Connection) Config(base config.HubSpot) config.HubSpot {
	h := config.HubSpot{
		Connection: c.Name, BaseURL: base.BaseURL, Tier: base.Tier,
		AccessToken: c.AccessToken, ClientID: c.ClientID, ClientSecret: c.ClientSecret, RefreshToken: c.RefreshToken,
	}
	if c.BaseURL != "" {
		h.BaseURL = c.BaseURL
	}
	if c.Tier != "" {
		h.Tier = c.Tier
	}
	return h
}

// Dir is the connections directory.
type Dir string

// ErrNotFound is returned for a connection without a file.
var ErrNotFound = errors.New("no such HubSpot connection")

func (d Dir) path(name string) string { return filepath.Join(string(d), name+".json") }

// File is the path of the named connection's file.
func (d Dir) File(name string) string {
	if abs, err := filepath.Abs(d.path(name)); err == nil {
		return abs
	}
	return d.path(name)
}

// Load reads one connection.
func (d Dir) Load(name string) (Connection, error) {
	c, _, err := d.load(name)
	return c, err
}

// load also returns the file's bytes, which tell a changed file.
func (d Dir) load(name string) (Connection, []byte, error) {
	if err := ValidateName(name); err != nil {
		return Connection{}, nil, err
	}
	b, err := os.ReadFile(d.path(name))
	if errors.Is(err, fs.ErrNotExist) {
		return Connection{}, nil, fmt.Errorf("HubSpot connection %q: %w in %s (add it with 'starter connections add %s')", name, ErrNotFound, d, name)
	}
	if err != nil {
		return Connection{}, nil, fmt.Errorf("HubSpot connection %q: %w", name, err)
	}
	var c Connection
	if err := json.Unmarshal(b, &c); err != nil {
		// The decoder's message may quote the file: keep only its kind.
		return Connection{}, nil, fmt.Errorf("HubSpot connection %q: %s is not a connection file (%s)", name, d.path(name), jsonProblem(err))
	}
	c.Name = name
	return c, b, c.validate()
}

// jsonProblem names what is wrong with a JSON document without quoting it.
func jsonProblem(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("invalid JSON at byte %d", syn.Offset)
	case errors.As(err, &typ):
		return fmt.Sprintf("field %q wants a %s", typ.Field, typ.Type)
	}
	return err.Error() // a field's own refusal (tier), which quotes no secret
}

// Save writes the connection's file, mode 0600, atomically, creating the
// directory (0700) if needed.
func (d Dir) Save(c Connection) error {
	if err := ValidateName(c.Name); err != nil {
		return err
	}
	if err := c.validate(); err != nil {
		return err
	}
	if err := os.MkdirAll(string(d), 0o700); err != nil {
		return fmt.Errorf("connections directory: %w", err)
	}
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	return connect.WriteSecretFile(d.path(c.Name), string(b)+"\n")
}

// List reads every connection, by name. A missing directory holds none.
func (d Dir) List() ([]Connection, error) {
	entries, err := os.ReadDir(string(d))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("connections directory: %w", err)
	}
	var out []Connection
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok || e.IsDir() || strings.HasPrefix(name, ".") {
			continue
		}
		c, err := d.Load(name)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b Connection) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// Remove deletes the connection's file.
func (d Dir) Remove(name string) error {
	if err := ValidateName(name); err != nil {
		return err
	}
	err := os.Remove(d.path(name))
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("HubSpot connection %q: %w in %s", name, ErrNotFound, d)
	}
	return err
}

// SaveRefreshToken writes a rotated refresh token into the connection's
// file, keeping the rest of it.
func (d Dir) SaveRefreshToken(name, token string) error {
	c, err := d.Load(name)
	if err != nil {
		return err
	}
	c.RefreshToken = token
	return d.Save(c)
}
