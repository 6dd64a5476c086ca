package bleveindex

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/mapping"

	"github.com/handoff-chat/handoff/internal/chat"
)

// An index made before conversation documents had indexed_at is rebuilt
// at open, keeping its documents, so the change feed finds them.
func TestConversationsWithoutIndexedAtAreRebuilt(t *testing.T) {
	dir := t.TempDir()
	old := conversationMapping().(*mapping.IndexMappingImpl)
	delete(old.DefaultMapping.Properties, fieldIndexedAt)
	path := filepath.Join(dir, "conversations.bleve")
	idx, err := bleve.New(path, old)
	if err != nil {
		t.Fatal(err)
	}
	x := &Index{conversations: idx}
	doc, err := x.conversationDocument(chat.ConversationSummary{ID: "conversation/webchat/v1", CustomerID: "v1", CustomerName: "Мария", UpdatedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	b := idx.NewBatch()
	if err := b.IndexAdvanced(doc); err != nil {
		t.Fatal(err)
	}
	if err := idx.Batch(b); err != nil {
		t.Fatal(err)
	}
	if err := idx.Close(); err != nil {
		t.Fatal(err)
	}
	before := time.Now()
	opened, err := Open(dir)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer opened.Close()
	got, err := opened.ConversationsChangedSince(context.Background(), before.Add(-time.Second), 0)
	if err != nil || len(got) != 1 || got[0].CustomerName != "Мария" || got[0].IndexedAt.Before(before) {
		t.Fatalf("changed since the rebuild: %+v, %v; want the old document, stamped at the rebuild", got, err)
	}
}
