// Package assistant is the conversational AI as the bot uses it: the
// answerer over the knowledge base's current entries, at the confidence
// threshold in force. It keeps one answerer per process and rebuilds it when
// its entries or threshold are older than a few seconds, so an entry staff
// add or change answers the next customer who asks.
package assistant

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/handoff-chat/handoff/activities"
	"github.com/handoff-chat/handoff/internal/answerer"
	"github.com/handoff-chat/handoff/internal/chat"
	"github.com/handoff-chat/handoff/internal/generative"
	"github.com/handoff-chat/handoff/internal/knowledge"
)

// DefaultMaxAge is how long entries and the threshold are used before they
// are read again.
const DefaultMaxAge = 10 * time.Second

// Sources are where the assistant reads what it answers from.
type Sources struct {
	// Entries lists the knowledge base.
	Entries func(ctx context.Context) ([]knowledge.Entry, error)
	// Threshold is the ai_confidence_threshold setting in force.
	Threshold func(ctx context.Context) (float64, error)
	// Phraser, when set, words a confident answer from its entry with a
	// language model; on any failure the entry's own answer is given.
	Phraser Phraser
}

// Phraser words an answer from knowledge-base entries (internal/generative).
type Phraser interface {
	Phrase(ctx context.Context, question, lang string, sources []generative.Source) (string, error)
}

// Assistant answers questions for the bot; it is safe for concurrent use.
type Assistant struct {
	sources Sources
	maxAge  time.Duration
	now     func() time.Time

	mu    sync.Mutex
	built *built
}

// built is an answerer over the entries read at one moment.
type built struct {
	answerer *answerer.Answerer
	entries  map[string]knowledge.Entry
	at       time.Time
}

// New returns an assistant that reads its sources at most every maxAge (0
// means DefaultMaxAge).
func New(sources Sources, maxAge time.Duration) *Assistant {
	if maxAge <= 0 {
		maxAge = DefaultMaxAge
	}
	return &Assistant{sources: sources, maxAge: maxAge, now: time.Now}
}

// Answer finds the entry that answers the question, in the customer's
// language. With no entries at all it reports activities.ErrNoKnowledgeBase,
// so the bot answers from its flows.
func (a *Assistant) Answer(ctx context.Context, question, lang string) (activities.KnowledgeAnswer, error) {
	b, err := a.current(ctx)
	if err != nil {
		return activities.KnowledgeAnswer{}, err
	}
	if len(b.entries) == 0 {
		return activities.KnowledgeAnswer{}, activities.ErrNoKnowledgeBase
	}
	res := b.answerer.Answer(question, lang)
	ans := activities.KnowledgeAnswer{
		EntryID:   res.ID,
		Score:     res.Score,
		Confident: res.Confident && res.ID != "",
		Reason:    res.Reason,
		SmallTalk: res.Reason == answerer.ReasonSmallTalk,
	}
	if !ans.Confident {
		ans.EntryID = ""
		return ans, nil
	}
	entry := b.entries[res.ID]
	ans.Text, _ = entry.AnswerIn(lang)
	if a.sources.Phraser != nil {
		phrased, err := a.sources.Phraser.Phrase(ctx, question, lang, []generative.Source{{Question: entry.Question, Answer: ans.Text}})
		if err == nil {
			ans.Text = phrased
		} else {
			slog.Warn("the answer is the entry's own: the language model did not phrase it", "entry", entry.ID, "error", err)
		}
	}
	for _, l := range entry.Links {
		ans.Links = append(ans.Links, chat.Button{Title: l.Title, URL: l.URL})
	}
	return ans, nil
}

// current is the answerer over fresh entries at the threshold in force.
func (a *Assistant) current(ctx context.Context) (*built, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.now()
	if a.built != nil && now.Sub(a.built.at) < a.maxAge {
		return a.built, nil
	}
	entries, err := a.sources.Entries(ctx)
	if err != nil {
		return nil, fmt.Errorf("read the knowledge base: %w", err)
	}
	threshold, err := a.sources.Threshold(ctx)
	if err != nil {
		return nil, fmt.Errorf("read the AI's confidence threshold: %w", err)
	}
	byID := make(map[string]knowledge.Entry, len(entries))
	for _, e := range entries {
		byID[e.ID] = e
	}
	a.built = &built{answerer: answerer.New(entries, answerer.Options{Threshold: threshold}), entries: byID, at: now}
	return a.built, nil
}
