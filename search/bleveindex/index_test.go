package bleveindex_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/handoff-chat/handoff/internal/chat"
	"github.com/handoff-chat/handoff/internal/knowledge"
	"github.com/handoff-chat/handoff/search"
	"github.com/handoff-chat/handoff/search/bleveindex"
	"github.com/handoff-chat/handoff/search/searchtest"
)

func TestConformanceOnDisk(t *testing.T) {
	searchtest.Run(t, func(t *testing.T) search.Index {
		idx, err := bleveindex.Open(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = idx.Close() })
		return idx
	})
}

// What was indexed is still there after the index is closed and opened again.
func TestReopenKeepsDocuments(t *testing.T) {
	dir := t.TempDir()
	idx, err := bleveindex.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	at := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	if err := idx.IndexMessages(ctx, []search.Message{{ID: "m1", ConversationID: "c1", Sender: "customer", Text: "пералнята тече", SentAt: at}}); err != nil {
		t.Fatal(err)
	}
	if err := idx.UpsertConversation(ctx, chat.ConversationSummary{ID: "c1", CustomerName: "Пешо", LastMessageAt: at, WindowClosesAt: at.Add(24 * time.Hour), UpdatedAt: at}); err != nil {
		t.Fatal(err)
	}
	for _, d := range []search.KnowledgeDoc{
		{Entry: knowledge.Entry{ID: "hours", Lang: "en", Question: "Opening hours", Answer: "9 to 18"}, Revision: 3},
		{Entry: knowledge.Entry{ID: "gone"}, Revision: 2, Deleted: true},
	} {
		if err := idx.UpsertKnowledge(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	if err := idx.Close(); err != nil {
		t.Fatal(err)
	}
	idx, err = bleveindex.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	res, err := idx.SearchMessages(ctx, search.MessageQuery{ConversationID: "c1", Text: "пералня"})
	if err != nil || res.Total != 1 {
		t.Fatalf("after reopening: %+v %v", res, err)
	}
	cs, err := idx.SearchConversations(ctx, search.ConversationQuery{Name: "pesh"})
	if err != nil || len(cs) != 1 {
		t.Fatalf("name search after reopening: %+v %v", cs, err)
	}
	// The knowledge version is summed again from the stored revisions.
	kb, err := idx.KnowledgeEntries(ctx)
	if err != nil || kb.Version != 5 || len(kb.Entries) != 1 || kb.Entries[0].Answer != "9 to 18" {
		t.Fatalf("knowledge after reopening: %+v %v; want version 5 and the entry hours", kb, err)
	}
}

// Concurrent writes, which the writers apply in shared batches, keep what
// one at a time would: the newest conversation document, the highest
// knowledge revision (and its version), one document per message Key.
func TestConcurrentWritesKeepTheNewest(t *testing.T) {
	idx, err := bleveindex.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	ctx := context.Background()
	at := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	const writers = 32
	errs := make(chan error, 3*writers)
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			errs <- idx.IndexMessages(ctx, []search.Message{
				{ID: "same", ConversationID: "c1", Sender: "customer", Text: "фактура", SentAt: at},
				{ID: fmt.Sprintf("m%d", i), ConversationID: "c1", Sender: "customer", Text: "доставка", SentAt: at},
			})
		})
		wg.Go(func() {
			errs <- idx.UpsertConversation(ctx, chat.ConversationSummary{
				ID: "c1", CustomerName: fmt.Sprintf("Name%d", i), UpdatedAt: at.Add(time.Duration(i) * time.Minute),
			})
		})
		wg.Go(func() {
			errs <- idx.UpsertKnowledge(ctx, search.KnowledgeDoc{
				Entry: knowledge.Entry{ID: "hours", Question: fmt.Sprintf("q%d", i+1)}, Revision: int64(i + 1),
			})
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}

	if res, err := idx.SearchMessages(ctx, search.MessageQuery{ConversationID: "c1", Text: "фактура"}); err != nil || res.Total != 1 {
		t.Errorf("the message written %d times: %+v %v, want one", writers, res, err)
	}
	if res, err := idx.SearchMessages(ctx, search.MessageQuery{ConversationID: "c1", Text: "доставка"}); err != nil || res.Total != writers {
		t.Errorf("distinct messages: total %d %v, want %d", res.Total, err, writers)
	}
	cs, err := idx.SearchConversations(ctx, search.ConversationQuery{})
	if want := fmt.Sprintf("Name%d", writers-1); err != nil || len(cs) != 1 || cs[0].CustomerName != want {
		t.Errorf("conversations %+v %v, want one named %s", cs, err, want)
	}
	kb, err := idx.KnowledgeEntries(ctx)
	if want := fmt.Sprintf("q%d", writers); err != nil || kb.Version != writers || len(kb.Entries) != 1 || kb.Entries[0].Question != want {
		t.Errorf("knowledge %+v %v, want version %d and question %s", kb, err, writers, want)
	}
}

// A write after Close fails instead of waiting for a writer that stopped.
func TestWriteAfterCloseFails(t *testing.T) {
	idx, err := bleveindex.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := idx.Close(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := idx.IndexMessages(ctx, []search.Message{{ID: "m1", ConversationID: "c1", Sender: "customer", Text: "x"}}); err == nil {
		t.Error("a message was written after Close")
	}
	if err := idx.UpsertConversation(ctx, chat.ConversationSummary{ID: "c1"}); err == nil {
		t.Error("a conversation was written after Close")
	}
	if err := idx.UpsertKnowledge(ctx, search.KnowledgeDoc{Entry: knowledge.Entry{ID: "e"}, Revision: 1}); err == nil {
		t.Error("a knowledge entry was written after Close")
	}
}

// Conversations written together in one batch get a stamp each, so the
// change feed, which pages by stamp, reads every one of them even when a
// batch holds more than one page.
func TestEveryConversationWrittenHasAStampOfItsOwn(t *testing.T) {
	idx, err := bleveindex.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	ctx := context.Background()
	before := time.Now().Add(-time.Second)
	const writers = 200
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for i := range writers {
		wg.Go(func() {
			errs <- idx.UpsertConversation(ctx, chat.ConversationSummary{
				ID: fmt.Sprintf("conversation/webchat/v%d", i), CustomerName: "Name", UpdatedAt: before,
			})
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	// Page as the feed does: from the last stamp read, a few at a time.
	const page = 7
	read := map[string]bool{}
	since := before
	for reads := 0; len(read) < writers; reads++ {
		if reads > 2*writers/page {
			t.Fatalf("paging by stamp stalled after %d of %d conversations", len(read), writers)
		}
		docs, err := idx.ConversationsChangedSince(ctx, since, page)
		if err != nil {
			t.Fatal(err)
		}
		for i, d := range docs {
			if i > 0 && !d.IndexedAt.After(docs[i-1].IndexedAt) {
				t.Fatalf("%s stamped %s, not after %s's %s", d.ID, d.IndexedAt, docs[i-1].ID, docs[i-1].IndexedAt)
			}
			read[d.ID] = true
		}
		if len(docs) > 0 {
			since = docs[len(docs)-1].IndexedAt.Add(time.Nanosecond)
		}
	}
}
