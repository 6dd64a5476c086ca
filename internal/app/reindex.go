package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/handoff-chat/handoff/internal/config"
	"github.com/handoff-chat/handoff/internal/dirlock"
	"github.com/handoff-chat/handoff/internal/embeddedtemporal"
	"github.com/handoff-chat/handoff/internal/reindex"
	"github.com/handoff-chat/handoff/internal/temporalclient"
	"github.com/handoff-chat/handoff/search"
)

// Reindex rebuilds the search backend cfg names from Temporal
// (internal/reindex): `handoff reindex`.
//
// With the embedded Temporal server (no temporal.address) it works on the
// data directory alone: it takes the directory's lock, which a running
// all-in-one process holds (then it refuses, saying how to rebuild through
// that process instead), starts the embedded server on the directory's
// database on a free local port, with no UI and no worker (no conversation
// moves while it runs; timers that come due wait for the next start), and
// stops it at the end. With temporal.address it reads from that cluster,
// which may be serving the running system. The index written is the
// configured backend: Bleve under the data directory (which needs the
// directory's lock too), the index another process shares (remote), or
// Elasticsearch. A dry run opens no index.
func Reindex(ctx context.Context, cfg *config.Config, opts reindex.Options, logger *slog.Logger) (reindex.Summary, error) {
	db := filepath.Join(cfg.DataDir, "temporal.db")
	if cfg.Embedded() {
		// A rebuild creates no Temporal data, and no data directory.
		if _, err := os.Stat(db); err != nil {
			return reindex.Summary{}, fmt.Errorf("no Temporal database to rebuild from at %s (config key data_dir, or temporal.address for an external cluster): %w", db, err)
		}
	}
	if cfg.Embedded() || (cfg.Search.Backend == config.SearchBleve && !opts.DryRun) {
		lock, err := dirlock.Acquire(cfg.DataDir)
		if errors.Is(err, dirlock.ErrInUse) {
			return reindex.Summary{}, fmt.Errorf("%w: stop it and run handoff reindex again, or rebuild through it "+
				"(temporal.address at its Temporal frontend and search.backend remote at its shared index; see the README's "+
				"\"Rebuilding the search index\")", err)
		}
		if err != nil {
			return reindex.Summary{}, err
		}
		defer func() {
			if err := lock.Release(); err != nil {
				logger.Warn("data directory", "error", err)
			}
		}()
	}
	hostPort := cfg.Temporal.Address
	if cfg.Embedded() {
		srv, err := startEmbeddedForReindex(cfg, db, logger)
		if err != nil {
			return reindex.Summary{}, err
		}
		defer func() {
			if err := srv.Stop(); err != nil {
				logger.Warn("embedded Temporal shutdown", "error", err)
			}
		}()
		hostPort = srv.FrontendAddr()
	}
	dialCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	c, err := temporalclient.Dial(dialCtx, hostPort, cfg.Temporal, logger)
	if err != nil {
		return reindex.Summary{}, err
	}
	defer c.Close()

	var idx search.Index
	if !opts.DryRun {
		idx, err = openReindexTarget(dialCtx, cfg, logger)
		if err != nil {
			return reindex.Summary{}, err
		}
		defer func() {
			if err := idx.Close(); err != nil {
				logger.Warn("search index close", "error", err)
			}
		}()
	}
	return reindex.Run(ctx, c, idx, opts)
}

// startEmbeddedForReindex starts the embedded Temporal server on the data
// directory's database db, on a free local port and without the UI: the
// rebuild is its only client.
func startEmbeddedForReindex(cfg *config.Config, db string, logger *slog.Logger) (*embeddedtemporal.Server, error) {
	srv, err := embeddedtemporal.Start(embeddedtemporal.Options{
		DatabaseFile:     db,
		FrontendAddr:     "127.0.0.1:0",
		Namespace:        cfg.Temporal.Namespace,
		Retention:        cfg.Temporal.Embedded.Retention,
		SearchAttributes: temporalclient.SearchAttributes,
		Logger:           logger,
	})
	if err != nil {
		return nil, err
	}
	logger.Info("embedded Temporal server started for the rebuild", "database", db)
	return srv, nil
}

// openReindexTarget opens the configured backend as a process of the
// all-in-one mode does, and asks it one question: a rebuild into a backend
// that does not answer stops at once instead of failing every write.
func openReindexTarget(ctx context.Context, cfg *config.Config, logger *slog.Logger) (search.Index, error) {
	idx, err := (&App{cfg: cfg, logger: logger}).openSearch(ctx, RoleAll)
	if err != nil {
		return nil, err
	}
	if _, err := idx.KnowledgeVersion(ctx); err != nil {
		_ = idx.Close()
		return nil, fmt.Errorf("search backend %s does not answer: %w", cfg.Search.Backend, err)
	}
	return idx, nil
}
