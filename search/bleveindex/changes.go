package bleveindex

import (
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/handoff-chat/handoff/internal/chat"
)

// recentChangesKept is how many of the latest stored conversation
// documents recentChanges keeps at least (and at most twice as many): at
// 100 documents a second, seconds of changes for readers that poll every
// 250 ms, in a few MB (each document carries its recent messages). A reader
// further behind is answered by a search.
const recentChangesKept = 256

// recentChanges holds the conversation documents this process stored last,
// in stamp order. The change feed asks what changed since its last read
// after every write under load, and a date-range search of the index costs
// about a millisecond of CPU however little it finds; while every document
// stamped after since is known to be kept here, the answer comes from
// memory and is the one the search would give.
type recentChanges struct {
	mu   sync.Mutex
	kept []chat.ConversationSummary // in stamp order
	// newest is the stamp of each kept ID's latest document: an earlier
	// one was replaced in the index and is not in a search's answer.
	newest map[string]time.Time
	// floor: every document stored with a later stamp is kept. It starts
	// at the latest stamp the index held when this process opened it
	// (those documents are only in the index) and rises to each stamp
	// dropped to keep the bound.
	floor time.Time
}

func newRecentChanges(floor time.Time) *recentChanges {
	return &recentChanges{newest: map[string]time.Time{}, floor: floor}
}

// add takes documents just stored, stamped later than any kept.
func (r *recentChanges) add(docs []chat.ConversationSummary) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, d := range docs {
		r.kept = append(r.kept, d)
		r.newest[d.ID] = d.IndexedAt
	}
	if len(r.kept) <= 2*recentChangesKept {
		return
	}
	dropped := r.kept[:len(r.kept)-recentChangesKept]
	for _, d := range dropped {
		if r.newest[d.ID].Equal(d.IndexedAt) {
			delete(r.newest, d.ID)
		}
	}
	r.floor = dropped[len(dropped)-1].IndexedAt
	r.kept = slices.Clone(r.kept[len(dropped):])
}

// since returns up to limit of the latest documents stamped at or after
// since, in stamp order, and whether it could: false when documents of such
// a stamp may be in the index only.
func (r *recentChanges) since(since time.Time, limit int) ([]chat.ConversationSummary, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !since.After(r.floor) {
		return nil, false
	}
	from := sort.Search(len(r.kept), func(i int) bool { return !r.kept[i].IndexedAt.Before(since) })
	var out []chat.ConversationSummary
	for _, d := range r.kept[from:] {
		if len(out) == limit {
			break
		}
		if !r.newest[d.ID].Equal(d.IndexedAt) {
			continue // replaced by a later document of the same ID
		}
		d.Recent = slices.Clone(d.Recent)
		out = append(out, d)
	}
	return out, true
}
