package feed

import (
	"context"
	"sort"
	"sync"
	"time"

	"github.com/handoff-chat/handoff/internal/chat"
)

// roomKept is how many recent messages a room keeps for its watchers.
const roomKept = 200

// fetchTimeout bounds one read of a transcript.
const fetchTimeout = 10 * time.Second

// room is the shared view of one conversation for all of its watchers in
// the process: when the conversation's document changes, the room reads
// the new messages once (and those whose delivery was still pending, to
// pass on how it fared) and every watcher takes what it has not seen.
type room struct {
	f                      *Feed
	id, channel, customer  string
	watchers               int
	mu                     sync.Mutex
	messages               map[int64]entry
	version                uint64
	summary                *chat.ConversationSummary
	summaryVersion         uint64
	updated                chan struct{}
	fetching, dirty, known bool
}

type entry struct {
	msg     chat.Message
	version uint64
}

// Watch is one stream of one conversation's changes.
type Watch struct {
	r    *room
	seen uint64
}

// Watch opens a stream of the conversation's changes; Close it when the
// client leaves. The stream passes on what changes after this call: the
// client reads what came before itself (once, when it connects).
func (f *Feed) Watch(conversationID, channel, customer string) *Watch {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.rooms[conversationID]
	if r == nil {
		r = &room{f: f, id: conversationID, channel: channel, customer: customer, messages: map[int64]entry{}, updated: make(chan struct{})}
		f.rooms[conversationID] = r
	}
	r.watchers++
	r.mu.Lock()
	defer r.mu.Unlock()
	return &Watch{r: r, seen: r.version}
}

// Touch makes the rooms of a conversation read it now: this process just
// recorded something in it.
func (f *Feed) Touch(conversationID string) {
	if f == nil {
		return
	}
	f.mu.Lock()
	r := f.rooms[conversationID]
	f.mu.Unlock()
	if r != nil {
		r.refresh()
	}
}

// Close ends the stream.
func (w *Watch) Close() {
	f := w.r.f
	f.mu.Lock()
	defer f.mu.Unlock()
	w.r.watchers--
	if w.r.watchers == 0 {
		delete(f.rooms, w.r.id)
	}
}

// Changed is closed once there is something the watcher has not taken.
func (w *Watch) Changed() <-chan struct{} {
	w.r.mu.Lock()
	defer w.r.mu.Unlock()
	if w.r.version > w.seen {
		closed := make(chan struct{})
		close(closed)
		return closed
	}
	return w.r.updated
}

// Take returns the messages new or changed since the watcher last took,
// in sequence order, and the conversation document when it changed.
func (w *Watch) Take() ([]chat.Message, *chat.ConversationSummary) {
	r := w.r
	r.mu.Lock()
	defer r.mu.Unlock()
	var msgs []chat.Message
	for _, e := range r.messages {
		if e.version > w.seen {
			msgs = append(msgs, e.msg)
		}
	}
	sort.Slice(msgs, func(i, j int) bool { return msgs[i].Seq < msgs[j].Seq })
	var summary *chat.ConversationSummary
	if r.summaryVersion > w.seen && r.summary != nil {
		s := *r.summary
		summary = &s
	}
	w.seen = r.version
	return msgs, summary
}

// changed takes a new document of the conversation (called with the
// feed's lock held). The document carries the conversation's newest
// messages; when they reach back to what the room has, they are all that
// changed and the transcript is not read.
func (r *room) changed(d chat.ConversationSummary) {
	r.mu.Lock()
	current := r.summary == nil || !d.UpdatedAt.Before(r.summary.UpdatedAt)
	if current {
		s := d.WithoutRecent()
		r.summary = &s
		r.version++
		r.summaryVersion = r.version
		r.broadcast()
	}
	// While a read is under way its answer may be older than the
	// document: the room reads again after it instead.
	covered := current && r.known && !r.fetching && covers(d.Recent, r.readFrom())
	if covered {
		r.merge(d.Recent)
	}
	r.mu.Unlock()
	if !covered {
		r.refresh()
	}
}

// covers reports whether recent, the newest messages in sequence order,
// holds every message after seq.
func covers(recent []chat.Message, seq int64) bool {
	return len(recent) > 0 && recent[0].Seq <= seq+1
}

// refresh reads the transcript, once at a time: a change that comes in
// while a read is under way has it read again after.
func (r *room) refresh() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fetching {
		r.dirty = true
		return
	}
	r.fetching = true
	go r.fetchLoop()
}

func (r *room) fetchLoop() {
	for {
		r.mu.Lock()
		after := r.readFrom()
		r.dirty = false
		r.mu.Unlock()

		ctx, cancel := context.WithTimeout(context.Background(), fetchTimeout)
		msgs, err := r.f.transcripts.Transcript(ctx, r.channel, r.customer, after)
		cancel()

		r.mu.Lock()
		if err != nil {
			r.f.opts.Logger.Warn("change feed: transcript not read", "conversation", r.id, "error", err)
		} else {
			r.merge(msgs)
		}
		if !r.dirty {
			r.fetching = false
			r.mu.Unlock()
			return
		}
		r.mu.Unlock()
	}
}

// readFrom is the sequence number to read after: before the oldest kept
// message whose delivery is pending, else the latest kept; 0 before the
// first read.
func (r *room) readFrom() int64 {
	if !r.known {
		return 0
	}
	var latest int64
	pending := int64(-1)
	for seq, e := range r.messages {
		latest = max(latest, seq)
		if e.msg.Delivery != nil && e.msg.Delivery.Status == chat.DeliveryPending && (pending < 0 || seq < pending) {
			pending = seq
		}
	}
	if pending >= 0 {
		return pending - 1
	}
	return latest
}

// merge keeps the messages read, marking the new and the changed ones.
func (r *room) merge(msgs []chat.Message) {
	r.known = true
	changed := false
	next := r.version + 1
	for _, m := range msgs {
		old, ok := r.messages[m.Seq]
		if ok && old.msg.SameContent(m) && sameDelivery(old.msg.Delivery, m.Delivery) && sameAI(old.msg.AI, m.AI) {
			continue
		}
		r.messages[m.Seq] = entry{msg: m, version: next}
		changed = true
	}
	for len(r.messages) > roomKept {
		oldest := int64(-1)
		for seq := range r.messages {
			if oldest < 0 || seq < oldest {
				oldest = seq
			}
		}
		delete(r.messages, oldest)
	}
	if changed {
		r.version = next
		r.broadcast()
	}
}

func (r *room) broadcast() {
	close(r.updated)
	r.updated = make(chan struct{})
}

func sameDelivery(a, b *chat.Delivery) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Status == b.Status && a.Error == b.Error
}

func sameAI(a, b *chat.AIAnswer) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}
