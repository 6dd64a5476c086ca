package bleveindex_test

import (
	"context"
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
