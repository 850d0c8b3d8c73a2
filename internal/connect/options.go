package connect

import (
	"net/http"
	"os"
	"path/filepath"

	"go.temporal.io/sdk/client"
	"go.uber.org/zap"

	"hubspot-brevo-sync/internal/httpx"
)

// Option adds instrumentation to the clients this package builds.
type Option func(*options)

type options struct {
	transports func(api string) http.RoundTripper
	metrics    client.MetricsHandler
	windows    httpx.SharedWindows
}

// WithTransport installs the HTTP transport of the HubSpot and Brevo
// clients, e.g. one that counts calls per API and endpoint family. rt gets
// the API name ("hubspot" or "brevo").
func WithTransport(rt func(api string) http.RoundTripper) Option {
	return func(o *options) { o.transports = rt }
}

// WithSharedWindows keeps the HubSpot and Brevo governors' rate windows in
// w (the PostgreSQL store's), so that several workers spend each HubSpot
// connection's and the Brevo account's budget together.
func WithSharedWindows(w httpx.SharedWindows) Option {
	return func(o *options) { o.windows = w }
}

// WithMetricsHandler sets the Temporal SDK's metrics handler.
func WithMetricsHandler(h client.MetricsHandler) Option {
	return func(o *options) { o.metrics = h }
}

func collect(opts []Option) options {
	var o options
	for _, f := range opts {
		f(&o)
	}
	return o
}

func (o options) transport(api string) http.RoundTripper {
	if o.transports == nil {
		return nil
	}
	return o.transports(api)
}

// saveRefreshToken persists a rotated refresh token: written to a
// temporary file with mode 0600 next to path, then renamed over it, so a
// crash never leaves a half-written token behind.
func saveRefreshToken(path string, log *zap.Logger) func(string) {
	return func(token string) {
		if err := WriteSecretFile(path, token+"\n"); err != nil {
			// The old refresh token may already be invalid: say so loudly.
			log.Error("HubSpot rotated the refresh token and it could not be saved; "+
				"re-run 'starter connect hubspot' after a restart if authentication fails",
				zap.String("file", path), zap.Error(err))
			return
		}
		log.Info("rotated HubSpot refresh token saved", zap.String("file", path))
	}
}

// WriteSecretFile replaces path with content, mode 0600, atomically.
func WriteSecretFile(path, content string) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after a successful rename: no such file
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.WriteString(content); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
