// Package feed is the one change feed of a process: it follows the search
// backend's conversation documents (which every worker writes after each
// change of a conversation) and fans what changed out to every open
// dashboard and web chat stream of the process. However many browsers are
// open, the process reads the backend once per poll, and a conversation's
// transcript once per change, for all of its viewers together.
package feed

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/handoff-chat/handoff/internal/chat"
)

// Source is where the feed reads changed conversation documents: the
// search backend.
type Source interface {
	ConversationsChangedSince(ctx context.Context, since time.Time, limit int) ([]chat.ConversationSummary, error)
}

// Transcripts reads a conversation's messages after a sequence number.
type Transcripts interface {
	Transcript(ctx context.Context, channel, customer string, after int64) ([]chat.Message, error)
}

// Options tune the feed.
type Options struct {
	// Poll is how often the source is read when nothing kicked the feed
	// (250 ms by default).
	Poll time.Duration
	// Lookback is how far before the latest stamp seen each read starts:
	// how much later than its stamp a document may become visible (0 for
	// the embedded index, whose one writer stamps and stores in order; a
	// few seconds for Elasticsearch: its refresh and the writers' clocks).
	Lookback time.Duration
	Logger   *slog.Logger
}

// pageSize is how many documents one read asks for. Most reads find a few;
// the embedded index sets aside room for a whole page on every search, so
// a page is kept small and a larger change is read page by page.
const pageSize = 100

// Feed is a process's change feed.
type Feed struct {
	source      Source
	transcripts Transcripts
	opts        Options
	kick        chan struct{}

	mu    sync.Mutex
	lists map[*List]struct{}
	rooms map[string]*room
	// cursor is the latest stamp seen; seen holds the documents seen
	// within the lookback, by ID and stamp, so a document read twice is
	// passed on once.
	cursor time.Time
	seen   map[seenKey]struct{}
}

type seenKey struct {
	id string
	at int64
}

// New returns a feed; Run follows the source.
func New(source Source, transcripts Transcripts, opts Options) *Feed {
	if opts.Poll <= 0 {
		opts.Poll = 250 * time.Millisecond
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Feed{
		source: source, transcripts: transcripts, opts: opts,
		kick:  make(chan struct{}, 1),
		lists: map[*List]struct{}{}, rooms: map[string]*room{}, seen: map[seenKey]struct{}{},
	}
}

// Kick makes the feed read the source now: this process just wrote
// something.
func (f *Feed) Kick() {
	if f == nil {
		return
	}
	select {
	case f.kick <- struct{}{}:
	default:
	}
}

// Run follows the source until ctx ends. It starts from now: what changed
// before is in the snapshot every stream begins with.
func (f *Feed) Run(ctx context.Context) {
	f.mu.Lock()
	f.cursor = time.Now().Add(-f.opts.Lookback)
	f.mu.Unlock()
	timer := time.NewTimer(f.opts.Poll)
	defer timer.Stop()
	failing := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-f.kick:
		case <-timer.C:
		}
		err := f.readOnce(ctx)
		switch {
		case err != nil && ctx.Err() == nil && !failing:
			f.opts.Logger.Warn("change feed: the search backend could not be read; retrying", "error", err)
			failing = true
		case err == nil && failing:
			f.opts.Logger.Info("change feed: reading the search backend again")
			failing = false
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		timer.Reset(f.opts.Poll)
	}
}

// readOnce reads every document stored since the cursor (less the
// lookback), page by page, and passes on those not seen yet.
func (f *Feed) readOnce(ctx context.Context) error {
	f.mu.Lock()
	since := f.cursor.Add(-f.opts.Lookback)
	f.mu.Unlock()
	for {
		docs, err := f.source.ConversationsChangedSince(ctx, since, pageSize)
		if err != nil {
			return err
		}
		f.pass(docs)
		if len(docs) < pageSize {
			return nil
		}
		next := docs[len(docs)-1].IndexedAt
		if !next.After(since) {
			// A page of one stamp: nothing later can be asked for without
			// skipping some; the next read continues.
			return nil
		}
		since = next
	}
}

// pass hands the documents not seen yet to the lists and rooms.
func (f *Feed) pass(docs []chat.ConversationSummary) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, d := range docs {
		key := seenKey{id: d.ID, at: d.IndexedAt.UnixNano()}
		if _, ok := f.seen[key]; ok {
			continue
		}
		f.seen[key] = struct{}{}
		if d.IndexedAt.After(f.cursor) {
			f.cursor = d.IndexedAt
		}
		for l := range f.lists {
			l.offer(d.WithoutRecent())
		}
		if r := f.rooms[d.ID]; r != nil {
			r.changed(d)
		}
	}
	oldest := f.cursor.Add(-f.opts.Lookback).UnixNano()
	for k := range f.seen {
		if k.at < oldest {
			delete(f.seen, k)
		}
	}
}

// List is one stream of every conversation change: a dashboard's list.
type List struct {
	f       *Feed
	mu      sync.Mutex
	pending []chat.ConversationSummary
	// lagged says changes were dropped because the client read too
	// slowly; the stream must start over from a snapshot.
	lagged  bool
	updated chan struct{}
}

// listBuffer is how many changes a list stream may lag behind.
const listBuffer = 512

// SubscribeList opens a list stream; Close it when the client leaves.
func (f *Feed) SubscribeList() *List {
	l := &List{f: f, updated: make(chan struct{})}
	f.mu.Lock()
	f.lists[l] = struct{}{}
	f.mu.Unlock()
	return l
}

// Changed is closed once there is something to Take.
func (l *List) Changed() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.pending) > 0 || l.lagged {
		closed := make(chan struct{})
		close(closed)
		return closed
	}
	return l.updated
}

// Take returns the changes since the last Take, oldest first, and whether
// some were dropped (the stream must then start over).
func (l *List) Take() ([]chat.ConversationSummary, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.pending
	l.pending = nil
	return out, l.lagged
}

// Close ends the stream.
func (l *List) Close() {
	l.f.mu.Lock()
	delete(l.f.lists, l)
	l.f.mu.Unlock()
}

func (l *List) offer(d chat.ConversationSummary) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.lagged {
		return
	}
	if len(l.pending) >= listBuffer {
		l.lagged, l.pending = true, nil
	} else {
		l.pending = append(l.pending, d)
	}
	close(l.updated)
	l.updated = make(chan struct{})
}
