package config

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"time"

	"go.temporal.io/sdk/client"
	temporalenv "go.temporal.io/sdk/contrib/envconfig"
)

// pemSetting is one certificate, key or CA of the TLS profile: a path or
// inline PEM data, never both.
type pemSetting struct {
	path             string
	data             []byte
	pathVar, dataVar setting
}

func (p pemSetting) set() bool { return p.path != "" || len(p.data) > 0 }

// describe names the setting and shows its value: the path, never the PEM
// data (a key is a secret).
func (p pemSetting) describe() string {
	if len(p.data) > 0 {
		return p.dataVar.is("(PEM data)")
	}
	return p.pathVar.is(p.path)
}

// read returns the PEM bytes, from the file or inline.
func (p pemSetting) read() ([]byte, error) {
	if p.path != "" && len(p.data) > 0 {
		return nil, fmt.Errorf("set %s or %s, not both", p.pathVar.name, p.dataVar.name)
	}
	if len(p.data) > 0 {
		return p.data, nil
	}
	b, err := os.ReadFile(p.path)
	if err != nil {
		return nil, fmt.Errorf("cannot read it: %s", oneLine(unwrapPath(err)))
	}
	return b, nil
}

// checkTLS loads the client certificate and the server CA once at start,
// so a wrong path or a mismatched key fails here, in one line that names
// the setting, instead of at the first connection attempt.
func checkTLS(t *temporalenv.ClientConfigTLS, src profileSource) error {
	if t == nil {
		return nil
	}
	cert := pemSetting{t.ClientCertPath, t.ClientCertData,
		src.setting("TEMPORAL_TLS_CLIENT_CERT_PATH", "tls.client_cert_path"), src.setting("TEMPORAL_TLS_CLIENT_CERT_DATA", "tls.client_cert_data")}
	key := pemSetting{t.ClientKeyPath, t.ClientKeyData,
		src.setting("TEMPORAL_TLS_CLIENT_KEY_PATH", "tls.client_key_path"), src.setting("TEMPORAL_TLS_CLIENT_KEY_DATA", "tls.client_key_data")}
	ca := pemSetting{t.ServerCACertPath, t.ServerCACertData,
		src.setting("TEMPORAL_TLS_SERVER_CA_CERT_PATH", "tls.server_ca_cert_path"), src.setting("TEMPORAL_TLS_SERVER_CA_CERT_DATA", "tls.server_ca_cert_data")}

	if t.Disabled && (cert.set() || key.set() || ca.set()) {
		return fmt.Errorf("config: %s is invalid: TLS is off, yet certificates are configured; remove one or the other",
			src.setting("TEMPORAL_TLS", "tls.disabled").is("false"))
	}
	if cert.set() != key.set() {
		have, missing := cert, key.pathVar.name
		if key.set() {
			have, missing = key, cert.pathVar.name
		}
		return fmt.Errorf("config: %s is invalid: mTLS needs the client certificate and its key; %s is missing", have.describe(), missing)
	}
	if cert.set() {
		if err := checkClientPair(cert, key); err != nil {
			return err
		}
	}
	if ca.set() {
		pem, err := ca.read()
		if err == nil && !x509.NewCertPool().AppendCertsFromPEM(pem) {
			err = errors.New("holds no PEM certificate")
		}
		if err != nil {
			return fmt.Errorf("config: %s is invalid: %s", ca.describe(), err)
		}
	}
	return nil
}

// checkClientPair parses the client certificate with its key and refuses an
// expired one: the server's refusal would not say why.
func checkClientPair(cert, key pemSetting) error {
	certPEM, err := cert.read()
	if err != nil {
		return fmt.Errorf("config: %s is invalid: %s", cert.describe(), err)
	}
	keyPEM, err := key.read()
	if err != nil {
		return fmt.Errorf("config: %s is invalid: %s", key.describe(), err)
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return fmt.Errorf("config: %s with %s is invalid: %s", cert.describe(), key.describe(), oneLine(err))
	}
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		return fmt.Errorf("config: %s is invalid: %s", cert.describe(), oneLine(err))
	}
	if now := time.Now(); now.After(leaf.NotAfter) {
		return fmt.Errorf("config: %s is invalid: the certificate expired on %s", cert.describe(), leaf.NotAfter.UTC().Format(time.DateOnly))
	}
	return nil
}

// ClientOptions are the SDK client options of the connection: address,
// namespace, API key, TLS and gRPC metadata. The caller adds logger,
// metrics and converters. A codec named in the profile is ignored: payload
// encryption is SYNC_PAYLOAD_KEYS, applied in this process.
func (t Temporal) ClientOptions() (client.Options, error) {
	var o client.Options
	if t.Profile != nil {
		var err error
		if o, err = t.Profile.ToClientOptions(temporalenv.ToClientOptionsRequest{}); err != nil {
			return client.Options{}, fmt.Errorf("temporal connection (%s): %w", t.Source, err)
		}
	}
	o.HostPort, o.Namespace = t.Address, t.Namespace
	return o, nil
}

// Security summarises how the connection is protected, for the start-up
// log: "plaintext", "TLS", "mTLS", each possibly "+ API key".
func (t Temporal) Security() string {
	p := t.Profile
	if p == nil {
		return "plaintext"
	}
	mode := "plaintext"
	switch {
	case p.TLS != nil && p.TLS.Disabled:
	case p.TLS != nil && (p.TLS.ClientCertPath != "" || len(p.TLS.ClientCertData) > 0):
		mode = "mTLS"
	case p.TLS != nil || p.APIKey != "":
		mode = "TLS" // an API key turns TLS on unless it is disabled
	}
	if p.APIKey != "" {
		mode += " + API key"
	}
	return mode
}

// UseLocalServer points the connection at a local development server (the
// one `worker --dev` embeds), which speaks plaintext and wants no
// credentials: a Temporal Cloud profile in the CLI's file must not leak
// into it. The namespace stays.
func (t *Temporal) UseLocalServer(hostPort string) {
	t.Address = hostPort
	t.Profile = nil
	t.Source = "local development server"
}
