package devserver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	uiserver "github.com/temporalio/ui-server/v2/server"
	uiconfig "github.com/temporalio/ui-server/v2/server/config"
	uioptions "github.com/temporalio/ui-server/v2/server/server_options"
)

// uiServer is the Temporal Web UI served from this process; its assets are
// compiled into the ui-server module.
type uiServer struct {
	srv  *uiserver.Server
	url  string
	done chan struct{} // closed when the serving goroutine returned
}

// startUI serves the Web UI on o.IP:o.UIPort against the frontend at
// frontend and waits until it accepts connections.
func startUI(ctx context.Context, o *Options, frontend string) (*uiServer, error) {
	host := dialableHost(o.IP)
	base := "http://" + net.JoinHostPort(host, strconv.Itoa(o.UIPort))
	origins := []string{base}
	if host == loopback {
		origins = append(origins, "http://"+net.JoinHostPort("localhost", strconv.Itoa(o.UIPort)))
	}
	cfg := &uiconfig.Config{
		Host:                o.IP,
		Port:                o.UIPort,
		TemporalGRPCAddress: frontend,
		EnableUI:            true,
		DefaultNamespace:    o.Namespace,
		Codec:               uiconfig.Codec{Endpoint: o.CodecEndpoint},
		CORS: uiconfig.CORS{
			AllowOrigins: origins,
			// Plain http on localhost: the CSRF cookie must not be Secure or
			// browsers drop it.
			CookieInsecure: true,
		},
		// No fetches from the internet (release news) and no request log.
		DisableNewsFetch: true,
		HideLogs:         true,
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("devserver: UI config: %w", err)
	}
	// The ui-server package wants "[::1]" for IPv6 hosts in its listen address.
	if ip := net.ParseIP(o.IP); ip != nil && ip.To4() == nil {
		cfg.Host = "[" + o.IP + "]"
	}

	u := &uiServer{
		srv:  uiserver.NewServer(uioptions.WithConfigProvider(cfg)),
		url:  base,
		done: make(chan struct{}),
	}
	// Start blocks while serving and returns nil once stopped. (On a listen
	// error it exits the process; checkPortsFree guards against that.)
	go func() {
		defer close(u.done)
		_ = u.srv.Start()
	}()

	addr := net.JoinHostPort(host, strconv.Itoa(o.UIPort))
	for {
		conn, err := (&net.Dialer{Timeout: time.Second}).DialContext(ctx, "tcp", addr)
		if err == nil {
			_ = conn.Close()
			return u, nil
		}
		select {
		case <-ctx.Done():
			_ = u.stop()
			return nil, fmt.Errorf("devserver: UI not listening on %s: %w", addr, ctx.Err())
		case <-u.done:
			return nil, errors.New("devserver: UI server exited during start")
		case <-time.After(pollInterval):
		}
	}
}

// stop closes the UI's listener and connections and waits for it to return.
func (u *uiServer) stop() error {
	u.srv.Stop()
	select {
	case <-u.done:
		return nil
	case <-time.After(10 * time.Second):
		return errors.New("devserver: UI server did not stop within 10s")
	}
}
