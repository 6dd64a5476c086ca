package bleveindex

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/handoff-chat/handoff/internal/chat"
	"github.com/handoff-chat/handoff/search"
)

// Writes queued while a batch is being applied go together in the next
// batch, in the order they were queued, and every caller gets the error of
// the batch that held its write.
func TestWriterGroupsWhatQueuesMeanwhile(t *testing.T) {
	first := make(chan struct{})
	release := make(chan struct{})
	failed := errors.New("disk full")
	var batches [][]int
	w := newWriter(func(items []int) error {
		batches = append(batches, slices.Clone(items))
		if len(batches) == 1 {
			close(first)
			<-release
			return nil
		}
		return failed
	})
	defer w.close()

	ctx := context.Background()
	firstDone := make(chan error, 1)
	go func() { firstDone <- w.write(ctx, 0) }()
	<-first // the first batch is being applied

	const callers = 5
	errs := make(chan error, callers)
	for i := 1; i <= callers; i++ {
		go func() { errs <- w.write(ctx, 10*i, 10*i+1) }()
		waitQueued(w, 2*i) // so the callers queue in order
	}
	close(release)

	if err := <-firstDone; err != nil {
		t.Errorf("first write: %v", err)
	}
	for range callers {
		if err := <-errs; !errors.Is(err, failed) {
			t.Errorf("a write of the failed batch returned %v", err)
		}
	}
	want := [][]int{{0}, {10, 11, 20, 21, 30, 31, 40, 41, 50, 51}}
	if len(batches) != 2 || !slices.Equal(batches[0], want[0]) || !slices.Equal(batches[1], want[1]) {
		t.Errorf("batches %v, want %v", batches, want)
	}
}

// Close writes what is queued; writes after it are refused.
func TestWriterCloseFlushes(t *testing.T) {
	started := make(chan struct{})
	release := make(chan struct{})
	var written []int
	w := newWriter(func(items []int) error {
		if items[0] == 1 {
			close(started)
			<-release
		}
		written = append(written, items...)
		return nil
	})
	ctx := context.Background()
	errs := make(chan error, 2)
	go func() { errs <- w.write(ctx, 1) }()
	<-started
	go func() { errs <- w.write(ctx, 2) }()
	waitQueued(w, 1)
	closed := make(chan struct{})
	go func() {
		w.close()
		close(closed)
	}()
	close(release)
	<-closed
	for range 2 {
		if err := <-errs; err != nil {
			t.Errorf("write before close: %v", err)
		}
	}
	if !slices.Equal(written, []int{1, 2}) {
		t.Errorf("written %v, want [1 2]", written)
	}
	if err := w.write(ctx, 3); !errors.Is(err, errClosed) {
		t.Errorf("write after close: %v, want %v", err, errClosed)
	}
}

// A caller whose context ends stops waiting.
func TestWriterWaitEndsWithContext(t *testing.T) {
	release := make(chan struct{})
	w := newWriter(func([]int) error {
		<-release
		return nil
	})
	defer w.close()
	defer close(release)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := w.write(ctx, 1); !errors.Is(err, context.Canceled) {
		t.Errorf("write with a cancelled context: %v", err)
	}
}

// waitQueued waits until n items are queued.
func waitQueued[T any](w *writer[T], n int) {
	for {
		w.mu.Lock()
		queued := len(w.queue)
		w.mu.Unlock()
		if queued == n {
			return
		}
		time.Sleep(time.Millisecond)
	}
}

// A stored conversation document that cannot be decoded is replaced by the
// next write of it rather than failing every write of its batch.
func TestUnreadableStoredDocumentIsReplaced(t *testing.T) {
	x, err := OpenInMemory()
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if err := x.conversations.Index("c1", conversationDoc{Doc: "not JSON", CustomerName: "Broken"}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	at := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	if err := x.UpsertConversation(ctx, chat.ConversationSummary{ID: "c1", CustomerName: "Мария", UpdatedAt: at}); err != nil {
		t.Fatalf("write over the unreadable document: %v", err)
	}
	cs, err := x.SearchConversations(ctx, search.ConversationQuery{})
	if err != nil || len(cs) != 1 || cs[0].CustomerName != "Мария" {
		t.Errorf("conversations %+v %v, want the new document", cs, err)
	}
}
