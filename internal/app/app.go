// Package app assembles handoff's roles from configuration: the embedded
// Temporal server, the worker and the HTTP API, in one process or apart.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/handoff-chat/handoff/activities"
	"github.com/handoff-chat/handoff/api"
	"github.com/handoff-chat/handoff/internal/assistant"
	"github.com/handoff-chat/handoff/internal/config"
	"github.com/handoff-chat/handoff/internal/conversations"
	"github.com/handoff-chat/handoff/internal/debugserver"
	"github.com/handoff-chat/handoff/internal/dirlock"
	"github.com/handoff-chat/handoff/internal/embeddedtemporal"
	"github.com/handoff-chat/handoff/internal/feed"
	"github.com/handoff-chat/handoff/internal/flows"
	"github.com/handoff-chat/handoff/internal/generative"
	"github.com/handoff-chat/handoff/internal/graphapi"
	"github.com/handoff-chat/handoff/internal/healthserver"
	"github.com/handoff-chat/handoff/internal/knowledgebase"
	"github.com/handoff-chat/handoff/internal/settings"
	"github.com/handoff-chat/handoff/internal/sidelistener"
	"github.com/handoff-chat/handoff/internal/staff"
	"github.com/handoff-chat/handoff/internal/templates"
	"github.com/handoff-chat/handoff/internal/temporalclient"
	"github.com/handoff-chat/handoff/search"
	"github.com/handoff-chat/handoff/search/elasticsearch"
	"github.com/handoff-chat/handoff/workflows"
)

// Role is what a process runs.
type Role string

const (
	// RoleAll runs everything in one process (the default).
	RoleAll Role = "all"
	// RoleWorker runs workflows and activities against an external cluster.
	RoleWorker Role = "worker"
	// RoleAPI serves HTTP against an external cluster.
	RoleAPI Role = "api"
)

// StaffTokenFile is where the all-in-one mode keeps a generated staff token
// when auth.tokens is empty.
const StaffTokenFile = "staff-token"

// App is a running handoff process.
type App struct {
	cfg    *config.Config
	logger *slog.Logger
	// directory is the staff users and tokens, made once per process.
	directory *staff.Directory
	// dataDir is the lock of the data directory, held while this process
	// uses the embedded Temporal server's database or the Bleve index.
	dataDir  *dirlock.Lock
	embedded *embeddedtemporal.Server
	client   client.Client
	search   search.Index
	// searchShare serves the embedded index to the other processes of the
	// deployment (search.bleve.serve_addr).
	searchShare     *http.Server
	searchShareAddr string
	worker          worker.Worker
	// workerFailed receives the worker's fatal error, which ends Wait.
	workerFailed chan error
	http         *http.Server
	httpAddr     string
	hostPort     string
	httpDone     chan error
	// debug serves pprof on debug.addr, when set.
	debug *sidelistener.Server
	// health answers liveness and readiness checks on health.addr, when
	// set; started and stopping are what readiness reports besides
	// Temporal's health.
	health   *sidelistener.Server
	started  atomic.Bool
	stopping atomic.Bool
	// stopWatching ends the flows file watch.
	stopWatching context.CancelFunc
	// background runs work started with the process (rebuilding the
	// knowledge index); stopBackground cancels it.
	background     sync.WaitGroup
	backgroundCtx  context.Context
	stopBackground context.CancelFunc
	stopOnce       sync.Once
}

// Start brings up the parts of role and returns once they are serving.
func Start(ctx context.Context, cfg *config.Config, role Role, logger *slog.Logger) (*App, error) {
	a := &App{cfg: cfg, logger: logger, workerFailed: make(chan error, 1)}
	if err := a.start(ctx, role); err != nil {
		a.Stop()
		return nil, err
	}
	a.started.Store(true)
	return a, nil
}

func (a *App) start(ctx context.Context, role Role) error {
	cfg := a.cfg
	// The SDK's workflow cache is one per process, made with the size set
	// here when the process's first worker starts; the embedded server runs
	// workers of its own (system workflows) and starts before handoff's, so
	// this comes before everything.
	worker.SetStickyWorkflowCacheSize(cfg.Temporal.WorkflowCacheSize)
	// First, so that a slow start-up can be profiled too.
	if err := a.startDebug(role); err != nil {
		return err
	}
	// Next, so that an orchestrator sees the process alive (and not yet
	// ready) while it starts.
	if err := a.startHealth(); err != nil {
		return err
	}
	if ownsDataDir(cfg, role) {
		lock, err := dirlock.Acquire(cfg.DataDir)
		if err != nil {
			return fmt.Errorf("%w: one process per data directory (config key data_dir)", err)
		}
		a.dataDir = lock
	}
	hostPort := cfg.Temporal.Address
	if cfg.Embedded() {
		if role != RoleAll {
			return fmt.Errorf("the %s role needs an external Temporal cluster: set temporal.address (HANDOFF_TEMPORAL_ADDRESS)", role)
		}
		if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
			return fmt.Errorf("create data directory %s: %w", cfg.DataDir, err)
		}
		srv, err := embeddedtemporal.Start(embeddedtemporal.Options{
			DatabaseFile:          filepath.Join(cfg.DataDir, "temporal.db"),
			FrontendAddr:          cfg.Temporal.Embedded.FrontendAddr,
			UIAddr:                cfg.Temporal.UI.Addr,
			MetricsAddr:           cfg.Temporal.Embedded.MetricsAddr,
			SyncAtCheckpointsOnly: cfg.Temporal.Embedded.Synchronous == config.SynchronousNormal,
			Namespace:             cfg.Temporal.Namespace,
			Retention:             cfg.Temporal.Embedded.Retention,
			SearchAttributes:      temporalclient.SearchAttributes,
			Logger:                a.logger,
		})
		if err != nil {
			return err
		}
		a.embedded = srv
		hostPort = srv.FrontendAddr()
		a.logger.Info("embedded Temporal server started", "frontend", hostPort, "ui", uiURL(srv.UIAddr()),
			"database", filepath.Join(cfg.DataDir, "temporal.db"))
	}

	a.hostPort = hostPort
	dialCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	c, err := temporalclient.Dial(dialCtx, hostPort, cfg.Temporal, a.logger)
	if err != nil {
		return err
	}
	a.client = c
	if err := temporalclient.EnsureSearchAttributes(dialCtx, c, cfg.Temporal.Namespace, a.logger); err != nil {
		return err
	}
	store := settings.NewStore(c, cfg.DefaultSettings())
	if err := store.Ensure(dialCtx); err != nil {
		return err
	}
	idx, err := a.openSearch(dialCtx, role)
	if err != nil {
		return err
	}
	a.search = idx

	flowRegistry, err := a.loadFlows()
	if err != nil {
		return err
	}

	// The change feed of this process's event streams; in the all-in-one
	// mode the worker's writes of conversation documents kick it, so it
	// reads them at once instead of at its next poll.
	var changes *feed.Feed
	if role == RoleAll || role == RoleAPI {
		changes = feed.New(idx, conversations.NewClient(c, conversations.Options{Window: cfg.Conversation.Window}), feed.Options{
			Lookback: feedLookback(cfg.Search.Backend), Logger: a.logger,
		})
		a.runBackground(changes.Run)
	}
	// Writes of this process's worker, and of other processes' workers
	// through the shared index, kick the feed.
	workerIndex := feed.KickOnWrite(idx, changes)
	if err := a.shareSearch(workerIndex); err != nil {
		return err
	}

	if role == RoleAll || role == RoleWorker {
		graph, err := graphapi.New(graphapi.Options{
			BaseURL: cfg.Messenger.GraphURL, Version: cfg.Messenger.GraphVersion, PageTokens: cfg.PageTokens(),
		})
		if err != nil {
			return fmt.Errorf("config key messenger.graph_url / graph_version: %w", err)
		}
		alerter, err := newAlerter(cfg)
		if err != nil {
			return err
		}
		assistant, err := newAssistant(cfg.AI, idx, store)
		if err != nil {
			return err
		}
		a.worker = NewWorker(c, a.workerFatalError, activities.Set{
			Settings: &activities.Settings{Source: store},
			Search:   &activities.Search{Index: workerIndex},
			Bot: &activities.Bot{
				Flows: flowRegistry, Settings: store, Answerer: assistant,
			},
			Messenger: &activities.Messenger{Graph: graph},
			Alerter:   alerter,
		})
		if err := a.worker.Start(); err != nil {
			return fmt.Errorf("start worker: %w", err)
		}
		a.logger.Info("worker started", "task_queue", workflows.TaskQueue)
		a.warnIfNobodyIsAlerted(dialCtx, store) // reads the settings, which needs the worker
		kb := knowledgebase.NewStore(c)
		if role == RoleAll {
			if err := a.seedKnowledge(dialCtx, kb); err != nil { // puts need the worker
				return err
			}
		}
		a.indexKnowledge(kb, idx)
	}

	if role == RoleAll || role == RoleAPI {
		directory, err := a.staffDirectory(role)
		if err != nil {
			return err
		}
		sessionKey, err := a.sessionKey(role)
		if err != nil {
			return err
		}
		webChatKey, err := a.webChatKey(role)
		if err != nil {
			return err
		}
		mediaStore, err := a.openMedia(dialCtx)
		if err != nil {
			return err
		}
		library := templates.NewStore(c, idx)
		if err := library.Ensure(dialCtx); err != nil {
			return err
		}
		closing := make(chan struct{})
		handler := api.NewHandler(api.Deps{
			Media:   mediaStore,
			Closing: closing,
			Conversations: conversations.NewClient(c, conversations.Options{
				Window: cfg.Conversation.Window, MaxHistoryEvents: cfg.Temporal.MaxHistoryEvents,
				AgentPhrases: agentPhrasesInForce(store, a.logger),
			}),
			Settings: store,
			Flows:    flowRegistry,
			Temporal: c,
			Search:   idx,
			Feed:     changes,
			Messenger: api.Messenger{
				AppSecret: cfg.Messenger.AppSecret, VerifyToken: cfg.Messenger.VerifyToken, AppID: cfg.Messenger.AppID,
			},
			WebChat: api.WebChat{
				AllowedOrigins: cfg.WebChat.AllowedOrigins, TokenKey: webChatKey, Limits: api.WebChatLimits(cfg.WebChat.Limits),
			},
			Knowledge:         knowledgebase.NewStore(c),
			Templates:         library,
			PublicURL:         cfg.HTTP.PublicURL,
			TrustedProxies:    cfg.HTTP.TrustedProxies,
			Staff:             directory,
			TemporalUI:        temporalUIURL(a),
			TemporalNamespace: cfg.Temporal.Namespace,
			SessionKey:        sessionKey,
			SessionTTL:        cfg.Auth.SessionTTL,
			MaxBodyBytes:      cfg.HTTP.MaxBodyBytes,
			MaxImportBytes:    cfg.HTTP.MaxImportBytes,
			Logger:            a.logger,
		})
		if err := a.serveHTTP(handler, sync.OnceFunc(func() { close(closing) })); err != nil {
			return err
		}
	}
	return nil
}

// Worker timings that decide how fast conversations resume after a crash.
const stickyScheduleToStart = 2 * time.Second

// How long a stop waits for the work in flight; StopTimeout adds them up.
const (
	// HTTPDrainTimeout bounds how long the HTTP server finishes the
	// requests it has once it stops taking new ones.
	HTTPDrainTimeout = 10 * time.Second
	// WorkerStopTimeout bounds how long the worker finishes the activities
	// in flight before it tells Temporal it is gone.
	WorkerStopTimeout = 10 * time.Second
)

// StopTimeout is the longest a graceful stop of role takes with the search
// backend: the HTTP drain (api and all-in-one), then the worker's stop
// (worker and all-in-one), then the search index's last flush
// (elasticsearch; the embedded and remote indices close at once). An
// orchestrator's grace period between SIGTERM and SIGKILL
// (terminationGracePeriodSeconds, stop_grace_period) must be at least this,
// or the stop is cut short: requests and activities in flight fail and are
// retried, and a worker killed before it told Temporal it was gone delays
// its conversations by the sticky schedule-to-start timeout.
func StopTimeout(role Role, searchBackend string) time.Duration {
	var d time.Duration
	if role == RoleAll || role == RoleAPI {
		d += HTTPDrainTimeout
	}
	if role == RoleAll || role == RoleWorker {
		d += WorkerStopTimeout
	}
	if searchBackend == config.SearchElasticsearch {
		d += elasticsearch.CloseTimeout
	}
	return d
}

// WorkerOptions are the options of handoff's worker. The benchmark's
// baseline worker uses the same, so the two compare.
func WorkerOptions() worker.Options {
	return worker.Options{
		// A conversation whose worker died gets its next workflow task from
		// the restarted (or another) worker after this long, not the SDK's
		// default of 5s.
		StickyScheduleToStartTimeout: stickyScheduleToStart,
		// On SIGTERM, activities in flight get this long to finish.
		WorkerStopTimeout: WorkerStopTimeout,
	}
}

// NewWorker returns a worker with every workflow and activity registered;
// onFatalError, when not nil, is called once with the error that stopped
// the worker for good (the namespace is gone, the credentials are refused).
// The process's workflow cache size (worker.SetStickyWorkflowCacheSize) is
// set before, once per process.
func NewWorker(c client.Client, onFatalError func(error), set activities.Set) worker.Worker {
	opts := WorkerOptions()
	opts.OnFatalError = onFatalError
	w := worker.New(c, workflows.TaskQueue, opts)
	workflows.Register(w)
	activities.Register(w, set)
	return w
}

func (a *App) serveHTTP(handler http.Handler, closeStreams func()) error {
	ln, err := net.Listen("tcp", a.cfg.HTTP.Addr)
	if err != nil {
		return fmt.Errorf("listen on http.addr %s: %w", a.cfg.HTTP.Addr, err)
	}
	a.httpAddr = ln.Addr().String()
	a.http = &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	// Long-lived web chat streams end when shutdown begins; other requests
	// are waited for.
	a.http.RegisterOnShutdown(closeStreams)
	a.httpDone = make(chan error, 1)
	go func() { a.httpDone <- a.http.Serve(ln) }()
	a.logger.Info("HTTP API listening", "addr", a.httpAddr, "openapi", "/api/openapi.yaml")
	return nil
}

// startDebug serves pprof on debug.addr, when set, to the staff tokens.
func (a *App) startDebug(role Role) error {
	if a.cfg.Debug.Addr == "" {
		return nil
	}
	if role == RoleWorker && len(a.cfg.Auth.Tokens) == 0 {
		return errors.New("config key debug.addr: a worker process needs auth.tokens, the admin tokens that may read the profiles")
	}
	directory, err := a.staffDirectory(role)
	if err != nil {
		return err
	}
	srv, err := debugserver.Start(a.cfg.Debug.Addr, directory, a.logger)
	if err != nil {
		return err
	}
	a.debug = srv
	a.logger.Info("debug listener serving pprof to staff tokens", "addr", srv.Addr(), "path", "/debug/pprof/")
	return nil
}

// startHealth answers liveness and readiness checks on health.addr, when
// set.
func (a *App) startHealth() error {
	if a.cfg.Health.Addr == "" {
		return nil
	}
	srv, err := healthserver.Start(a.cfg.Health.Addr, a.ready, a.logger)
	if err != nil {
		return err
	}
	a.health = srv
	a.logger.Info("health listener answering liveness and readiness checks", "addr", srv.Addr(),
		"liveness", healthserver.LivenessPath, "readiness", healthserver.ReadinessPath)
	return nil
}

// Reasons the process is not ready, as the health listener answers them.
var (
	errStarting            = errors.New("starting")
	errStopping            = errors.New("stopping")
	errTemporalUnreachable = errors.New("cannot reach Temporal")
)

// ready is the health listener's readiness: started, not stopping, and
// Temporal passes a health check (the reason of a failed one is logged,
// not answered).
func (a *App) ready(ctx context.Context) error {
	switch {
	case a.stopping.Load():
		return errStopping
	case !a.started.Load():
		return errStarting
	}
	if _, err := a.client.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
		a.logger.Warn("readiness check: Temporal is not reachable", "error", err)
		return errTemporalUnreachable
	}
	return nil
}

// workerFatalError ends Wait with the worker's fatal error, so the process
// exits and its supervisor restarts it, instead of running on without a
// worker.
func (a *App) workerFatalError(err error) {
	a.logger.Error("the worker stopped for good", "error", err)
	select {
	case a.workerFailed <- err:
	default:
	}
}

// HealthAddr is the address of the health listener, or "" when health.addr
// is empty.
func (a *App) HealthAddr() string {
	if a.health == nil {
		return ""
	}
	return a.health.Addr()
}

// DebugAddr is the address of the debug listener, or "" when debug.addr is
// empty.
func (a *App) DebugAddr() string {
	if a.debug == nil {
		return ""
	}
	return a.debug.Addr()
}

// HTTPAddr is the address the API listens on, or "" when it does not run.
func (a *App) HTTPAddr() string { return a.httpAddr }

// FrontendAddr is the Temporal frontend this process uses.
func (a *App) FrontendAddr() string { return a.hostPort }

// Client is the Temporal client of this process.
func (a *App) Client() client.Client { return a.client }

// UIAddr is the embedded Temporal UI's address, or "".
func (a *App) UIAddr() string {
	if a.embedded == nil {
		return ""
	}
	return a.embedded.UIAddr()
}

// Wait blocks until ctx is done, the HTTP server fails or the worker stops
// for good.
func (a *App) Wait(ctx context.Context) error {
	// A nil channel (no HTTP server, no worker) never delivers.
	select {
	case <-ctx.Done():
		return nil
	case err := <-a.httpDone:
		return fmt.Errorf("HTTP server stopped: %w", err)
	case err := <-a.workerFailed:
		return fmt.Errorf("worker stopped: %w", err)
	}
}

// loadFlows loads bot.flows, if set, and watches the file for changes.
func (a *App) loadFlows() (*flows.Registry, error) {
	if a.cfg.Bot.Flows == "" {
		a.logger.Info("no navigation flows (bot.flows is empty): the bot answers with bot.reply")
		return nil, nil
	}
	reg, err := flows.NewRegistry(a.cfg.Bot.Flows, a.logger)
	if err != nil {
		return nil, fmt.Errorf("config key bot.flows: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	a.stopWatching = cancel
	go reg.Watch(ctx, a.cfg.Bot.FlowsCheckInterval)
	a.logger.Info("navigation flows loaded", "file", a.cfg.Bot.Flows, "blocks", reg.Status().Blocks)
	return reg, nil
}

// Stop shuts down in reverse order: answer not ready, stop taking requests,
// let the worker finish its tasks, close the client, stop the server, close
// the health and debug listeners. Calls after the first do nothing.
func (a *App) Stop() { a.stopOnce.Do(a.stop) }

func (a *App) stop() {
	a.stopping.Store(true)
	if a.stopWatching != nil {
		a.stopWatching()
	}
	if a.http != nil {
		ctx, cancel := context.WithTimeout(context.Background(), HTTPDrainTimeout)
		if err := a.http.Shutdown(ctx); err != nil {
			a.logger.Warn("HTTP shutdown", "error", err)
		}
		cancel()
	}
	if a.stopBackground != nil {
		a.stopBackground()
	}
	a.background.Wait()
	if a.worker != nil {
		a.worker.Stop()
	}
	if a.client != nil {
		a.client.Close()
	}
	a.stopSharingSearch()
	if a.search != nil {
		if err := a.search.Close(); err != nil {
			a.logger.Warn("search index close", "error", err)
		}
	}
	if a.embedded != nil {
		if err := a.embedded.Stop(); err != nil {
			a.logger.Warn("embedded Temporal shutdown", "error", err)
		}
	}
	if err := a.dataDir.Release(); err != nil {
		a.logger.Warn("data directory", "error", err)
	}
	// Last, so that a slow shutdown can be profiled too, and an
	// orchestrator sees the process alive until it is done.
	if a.health != nil {
		if err := a.health.Stop(); err != nil {
			a.logger.Warn("health listener shutdown", "error", err)
		}
	}
	if a.debug != nil {
		if err := a.debug.Stop(); err != nil {
			a.logger.Warn("debug listener shutdown", "error", err)
		}
	}
}

// ownsDataDir reports whether a process of role uses what only one
// process may use under the data directory: the embedded Temporal server's
// database (the all-in-one mode) or the Bleve index (the all-in-one mode,
// or the process that shares it; another role given bleve refuses to
// start with its own reason).
func ownsDataDir(cfg *config.Config, role Role) bool {
	if role == RoleAll {
		return cfg.Embedded() || cfg.Search.Backend == config.SearchBleve
	}
	return cfg.Search.Backend == config.SearchBleve && cfg.Search.Bleve.ServeAddr != ""
}

func uiURL(addr string) string {
	if addr == "" {
		return "disabled"
	}
	return "http://" + addr
}

// newAssistant is the conversational AI over the knowledge base in the
// search index, at the
// confidence threshold in the settings, with answers worded by a language
// model when ai.generative is set.
func newAssistant(cfg config.AI, idx search.KnowledgeIndex, settings *settings.Store) (*assistant.Assistant, error) {
	sources := assistant.Sources{
		Knowledge: idx,
		Threshold: func(ctx context.Context) (float64, error) {
			s, err := settings.InForce(ctx)
			return s.AIConfidenceThreshold, err
		},
	}
	if g := cfg.Generative; g.URL != "" {
		phraser, err := generative.New(generative.Options{URL: g.URL, Model: g.Model, APIKey: g.APIKey, Timeout: g.Timeout})
		if err != nil {
			return nil, fmt.Errorf("config key ai.generative: %w", err)
		}
		sources.Phraser = phraser
	}
	return assistant.New(sources, 0), nil
}

// feedLookback is how much later than its stamp a conversation document
// may become visible in the backend (see feed.Options.Lookback).
func feedLookback(backend string) time.Duration {
	if backend == config.SearchBleve || backend == config.SearchRemote {
		return 0 // one writer, the index owner, stamps and stores in order
	}
	return 5 * time.Second
}

// temporalUIURL is where auditors open a workflow's history: the embedded
// server's UI, else temporal.ui.url.
func temporalUIURL(a *App) string {
	if addr := a.UIAddr(); addr != "" {
		return "http://" + addr
	}
	return a.cfg.Temporal.UI.URL
}
