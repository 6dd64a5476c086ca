// Package assistant is the conversational AI as the bot uses it: the
// answerer over the knowledge base's current entries, at the confidence
// threshold in force. It keeps one answerer per process, built from the
// entries in the search index. Every few seconds (at most, and only when
// customers ask) it reads the index's knowledge version, which is cheap, and
// reads the entries again only when the version moved, so an entry staff add
// or change answers the next customer who asks.
package assistant

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/handoff-chat/handoff/activities"
	"github.com/handoff-chat/handoff/internal/answerer"
	"github.com/handoff-chat/handoff/internal/chat"
	"github.com/handoff-chat/handoff/internal/generative"
	"github.com/handoff-chat/handoff/internal/knowledge"
	"github.com/handoff-chat/handoff/search"
)

// DefaultCheckEvery is how long the answerer is used before the knowledge
// version and the threshold are read again.
const DefaultCheckEvery = 2 * time.Second

// Sources are where the assistant reads what it answers from.
type Sources struct {
	// Knowledge is the search index holding the knowledge base.
	Knowledge search.KnowledgeIndex
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
	sources    Sources
	checkEvery time.Duration
	now        func() time.Time

	mu    sync.Mutex
	built *built
	// loads counts how often the entries were read (tests).
	loads int
}

// built is an answerer over the entries of one knowledge version at one
// threshold, and when that was last checked.
type built struct {
	answerer  *answerer.Answerer
	entries   map[string]knowledge.Entry
	version   int64
	threshold float64
	checked   time.Time
}

// New returns an assistant that checks its sources at most every
// checkEvery (0 means DefaultCheckEvery).
func New(sources Sources, checkEvery time.Duration) *Assistant {
	if checkEvery <= 0 {
		checkEvery = DefaultCheckEvery
	}
	return &Assistant{sources: sources, checkEvery: checkEvery, now: time.Now}
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

// current is the answerer over the entries of the knowledge version in the
// index at the threshold in force, checked at most every checkEvery.
func (a *Assistant) current(ctx context.Context) (*built, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.now()
	if a.built != nil && now.Sub(a.built.checked) < a.checkEvery {
		return a.built, nil
	}
	version, err := a.sources.Knowledge.KnowledgeVersion(ctx)
	if err != nil {
		return nil, fmt.Errorf("read the knowledge base's version: %w", err)
	}
	threshold, err := a.sources.Threshold(ctx)
	if err != nil {
		return nil, fmt.Errorf("read the AI's confidence threshold: %w", err)
	}
	if b := a.built; b != nil && b.version == version && b.threshold == threshold {
		b.checked = now
		return b, nil
	}
	var entries []knowledge.Entry
	var byID map[string]knowledge.Entry
	if b := a.built; b != nil && b.version == version {
		entries, byID = values(b.entries), b.entries
	} else {
		snap, err := a.sources.Knowledge.KnowledgeEntries(ctx)
		if err != nil {
			return nil, fmt.Errorf("read the knowledge base: %w", err)
		}
		a.loads++
		entries, version = snap.Entries, snap.Version
		byID = make(map[string]knowledge.Entry, len(entries))
		for _, e := range entries {
			byID[e.ID] = e
		}
	}
	a.built = &built{
		answerer: answerer.New(entries, answerer.Options{Threshold: threshold}),
		entries:  byID, version: version, threshold: threshold, checked: now,
	}
	return a.built, nil
}

// values are the entries of byID ordered by ID, as the index returns them.
func values(byID map[string]knowledge.Entry) []knowledge.Entry {
	out := make([]knowledge.Entry, 0, len(byID))
	for _, e := range byID {
		out = append(out, e)
	}
	slices.SortFunc(out, func(x, y knowledge.Entry) int { return strings.Compare(x.ID, y.ID) })
	return out
}
