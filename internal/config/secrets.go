package config

import (
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"

	"hubspot-brevo-sync/internal/codec"
)

// Codec configures the codec server (`worker --codec-server`), which the
// Web UI calls from the browser to show encrypted payloads.
type Codec struct {
	// CORSOrigins is a comma-separated list of the Web UI origins allowed
	// to call the codec server.
	CORSOrigins   string `envconfig:"SYNC_CODEC_CORS_ORIGINS" default:"http://localhost:8233,http://127.0.0.1:8233"`
	AuthToken     string `envconfig:"SYNC_CODEC_AUTH_TOKEN"`
	AuthTokenFile string `envconfig:"SYNC_CODEC_AUTH_TOKEN_FILE"`
}

// Origins splits CORSOrigins.
func (c Codec) Origins() []string {
	var out []string
	for _, o := range strings.Split(c.CORSOrigins, ",") {
		if o = strings.TrimSpace(o); o != "" {
			out = append(out, o)
		}
	}
	return out
}

// Metrics configures the worker's Prometheus endpoint.
type Metrics struct {
	// Addr serves /metrics, /healthz and /readyz, e.g. ":9090". Empty: off.
	Addr string `envconfig:"SYNC_METRICS_ADDR"`
}

// maxSecretFileBytes bounds what a secret file may hold.
const maxSecretFileBytes = 64 << 10

// loadSecrets reads the *_FILE variables and the payload keys. Errors name
// the variable and never contain a secret.
func (c *Config) loadSecrets() error {
	for _, s := range []struct {
		name, fileVar, file string
		dst                 *string
	}{
		{"HUBSPOT_ACCESS_TOKEN", "HUBSPOT_ACCESS_TOKEN_FILE", c.HubSpot.AccessTokenFile, &c.HubSpot.AccessToken},
		{"HUBSPOT_CLIENT_SECRET", "HUBSPOT_CLIENT_SECRET_FILE", c.HubSpot.ClientSecretFile, &c.HubSpot.ClientSecret},
		{"HUBSPOT_REFRESH_TOKEN", "HUBSPOT_REFRESH_TOKEN_FILE", c.HubSpot.RefreshTokenFile, &c.HubSpot.RefreshToken},
		{"BREVO_API_KEY", "BREVO_API_KEY_FILE", c.Brevo.APIKeyFile, &c.Brevo.APIKey},
		{"SYNC_CODEC_AUTH_TOKEN", "SYNC_CODEC_AUTH_TOKEN_FILE", c.Codec.AuthTokenFile, &c.Codec.AuthToken},
	} {
		if s.file == "" {
			continue
		}
		if *s.dst != "" {
			return fmt.Errorf("config: %s=%q is invalid: set %s or %s, not both", s.fileVar, s.file, s.name, s.fileVar)
		}
		v, err := readSecretFile(s.file)
		if err != nil {
			return fmt.Errorf("config: %s=%q is invalid: %s", s.fileVar, s.file, err)
		}
		if strings.ContainsAny(v, "\r\n") {
			return fmt.Errorf("config: %s=%q is invalid: the file must hold one line", s.fileVar, s.file)
		}
		*s.dst = v
	}

	keys, source, value := c.Temporal.PayloadKeys, "SYNC_PAYLOAD_KEYS", "(hidden)"
	if f := c.Temporal.PayloadKeyFile; f != "" {
		if keys != "" {
			return fmt.Errorf("config: SYNC_PAYLOAD_KEY_FILE=%q is invalid: set SYNC_PAYLOAD_KEYS or SYNC_PAYLOAD_KEY_FILE, not both", f)
		}
		v, err := readSecretFile(f)
		if err != nil {
			return fmt.Errorf("config: SYNC_PAYLOAD_KEY_FILE=%q is invalid: %s", f, err)
		}
		keys, source, value = v, "SYNC_PAYLOAD_KEY_FILE", f
	}
	if strings.TrimSpace(keys) != "" {
		kr, err := codec.ParseKeys(keys)
		if err != nil {
			return fmt.Errorf("config: %s=%q is invalid: %s; want id:base64key[,id:base64key...] with 32-byte keys, the current one first", source, value, oneLine(err))
		}
		c.Temporal.Keys = kr
	}
	return nil
}

func readSecretFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("cannot read it: %s", oneLine(unwrapPath(err)))
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxSecretFileBytes+1))
	if err != nil {
		return "", fmt.Errorf("cannot read it: %s", oneLine(unwrapPath(err)))
	}
	if len(b) > maxSecretFileBytes {
		return "", fmt.Errorf("larger than %d bytes", maxSecretFileBytes)
	}
	v := strings.TrimSpace(string(b))
	if v == "" {
		return "", fmt.Errorf("the file is empty")
	}
	return v, nil
}

// unwrapPath drops the path from an *os.PathError (the message names the
// variable and its value already).
func unwrapPath(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

func (c Config) validateOps() error {
	for _, o := range c.Codec.Origins() {
		if err := codec.CheckOrigin(o); err != nil {
			return fmt.Errorf("config: SYNC_CODEC_CORS_ORIGINS=%q is invalid: %s", c.Codec.CORSOrigins, err)
		}
	}
	if a := c.Metrics.Addr; a != "" {
		if err := checkListenAddr(a); err != nil {
			return fmt.Errorf("config: SYNC_METRICS_ADDR=%q is invalid: %s", a, err)
		}
	}
	return nil
}

// checkListenAddr accepts host:port and :port.
func checkListenAddr(a string) error {
	_, port, err := net.SplitHostPort(a)
	if err != nil {
		return fmt.Errorf("want host:port or :port, e.g. :9090")
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("port %q is not a port number", port)
	}
	return nil
}

// CheckListenAddr validates a listen address given on a command line.
func CheckListenAddr(a string) error { return checkListenAddr(a) }
