// Package embeddedtemporal runs a complete Temporal server (frontend, history,
// matching and worker services) inside the handoff process, persisted in a
// SQLite file, optionally with the Temporal Web UI. It is the default way
// handoff runs on a single machine and the server used by end-to-end tests.
package embeddedtemporal

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/server/common/authorization"
	"go.temporal.io/server/common/cluster"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/dynamicconfig"
	"go.temporal.io/server/common/metrics"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	"go.temporal.io/server/schema/sqlite"
	"go.temporal.io/server/temporal"

	"google.golang.org/protobuf/types/known/durationpb"

	uiserver "github.com/temporalio/ui-server/v2/server"
	uiconfig "github.com/temporalio/ui-server/v2/server/config"
	uioptions "github.com/temporalio/ui-server/v2/server/server_options"
)

// Options configures an embedded server.
type Options struct {
	// DatabaseFile is the SQLite file holding all server state.
	DatabaseFile string
	// FrontendAddr is the host:port of the gRPC frontend. Port 0 picks a free port.
	FrontendAddr string
	// UIAddr is the host:port of the Temporal Web UI. Empty disables the UI.
	UIAddr string
	// MetricsAddr is the host:port where the server serves its Prometheus
	// metrics (/metrics). Empty: the server records no metrics, which
	// saves it a few percent of its CPU.
	MetricsAddr string
	// SyncAtCheckpointsOnly makes SQLite wait for the disk only at
	// checkpoints (synchronous=NORMAL) instead of at every commit (FULL,
	// the default); see fileConnectAttributes.
	SyncAtCheckpointsOnly bool
	// Namespace is registered at start-up if it does not exist yet.
	Namespace string
	// Retention is how long closed workflow histories are kept.
	Retention time.Duration
	// SearchAttributes are registered on the namespace at start-up.
	SearchAttributes map[string]enumspb.IndexedValueType
	// Logger receives the server's warnings and errors; its chatter at info
	// level and below is dropped.
	Logger *slog.Logger
}

// Server is a running embedded Temporal server.
type Server struct {
	logger       *slogLogger
	temporal     temporal.Server
	ui           *uiserver.Server
	frontendAddr string
	uiAddr       string
}

// Start creates the database if needed, registers the namespace and starts the
// server. The returned server is ready to accept clients.
func Start(opts Options) (*Server, error) {
	if opts.Namespace == "" {
		return nil, errors.New("embedded temporal: namespace is required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Retention <= 0 {
		opts.Retention = 30 * 24 * time.Hour
	}
	if opts.DatabaseFile == "" {
		return nil, errors.New("embedded temporal: no database file given")
	}
	host, frontendPort, err := resolveAddr(opts.FrontendAddr, "127.0.0.1")
	if err != nil {
		return nil, fmt.Errorf("embedded temporal frontend address %q: %w", opts.FrontendAddr, err)
	}
	if frontendPort != 0 {
		if err := checkFree(net.JoinHostPort(host, strconv.Itoa(frontendPort))); err != nil {
			return nil, fmt.Errorf("embedded temporal frontend: %w", err)
		}
	}
	if opts.UIAddr != "" {
		if err := checkFree(opts.UIAddr); err != nil {
			return nil, fmt.Errorf("embedded temporal UI: %w", err)
		}
	}
	if opts.MetricsAddr != "" {
		if err := checkFree(opts.MetricsAddr); err != nil {
			return nil, fmt.Errorf("embedded temporal metrics: %w", err)
		}
	}

	sqlCfg := &config.SQL{
		PluginName:        sqliteplugin.PluginName,
		ConnectAttributes: fileConnectAttributes(opts.SyncAtCheckpointsOnly),
		DatabaseName:      opts.DatabaseFile,
		// One connection for all services (the plugin's default, made
		// explicit). WAL would allow readers beside the writer, but with 4
		// connections the benchmarks ran slower (signal-with-start -28%,
		// update-with-start -46%): the writers wait on each other's lock.
		MaxConns:     1,
		MaxIdleConns: 1,
	}
	if err := os.MkdirAll(filepath.Dir(opts.DatabaseFile), 0o750); err != nil {
		return nil, fmt.Errorf("embedded temporal: create data directory: %w", err)
	}
	if _, err := os.Stat(opts.DatabaseFile); errors.Is(err, os.ErrNotExist) {
		if err := sqlite.SetupSchema(sqlCfg); err != nil {
			return nil, fmt.Errorf("embedded temporal: create schema in %s: %w", opts.DatabaseFile, err)
		}
	}

	nsCfg, err := sqlite.NewNamespaceConfig("active", opts.Namespace, false, opts.SearchAttributes)
	if err != nil {
		return nil, fmt.Errorf("embedded temporal: namespace %q: %w", opts.Namespace, err)
	}
	nsCfg.Detail.Config.Retention = durationpb.New(opts.Retention)
	if err := sqlite.CreateNamespaces(sqlCfg, nsCfg); err != nil {
		return nil, fmt.Errorf("embedded temporal: register namespace %q: %w", opts.Namespace, err)
	}

	ports, err := servicePorts(opts.DatabaseFile, host, frontendPort, opts.Logger)
	if err != nil {
		return nil, err
	}
	frontendAddr := net.JoinHostPort(host, strconv.Itoa(ports.Frontend))
	cfg := serverConfig(sqlCfg, host, ports, opts.MetricsAddr)
	logger := newSlogLogger(opts.Logger, slog.LevelWarn)
	authorizer, err := authorization.GetAuthorizerFromConfig(&cfg.Global.Authorization)
	if err != nil {
		return nil, fmt.Errorf("embedded temporal: authorizer: %w", err)
	}
	claimMapper, err := authorization.GetClaimMapperFromConfig(&cfg.Global.Authorization, logger)
	if err != nil {
		return nil, fmt.Errorf("embedded temporal: claim mapper: %w", err)
	}
	srv, err := temporal.NewServer(
		temporal.WithConfig(cfg),
		temporal.ForServices(temporal.DefaultServices),
		temporal.WithLogger(logger),
		temporal.WithAuthorizer(authorizer),
		temporal.WithClaimMapper(func(*config.Config) authorization.ClaimMapper { return claimMapper }),
		temporal.WithDynamicConfigClient(dynamicconfig.StaticClient{
			// Conversations are long-lived and signalled often; let the
			// frontend accept updates and the UI show them.
			dynamicconfig.FrontendEnableUpdateWorkflowExecution.Key():              true,
			dynamicconfig.FrontendEnableUpdateWorkflowExecutionAsyncAccepted.Key(): true,
		}),
	)
	if err != nil {
		return nil, fmt.Errorf("embedded temporal: create server: %w", err)
	}
	if err := srv.Start(); err != nil {
		return nil, fmt.Errorf("embedded temporal: start server on %s: %w", frontendAddr, err)
	}
	s := &Server{temporal: srv, frontendAddr: frontendAddr, logger: logger}

	if opts.UIAddr != "" {
		if err := s.startUI(opts.UIAddr, opts.Namespace, opts.Logger); err != nil {
			_ = srv.Stop()
			return nil, err
		}
	}
	return s, nil
}

// FrontendAddr is the host:port clients dial.
func (s *Server) FrontendAddr() string { return s.frontendAddr }

// UIAddr is the host:port of the Web UI, or empty when it is disabled.
func (s *Server) UIAddr() string { return s.uiAddr }

// Stop shuts the UI and the server down.
func (s *Server) Stop() error {
	s.logger.quiet.Store(true)
	if s.ui != nil {
		s.ui.Stop()
	}
	if err := s.temporal.Stop(); err != nil {
		return fmt.Errorf("embedded temporal: stop: %w", err)
	}
	return nil
}

func (s *Server) startUI(addr, namespace string, logger *slog.Logger) error {
	host, port, err := resolveAddr(addr, "127.0.0.1")
	if err != nil {
		return fmt.Errorf("embedded temporal UI address %q: %w", addr, err)
	}
	if port == 0 {
		free, err := freePorts(host, 1)
		if err != nil {
			return fmt.Errorf("embedded temporal UI: pick a port: %w", err)
		}
		port = free[0]
	}
	cfg := &uiconfig.Config{
		Host:                host,
		Port:                port,
		TemporalGRPCAddress: s.frontendAddr,
		EnableUI:            true,
		DefaultNamespace:    namespace,
		HideLogs:            true,
		DisableNewsFetch:    true,
		CORS:                uiconfig.CORS{CookieInsecure: true},
	}
	s.ui = uiserver.NewServer(uioptions.WithConfigProvider(cfg))
	s.uiAddr = net.JoinHostPort(host, strconv.Itoa(port))
	go func() {
		if err := s.ui.Start(); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("temporal UI stopped", "addr", s.uiAddr, "error", err)
		}
	}()
	return nil
}

// fileConnectAttributes are the SQLite settings of an on-disk database.
// Temporal's SQLite plugin passes the URI parameters it knows (mode, cache,
// vfs, ...) to SQLite and turns every other key into "PRAGMA key=value", run
// by the modernc.org/sqlite driver on each new connection. The keys are
// therefore pragma names: SQLite ignores an unknown pragma without an error,
// so a misspelt key (say "_journal_mode") has no effect at all.
func fileConnectAttributes(syncAtCheckpointsOnly bool) map[string]string {
	synchronous := "full"
	if syncAtCheckpointsOnly {
		synchronous = "normal"
	}
	return map[string]string{
		"mode": "rwc",
		// Write-ahead log: a commit appends to temporal.db-wal instead of
		// rewriting pages through a rollback journal, with one fsync per
		// commit instead of several. Persistent: it is recorded in the file.
		"journal_mode": "wal",
		// FULL fsyncs the write-ahead log at every commit, so a message the
		// API acknowledged survives a power cut or a kernel crash. NORMAL
		// fsyncs only at checkpoints: a crash or a kill of this process
		// loses nothing (the commits are in the operating system's cache),
		// and there is no corruption, but the last commits before a power
		// cut or a kernel crash can be lost, acknowledged or not.
		"synchronous": synchronous,
		// Wait up to 5 s for a lock held by another connection instead of
		// failing at once with "database is locked". The server has one
		// connection, so this is for other processes on the file: a backup,
		// the sqlite3 shell. The driver runs this pragma before the others.
		"busy_timeout": "5000",
	}
}

func serverConfig(sqlCfg *config.SQL, host string, p ports, metricsAddr string) *config.Config {
	service := func(grpcPort, membershipPort int) config.Service {
		return config.Service{RPC: config.RPC{
			GRPCPort:       grpcPort,
			MembershipPort: membershipPort,
			BindOnIP:       host,
		}}
	}
	frontendHostPort := net.JoinHostPort(host, strconv.Itoa(p.Frontend))
	frontend := service(p.Frontend, p.FrontendMembership)
	frontend.RPC.HTTPPort = p.FrontendHTTP // Temporal's HTTP API, used by Nexus
	var serverMetrics *metrics.Config      // nil: the server records none
	if metricsAddr != "" {
		serverMetrics = &metrics.Config{Prometheus: &metrics.PrometheusConfig{
			ListenAddress: metricsAddr,
			HandlerPath:   "/metrics",
		}}
	}
	return &config.Config{
		Global: config.Global{
			Membership: config.Membership{MaxJoinDuration: 30 * time.Second, BroadcastAddress: host},
			Metrics:    serverMetrics,
		},
		Persistence: config.Persistence{
			DefaultStore:     sqliteplugin.PluginName,
			VisibilityStore:  sqliteplugin.PluginName,
			NumHistoryShards: 1,
			DataStores:       map[string]config.DataStore{sqliteplugin.PluginName: {SQL: sqlCfg}},
		},
		ClusterMetadata: &cluster.Config{
			EnableGlobalNamespace:    false,
			FailoverVersionIncrement: 10,
			MasterClusterName:        "active",
			CurrentClusterName:       "active",
			ClusterInformation: map[string]cluster.ClusterInformation{
				"active": {Enabled: true, InitialFailoverVersion: 1, RPCAddress: frontendHostPort},
			},
		},
		DCRedirectionPolicy: config.DCRedirectionPolicy{Policy: "noop"},
		Services: map[string]config.Service{
			"frontend": frontend,
			"history":  service(p.History, p.HistoryMembership),
			"matching": service(p.Matching, p.MatchingMembership),
			"worker":   service(p.Worker, p.WorkerMembership),
		},
		Archival: config.Archival{
			History:    config.HistoryArchival{State: "disabled"},
			Visibility: config.VisibilityArchival{State: "disabled"},
		},
		NamespaceDefaults: config.NamespaceDefaults{Archival: config.ArchivalNamespaceDefaults{
			History:    config.HistoryArchivalNamespaceDefaults{State: "disabled"},
			Visibility: config.VisibilityArchivalNamespaceDefaults{State: "disabled"},
		}},
		PublicClient: config.PublicClient{HostPort: frontendHostPort},
	}
}

// resolveAddr splits host:port, defaulting the host; port 0 means any free port.
func resolveAddr(addr, defaultHost string) (string, int, error) {
	if addr == "" {
		addr = net.JoinHostPort(defaultHost, "0")
	}
	host, portText, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, err
	}
	if host == "" {
		host = defaultHost
	}
	port, err := strconv.Atoi(portText)
	if err != nil || port < 0 || port > 65535 {
		return "", 0, fmt.Errorf("port %q is not a number between 0 and 65535", portText)
	}
	return host, port, nil
}

// checkFree reports a clear error when addr is already taken, before the
// server tries to bind it deep inside its start-up.
func checkFree(addr string) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("cannot listen on %s (is another handoff or Temporal running?): %w", addr, err)
	}
	return l.Close()
}

// freePorts asks the kernel for n distinct free TCP ports on host.
func freePorts(host string, n int) ([]int, error) {
	listeners := make([]net.Listener, 0, n)
	defer func() {
		for _, l := range listeners {
			_ = l.Close()
		}
	}()
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
		if err != nil {
			return nil, err
		}
		listeners = append(listeners, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
