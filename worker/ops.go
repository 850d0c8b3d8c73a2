package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.uber.org/zap"

	"hubspot-brevo-sync/internal/brevo"
	"hubspot-brevo-sync/internal/codec"
	"hubspot-brevo-sync/internal/config"
	"hubspot-brevo-sync/internal/connect"
	"hubspot-brevo-sync/internal/connections"
	"hubspot-brevo-sync/internal/metrics"
)

// DefaultCodecAddr is where --codec-server-only listens without
// --codec-server, and what --dev tries first.
const (
	defaultCodecAddr    = ":8081"
	defaultDevCodecAddr = "127.0.0.1:8081"
)

// opsState holds the operational servers of a worker process: the codec
// server and the metrics endpoint.
type opsState struct {
	codecURL string // set once the codec server runs
	metrics  *metrics.Metrics
	ready    *metrics.Readiness
	stops    []func()
	cancel   context.CancelFunc
}

func (o *opsState) stop() {
	if o.cancel != nil {
		o.cancel()
	}
	for i := len(o.stops) - 1; i >= 0; i-- {
		o.stops[i]()
	}
}

// devCodecServer starts the codec server for `worker --dev` when payloads
// are encrypted, so the embedded Web UI can show them: at --codec-server,
// or 127.0.0.1:8081, or a free port if that one is taken.
func (o *opsState) devCodecServer(f flags, cfg config.Config, log *zap.Logger) error {
	if cfg.Temporal.Keys == nil {
		return nil
	}
	addr := f.codecServer
	if addr == "" {
		addr = defaultDevCodecAddr
		if ln, err := net.Listen("tcp", addr); err == nil {
			_ = ln.Close()
		} else {
			addr = "127.0.0.1:0"
		}
	}
	return o.startCodec(addr, cfg, log)
}

// start starts what the configuration and flags ask for and is not running
// yet: the codec server (--codec-server) and the metrics endpoint
// (SYNC_METRICS_ADDR).
func (o *opsState) start(f flags, cfg config.Config, log *zap.Logger) error {
	if f.codecServer != "" && o.codecURL == "" {
		if cfg.Temporal.Keys == nil {
			log.Warn("codec server started without SYNC_PAYLOAD_KEYS: payloads are not encrypted and pass through unchanged")
		}
		if err := o.startCodec(f.codecServer, cfg, log); err != nil {
			return err
		}
	}
	if cfg.Metrics.Addr == "" {
		return nil
	}
	o.metrics = metrics.New()
	o.ready = &metrics.Readiness{}
	addr, stop, err := serve("metrics", cfg.Metrics.Addr, o.metrics.Handler(o.ready.Check), log)
	if err != nil {
		return fmt.Errorf("metrics endpoint (SYNC_METRICS_ADDR): %w", err)
	}
	o.stops = append(o.stops, stop)
	log.Info("metrics endpoint serving /metrics, /healthz and /readyz", zap.String("addr", addr.String()))
	return nil
}

func (o *opsState) startCodec(addr string, cfg config.Config, log *zap.Logger) error {
	if err := config.CheckListenAddr(addr); err != nil {
		return fmt.Errorf("--codec-server %q: %w", addr, err)
	}
	h := codecHandler(cfg)
	bound, stop, err := serve("codec server", addr, h, log)
	if err != nil {
		return fmt.Errorf("codec server (--codec-server): %w", err)
	}
	o.stops = append(o.stops, stop)
	o.codecURL = "http://" + dialable(bound)
	fmt.Printf("Codec server: %s (CORS origins %v)\n", o.codecURL, cfg.Codec.Origins())
	return nil
}

func codecHandler(cfg config.Config) http.Handler {
	var c *codec.Codec
	if cfg.Temporal.Keys != nil {
		c = codec.New(cfg.Temporal.Keys)
	}
	return codec.NewHandler(passThrough(c), codec.ServerOptions{CORSOrigins: cfg.Codec.Origins(), AuthToken: cfg.Codec.AuthToken})
}

// passThrough is c, or a codec that changes nothing when no key is set.
func passThrough(c *codec.Codec) converter.PayloadCodec {
	if c == nil {
		return noCodec{}
	}
	return c
}

type noCodec struct{}

func (noCodec) Encode(p []*commonpb.Payload) ([]*commonpb.Payload, error) { return p, nil }
func (noCodec) Decode(p []*commonpb.Payload) ([]*commonpb.Payload, error) { return p, nil }

// options are the instrumentation options for the clients.
func (o *opsState) options() []connect.Option {
	if o.metrics == nil {
		return nil
	}
	return []connect.Option{
		connect.WithTransport(func(api string) http.RoundTripper { return o.metrics.Transport(api, nil) }),
		connect.WithMetricsHandler(o.metrics.TemporalHandler()),
	}
}

// workerStarted turns readiness on and starts polling the integrations
// for their metrics.
func (o *opsState) workerStarted(ctx context.Context, tc client.Client, cfg config.Config, hubspots *connections.Registry, bv *brevo.Client, log *zap.Logger) {
	if o.metrics == nil {
		return
	}
	o.metrics.Governors(hubspots.Governors, bv.Governor())
	o.ready.Temporal = tc
	o.ready.Started()
	pctx, cancel := context.WithCancel(ctx)
	o.cancel = cancel
	go o.metrics.Integrations(metrics.IntegrationsOptions{Temporal: tc, Logger: log.Named("metrics")}).Run(pctx)
}

// workerFailed turns readiness off (OnFatalError and the end of Run).
func (o *opsState) workerFailed(err error) {
	if o.ready != nil {
		o.ready.Stopped(err)
	}
}

// runCodecServerOnly is `worker --codec-server-only`: the codec server on
// its own, e.g. next to a Web UI that has no worker beside it.
func runCodecServerOnly(ctx context.Context, f flags, cfg config.Config, log *zap.Logger) error {
	if f.dev {
		return errors.New("--codec-server-only and --dev do not go together")
	}
	if cfg.Temporal.Keys == nil {
		return errors.New("config: --codec-server-only needs SYNC_PAYLOAD_KEYS or SYNC_PAYLOAD_KEY_FILE")
	}
	addr := f.codecServer
	if addr == "" {
		addr = defaultCodecAddr
	}
	var o opsState
	defer o.stop()
	if err := o.startCodec(addr, cfg, log); err != nil {
		return err
	}
	<-ctx.Done()
	return nil
}

// serve listens on addr and serves h until the returned stop is called.
func serve(name, addr string, h http.Handler, log *zap.Logger) (net.Addr, func(), error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, err
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		WriteTimeout:      time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error(name+" stopped", zap.Error(err))
		}
	}()
	return ln.Addr(), func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}, nil
}

// dialable turns a bound address into one a browser on this machine can
// reach (":8081" binds every interface; the URL says localhost).
func dialable(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}
