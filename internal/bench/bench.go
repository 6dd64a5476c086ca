package bench

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/handoff-chat/handoff/internal/bench/child"
	"github.com/handoff-chat/handoff/internal/bench/graphsink"
	"github.com/handoff-chat/handoff/internal/bench/handoffapi"
	"github.com/handoff-chat/handoff/internal/bench/stats"
	"github.com/handoff-chat/handoff/internal/config"
	"github.com/handoff-chat/handoff/internal/temporalclient"
)

// runner is one benchmark run.
type runner struct {
	opts   Options
	log    *slog.Logger
	report *Report

	api      *handoffapi.Client
	temporal client.Client
	sink     *graphsink.Sink
	watch    *indexWatch
	pop      *population
	// self is the self-contained mode's child process and data; nil against
	// a deployment.
	self *selfContained
}

// Run runs the selected phases and returns the report. Progress goes to
// logger. A phase that fails ends the run with an error, along with the
// report of the phases before it.
func Run(ctx context.Context, opts Options, logger *slog.Logger) (*Report, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	r := &runner{opts: opts, log: logger, report: newReport(opts)}
	err := r.run(ctx)
	r.report.finish()
	return r.report, err
}

func (r *runner) run(ctx context.Context) (err error) {
	var closers []func() error
	defer func() {
		for i := len(closers) - 1; i >= 0; i-- {
			if cerr := closers[i](); cerr != nil {
				r.log.Warn("clean-up", "error", cerr)
			}
		}
	}()

	if r.opts.SelfContained() {
		self, err := startSelfContained(ctx, r.opts, r.log, r.onDelivery)
		if err != nil {
			return err
		}
		closers = append(closers, self.close)
		r.self = self
		r.sink = self.sink
		r.api = handoffapi.New("http://"+self.httpAddr, self.staffToken, self.appSecret, self.page)
		r.report.Environment.DataDir = self.dataDir
		r.report.Environment.ConfigFile = self.configFile
		r.report.previous = self.history
	} else {
		closeSink, err := r.startDeployment()
		if err != nil {
			return err
		}
		closers = append(closers, closeSink)
	}
	if addr := r.temporalAddr(); addr != "" {
		dialCtx, cancel := context.WithTimeout(ctx, time.Minute)
		c, err := temporalclient.Dial(dialCtx, addr, config.Temporal{Namespace: r.opts.Namespace, APIKey: r.opts.TemporalAPIKey}, quiet(r.log))
		cancel()
		if err != nil {
			return fmt.Errorf("bench: %w", err)
		}
		r.temporal = c
		closers = append(closers, func() error { c.Close(); return nil })
	}
	// Customers' event streams and the search watcher run until the end,
	// and stop before handoff does.
	bg, stopBackground := context.WithCancel(context.Background())
	var background sync.WaitGroup
	closers = append(closers, func() error {
		stopBackground()
		background.Wait()
		r.pop.wait()
		return nil
	})
	r.watch = newIndexWatch(r.api, r.opts.SearchPoll, r.opts.SearchSample)
	r.pop = newPopulation(bg, r.api, r.watch, r.opts, r.sink != nil)
	background.Add(1)
	go func() {
		defer background.Done()
		r.watch.run(bg)
	}()
	if r.self != nil {
		background.Add(1)
		go func() {
			defer background.Done()
			r.self.sampleMemory(bg)
		}()
	}
	if !r.pop.messenger {
		r.report.note("Messenger customers are off: give --app-secret and --graph-listen (with the deployment's messenger.graph_url pointing there) to include them")
	}

	for i, phase := range r.opts.Phases {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if reason := r.skipReason(phase); reason != "" {
			r.report.skip(phase, reason)
			r.log.Info("phase skipped", "phase", phase, "reason", reason)
			continue
		}
		if i > 0 {
			waited, quiet := r.quiesce(ctx)
			if !quiet && ctx.Err() == nil {
				r.report.note("handoff was still busy %s after the phase before %s; %s started anyway", waited.Round(time.Second), phase, phase)
			}
			r.log.Info("handoff is idle", "waited", waited.Round(100*time.Millisecond), "quiet", quiet)
		}
		r.log.Info("phase starts", "phase", phase)
		began := time.Now()
		if err := r.runPhase(ctx, phase); err != nil {
			if r.self != nil {
				r.self.failed = true // keep a fresh data directory and its log
			}
			return fmt.Errorf("bench: phase %s: %w", phase, err)
		}
		r.log.Info("phase done", "phase", phase, "took", time.Since(began).Round(time.Second))
	}
	if r.report.Baseline != nil && (r.report.Sustained != nil || r.report.Load != nil) {
		waited, _ := r.quiesce(ctx)
		r.log.Info("baseline again, after the pipeline's phases", "waited_for_idle", waited.Round(100*time.Millisecond))
		if err := r.baselineAgain(ctx); err != nil {
			return fmt.Errorf("bench: baseline again: %w", err)
		}
	}
	r.report.Overhead = r.overhead()
	r.report.ConversationsStarted = len(r.pop.all())
	if r.self != nil {
		r.report.Resources = r.self.resources()
		r.report.Resources.BenchCPUSeconds = stats.Round(child.OwnCPU().Seconds(), 1)
		if err := r.self.recordHistory(r.report); err != nil {
			r.log.Warn("results history not written", "error", err)
		}
	}
	return nil
}

func (r *runner) runPhase(ctx context.Context, phase Phase) error {
	switch phase {
	case PhaseBaseline:
		return r.baseline(ctx)
	case PhaseSustained:
		return r.sustained(ctx)
	case PhaseLoad:
		return r.load(ctx)
	case PhaseStaff:
		return r.staff(ctx)
	case PhaseTimers:
		return r.timers(ctx)
	case PhaseRecovery:
		return r.recovery(ctx)
	default:
		return fmt.Errorf("unknown phase %q", phase)
	}
}

// skipReason says why a phase cannot run, or "".
func (r *runner) skipReason(p Phase) string {
	switch p {
	case PhaseBaseline:
		if r.temporal == nil {
			return "needs the Temporal frontend: give --temporal"
		}
	case PhaseTimers:
		if r.self == nil {
			return "needs a short conversation.window, which only the self-contained mode sets"
		}
	case PhaseRecovery:
		if r.self == nil {
			return "kills and restarts handoff, which only the self-contained mode does"
		}
	}
	return ""
}

func (r *runner) temporalAddr() string {
	if r.self != nil {
		return r.self.frontendAddr
	}
	return r.opts.Temporal
}

func (r *runner) onDelivery(d graphsink.Delivery) {
	if r.pop != nil {
		r.pop.onDelivery(d.Recipient, d.Text, d.At)
	}
}

// startDeployment points the benchmark at a running handoff.
func (r *runner) startDeployment() (func() error, error) {
	page, token, _ := strings.Cut(r.opts.Page, ":")
	r.api = handoffapi.New(r.opts.API, r.opts.StaffToken, r.opts.AppSecret, page)
	r.report.Environment.API = r.opts.API
	if r.opts.GraphListen == "" {
		return func() error { return nil }, nil
	}
	sink, err := graphsink.Start(r.opts.GraphListen, map[string]string{page: token}, r.onDelivery, r.log)
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	r.sink = sink
	return sink.Close, nil
}

func (r *runner) overhead() Overhead {
	failed, last := r.watch.failures()
	o := Overhead{Searches: r.api.Searches.Load(), FailedSearches: failed, LastSearchError: last}
	if r.sink != nil {
		o.SendAPICalls = r.sink.Sends()
	}
	for _, c := range r.pop.all() {
		o.UnexpectedReplies += c.unexpectedReplies()
	}
	return o
}

// quiet passes on warnings and errors only, for the Temporal client.
func quiet(l *slog.Logger) *slog.Logger {
	return slog.New(minLevel{Handler: l.Handler(), min: slog.LevelWarn})
}

type minLevel struct {
	slog.Handler
	min slog.Level
}

func (h minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h minLevel) WithAttrs(attrs []slog.Attr) slog.Handler {
	return minLevel{Handler: h.Handler.WithAttrs(attrs), min: h.min}
}

func (h minLevel) WithGroup(name string) slog.Handler {
	return minLevel{Handler: h.Handler.WithGroup(name), min: h.min}
}
