package reindex

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/handoff-chat/handoff/search"
)

// Batches of the writer.
const (
	// maxMessagesPerWrite bounds one IndexMessages call: the messages of
	// several conversations, or a part of one long conversation's.
	maxMessagesPerWrite = 1000
	// maxConversationsPerFlush bounds the conversations written together
	// (when only their documents are written, say).
	maxConversationsPerFlush = 500
	// documentWrites is how many conversation documents are written at
	// once; Bleve's writer applies those queued together as one batch.
	documentWrites = 16
)

// writer writes rebuilt conversations in batches: the messages of several
// conversations in one IndexMessages call, and their documents side by
// side. A backend then gets a few large writes instead of two small ones
// per conversation: Bleve makes a segment of every write it applies, and
// that cost, not the replays, would set the pace.
type writer struct {
	r    *rebuild
	in   chan *Conversation
	done chan struct{}
}

func (r *rebuild) startWriter(ctx context.Context) *writer {
	w := &writer{r: r, in: make(chan *Conversation, r.opts.Concurrency), done: make(chan struct{})}
	go w.run(ctx)
	return w
}

// add queues a rebuilt conversation for writing.
func (w *writer) add(c *Conversation) { w.in <- c }

// close writes what is queued and returns when it is written.
func (w *writer) close() {
	close(w.in)
	<-w.done
}

func (w *writer) run(ctx context.Context) {
	defer close(w.done)
	var batch []*Conversation
	messages := 0
	for c := range w.in {
		if len(batch) > 0 && (messages+len(c.Messages) > maxMessagesPerWrite || len(batch) == maxConversationsPerFlush) {
			w.flush(ctx, batch)
			batch, messages = nil, 0
		}
		batch = append(batch, c)
		messages += len(c.Messages)
	}
	if len(batch) > 0 {
		w.flush(ctx, batch)
	}
}

// flush writes the batch's messages, then its documents. When the
// messages are not written, neither are the documents: the staff list
// would show conversations whose messages cannot be found.
func (w *writer) flush(ctx context.Context, batch []*Conversation) {
	r := w.r
	if ctx.Err() != nil {
		return // the rebuild is stopping, and Run says why
	}
	if r.has(Messages) {
		var msgs []search.Message
		carried := 0
		for _, c := range batch {
			msgs = append(msgs, c.Messages...)
			carried += c.Carried
		}
		for chunk := range slices.Chunk(msgs, maxMessagesPerWrite) {
			err := r.write(ctx, fmt.Sprintf("write %d messages of %s", len(chunk), named(batch)), func(ctx context.Context) error {
				return r.idx.IndexMessages(ctx, chunk)
			})
			switch {
			case err == nil:
			case errors.Is(err, search.ErrUnavailable):
				// The backend is gone, for every batch alike: stop.
				r.stop(fmt.Errorf("the search backend stopped answering; run the rebuild again once it does: %w", err))
				for _, c := range batch {
					r.fail(c.ID, err)
				}
				return
			case len(batch) > 1:
				// The backend refused something: one conversation at a
				// time, so only the one it refuses fails.
				for _, c := range batch {
					w.flush(ctx, []*Conversation{c})
				}
				return
			default:
				r.fail(batch[0].ID, err)
				return
			}
			r.count(func(s *Summary) { s.Messages += len(chunk) })
		}
		r.count(func(s *Summary) { s.Carried += carried })
	}
	if !r.has(Conversations) {
		return
	}
	slots := make(chan struct{}, documentWrites)
	var wg sync.WaitGroup
	for _, c := range batch {
		if c.Document == nil {
			continue
		}
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			err := r.write(ctx, "write the conversation document of "+c.ID, func(ctx context.Context) error {
				return r.idx.UpsertConversation(ctx, *c.Document)
			})
			if err != nil {
				r.fail(c.ID, err)
				return
			}
			r.count(func(s *Summary) { s.Documents++ })
		})
	}
	wg.Wait()
}

// named names the conversations of a batch for an error.
func named(batch []*Conversation) string {
	if len(batch) == 1 {
		return batch[0].ID
	}
	return fmt.Sprintf("%s and %d more conversations", batch[0].ID, len(batch)-1)
}
