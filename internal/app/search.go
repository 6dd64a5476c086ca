package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"time"

	"github.com/handoff-chat/handoff/internal/config"
	"github.com/handoff-chat/handoff/search"
	"github.com/handoff-chat/handoff/search/bleveindex"
	"github.com/handoff-chat/handoff/search/remote"
)

// openSearch opens the configured search backend. Bleve keeps its files in
// this process's data directory: a worker or api process may own it only
// when it shares it with the others (search.bleve.serve_addr), who open it
// as the remote backend.
func (a *App) openSearch(ctx context.Context, role Role) (search.Index, error) {
	switch a.cfg.Search.Backend {
	case config.SearchBleve:
		if role != RoleAll && a.cfg.Search.Bleve.ServeAddr == "" {
			return nil, fmt.Errorf("config key search.backend: bleve is embedded in one process; a separate %s process either owns it and shares it (search.bleve.serve_addr) or uses the owner's (search.backend remote), or every process uses elasticsearch", role)
		}
		dir := filepath.Join(a.cfg.DataDir, "search")
		idx, err := bleveindex.Open(dir)
		if err != nil {
			return nil, err
		}
		a.logger.Info("search index opened", "backend", "bleve", "dir", dir)
		return idx, nil
	case config.SearchRemote:
		return a.openRemoteIndex(ctx)
	default:
		return openElasticsearch(ctx, a.cfg.Search.Elasticsearch, a.logger)
	}
}

// openRemoteIndex opens the index another process shares. An owner that
// does not answer yet is no start-up error: processes of a deployment start
// in any order, searches answer 503 until it does, and writes are retried.
func (a *App) openRemoteIndex(ctx context.Context) (search.Index, error) {
	r := a.cfg.Search.Remote
	idx, err := remote.NewClient(r.URL, r.Token)
	if err != nil {
		return nil, fmt.Errorf("config key search.remote: %w", err)
	}
	probe, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, err := idx.KnowledgeVersion(probe); err != nil {
		if !errors.Is(err, search.ErrUnavailable) {
			return nil, fmt.Errorf("search.remote.url %s: %w", r.URL, err)
		}
		a.logger.Warn("the shared search index does not answer yet; searches answer 503 until it does", "url", r.URL, "error", err)
	}
	a.logger.Info("search index opened", "backend", "remote", "url", r.URL)
	return idx, nil
}

// shareSearch serves idx on search.bleve.serve_addr to the processes that
// use it as the remote backend.
func (a *App) shareSearch(idx search.Index) error {
	addr := a.cfg.Search.Bleve.ServeAddr
	if a.cfg.Search.Backend != config.SearchBleve || addr == "" {
		return nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on search.bleve.serve_addr %s: %w", addr, err)
	}
	a.searchShareAddr = ln.Addr().String()
	a.searchShare = &http.Server{
		Handler:           remote.Handler(idx, a.cfg.Search.Remote.Token, a.logger),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	go func() {
		if err := a.searchShare.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.logger.Error("sharing the search index stopped", "addr", a.searchShareAddr, "error", err)
		}
	}()
	a.logger.Info("search index shared", "addr", a.searchShareAddr)
	return nil
}

// SearchShareAddr is where this process shares its index, or "".
func (a *App) SearchShareAddr() string { return a.searchShareAddr }

// stopSharingSearch stops serving the index before it is closed.
func (a *App) stopSharingSearch() {
	if a.searchShare == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := a.searchShare.Shutdown(ctx); err != nil {
		a.logger.Warn("search share shutdown", "error", err)
	}
}
