package feed

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/handoff-chat/handoff/internal/chat"
)

// fakeSource is a search backend's changed documents, in stamp order.
type fakeSource struct {
	mu    sync.Mutex
	docs  []chat.ConversationSummary
	reads int
}

func (s *fakeSource) put(id string, at time.Time, lastSeq int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.docs = append(s.docs, chat.ConversationSummary{ID: id, IndexedAt: at, UpdatedAt: at, LastSeq: lastSeq})
}

func (s *fakeSource) ConversationsChangedSince(_ context.Context, since time.Time, limit int) ([]chat.ConversationSummary, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reads++
	var out []chat.ConversationSummary
	for _, d := range s.docs {
		if !d.IndexedAt.Before(since) && len(out) < limit {
			out = append(out, d)
		}
	}
	return out, nil
}

// fakeTranscripts counts the reads of each conversation.
type fakeTranscripts struct {
	mu       sync.Mutex
	messages []chat.Message
	reads    int
}

func (f *fakeTranscripts) set(msgs ...chat.Message) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.messages = msgs
}

func (f *fakeTranscripts) Transcript(_ context.Context, _, _ string, after int64) ([]chat.Message, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reads++
	var out []chat.Message
	for _, m := range f.messages {
		if m.Seq > after {
			out = append(out, m)
		}
	}
	return out, nil
}

// receive returns the next change of l, waiting up to 5 s.
func receive(t *testing.T, l *List, got *[]chat.ConversationSummary) chat.ConversationSummary {
	t.Helper()
	for len(*got) == 0 {
		select {
		case <-l.Changed():
			docs, _ := l.Take()
			*got = append(*got, docs...)
		case <-time.After(5 * time.Second):
			t.Fatal("no change within 5s")
		}
	}
	d := (*got)[0]
	*got = (*got)[1:]
	return d
}

func noMore(t *testing.T, l *List, got []chat.ConversationSummary) {
	t.Helper()
	time.Sleep(100 * time.Millisecond)
	docs, _ := l.Take()
	if rest := append(got, docs...); len(rest) > 0 {
		t.Fatalf("unexpected changes %+v", rest)
	}
}

// Every document stored is passed on once, also when the lookback reads
// it again, and in the order stored.
func TestEveryChangeOnceInOrder(t *testing.T) {
	src := &fakeSource{}
	f := New(src, &fakeTranscripts{}, Options{Poll: 10 * time.Millisecond, Lookback: time.Hour})
	l := f.SubscribeList()
	defer l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go f.Run(ctx)
	var got []chat.ConversationSummary
	now := time.Now()
	src.put("a", now, 1)
	src.put("b", now.Add(time.Millisecond), 1)
	if got := receive(t, l, &got); got.ID != "a" {
		t.Fatalf("first change %s, want a", got.ID)
	}
	if got := receive(t, l, &got); got.ID != "b" {
		t.Fatalf("second change %s, want b", got.ID)
	}
	src.put("a", now.Add(2*time.Millisecond), 2)
	if got := receive(t, l, &got); got.ID != "a" || got.LastSeq != 2 {
		t.Fatalf("third change %+v, want a at last_seq 2", got)
	}
	noMore(t, l, got)
}

// More changes than one read returns are all passed on.
func TestChangesBeyondOnePage(t *testing.T) {
	src := &fakeSource{}
	f := New(src, &fakeTranscripts{}, Options{})
	f.cursor = time.Now().Add(-time.Minute)
	l := f.SubscribeList()
	defer l.Close()
	base := time.Now()
	const n = max(listBuffer, pageSize) + pageSize/2 // more than a list holds, over several pages
	for i := range n {
		src.put(string(rune('a'+i%26))+time.Duration(i).String(), base.Add(time.Duration(i)*time.Microsecond), 1)
	}
	if err := f.readOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, lagged := l.Take(); !lagged {
		t.Fatal("a list that fell behind by more than its buffer is not marked lagged")
	}
	l2 := f.SubscribeList()
	defer l2.Close()
	f.pass([]chat.ConversationSummary{{ID: "late", IndexedAt: base.Add(time.Hour)}})
	if docs, lagged := l2.Take(); lagged || len(docs) != 1 {
		t.Fatalf("a list that keeps up: %d changes, lagged %v", len(docs), lagged)
	}
	if want := n/pageSize + 1; src.reads != want {
		t.Errorf("%d reads for %d changes, want %d pages", src.reads, n, want)
	}
}

// However many streams watch a conversation, one change reads its
// transcript once; a message whose delivery outcome changed comes again.
func TestOneTranscriptReadPerChangeForAllWatchers(t *testing.T) {
	src := &fakeSource{}
	tr := &fakeTranscripts{}
	f := New(src, tr, Options{})
	var watches []*Watch
	for range 50 {
		watches = append(watches, f.Watch("c", "messenger", "psid"))
	}
	staff := chat.Message{Seq: 2, ID: "s1", Sender: chat.SenderStaff, Delivery: &chat.Delivery{Status: chat.DeliveryPending}}
	tr.set(chat.Message{Seq: 1, ID: "m1", Sender: chat.SenderCustomer}, staff)
	f.pass([]chat.ConversationSummary{{ID: "c", IndexedAt: time.Now(), LastSeq: 2}})
	for i, w := range watches {
		select {
		case <-w.Changed():
		case <-time.After(5 * time.Second):
			t.Fatalf("watch %d: no change", i)
		}
	}
	waitFetched(t, f, "c")
	for i, w := range watches {
		msgs, summary := w.Take()
		if len(msgs) != 2 || summary == nil || summary.LastSeq != 2 {
			t.Fatalf("watch %d took %d messages and %+v", i, len(msgs), summary)
		}
	}
	if tr.reads != 1 {
		t.Fatalf("%d transcript reads for 50 watchers of one change, want 1", tr.reads)
	}

	staff.Delivery = &chat.Delivery{Status: chat.DeliveryFailed, Error: "the customer blocked the page"}
	tr.set(chat.Message{Seq: 1, ID: "m1", Sender: chat.SenderCustomer}, staff)
	f.pass([]chat.ConversationSummary{{ID: "c", IndexedAt: time.Now().Add(time.Millisecond), UpdatedAt: time.Now(), LastSeq: 2}})
	waitFetched(t, f, "c")
	<-watches[0].Changed()
	msgs, _ := watches[0].Take()
	if len(msgs) != 1 || msgs[0].Delivery.Status != chat.DeliveryFailed {
		t.Fatalf("after the delivery failed: %+v, want the staff message again with its outcome", msgs)
	}
	for _, w := range watches {
		w.Close()
	}
	if len(f.rooms) != 0 {
		t.Errorf("%d rooms left after every watcher closed", len(f.rooms))
	}
}

// Once a room has read the transcript, a document whose newest messages
// reach back to what the room has is all it needs: the messages are passed
// on without another read. A document that leaves a gap (more messages
// came than it carries) makes the room read the transcript again.
func TestRecentMessagesSpareTheTranscriptRead(t *testing.T) {
	tr := &fakeTranscripts{}
	f := New(&fakeSource{}, tr, Options{})
	w := f.Watch("c", "webchat", "v")
	defer w.Close()
	customer := func(seq int64) chat.Message {
		return chat.Message{Seq: seq, ID: fmt.Sprintf("m%d", seq), Sender: chat.SenderCustomer, Text: "hello"}
	}
	bot := func(seq int64) chat.Message {
		return chat.Message{Seq: seq, ID: fmt.Sprintf("bot-%d", seq), Sender: chat.SenderBot}
	}
	at := time.Now()
	doc := func(recent ...chat.Message) chat.ConversationSummary {
		at = at.Add(time.Millisecond)
		return chat.ConversationSummary{ID: "c", IndexedAt: at, UpdatedAt: at, LastSeq: recent[len(recent)-1].Seq, Recent: recent}
	}
	take := func(what string) []chat.Message {
		t.Helper()
		select {
		case <-w.Changed():
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: no change", what)
		}
		waitFetched(t, f, "c")
		msgs, summary := w.Take()
		if summary == nil || summary.Recent != nil {
			t.Errorf("%s: the watcher took the document %+v, want it without the messages", what, summary)
		}
		return msgs
	}

	tr.set(customer(1), bot(2))
	f.pass([]chat.ConversationSummary{doc(customer(1), bot(2))})
	if msgs := take("first change"); len(msgs) != 2 || tr.reads != 1 {
		t.Fatalf("first change: %d messages after %d reads, want 2 after the room's first read", len(msgs), tr.reads)
	}
	f.pass([]chat.ConversationSummary{doc(customer(1), bot(2), customer(3), bot(4))})
	if msgs := take("second change"); len(msgs) != 2 || msgs[0].Seq != 3 || msgs[1].Seq != 4 || tr.reads != 1 {
		t.Fatalf("second change: %+v after %d reads, want messages 3 and 4 from the document, no read", msgs, tr.reads)
	}

	var gap []chat.Message
	for seq := int64(5); seq < 5+2*chat.RecentKept; seq++ {
		gap = append(gap, customer(seq))
	}
	tr.set(append([]chat.Message{customer(1), bot(2), customer(3), bot(4)}, gap...)...)
	f.pass([]chat.ConversationSummary{doc(gap[len(gap)-chat.RecentKept:]...)})
	if msgs := take("a change with a gap"); len(msgs) != len(gap) || tr.reads != 2 {
		t.Fatalf("a change with a gap: %d messages after %d reads, want all %d new ones from a second read", len(msgs), tr.reads, len(gap))
	}
}

// TestMessagesNumberedAgainArePassedOn: a workflow task wrote the document
// with its reply (messages 3 to 5) and was lost; it ran again with the
// customer's next message, which took seq 4, and the replies moved to 5 to
// 7. The watcher must take every message whose seq now holds another one,
// even where only the bot's text differs (its IDs follow the seq).
func TestMessagesNumberedAgainArePassedOn(t *testing.T) {
	tr := &fakeTranscripts{}
	f := New(&fakeSource{}, tr, Options{})
	w := f.Watch("c", "webchat", "v")
	defer w.Close()
	customer := func(seq int64, id, text string) chat.Message {
		return chat.Message{Seq: seq, ID: id, Sender: chat.SenderCustomer, Text: text}
	}
	bot := func(seq int64, text string) chat.Message {
		return chat.Message{Seq: seq, ID: fmt.Sprintf("bot-%d", seq), Sender: chat.SenderBot, Text: text}
	}
	at := time.Now()
	doc := func(recent ...chat.Message) chat.ConversationSummary {
		at = at.Add(time.Millisecond)
		return chat.ConversationSummary{ID: "c", IndexedAt: at, UpdatedAt: at, LastSeq: recent[len(recent)-1].Seq, Recent: recent}
	}
	take := func() []chat.Message {
		t.Helper()
		select {
		case <-w.Changed():
		case <-time.After(5 * time.Second):
			t.Fatal("no change")
		}
		waitFetched(t, f, "c")
		msgs, _ := w.Take()
		return msgs
	}
	start := []chat.Message{customer(1, "m1", "hello"), bot(2, "how can we help?")}
	tr.set(start...)
	f.pass([]chat.ConversationSummary{doc(start...)})
	take()

	lost := append(append([]chat.Message(nil), start...),
		customer(3, "m2", "where is my order?"), bot(4, "orders ship in two days"), bot(5, "anything else?"))
	f.pass([]chat.ConversationSummary{doc(lost...)})
	if msgs := take(); len(msgs) != 3 {
		t.Fatalf("the lost attempt: took %+v, want messages 3 to 5", msgs)
	}

	again := append(append([]chat.Message(nil), start...),
		customer(3, "m2", "where is my order?"), customer(4, "m3", "and by card?"),
		bot(5, "orders ship in two days"), bot(6, "anything else?"), bot(7, "yes, by card"))
	f.pass([]chat.ConversationSummary{doc(again...)})
	msgs := take()
	var got []string
	for _, m := range msgs {
		got = append(got, fmt.Sprintf("%d %s", m.Seq, m.Text))
	}
	want := []string{"4 and by card?", "5 orders ship in two days", "6 anything else?", "7 yes, by card"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("the task run again: took %q, want %q (message 3 did not change)", got, want)
	}
}

// waitFetched waits until the room of id has no read under way.
func waitFetched(t *testing.T, f *Feed, id string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		f.mu.Lock()
		r := f.rooms[id]
		f.mu.Unlock()
		r.mu.Lock()
		done := !r.fetching && r.known
		r.mu.Unlock()
		if done {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("the room's read did not finish")
}
