package app

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/handoff-chat/handoff/internal/config"
	"github.com/handoff-chat/handoff/search"
	"github.com/handoff-chat/handoff/search/bleveindex"
)

// openSearch opens the configured search backend. Bleve keeps its files in
// this process's data directory, so only the all-in-one role may use it.
func (a *App) openSearch(ctx context.Context, role Role) (search.Index, error) {
	switch a.cfg.Search.Backend {
	case config.SearchBleve:
		if role != RoleAll {
			return nil, fmt.Errorf("config key search.backend: bleve is embedded in one process; the %s role needs elasticsearch so every process searches the same index", role)
		}
		dir := filepath.Join(a.cfg.DataDir, "search")
		idx, err := bleveindex.Open(dir)
		if err != nil {
			return nil, err
		}
		a.logger.Info("search index opened", "backend", "bleve", "dir", dir)
		return idx, nil
	default:
		return openElasticsearch(ctx, a.cfg.Search.Elasticsearch, a.logger)
	}
}
