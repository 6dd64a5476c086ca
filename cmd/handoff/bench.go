package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/handoff-chat/handoff/internal/bench"
)

// runBench is `handoff bench`: it measures handoff end to end, either
// self-contained (handoff started as a child process on a fresh data
// directory) or against a deployment (--api), and prints a table, or one
// JSON object with --json. Progress goes to stderr.
func runBench(args []string, stdout, stderr io.Writer) error {
	opts, asJSON, err := parseBenchFlags(args, stderr)
	if err != nil || opts == nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	report, runErr := bench.Run(ctx, *opts, logger)
	if runErr != nil && ctx.Err() != nil {
		runErr = errors.New("bench: interrupted; the report has the phases that finished")
	}
	if report != nil {
		write := report.WriteTable
		if asJSON {
			write = report.WriteJSON
		}
		if err := write(stdout); err != nil {
			return errors.Join(runErr, err)
		}
	}
	return runErr
}

// parseBenchFlags reads the flags; nil options (and no error) means the
// usage was asked for.
func parseBenchFlags(args []string, stderr io.Writer) (*bench.Options, bool, error) {
	o := bench.Defaults()
	flags := flag.NewFlagSet("handoff bench", flag.ContinueOnError)
	flags.SetOutput(stderr)
	phases := flags.String("phases", "all", "phases to run, comma-separated: baseline, sustained, load, staff, timers, recovery, or all")
	asJSON := flags.Bool("json", false, "print the report as one JSON object instead of the table")

	flags.StringVar(&o.DataDir, "data-dir", "", "self-contained: handoff's data directory, kept (default: a fresh one, removed afterwards); run again on it to see how the figures hold as data accumulates")
	flags.BoolVar(&o.Keep, "keep", false, "self-contained: keep the fresh data directory")
	flags.StringVar(&o.ConfigFile, "config", "", "self-contained: a config file for handoff (default: the built-in defaults)")
	flags.DurationVar(&o.Window, "window", 0, "self-contained: handoff's conversation.window for the timers phase, from the start (default: fitted to a pilot before the phase, handoff restarted with it)")

	flags.StringVar(&o.API, "api", "", "a running deployment's HTTP API, e.g. http://127.0.0.1:8080 (the timers and recovery phases are skipped)")
	flags.StringVar(&o.Temporal, "temporal", "", "with --api: the deployment's Temporal frontend host:port, for the baseline")
	flags.StringVar(&o.Namespace, "namespace", o.Namespace, "with --temporal: the Temporal namespace")
	flags.StringVar(&o.TemporalAPIKey, "temporal-api-key", "", "with --temporal: an API key (turns on TLS)")
	flags.StringVar(&o.StaffToken, "staff-token", "", "with --api: a staff token (the secret of one of auth.tokens)")
	flags.StringVar(&o.AppSecret, "app-secret", "", "with --api: messenger.app_secret, to sign webhooks")
	flags.StringVar(&o.GraphListen, "graph-listen", "", "with --api: host:port where the bench serves the Graph API stand-in that the deployment's messenger.graph_url points to")
	flags.StringVar(&o.Page, "page", "", "with --graph-listen: \"page ID:token\", one of the deployment's messenger.pages")

	flags.Float64Var(&o.WebChatShare, "webchat-share", o.WebChatShare, "fraction of customers on the web chat; the others use Messenger")
	flags.IntVar(&o.BaselineConcurrency, "baseline-concurrency", o.BaselineConcurrency, "baseline: concurrent callers")
	flags.DurationVar(&o.BaselineDuration, "baseline-duration", o.BaselineDuration, "baseline: how long each operation runs")
	flags.IntVar(&o.StartConcurrency, "start-concurrency", o.StartConcurrency, "sustained: customers in the first step (doubled each step)")
	flags.IntVar(&o.MaxConcurrency, "max-concurrency", o.MaxConcurrency, "sustained: most customers in a step")
	flags.DurationVar(&o.Step, "step", o.Step, "sustained: length of each step")
	flags.DurationVar(&o.MaxP99, "max-p99", o.MaxP99, "sustained: a step's ack p99 and ack → reply p99 must be within this")
	flags.DurationVar(&o.Settle, "settle", o.Settle, "how long after a step or the load the messages sent in it may take to be answered and searchable")
	flags.Float64Var(&o.Rate, "rate", o.Rate, "load: offered messages per second")
	flags.DurationVar(&o.Duration, "duration", o.Duration, "load: how long the load is offered")
	flags.IntVar(&o.Customers, "customers", o.Customers, "load: customers the messages are spread over")
	flags.IntVar(&o.StaffConversations, "staff-conversations", o.StaffConversations, "staff: conversations staff take over")
	flags.IntVar(&o.StaffMessages, "staff-messages", o.StaffMessages, "staff: staff messages in each")
	flags.IntVar(&o.Conversations, "conversations", o.Conversations, "timers: conversations opened, each with its window timer (the target is for 10000)")
	flags.IntVar(&o.RecoveryCustomers, "recovery-customers", o.RecoveryCustomers, "recovery: customers writing when handoff is killed")
	flags.DurationVar(&o.RecoveryLoad, "recovery-load", o.RecoveryLoad, "recovery: how long they write before the kill")
	flags.DurationVar(&o.SearchPoll, "search-poll", o.SearchPoll, "how often a conversation with a timed message not yet searchable is searched (the resolution of ack → searchable)")
	flags.Float64Var(&o.SearchSample, "search-sample", o.SearchSample, "fraction of messages whose ack → searchable is timed; every message is still checked searchable after the load")
	flags.DurationVar(&o.ReplyTimeout, "reply-timeout", o.ReplyTimeout, "how long a customer waits for the bot's reply")
	flags.Usage = func() {
		fmt.Fprintf(flags.Output(), "usage: handoff bench [flags]\n\n"+
			"Drives handoff's HTTP path with simulated customers and staff and reports\n"+
			"throughput (also as a ratio to a no-op workflow baseline), latencies, timers,\n"+
			"memory, disk and recovery after a kill. Without --api it starts handoff itself\n"+
			"(the all-in-one mode on a fresh data directory and free ports). The defaults\n"+
			"are a quick run of a few minutes; for the full run add\n"+
			"  --conversations 10000 --duration 1m --step 15s --baseline-duration 30s\n\nFlags:\n")
		flags.PrintDefaults()
	}
	if err := flags.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, false, nil
		}
		return nil, false, err
	}
	if flags.NArg() > 0 {
		return nil, false, fmt.Errorf("bench: unexpected argument %q", flags.Arg(0))
	}
	var err error
	if o.Phases, err = bench.ParsePhases(*phases); err != nil {
		return nil, false, fmt.Errorf("bench: --phases: %w", err)
	}
	if err := o.Validate(); err != nil {
		return nil, false, fmt.Errorf("bench: %w", err)
	}
	return &o, *asJSON, nil
}
