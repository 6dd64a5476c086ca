package app

import (
	"context"

	"github.com/handoff-chat/handoff/internal/knowledgebase"
)

// SeedKnowledge runs the first-start loading of bot.knowledge_seed again, as
// a later start would.
func (a *App) SeedKnowledge(ctx context.Context) error {
	return a.seedKnowledge(ctx, knowledgebase.NewStore(a.client))
}

// FailWorker reports err as the worker's fatal error, as the SDK does when
// the worker stops for good.
func (a *App) FailWorker(err error) { a.workerFatalError(err) }
