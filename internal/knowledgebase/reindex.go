package knowledgebase

import (
	"context"
	"errors"
	"fmt"

	"github.com/handoff-chat/handoff/internal/knowledge"
	"github.com/handoff-chat/handoff/search"
)

// IndexAll writes every entry, and the tombstone of every deleted one, from
// its workflow to idx at its revision, Concurrency at a time, and returns
// how many it wrote. The index keeps the later revision, so running it while
// entries change, or twice, is harmless. It rebuilds a lost or new index
// (the entry workflows write each change themselves, but only when it
// happens).
func (s *Store) IndexAll(ctx context.Context, idx search.KnowledgeIndex) (int, error) {
	ids, err := s.workflowIDs(ctx)
	if err != nil {
		return 0, err
	}
	written := make([]bool, len(ids))
	err = each(ctx, len(ids), func(ctx context.Context, i int) error {
		view, err := s.view(ctx, ids[i])
		if errors.Is(err, ErrNotFound) || (err == nil && view.Revision == 0) {
			return nil // gone since it was listed, or never changed
		}
		if err != nil {
			return err
		}
		doc := search.KnowledgeDoc{Entry: knowledge.Entry{ID: view.ID}, Revision: view.Revision, Deleted: view.Entry == nil}
		if view.Entry != nil {
			doc.Entry = *view.Entry
		}
		if err := idx.UpsertKnowledge(ctx, doc); err != nil {
			return fmt.Errorf("index knowledge entry %s: %w", doc.Entry.ID, err)
		}
		written[i] = true
		return nil
	})
	n := 0
	for _, w := range written {
		if w {
			n++
		}
	}
	return n, err
}
