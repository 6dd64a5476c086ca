package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/handoff-chat/handoff/internal/knowledge"
	"github.com/handoff-chat/handoff/internal/knowledgebase"
	"github.com/handoff-chat/handoff/search"
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
// has no entries yet. A load that was interrupted (the process died during
// the import) is finished on the next start: the import is idempotent. It
// needs the worker running.
func (a *App) seedKnowledge(ctx context.Context, kb *knowledgebase.Store) error {
	seed := a.cfg.Bot.KnowledgeSeed
	if seed == "" || !a.cfg.Embedded() {
		return nil
	}
	marker := filepath.Join(a.cfg.DataDir, KnowledgeSeededFile)
	if _, err := os.Stat(marker); err == nil {
		return nil
	}
	loading := marker + ".loading"
	_, err := os.Stat(loading)
	resume := err == nil
	empty, err := kb.Empty(ctx)
	if err != nil {
		return fmt.Errorf("config key bot.knowledge_seed: %w", err)
	}
	if empty || resume {
		if err := os.WriteFile(loading, []byte(seed+"\n"), 0o600); err != nil {
			return fmt.Errorf("write %s: %w", loading, err)
		}
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
	if err := os.Remove(loading); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove %s: %w", loading, err)
	}
	return nil
}

// indexKnowledge writes every knowledge entry from its workflow to the
// search index, in the background, so a new or lost index (a switch of
// backend, a deleted data/search directory) holds the knowledge base again
// without waiting for each entry to change. Entries that change meanwhile
// index themselves; the later revision wins.
func (a *App) indexKnowledge(kb *knowledgebase.Store, idx search.KnowledgeIndex) {
	a.runBackground(func(ctx context.Context) {
		started := time.Now()
		n, err := kb.IndexAll(ctx, idx)
		if err != nil && ctx.Err() == nil {
			a.logger.Warn("knowledge base not fully indexed at start; entries index themselves when they change", "indexed", n, "error", err)
			return
		}
		a.logger.Info("knowledge base indexed", "entries", n, "took", time.Since(started).Round(time.Millisecond))
	})
}

// runBackground runs fn until the process stops: Stop cancels its context
// and waits for it.
func (a *App) runBackground(fn func(ctx context.Context)) {
	if a.backgroundCtx == nil {
		a.backgroundCtx, a.stopBackground = context.WithCancel(context.Background())
	}
	a.background.Add(1)
	go func() {
		defer a.background.Done()
		fn(a.backgroundCtx)
	}()
}
