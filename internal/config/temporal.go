package config

import (
	"fmt"
	"net"
	"os"
	"reflect"
	"slices"
	"strings"

	temporalenv "go.temporal.io/sdk/contrib/envconfig"
)

// Defaults for the Temporal connection when neither the profile file nor
// the environment names one: a local server, as `temporal server
// start-dev` and `worker --dev` run it.
const (
	DefaultTemporalAddress   = "127.0.0.1:7233"
	DefaultTemporalNamespace = "default"
)

// The environment variables of the Temporal CLI and SDKs that Load reads
// itself (go.temporal.io/sdk/contrib/envconfig reads the others).
const (
	envConfigFile = "TEMPORAL_CONFIG_FILE"
	envProfile    = "TEMPORAL_PROFILE"
	// envAPIKeyFile is ours, not the CLI's: the API key from a file, like
	// the other *_FILE secrets (Docker and Kubernetes secrets).
	envAPIKeyFile = "TEMPORAL_API_KEY_FILE"
)

// nonEmptyEnv is the process environment with empty variables counted as
// unset. envconfig takes TEMPORAL_TLS_SERVER_NAME="" as "TLS on", and
// compose files pass every variable, set or not, as ${VAR:-}.
type nonEmptyEnv struct{}

func (nonEmptyEnv) LookupEnv(key string) (string, bool) {
	v, ok := os.LookupEnv(key)
	return v, ok && v != ""
}

func (nonEmptyEnv) Environ() []string {
	return slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasSuffix(kv, "=") })
}

func envSet(key string) bool {
	_, ok := nonEmptyEnv{}.LookupEnv(key)
	return ok
}

// profileSource says where a connection profile came from, so an error can
// name the setting to fix: the environment variable when it is set,
// otherwise the key in the TOML profile.
type profileSource struct {
	file    string // "" when no profile file was read
	profile string
}

func (s profileSource) String() string {
	if s.file == "" {
		return "environment"
	}
	return fmt.Sprintf("profile %q of %s, then environment", s.profile, s.file)
}

// setting names one connection setting in an error: envVar when the
// environment sets it (or no file was read), else the TOML key followed by
// the profile and file it was read from.
func (s profileSource) setting(envVar, tomlKey string) setting {
	if envSet(envVar) || s.file == "" {
		return setting{name: envVar}
	}
	return setting{name: tomlKey, where: fmt.Sprintf(" (profile %q of %s)", s.profile, s.file)}
}

type setting struct{ name, where string }

// is renders `name="value" (profile ...)`.
func (s setting) is(value string) string { return fmt.Sprintf("%s=%q%s", s.name, value, s.where) }

// loadTemporal fills c.Temporal's connection from the Temporal CLI's TOML
// profile (TEMPORAL_CONFIG_FILE, default $XDG_CONFIG_HOME/temporalio/
// temporal.toml; TEMPORAL_PROFILE, default "default") and the TEMPORAL_*
// variables on top, the precedence the CLI and the SDKs use.
func (c *Config) loadTemporal() error {
	prof, src, err := loadProfile()
	if err != nil {
		return err
	}
	if f, ok := (nonEmptyEnv{}).LookupEnv(envAPIKeyFile); ok {
		if envSet("TEMPORAL_API_KEY") {
			return fmt.Errorf("config: %s=%q is invalid: set TEMPORAL_API_KEY or %s, not both", envAPIKeyFile, f, envAPIKeyFile)
		}
		if prof.APIKey, err = readSecretFile(f); err != nil {
			return fmt.Errorf("config: %s=%q is invalid: %s", envAPIKeyFile, f, err)
		}
	}
	if prof.Address == "" {
		prof.Address = DefaultTemporalAddress
	}
	if prof.Namespace == "" {
		prof.Namespace = DefaultTemporalNamespace
	}
	if err := checkAddress(prof.Address, src); err != nil {
		return err
	}
	c.Temporal.Address, c.Temporal.Namespace = prof.Address, prof.Namespace
	c.Temporal.Profile, c.Temporal.Source = &prof, src.String()
	if err := checkBoolVars(); err != nil {
		return err
	}
	if err := checkTLS(prof.TLS, src); err != nil {
		return err
	}
	// Whatever the checks above missed, envconfig itself refuses here.
	if _, err := prof.ToClientOptions(temporalenv.ToClientOptionsRequest{}); err != nil {
		return fmt.Errorf("config: Temporal connection (%s) is invalid: %s", src, oneLine(err))
	}
	return nil
}

// loadProfile reads the profile file, if any, and applies the environment.
// It does what envconfig.LoadClientConfigProfile does, but knows which file
// and profile it read, and refuses a TEMPORAL_CONFIG_FILE that does not
// exist instead of ignoring it.
func loadProfile() (temporalenv.ClientConfigProfile, profileSource, error) {
	var none temporalenv.ClientConfigProfile
	env := nonEmptyEnv{}
	file, explicitFile := env.LookupEnv(envConfigFile)
	if !explicitFile {
		file = temporalenv.DefaultConfigFilePath()
	}
	name, explicitProfile := env.LookupEnv(envProfile)
	if !explicitProfile {
		name = temporalenv.DefaultConfigFileProfile
	}

	src := profileSource{profile: name}
	var prof temporalenv.ClientConfigProfile
	if _, err := os.Stat(file); err == nil {
		conf, err := temporalenv.LoadClientConfig(temporalenv.LoadClientConfigOptions{ConfigFilePath: file, EnvLookup: env})
		if err != nil {
			return none, src, fmt.Errorf("config: Temporal profile file %s is invalid: %s", file, oneLine(err))
		}
		p, ok := conf.Profiles[name]
		if !ok && explicitProfile {
			return none, src, fmt.Errorf("config: %s=%q is invalid: %s has no such profile (it has %s)",
				envProfile, name, file, profileNames(conf))
		}
		if ok {
			prof, src.file = *p, file
		}
	} else if explicitFile {
		return none, src, fmt.Errorf("config: %s=%q is invalid: %s", envConfigFile, file, oneLine(unwrapPath(err)))
	} else if explicitProfile {
		return none, src, fmt.Errorf("config: %s=%q is invalid: there is no profile file (%s, or set %s)",
			envProfile, name, file, envConfigFile)
	}
	if err := prof.ApplyEnvVars(env); err != nil {
		return none, src, fmt.Errorf("config: Temporal environment variables: %s", oneLine(err))
	}
	return prof, src, nil
}

// checkAddress wants host:port; gRPC target URIs (dns:///host:port) pass
// as they are.
func checkAddress(addr string, src profileSource) error {
	if strings.Contains(addr, "://") {
		return nil
	}
	if host, port, err := net.SplitHostPort(addr); err != nil || host == "" || port == "" {
		return fmt.Errorf("config: %s is invalid: want host:port, e.g. temporal:7233 or %s",
			src.setting("TEMPORAL_ADDRESS", "address").is(addr), DefaultTemporalAddress)
	}
	return nil
}

func profileNames(conf temporalenv.ClientConfig) string {
	var names []string
	for n := range conf.Profiles {
		names = append(names, fmt.Sprintf("%q", n))
	}
	if len(names) == 0 {
		return "none"
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

// checkBoolVars refuses boolean variables envconfig would silently ignore
// ("yes", "on"), which would leave TLS in a state the user did not ask for.
func checkBoolVars() error {
	for _, name := range []string{"TEMPORAL_TLS", "TEMPORAL_TLS_DISABLE_HOST_VERIFICATION"} {
		v, ok := nonEmptyEnv{}.LookupEnv(name)
		if !ok {
			continue
		}
		switch strings.ToLower(v) {
		case "true", "false", "1", "0":
		default:
			return fmt.Errorf("config: %s=%q is invalid: want true or false", name, v)
		}
	}
	return nil
}

// temporalVariables are the variables of the Temporal connection: those of
// the Temporal CLI that envconfig applies, and TEMPORAL_API_KEY_FILE.
// TEMPORAL_GRPC_META_<NAME> (gRPC headers) comes on top; the CLI's
// TEMPORAL_CODEC_* are ignored (payload encryption is SYNC_PAYLOAD_KEYS).
var temporalVariables = []string{
	"TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "TEMPORAL_API_KEY", envAPIKeyFile,
	"TEMPORAL_TLS", "TEMPORAL_TLS_CLIENT_CERT_PATH", "TEMPORAL_TLS_CLIENT_CERT_DATA",
	"TEMPORAL_TLS_CLIENT_KEY_PATH", "TEMPORAL_TLS_CLIENT_KEY_DATA",
	"TEMPORAL_TLS_SERVER_CA_CERT_PATH", "TEMPORAL_TLS_SERVER_CA_CERT_DATA",
	"TEMPORAL_TLS_SERVER_NAME", "TEMPORAL_TLS_DISABLE_HOST_VERIFICATION",
	"TEMPORAL_CLIENT_AUTHORITY", envConfigFile, envProfile,
}

// Variables lists every environment variable Load reads, in the order of
// Config's fields (the Temporal connection first), except the
// TEMPORAL_GRPC_META_ prefix. .env.example and docker-compose.yml are
// tested against it.
func Variables() []string {
	names := slices.Clone(temporalVariables)
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for f := range t.Fields() {
			if name := f.Tag.Get("envconfig"); name != "" {
				names = append(names, name)
			} else if f.Type.Kind() == reflect.Struct && f.Tag.Get("ignored") == "" {
				walk(f.Type)
			}
		}
	}
	walk(reflect.TypeFor[Config]())
	return names
}
