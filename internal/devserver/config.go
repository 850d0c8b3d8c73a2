package devserver

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"go.temporal.io/server/common/authorization"
	"go.temporal.io/server/common/cluster"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/dynamicconfig"
	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/membership/static"
	"go.temporal.io/server/common/metrics"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	"go.temporal.io/server/common/primitives"
	"go.temporal.io/server/common/rpc/encryption"
	sqliteschema "go.temporal.io/server/schema/sqlite"
	"go.temporal.io/server/temporal"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

const (
	clusterName = "active"
	storeName   = "sqlite-default"
	// loopback is where the internal services (history, matching, worker)
	// listen; only this process talks to them.
	loopback = "127.0.0.1"
)

// devDynamicConfig are the dynamic config values every dev server gets;
// Options.DynamicConfig overrides them key by key.
func devDynamicConfig() map[string]any {
	return map[string]any{
		// Search attributes registered at Start are usable at once instead of
		// after the cache's refresh period (what `temporal server start-dev`
		// sets too). Registering them is rare, so the extra reads are cheap...
		dynamicconfig.ForceSearchAttributesCacheRefreshOnRead.Key().String(): true,
		// ...but they are reads: raise the persistence rate limits the way the
		// CLI dev server does, keeping their default ratio.
		dynamicconfig.FrontendPersistenceMaxQPS.Key().String(): 10000,
		dynamicconfig.HistoryPersistenceMaxQPS.Key().String():  45000,
		// Workflow updates. On by default in this server version; set
		// explicitly because the worker relies on them.
		dynamicconfig.FrontendEnableUpdateWorkflowExecution.Key().String(): true,
		// The server would otherwise phone home for version checks; a dev
		// stack must need no outbound network.
		dynamicconfig.EnableServerVersionCheck.Key().String(): false,
		// The Web UI lists and counts workflows often; the default of 10
		// visibility calls per second throttles it.
		dynamicconfig.FrontendMaxNamespaceVisibilityRPSPerInstance.Key().String(): 100,
		// A small mutable-state cache (default 128k entries) keeps memory low.
		dynamicconfig.HistoryCacheHostLevelMaxSize.Key().String(): 8096,
	}
}

// dynamicConfigClient merges the dev defaults with the caller's overrides.
// Keys are case-insensitive, so merge on the parsed key.
func dynamicConfigClient(overrides map[string]any) dynamicconfig.StaticClient {
	defaults := devDynamicConfig()
	client := make(dynamicconfig.StaticClient, len(defaults)+len(overrides))
	for k, v := range defaults {
		client[dynamicconfig.MakeKey(k)] = v
	}
	for k, v := range overrides {
		client[dynamicconfig.MakeKey(k)] = v
	}
	return client
}

// namespaceRefreshInterval is how long the services may take to see a
// namespace change such as a new search attribute alias.
func namespaceRefreshInterval(overrides map[string]any) time.Duration {
	return dynamicconfig.NamespaceCacheRefreshInterval.Get(
		dynamicconfig.NewCollection(dynamicConfigClient(overrides), log.NewNoopLogger()),
	)()
}

// prepareDatabase returns the SQLite config for o.DataDir, creating the
// schema if the database file does not exist yet and the namespace (with
// its initial search attributes) if it is absent.
func prepareDatabase(o *Options) (*config.SQL, error) {
	dbFile := filepath.Join(o.DataDir, DBFileName)
	sqlConf := &config.SQL{
		PluginName:        sqliteplugin.PluginName,
		DatabaseName:      dbFile,
		ConnectAttributes: map[string]string{"mode": "rwc"},
	}
	if _, err := os.Stat(dbFile); errors.Is(err, os.ErrNotExist) {
		if err := sqliteschema.SetupSchema(sqlConf); err != nil {
			// Don't leave a half-initialised file that a later Start would
			// take for a complete one.
			_ = os.Remove(dbFile)
			return nil, fmt.Errorf("devserver: create SQLite schema in %s: %w", dbFile, err)
		}
	} else if err != nil {
		return nil, fmt.Errorf("devserver: stat %s: %w", dbFile, err)
	}

	// NewNamespaceConfig also checks that the search attributes fit into the
	// SQLite visibility schema's pre-allocated columns. They only take
	// effect if the namespace is created here; ensureSearchAttributes
	// covers an existing namespace.
	ns, err := sqliteschema.NewNamespaceConfig(clusterName, o.Namespace, false, o.SearchAttributes)
	if err != nil {
		return nil, fmt.Errorf("devserver: namespace %q: %w", o.Namespace, err)
	}
	if err := sqliteschema.CreateNamespaces(sqlConf, ns); err != nil {
		return nil, fmt.Errorf("devserver: create namespace %q: %w", o.Namespace, err)
	}
	return sqlConf, nil
}

// serverOptions builds the temporal.ServerOption list: a single-node
// cluster with static membership (no gossip ports), SQLite for both
// persistence and visibility, archival off and a quiet logger.
func (s *Server) serverOptions(sqlConf *config.SQL) ([]temporal.ServerOption, error) {
	o := s.opts
	internalPorts := make(map[primitives.ServiceName]int, 3)
	for _, svc := range []primitives.ServiceName{primitives.HistoryService, primitives.MatchingService, primitives.WorkerService} {
		port, err := freePort(loopback)
		if err != nil {
			return nil, fmt.Errorf("devserver: port for %s service: %w", svc, err)
		}
		internalPorts[svc] = port
	}

	frontendAddr := s.FrontendHostPort()
	httpAddr := net.JoinHostPort(s.frontendHost, strconv.Itoa(o.HTTPPort))

	var conf config.Config
	conf.Global.Membership.MaxJoinDuration = 30 * time.Second
	conf.Global.Membership.BroadcastAddress = loopback
	if o.MetricsPort > 0 {
		conf.Global.Metrics = &metrics.Config{
			Prometheus: &metrics.PrometheusConfig{
				ListenAddress: net.JoinHostPort(o.IP, strconv.Itoa(o.MetricsPort)),
				HandlerPath:   "/metrics",
			},
		}
	}
	conf.Persistence = config.Persistence{
		DefaultStore:     storeName,
		VisibilityStore:  storeName,
		NumHistoryShards: 1,
		DataStores:       map[string]config.DataStore{storeName: {SQL: sqlConf}},
	}
	conf.ClusterMetadata = &cluster.Config{
		EnableGlobalNamespace:    false,
		FailoverVersionIncrement: 10,
		MasterClusterName:        clusterName,
		CurrentClusterName:       clusterName,
		ClusterInformation: map[string]cluster.ClusterInformation{
			clusterName: {
				Enabled:                true,
				InitialFailoverVersion: 1,
				RPCAddress:             frontendAddr,
				HTTPAddress:            httpAddr,
				// ClusterID empty: the server generates one when it first
				// writes the cluster record and keeps it in the database.
			},
		},
	}
	conf.DCRedirectionPolicy.Policy = "noop"
	conf.Services = map[string]config.Service{
		string(primitives.FrontendService): {RPC: config.RPC{
			GRPCPort: o.FrontendPort,
			HTTPPort: o.HTTPPort,
			BindOnIP: o.IP,
		}},
	}
	for svc, port := range internalPorts {
		conf.Services[string(svc)] = config.Service{RPC: config.RPC{GRPCPort: port, BindOnIP: loopback}}
	}
	conf.Archival.History.State = "disabled"
	conf.Archival.Visibility.State = "disabled"
	conf.NamespaceDefaults.Archival.History.State = "disabled"
	conf.NamespaceDefaults.Archival.Visibility.State = "disabled"
	// The worker service's own SDK client dials this.
	conf.PublicClient.HostPort = frontendAddr

	logger := serverLogger(o.Logger, s.logLevel)
	authorizer, err := authorization.GetAuthorizerFromConfig(&conf.Global.Authorization)
	if err != nil {
		return nil, fmt.Errorf("devserver: authorizer: %w", err)
	}
	claimMapper, err := authorization.GetClaimMapperFromConfig(&conf.Global.Authorization, logger)
	if err != nil {
		return nil, fmt.Errorf("devserver: claim mapper: %w", err)
	}

	hosts := map[primitives.ServiceName]static.Hosts{
		primitives.FrontendService: static.SingleLocalHost(frontendAddr),
	}
	for svc, port := range internalPorts {
		hosts[svc] = static.SingleLocalHost(net.JoinHostPort(loopback, strconv.Itoa(port)))
	}

	serverOpts := []temporal.ServerOption{
		temporal.WithConfig(&conf),
		temporal.ForServices(temporal.DefaultServices),
		temporal.WithStaticHosts(hosts),
		temporal.WithLogger(logger),
		temporal.WithAuthorizer(authorizer),
		temporal.WithClaimMapper(func(*config.Config) authorization.ClaimMapper { return claimMapper }),
		temporal.WithDynamicConfigClient(dynamicConfigClient(o.DynamicConfig)),
	}
	return append(serverOpts, tlsOptions(o.TLS)...), nil
}

// tlsOptions puts the frontend's listener and every client of it inside the
// server (system workers, PublicClient) on TLS. Internode configs stay nil:
// plaintext, on loopback.
func tlsOptions(t *TLS) []temporal.ServerOption {
	if t == nil {
		return nil
	}
	return []temporal.ServerOption{temporal.WithTLSConfigFactory(&encryption.FixedTLSConfigProvider{
		FrontendServerConfig: t.Server,
		FrontendClientConfig: t.Client,
	})}
}

// serverLogger adapts z to the server's logger interface, passing only
// entries at level or above (the server is chatty at info).
func serverLogger(z *zap.Logger, level zap.AtomicLevel) log.Logger {
	z = z.Named("temporal-server")
	// The filter may only raise z's own level, never lower it.
	if lvl := zapcore.LevelOf(z.Core()); lvl > level.Level() {
		level.SetLevel(lvl)
	}
	return log.NewZapLogger(z.WithOptions(zap.IncreaseLevel(level)))
}
