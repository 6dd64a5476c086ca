package app

import (
	"context"
	"log/slog"

	"github.com/handoff-chat/handoff/internal/config"
	"github.com/handoff-chat/handoff/search"
	"github.com/handoff-chat/handoff/search/elasticsearch"
)

func openElasticsearch(ctx context.Context, cfg config.Elasticsearch, logger *slog.Logger) (search.Index, error) {
	idx, err := elasticsearch.New(ctx, elasticsearch.Options{
		Addresses:   cfg.Addresses,
		APIKey:      cfg.APIKey,
		Username:    cfg.Username,
		Password:    cfg.Password,
		CACertFile:  cfg.CAFile,
		IndexPrefix: cfg.IndexPrefix,
	}, logger)
	if err != nil {
		return nil, err
	}
	logger.Info("search index opened", "backend", "elasticsearch", "addresses", cfg.Addresses)
	return idx, nil
}
