package bleveindex

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/mapping"

	"github.com/handoff-chat/handoff/internal/chat"
	"github.com/handoff-chat/handoff/search"
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

// A messages index made before messages had template_id is rebuilt at
// open, keeping its messages searchable, and counts template sends after.
func TestMessagesWithoutTemplateIDAreRebuilt(t *testing.T) {
	dir := t.TempDir()
	old := messageMapping().(*mapping.IndexMappingImpl)
	delete(old.DefaultMapping.Properties, fieldTemplateID)
	idx, err := bleve.New(filepath.Join(dir, "messages.bleve"), old)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	b := idx.NewBatch()
	for i, text := range []string{"доставката закъснява", "кога пристига пратката"} {
		doc, err := messageDocument(old, search.Message{ID: fmt.Sprint("m", i), ConversationID: "c1", Sender: "customer", Text: text, SentAt: at})
		if err == nil {
			err = b.IndexAdvanced(doc)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := errors.Join(idx.Batch(b), idx.Close()); err != nil {
		t.Fatal(err)
	}
	opened, err := Open(dir)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer opened.Close()
	ctx := context.Background()
	res, err := opened.SearchMessages(ctx, search.MessageQuery{ConversationID: "c1", Text: "доставка"})
	if err != nil || res.Total != 1 {
		t.Fatalf("search after the rebuild: %+v, %v; want the old message", res, err)
	}
	staff := search.Message{ID: "s1", ConversationID: "c1", Sender: "staff", Text: "Open 9 to 18", TemplateID: "hours", SentAt: at}
	if err := opened.IndexMessages(ctx, []search.Message{staff}); err != nil {
		t.Fatal(err)
	}
	if got, err := opened.TemplateSends(ctx); err != nil || fmt.Sprint(got) != "[{hours 1}]" {
		t.Fatalf("template sends after the rebuild: %+v, %v", got, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "messages.bleve.rebuild")); !os.IsNotExist(err) {
		t.Errorf("the rebuild directory is left behind: %v", err)
	}
}
