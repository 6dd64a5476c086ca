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
	"strings"
	"syscall"
	"time"

	"github.com/handoff-chat/handoff/internal/app"
	"github.com/handoff-chat/handoff/internal/config"
	"github.com/handoff-chat/handoff/internal/reindex"
)

// runReindex is `handoff reindex`: it rebuilds the configured search
// backend from Temporal. Progress and the summary go to stderr.
func runReindex(args []string, stderr io.Writer) error {
	configPath, opts, err := parseReindexFlags(args, stderr)
	if err != nil || opts == nil {
		return err
	}
	cfg, err := config.Load(configPath)
	if err != nil {
		return err
	}
	// Warnings and errors only: the progress lines say how it goes.
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	opts.Logger = logger
	opts.Progress = stderr
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	target := cfg.Search.Backend
	if opts.DryRun {
		target = "nothing (dry run)"
	}
	parts := make([]string, len(opts.Parts))
	for i, p := range opts.Parts {
		parts[i] = string(p)
	}
	fmt.Fprintf(stderr, "reindex: rebuilding the %s into %s from %s\n", strings.Join(parts, ", "), target, temporalSource(cfg))
	sum, err := app.Reindex(ctx, cfg, *opts, logger)
	if sum.Elapsed > 0 {
		fmt.Fprintln(stderr, "reindex:", sum)
		for _, f := range sum.Failures {
			fmt.Fprintln(stderr, "reindex: failed:", f)
		}
	}
	if err != nil && ctx.Err() != nil {
		return errors.New("reindex: interrupted; what was written stays, and running it again completes it")
	}
	return err
}

func temporalSource(cfg *config.Config) string {
	if cfg.Embedded() {
		return "the embedded Temporal server's database in " + cfg.DataDir
	}
	return "Temporal at " + cfg.Temporal.Address
}

// parseReindexFlags reads the flags; nil options (and no error) means the
// usage was asked for.
func parseReindexFlags(args []string, stderr io.Writer) (string, *reindex.Options, error) {
	flags := flag.NewFlagSet("handoff reindex", flag.ContinueOnError)
	flags.SetOutput(stderr)
	configPath := flags.String("config", "", "config file (default: $HANDOFF_CONFIG, else ./config.yaml if present)")
	only := flags.String("only", "", "parts to rebuild, comma-separated: messages, conversations, knowledge (default: all)")
	dryRun := flags.Bool("dry-run", false, "read and replay everything, write nothing, print what would be written")
	concurrency := flags.Int("concurrency", 4, "workflows read and replayed at once")
	every := flags.Duration("progress", 5*time.Second, "how often a progress line is printed")
	attempts := flags.Int("attempts", 5, "tries of each read and write before its workflow is reported as failed")
	flags.Usage = func() {
		fmt.Fprintf(flags.Output(), "usage: handoff reindex [--config FILE] [--only PARTS] [--dry-run] [flags]\n\n"+
			"Rebuilds the search backend (search.backend) from Temporal: every message and conversation\n"+
			"document of every conversation run still in Temporal, and the knowledge base. With the\n"+
			"embedded Temporal server, handoff must be stopped (the data directory is locked).\n\nFlags:\n")
		flags.PrintDefaults()
	}
	if err := flags.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return "", nil, nil
		}
		return "", nil, err
	}
	if flags.NArg() > 0 {
		return "", nil, fmt.Errorf("reindex takes no arguments, got %q", flags.Args())
	}
	parts, err := reindex.ParseParts(*only)
	if err != nil {
		return "", nil, fmt.Errorf("--only: %w", err)
	}
	if *concurrency < 1 || *concurrency > 64 {
		return "", nil, fmt.Errorf("--concurrency must be 1 to 64, got %d", *concurrency)
	}
	if *every <= 0 {
		return "", nil, fmt.Errorf("--progress must be positive, got %s", *every)
	}
	if *attempts < 1 {
		return "", nil, fmt.Errorf("--attempts must be at least 1, got %d", *attempts)
	}
	return *configPath, &reindex.Options{
		Parts: parts, DryRun: *dryRun, Concurrency: *concurrency, ProgressEvery: *every, Attempts: *attempts,
	}, nil
}
