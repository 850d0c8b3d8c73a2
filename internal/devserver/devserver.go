// Package devserver runs a complete Temporal development stack inside the
// current process: the Temporal server (frontend, history, matching and
// worker services) on a SQLite file, plus the Temporal Web UI. It backs
// `worker --dev`, so a developer needs neither Docker nor the Temporal CLI.
//
// It is the only package of this module that imports go.temporal.io/server.
// State lives in a SQLite file under Options.DataDir and survives a restart
// of the process.
package devserver

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/server/temporal"
	"go.uber.org/zap"
	"google.golang.org/grpc"
)

// DBFileName is the name of the SQLite database inside Options.DataDir.
const DBFileName = "temporal.db"

// Defaults applied by Start to zero-valued Options fields.
const (
	DefaultIP           = "127.0.0.1"
	DefaultFrontendPort = 7233
	DefaultUIPort       = 8233
	DefaultNamespace    = "default"
)

// defaultReadyTimeout bounds Start's wait for the frontend and the UI when
// ctx has no deadline of its own.
const defaultReadyTimeout = 2 * time.Minute

// Options configures Start. Only DataDir is required.
type Options struct {
	// DataDir holds the SQLite database (DBFileName). It is created if
	// missing; workflows stored there survive a restart of the process.
	DataDir string
	// IP the frontend and the UI listen on. Default DefaultIP; "localhost"
	// means 127.0.0.1.
	IP string
	// FrontendPort is the gRPC port of the frontend. Default DefaultFrontendPort.
	FrontendPort int
	// UIPort is the HTTP port of the Web UI. Default DefaultUIPort unless
	// DisableUI is set.
	UIPort int
	// DisableUI runs the server without the Web UI.
	DisableUI bool
	// CodecEndpoint is the remote codec server the UI calls from the browser
	// to decode payloads. Empty means none.
	CodecEndpoint string
	// HTTPPort is the frontend's HTTP API port. 0 picks a free port.
	HTTPPort int
	// MetricsPort serves Prometheus metrics at /metrics when > 0. 0 turns
	// server metrics off.
	MetricsPort int
	// Namespace is created (with SearchAttributes) if absent. Default
	// DefaultNamespace.
	Namespace string
	// SearchAttributes are the custom search attributes the namespace must
	// have. They are registered at every Start, also on an existing
	// database: missing ones are added, existing ones must have the same type.
	SearchAttributes map[string]enumspb.IndexedValueType
	// Logger receives the server's log at warn level and above. nil discards it.
	Logger *zap.Logger
	// TLS serves the frontend over TLS (and mTLS); nil serves plaintext.
	// It needs DisableUI: the embedded Web UI dials the frontend in
	// plaintext.
	TLS *TLS
	// DynamicConfig overrides server dynamic config keys, e.g.
	// "limit.historyCount.suggestContinueAsNew": 200. Values use Go types
	// (int, bool, float64, string, time.Duration). They win over this
	// package's dev defaults.
	DynamicConfig map[string]any
}

// TLS is the frontend's TLS. Internal traffic between the services stays
// on loopback in plaintext.
type TLS struct {
	// Server is the frontend listener's config: its certificate and, for
	// mTLS, ClientCAs with ClientAuth tls.RequireAndVerifyClientCert.
	Server *tls.Config
	// Client is how the server's own clients dial the frontend (its system
	// workers, Start's readiness check): it trusts Server's certificate and,
	// for mTLS, presents a client certificate.
	Client *tls.Config
}

// Server is a running dev stack. Stop it with Stop.
type Server struct {
	opts         Options // with defaults applied and ports resolved
	frontendHost string  // dialable host of the frontend (never 0.0.0.0)
	server       temporal.Server
	ui           *uiServer
	// logLevel filters the server's log: warn while running, error while
	// stopping, when its internal workers and clients complain about the
	// services going away.
	logLevel zap.AtomicLevel
}

// Start launches the server (and the UI unless disabled) and returns once
// the frontend answers calls and the namespace and all requested search
// attributes exist. ctx bounds that wait; the server itself keeps running
// until Stop, independent of ctx.
func Start(ctx context.Context, o Options) (*Server, error) {
	if err := o.applyDefaults(); err != nil {
		return nil, err
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, defaultReadyTimeout)
		defer cancel()
	}
	if err := os.MkdirAll(o.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("devserver: create data dir: %w", err)
	}
	if err := checkPortsFree(&o); err != nil {
		return nil, err
	}

	s := &Server{opts: o, frontendHost: dialableHost(o.IP), logLevel: zap.NewAtomicLevelAt(zap.WarnLevel)}
	sqlConf, err := prepareDatabase(&o)
	if err != nil {
		return nil, err
	}
	serverOpts, err := s.serverOptions(sqlConf)
	if err != nil {
		return nil, err
	}
	srv, err := temporal.NewServer(serverOpts...)
	if err != nil {
		return nil, fmt.Errorf("devserver: create server: %w", err)
	}
	if err := srv.Start(); err != nil {
		_ = srv.Stop()
		return nil, fmt.Errorf("devserver: start server: %w", err)
	}
	s.server = srv

	if err := s.awaitReady(ctx); err != nil {
		_ = s.Stop()
		return nil, err
	}

	if !o.DisableUI {
		ui, err := startUI(ctx, &o, s.FrontendHostPort())
		if err != nil {
			_ = s.Stop()
			return nil, err
		}
		s.ui = ui
	}
	return s, nil
}

// FrontendHostPort is the address SDK clients dial, e.g. "127.0.0.1:7233".
func (s *Server) FrontendHostPort() string {
	return net.JoinHostPort(s.frontendHost, strconv.Itoa(s.opts.FrontendPort))
}

// UIURL is the Web UI's base URL, or "" when the UI is disabled.
func (s *Server) UIURL() string {
	if s.ui == nil {
		return ""
	}
	return s.ui.url
}

// Stop shuts down the UI, then the server. It is safe to call more than once.
func (s *Server) Stop() error {
	if s.logLevel.Level() < zap.ErrorLevel {
		s.logLevel.SetLevel(zap.ErrorLevel)
	}
	var errs []error
	if s.ui != nil {
		errs = append(errs, s.ui.stop())
		s.ui = nil
	}
	if s.server != nil {
		if err := s.server.Stop(); err != nil {
			errs = append(errs, fmt.Errorf("devserver: stop server: %w", err))
		}
		s.server = nil
	}
	return errors.Join(errs...)
}

func (o *Options) applyDefaults() error {
	if o.DataDir == "" {
		return errors.New("devserver: Options.DataDir is required")
	}
	if o.IP == "" || o.IP == "localhost" {
		o.IP = DefaultIP
	}
	if net.ParseIP(o.IP) == nil {
		return fmt.Errorf("devserver: Options.IP %q is not an IP address", o.IP)
	}
	if o.FrontendPort == 0 {
		o.FrontendPort = DefaultFrontendPort
	}
	if o.DisableUI {
		o.UIPort = 0
	} else if o.UIPort == 0 {
		o.UIPort = DefaultUIPort
	}
	if o.Namespace == "" {
		o.Namespace = DefaultNamespace
	}
	if o.TLS != nil && (o.TLS.Server == nil || o.TLS.Client == nil) {
		return errors.New("devserver: Options.TLS needs both Server and Client")
	}
	if o.TLS != nil && !o.DisableUI {
		return errors.New("devserver: Options.TLS needs DisableUI (the Web UI dials the frontend in plaintext)")
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	return nil
}

// awaitReady waits until the frontend serves the namespace, then makes sure
// every requested search attribute is registered.
func (s *Server) awaitReady(ctx context.Context) error {
	conn, err := grpc.NewClient(s.FrontendHostPort(), grpcDialOptions(s.opts.TLS)...)
	if err != nil {
		return fmt.Errorf("devserver: dial frontend: %w", err)
	}
	defer func() { _ = conn.Close() }()

	if err := waitForNamespace(ctx, conn, s.opts.Namespace); err != nil {
		return err
	}
	return ensureSearchAttributes(ctx, conn, s.opts.Namespace, s.opts.SearchAttributes, namespaceRefreshInterval(s.opts.DynamicConfig))
}
