package feed

import (
	"context"

	"github.com/handoff-chat/handoff/internal/chat"
	"github.com/handoff-chat/handoff/search"
)

// KickOnWrite returns idx, which kicks f after every conversation document
// it stores: when the worker runs in the feed's own process, the feed reads
// a change at once instead of at its next poll.
func KickOnWrite(idx search.Index, f *Feed) search.Index {
	if f == nil {
		return idx
	}
	return kickingIndex{Index: idx, f: f}
}

type kickingIndex struct {
	search.Index
	f *Feed
}

func (k kickingIndex) UpsertConversation(ctx context.Context, c chat.ConversationSummary) error {
	err := k.Index.UpsertConversation(ctx, c)
	if err == nil {
		k.f.Kick()
	}
	return err
}
