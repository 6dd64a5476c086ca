package app

import (
	"context"
	"log/slog"
	"slices"
	"sync"

	"github.com/handoff-chat/handoff/internal/askhuman"
	"github.com/handoff-chat/handoff/internal/settings"
)

// agentPhrasesInForce returns the agent_phrases setting in force,
// compiled once per change of the list. When the settings cannot be read,
// the last phrases read (at first, config.yaml's) still apply: a customer's
// message is never refused for it.
func agentPhrasesInForce(store *settings.Store, logger *slog.Logger) func(ctx context.Context) *askhuman.Phrases {
	var (
		mu       sync.Mutex
		list     []string
		compiled *askhuman.Phrases
	)
	compile := func(phrases []string) *askhuman.Phrases {
		mu.Lock()
		defer mu.Unlock()
		if compiled != nil && slices.Equal(list, phrases) {
			return compiled
		}
		p, err := askhuman.New(phrases)
		if err != nil { // settings are validated when changed; keep the last good list
			logger.Warn("the agent_phrases setting does not compile; the previous phrases apply", "error", err)
			return compiled
		}
		list, compiled = slices.Clone(phrases), p
		return p
	}
	compile(store.Defaults().AgentPhrases)
	return func(ctx context.Context) *askhuman.Phrases {
		s, err := store.InForce(ctx)
		if err != nil {
			logger.Warn("agent phrases: the settings could not be read; the last phrases read apply", "error", err)
			mu.Lock()
			defer mu.Unlock()
			return compiled
		}
		return compile(s.AgentPhrases)
	}
}
