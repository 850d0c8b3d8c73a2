package devserver

import (
	"fmt"
	"net"
	"runtime"
	"strconv"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
)

// checkPortsFree fails early, with a clear message, if a port Start is about
// to bind is taken: the server and the UI would otherwise end the process
// from deep inside their start code. It also picks the HTTP API port if none
// was set.
func checkPortsFree(o *Options) error {
	named := []struct {
		what string
		port int
	}{
		{"frontend", o.FrontendPort},
		{"UI", o.UIPort},
		{"HTTP API", o.HTTPPort},
		{"metrics", o.MetricsPort},
	}
	for _, p := range named {
		if p.port <= 0 {
			continue
		}
		if err := portFree(o.IP, p.port); err != nil {
			return fmt.Errorf("devserver: %s port %d is not free: %w", p.what, p.port, err)
		}
	}
	if o.HTTPPort == 0 {
		port, err := freePort(o.IP)
		if err != nil {
			return fmt.Errorf("devserver: port for HTTP API: %w", err)
		}
		o.HTTPPort = port
	}
	return nil
}

func portFree(host string, port int) error {
	l, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		return err
	}
	return l.Close()
}

// freePort returns a port on host that nothing listens on.
//
// On Linux the kernel may hand out a just-released ephemeral port again at
// once, e.g. to another of our own listeners or to an outgoing connection.
// Connecting to the probe listener and closing the accepted side first
// leaves the port in TIME_WAIT, which keeps it out of the ephemeral pool for
// a while, yet the server can still bind it (it listens with SO_REUSEADDR).
func freePort(host string) (int, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return 0, err
	}
	defer func() { _ = l.Close() }()
	port := l.Addr().(*net.TCPAddr).Port
	if runtime.GOOS == "darwin" || runtime.GOOS == "windows" {
		// These allocate ephemeral ports sequentially; no need to park it.
		return port, nil
	}
	c, err := net.Dial("tcp", net.JoinHostPort(dialableHost(host), strconv.Itoa(port)))
	if err != nil {
		return 0, err
	}
	defer func() { _ = c.Close() }()
	accepted, err := l.Accept()
	if err != nil {
		return 0, err
	}
	_ = accepted.Close() // closing the accepted side first parks port in TIME_WAIT
	return port, nil
}

// dialableHost is the address clients use to reach a listener bound to ip:
// the wildcard addresses are not dialable everywhere, so use loopback.
func dialableHost(ip string) string {
	parsed := net.ParseIP(ip)
	switch {
	case parsed == nil:
		return ip
	case parsed.Equal(net.IPv4zero):
		return loopback
	case parsed.Equal(net.IPv6unspecified):
		return "::1"
	default:
		return ip
	}
}

func grpcDialOptions(t *TLS) []grpc.DialOption {
	if t != nil {
		return []grpc.DialOption{grpc.WithTransportCredentials(credentials.NewTLS(t.Client))}
	}
	return []grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}
}
