// Command handoff runs the handoff customer-conversation system.
//
//	handoff [--config FILE]          everything in one process, embedded Temporal
//	handoff [--config FILE] worker   workflows and activities, external Temporal
//	handoff [--config FILE] api      HTTP API and dashboard, external Temporal
//	handoff eval --kb KB.json [--threshold X] QUESTIONS.jsonl
//	                                 scores the knowledge-base answerer
//	handoff reindex [--config FILE] [--only PARTS] [--dry-run]
//	                                 rebuilds the search index from Temporal (see --help)
//	handoff bench [flags]            measures handoff end to end (see --help)
//	handoff passwd                   prints the bcrypt hash of a password read from stdin
//	handoff healthcheck [--path P]   checks the process of this machine (exit 0 when ready)
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/handoff-chat/handoff/internal/app"
	"github.com/handoff-chat/handoff/internal/config"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "handoff:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) > 0 && args[0] == "eval" {
		return runEval(args[1:], os.Stdout, os.Stderr)
	}
	if len(args) > 0 && args[0] == "reindex" {
		return runReindex(args[1:], os.Stderr)
	}
	if len(args) > 0 && args[0] == "bench" {
		return runBench(args[1:], os.Stdout, os.Stderr)
	}
	if len(args) > 0 && args[0] == "passwd" {
		return runPasswd(args[1:], os.Stdin, os.Stdout)
	}
	if len(args) > 0 && args[0] == "healthcheck" {
		return runHealthcheck(args[1:], os.Stdout, os.Stderr)
	}
	flags := flag.NewFlagSet("handoff", flag.ContinueOnError)
	configPath := flags.String("config", "", "config file (default: $HANDOFF_CONFIG, else ./config.yaml if present)")
	flags.Usage = func() {
		fmt.Fprintf(flags.Output(), "usage: handoff [--config FILE] [worker|api]\n"+
			"       handoff eval --kb KB.json [--threshold X] QUESTIONS.jsonl\n"+
			"       handoff reindex [--config FILE] [--only PARTS] [--dry-run]   (handoff reindex --help)\n"+
			"       handoff bench [flags]   (handoff bench --help)\n"+
			"       handoff passwd < password   (prints the hash for auth.users)\n"+
			"       handoff healthcheck [--path /readyz|/healthz]   (exit 0 when the process here is ready)\n\n"+
			"With no role, runs everything in one process on an embedded Temporal server.\n"+
			"worker and api run one role each against temporal.address.\n\nFlags:\n")
		flags.PrintDefaults()
	}
	if err := flags.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if flags.Arg(0) == "reindex" { // handoff --config FILE reindex [flags]
		rest := flags.Args()[1:]
		if *configPath != "" {
			rest = append([]string{"--config", *configPath}, rest...)
		}
		return runReindex(rest, os.Stderr)
	}
	role := app.RoleAll
	switch flags.NArg() {
	case 0:
	case 1:
		role = app.Role(flags.Arg(0))
		if role != app.RoleWorker && role != app.RoleAPI && role != app.RoleAll {
			return fmt.Errorf("unknown role %q: use worker, api, or nothing for all-in-one", flags.Arg(0))
		}
	default:
		return fmt.Errorf("too many arguments %q: give at most one role", flags.Args())
	}

	cfg, err := config.Load(*configPath)
	if err != nil {
		return err
	}
	logger := newLogger(cfg)
	slog.SetDefault(logger)
	if cfg.Source() != "" {
		logger.Info("configuration loaded", "file", cfg.Source(), "role", string(role))
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	a, err := app.Start(ctx, cfg, role, logger)
	if err != nil {
		return err
	}
	logger.Info("handoff is running; press Ctrl-C to stop")
	waitErr := a.Wait(ctx)
	logger.Info("shutting down")
	a.Stop()
	return waitErr
}

func newLogger(cfg *config.Config) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.SlogLevel()}
	if cfg.Log.Format == "json" {
		return slog.New(slog.NewJSONHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, opts))
}
