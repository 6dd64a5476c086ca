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
