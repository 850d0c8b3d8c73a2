package connections

import (
	"bytes"
	"errors"
	"sync"

	"go.uber.org/zap"

	"hubspot-brevo-sync/internal/config"
	"hubspot-brevo-sync/internal/hubspot"
)

// BuildFunc builds a HubSpot client from a connection's configuration: in
// the processes, connect.HubSpot with their logger and instrumentation.
type BuildFunc func(config.HubSpot) (*hubspot.Client, error)

// Registry hands out the HubSpot client of each connection: one client,
// hence one governor and one daily budget, per connection name, shared by
// every integration on that connection. The file is read at every look-up
// (a few hundred bytes), so a new connection needs no restart and a
// changed file (new token, other base URL) gets a new client; the refresh
// tokens the client rotates itself are written back without one.
type Registry struct {
	dir  Dir
	base config.HubSpot
	def  *hubspot.Client
	bld  BuildFunc
	log  *zap.Logger

	mu      sync.Mutex
	clients map[string]*entry
}

type entry struct {
	client *hubspot.Client
	file   []byte // the file the client was built from (or last saved)
}

// NewRegistry serves the connections of dir. base gives the base URL and
// tier of connections whose file names none (the HUBSPOT_* values); def
// is the default connection's client, nil when HUBSPOT_* sets no
// credentials.
func NewRegistry(dir Dir, base config.HubSpot, def *hubspot.Client, build BuildFunc, log *zap.Logger) *Registry {
	return &Registry{dir: dir, base: base, def: def, bld: build, log: log, clients: map[string]*entry{}}
}

// ErrNoDefault: the default connection is asked for and HUBSPOT_* sets no
// credentials.
var ErrNoDefault = errors.New("the default HubSpot connection is not configured: set HUBSPOT_ACCESS_TOKEN " +
	"(or the HUBSPOT_CLIENT_ID/SECRET/REFRESH_TOKEN trio), or create the integration with --hubspot-connection")

// Client returns the named connection's client; "" and "default" are the
// HUBSPOT_* environment's.
func (r *Registry) Client(name string) (*hubspot.Client, error) {
	if name == "" || name == config.DefaultConnection {
		if r.def == nil {
			return nil, ErrNoDefault
		}
		return r.def, nil
	}
	c, file, err := r.dir.load(name)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if e, ok := r.clients[name]; ok && bytes.Equal(e.file, file) {
		return e.client, nil
	}
	cfg := c.Config(r.base)
	cfg.RefreshTokenSaver = &refreshSaver{r: r, name: name}
	client, err := r.bld(cfg)
	if err != nil {
		return nil, err
	}
	r.clients[name] = &entry{client: client, file: file}
	return client, nil
}

// Governors are the rate governors of the connections in use, by name:
// the default connection's when configured, and every named connection a
// look-up has built a client for.
func (r *Registry) Governors() map[string]*hubspot.Governor {
	out := map[string]*hubspot.Governor{}
	if r.def != nil {
		out[config.DefaultConnection] = r.def.Governor()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for name, e := range r.clients {
		out[name] = e.client.Governor()
	}
	return out
}

// refreshSaver is a connection's config.RefreshTokenSaver.
type refreshSaver struct {
	r    *Registry
	name string
}

func (s *refreshSaver) SaveRefreshToken(token string) { s.r.saveRefreshToken(s.name, token) }

// saveRefreshToken writes a rotated refresh token into the connection's
// file and remembers the file as the client's own, so the next look-up
// keeps the client (and its budget).
func (r *Registry) saveRefreshToken(name, token string) {
	if err := r.dir.SaveRefreshToken(name, token); err != nil {
		// The client holds the new token until the process ends; the
		// file's old one may be refused after a restart.
		r.logError(name, err)
		return
	}
	_, file, err := r.dir.load(name)
	if err != nil {
		r.logError(name, err)
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if e, ok := r.clients[name]; ok {
		e.file = file
	}
}

func (r *Registry) logError(name string, err error) {
	r.log.Error("HubSpot rotated the refresh token of a connection and it could not be saved; "+
		"re-run 'starter connect hubspot --connection "+name+"' after a restart if authentication fails",
		zap.String("connection", name), zap.Error(err))
}
