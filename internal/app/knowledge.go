package app

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/handoff-chat/handoff/internal/knowledge"
	"github.com/handoff-chat/handoff/internal/knowledgebase"
)

// KnowledgeSeededFile, in the data directory, records that the first start
// dealt with bot.knowledge_seed, so a knowledge base emptied later through
// the API is not loaded again.
const KnowledgeSeededFile = "knowledge-seeded"

// knowledgeSeedAuthor is the author of the entries bot.knowledge_seed loads,
// in their change history.
const knowledgeSeedAuthor = "bot.knowledge_seed"

// seedKnowledge imports bot.knowledge_seed on the first start of the
// all-in-one mode with the embedded Temporal server, when the knowledge base
// has no entries yet. It needs the worker running.
func (a *App) seedKnowledge(ctx context.Context, kb *knowledgebase.Store) error {
	seed := a.cfg.Bot.KnowledgeSeed
	if seed == "" || !a.cfg.Embedded() {
		return nil
	}
	marker := filepath.Join(a.cfg.DataDir, KnowledgeSeededFile)
	if _, err := os.Stat(marker); err == nil {
		return nil
	}
	empty, err := kb.Empty(ctx)
	if err != nil {
		return fmt.Errorf("config key bot.knowledge_seed: %w", err)
	}
	if empty {
		f, err := os.Open(seed)
		if err != nil {
			return fmt.Errorf("config key bot.knowledge_seed: %w", err)
		}
		entries, err := knowledge.Decode(f)
		_ = f.Close()
		if err != nil {
			return fmt.Errorf("config key bot.knowledge_seed: %s: %w", seed, err)
		}
		res, err := kb.Import(ctx, knowledgeSeedAuthor, entries)
		if err != nil {
			return fmt.Errorf("config key bot.knowledge_seed: import %s: %w", seed, err)
		}
		a.logger.Info("knowledge base loaded from bot.knowledge_seed on the first start", "file", seed, "entries", res.Imported)
	} else {
		a.logger.Info("the knowledge base has entries; bot.knowledge_seed is not loaded", "file", seed)
	}
	if err := os.WriteFile(marker, []byte(seed+"\n"), 0o600); err != nil {
		return fmt.Errorf("write %s: %w", marker, err)
	}
	return nil
}
