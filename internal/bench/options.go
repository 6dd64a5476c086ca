// Package bench is `handoff bench`: it drives handoff's real HTTP path with
// simulated customers (signed Messenger webhooks and web chat messages) and
// staff, measures throughput, latencies, timers, memory, disk and recovery
// after a kill, and compares the throughput with a no-op workflow baseline
// on the same Temporal server. It runs self-contained (handoff started as
// its child process on a fresh data directory and free ports) or against a
// running deployment.
package bench

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Phase is one part of the benchmark.
type Phase string

// The phases, in the order they run.
const (
	PhaseBaseline  Phase = "baseline"
	PhaseSustained Phase = "sustained"
	PhaseLoad      Phase = "load"
	PhaseStaff     Phase = "staff"
	PhaseTimers    Phase = "timers"
	PhaseRecovery  Phase = "recovery"
)

// AllPhases lists every phase in running order.
var AllPhases = []Phase{PhaseBaseline, PhaseSustained, PhaseLoad, PhaseStaff, PhaseTimers, PhaseRecovery}

// ParsePhases reads a comma-separated list of phase names, or "all".
func ParsePhases(s string) ([]Phase, error) {
	if strings.TrimSpace(s) == "all" {
		return slices.Clone(AllPhases), nil
	}
	var out []Phase
	for name := range strings.SplitSeq(s, ",") {
		p := Phase(strings.TrimSpace(name))
		if p == "" {
			continue
		}
		if !slices.Contains(AllPhases, p) {
			return nil, fmt.Errorf("unknown phase %q: the phases are %s, or all", p, joinPhases(AllPhases))
		}
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no phase selected")
	}
	// Run in the canonical order whatever order they were given in.
	slices.SortFunc(out, func(a, b Phase) int { return slices.Index(AllPhases, a) - slices.Index(AllPhases, b) })
	return out, nil
}

func joinPhases(ps []Phase) string {
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = string(p)
	}
	return strings.Join(names, ", ")
}

// Options configure a run. Zero values take the defaults of Defaults.
type Options struct {
	Phases []Phase

	// Self-contained mode (API empty).

	// DataDir is the child's data directory; empty makes a fresh one that
	// is removed afterwards unless Keep is set. A given directory is kept,
	// so later runs on it measure handoff with the data accumulated.
	DataDir string
	Keep    bool
	// ConfigFile is a handoff configuration file for the child; empty runs
	// it on the built-in defaults.
	ConfigFile string
	// Command starts handoff's default mode; empty re-runs this executable
	// without arguments.
	Command []string
	// ChildEnv are extra environment variables for the child.
	ChildEnv []string
	// Window is the child's messaging window (conversation.window) for the
	// timers phase, set from the start; 0 keeps the default until the timers
	// phase, which measures how fast conversations open and restarts the
	// child with a window fitted to it.
	Window time.Duration

	// Deployment mode: handoff's HTTP API and its Temporal frontend.
	API            string
	Temporal       string
	Namespace      string
	TemporalAPIKey string
	StaffToken     string
	// AppSecret signs Messenger webhooks; with GraphListen (where the
	// deployment's messenger.graph_url points), Messenger customers take
	// part. Page is "page ID:page token" as in messenger.pages.
	AppSecret   string
	GraphListen string
	Page        string

	// The load.

	// WebChatShare is the fraction of simulated customers on the web chat;
	// the others write on Messenger.
	WebChatShare float64
	// Baseline: concurrent callers and how long each operation runs.
	BaselineConcurrency int
	BaselineDuration    time.Duration
	// Sustained: closed-loop customers start at StartConcurrency and double
	// every Step up to MaxConcurrency.
	StartConcurrency int
	MaxConcurrency   int
	Step             time.Duration
	// Settle is how long after a step or the load phase the messages sent
	// in it may take to be answered and indexed.
	Settle time.Duration
	// MaxP99 bounds a sustained step's ack p99 and ack → reply p99: beyond
	// it, customers are kept waiting and the load is not sustained.
	MaxP99 time.Duration
	// Load: open-loop arrivals at Rate per second for Duration, spread over
	// Customers.
	Rate      float64
	Duration  time.Duration
	Customers int
	// Staff: conversations taken over by staff, and staff messages in each.
	StaffConversations int
	StaffMessages      int
	// Timers: conversations opened, each with its window timer.
	Conversations int
	// Recovery: customers writing when handoff is killed, and how long they
	// write before it.
	RecoveryCustomers int
	RecoveryLoad      time.Duration
	// SearchPoll is how often a conversation with a timed message not yet
	// found is searched again: the resolution of ack → searchable.
	SearchPoll time.Duration
	// SearchSample is the fraction of messages whose ack → searchable is
	// timed; the others are checked searchable after the load.
	SearchSample float64
	// ReplyTimeout is how long a customer waits for the bot's answer.
	ReplyTimeout time.Duration
}

// Defaults are the quick run's settings: every phase in a few minutes.
func Defaults() Options {
	return Options{
		Phases:              slices.Clone(AllPhases),
		Namespace:           "default",
		WebChatShare:        0.5,
		BaselineConcurrency: 32,
		BaselineDuration:    10 * time.Second,
		StartConcurrency:    4,
		MaxConcurrency:      256,
		Step:                8 * time.Second,
		Settle:              5 * time.Second,
		MaxP99:              time.Second,
		Rate:                100,
		Duration:            20 * time.Second,
		Customers:           100,
		StaffConversations:  20,
		StaffMessages:       3,
		Conversations:       1000,
		RecoveryCustomers:   30,
		RecoveryLoad:        5 * time.Second,
		SearchPoll:          100 * time.Millisecond,
		SearchSample:        0.2,
		ReplyTimeout:        30 * time.Second,
	}
}

// SelfContained reports whether the run starts handoff itself.
func (o Options) SelfContained() bool { return o.API == "" }

// Has reports whether phase p runs.
func (o Options) Has(p Phase) bool { return slices.Contains(o.Phases, p) }

// The shortest and longest conversation.window handoff accepts.
const (
	minWindow = time.Minute
	maxWindow = 168 * time.Hour
)

// FitWindow is the messaging window for opening n conversations at rate a
// second: a quarter more than the time it takes, plus a minute, in whole
// 30 s, between conversation.window's bounds.
func FitWindow(n int, rate float64) time.Duration {
	if rate <= 0 {
		return maxWindow
	}
	w := time.Duration(1.25*float64(n)/rate*float64(time.Second)) + time.Minute
	w = (w + 29*time.Second).Truncate(30 * time.Second)
	return min(max(w, minWindow), maxWindow)
}

// Validate checks the options.
func (o Options) Validate() error {
	var errs []error
	check := func(ok bool, format string, args ...any) {
		if !ok {
			errs = append(errs, fmt.Errorf(format, args...))
		}
	}
	check(len(o.Phases) > 0, "no phase selected")
	check(o.WebChatShare >= 0 && o.WebChatShare <= 1, "--webchat-share must be between 0 and 1, got %v", o.WebChatShare)
	check(o.BaselineConcurrency >= 1, "--baseline-concurrency must be at least 1")
	check(o.BaselineDuration >= time.Second, "--baseline-duration must be at least 1s")
	check(o.StartConcurrency >= 1 && o.MaxConcurrency >= o.StartConcurrency,
		"--start-concurrency must be at least 1 and --max-concurrency at least as large")
	check(o.Step >= time.Second, "--step must be at least 1s")
	check(o.Settle >= time.Second, "--settle must be at least 1s")
	check(o.MaxP99 >= 10*time.Millisecond, "--max-p99 must be at least 10ms")
	check(o.Rate > 0 && o.Rate <= 10000, "--rate must be in (0, 10000] messages a second, got %v", o.Rate)
	check(o.Duration >= time.Second, "--duration must be at least 1s")
	check(o.Customers >= 1, "--customers must be at least 1")
	check(o.StaffConversations >= 1 && o.StaffMessages >= 1, "--staff-conversations and --staff-messages must be at least 1")
	check(o.Conversations >= 1, "--conversations must be at least 1")
	check(o.RecoveryCustomers >= 1, "--recovery-customers must be at least 1")
	check(o.RecoveryLoad >= time.Second, "--recovery-load must be at least 1s")
	check(o.SearchPoll >= 10*time.Millisecond, "--search-poll must be at least 10ms")
	check(o.SearchSample > 0 && o.SearchSample <= 1, "--search-sample must be in (0, 1], got %v", o.SearchSample)
	check(o.ReplyTimeout >= time.Second, "--reply-timeout must be at least 1s")
	check(o.Window == 0 || o.Window >= minWindow, "--window must be at least %s (conversation.window's minimum)", minWindow)
	if o.Page != "" {
		page, token, ok := strings.Cut(o.Page, ":")
		check(ok && page != "" && token != "" && strings.Trim(page, "0123456789") == "", "--page must be \"page ID:token\" with a numeric page ID")
	}
	if o.SelfContained() {
		check(o.Temporal == "" && o.StaffToken == "" && o.AppSecret == "" && o.GraphListen == "",
			"--temporal, --staff-token, --app-secret and --graph-listen are for a deployment: give --api too")
	} else {
		check(strings.HasPrefix(o.API, "http://") || strings.HasPrefix(o.API, "https://"), "--api must be an http:// or https:// URL, got %q", o.API)
		check(len(o.StaffToken) >= 16, "--staff-token (at least 16 characters, one of the deployment's auth.tokens) is required with --api")
		check(o.DataDir == "" && o.ConfigFile == "" && o.Window == 0, "--data-dir, --config and --window are for the self-contained mode, not with --api")
		check((o.AppSecret == "") == (o.GraphListen == ""), "give --app-secret and --graph-listen together, or neither (web chat only)")
		check(o.GraphListen == "" || o.Page != "", "--graph-listen needs --page, the page ID:token the deployment's messenger.pages lists")
	}
	return errors.Join(errs...)
}
