// Package connect builds the clients both processes (worker and starter)
// use, from the one configuration, so they authenticate and pace their
// calls the same way, and holds the worker's start-up look at the other
// workers of its task queue (pollers.go).
package connect

import (
	"errors"
	"fmt"
	"strings"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.uber.org/zap"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"hubspot-brevo-sync/internal/brevo"
	"hubspot-brevo-sync/internal/codec"
	"hubspot-brevo-sync/internal/config"
	"hubspot-brevo-sync/internal/hubspot"
	"hubspot-brevo-sync/internal/logging"
)

// HubSpot builds the HubSpot client: a static token when one is set,
// otherwise the OAuth refresh-token grant. With HUBSPOT_REFRESH_TOKEN_FILE,
// a rotated refresh token is written back to the file.
func HubSpot(c config.HubSpot, log *zap.Logger, opts ...Option) (*hubspot.Client, error) {
	o := collect(opts)
	cfg := hubspot.Config{BaseURL: c.BaseURL, Tier: c.Tier, Logger: log, Transport: o.transport("hubspot"),
		SharedWindows: o.windows, Connection: c.ConnectionName()}
	if c.AccessToken != "" {
		cfg.AccessToken = c.AccessToken
	} else if c.RefreshToken != "" {
		cfg.OAuth = &hubspot.OAuthConfig{ClientID: c.ClientID, ClientSecret: c.ClientSecret, RefreshToken: c.RefreshToken}
		switch {
		case c.RefreshTokenSaver != nil: // a named connection's file
			cfg.OAuth.OnRefresh = c.RefreshTokenSaver.SaveRefreshToken
		case c.RefreshTokenFile != "":
			cfg.OAuth.OnRefresh = saveRefreshToken(c.RefreshTokenFile, log)
		}
	}
	return hubspot.New(cfg)
}

// Brevo builds the Brevo client.
func Brevo(c config.Brevo, log *zap.Logger, opts ...Option) (*brevo.Client, error) {
	o := collect(opts)
	return brevo.New(brevo.Config{BaseURL: c.BaseURL, APIKey: c.APIKey, Tier: c.Tier, Logger: log, Transport: o.transport("brevo"),
		SharedWindows: o.windows})
}

// Temporal dials the Temporal service with the connection of c (address,
// namespace, API key, TLS: the Temporal CLI's profile and TEMPORAL_*
// variables), our logger and, when payload keys are configured, the
// encrypting data and failure converters.
func Temporal(c config.Temporal, log *zap.Logger, opts ...Option) (client.Client, error) {
	o := collect(opts)
	co, err := c.ClientOptions()
	if err != nil {
		return nil, err
	}
	co.Logger = logging.Temporal(log.Named("temporal"))
	co.MetricsHandler = o.metrics
	if c.Keys != nil {
		co.DataConverter = codec.DataConverter(c.Keys)
		co.FailureConverter = codec.FailureConverter(co.DataConverter)
	}
	log.Info("connecting to Temporal", zap.String("address", c.Address), zap.String("namespace", c.Namespace),
		zap.String("security", c.Security()), zap.String("settings", c.Source))
	cl, err := client.Dial(co)
	if err != nil {
		return nil, dialError(c, err)
	}
	return cl, nil
}

// dialError says which settings to look at: a failed handshake points at
// the TLS ones, a refused credential at the API key or certificate.
func dialError(c config.Temporal, err error) error {
	msg := err.Error()
	// The SDK turns PermissionDenied into a serviceerror; status.Code finds
	// the other codes' gRPC status wrapped inside its error.
	var denied *serviceerror.PermissionDenied
	switch code := status.Code(err); {
	case code == codes.Unauthenticated || code == codes.PermissionDenied || errors.As(err, &denied):
		return fmt.Errorf("Temporal at %s refused the credentials (TEMPORAL_API_KEY or the client certificate, "+
			"for namespace %s in TEMPORAL_NAMESPACE): %w", c.Address, c.Namespace, err)
	case tlsFailure(c, msg):
		return fmt.Errorf("TLS handshake with Temporal at %s failed (%s; check TEMPORAL_TLS_SERVER_CA_CERT_PATH, "+
			"TEMPORAL_TLS_SERVER_NAME and the client certificate): %w", c.Address, c.Security(), err)
	}
	hint := ""
	if !strings.Contains(c.Security(), "TLS") && strings.Contains(msg, "server preface") {
		hint = "; a server that closes a plaintext connection may want TLS: TEMPORAL_TLS=true"
	}
	return fmt.Errorf("cannot reach Temporal at %s (TEMPORAL_ADDRESS, %s%s): %w", c.Address, c.Security(), hint, err)
}

// tlsFailure tells a failed handshake. With TLS 1.3 the server checks the
// client certificate after the client considers the handshake done; a
// refused certificate then shows only as a connection closed under the
// client's first write.
func tlsFailure(c config.Temporal, msg string) bool {
	for _, s := range []string{"x509:", "tls:", "handshake"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	if !strings.Contains(c.Security(), "TLS") {
		return false
	}
	for _, s := range []string{"broken pipe", "connection reset", "EOF"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}
