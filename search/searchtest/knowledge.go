package searchtest

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/handoff-chat/handoff/internal/knowledge"
	"github.com/handoff-chat/handoff/search"
)

func entry(id, question string) knowledge.Entry {
	return knowledge.Entry{
		ID: id, Lang: "bg", Question: question, Alternates: []string{question + "?"},
		Answer: "Отговор на " + id, Links: []knowledge.Link{{Title: "Повече", URL: "https://shop.example/" + id}},
		Translations: map[string]knowledge.Translation{"en": {Question: "Q " + id, Answer: "Answer for " + id}},
	}
}

func upsertKnowledge(t *testing.T, idx search.Index, docs ...search.KnowledgeDoc) {
	t.Helper()
	for _, d := range docs {
		if err := idx.UpsertKnowledge(context.Background(), d); err != nil {
			t.Fatalf("upsert knowledge %s revision %d: %v", d.Entry.ID, d.Revision, err)
		}
	}
}

// knowledgeAt waits until the index reports version and the entries with
// these IDs and questions, and returns the entries.
func knowledgeAt(t *testing.T, idx search.Index, version int64, want ...string) []knowledge.Entry {
	t.Helper()
	ctx := context.Background()
	snap := eventually(t, fmt.Sprintf("knowledge at version %d", version),
		func() (search.KnowledgeSnapshot, error) {
			v, err := idx.KnowledgeVersion(ctx)
			if err != nil {
				return search.KnowledgeSnapshot{}, err
			}
			if v != version {
				return search.KnowledgeSnapshot{}, fmt.Errorf("version %d, want %d", v, version)
			}
			return idx.KnowledgeEntries(ctx)
		},
		func(s search.KnowledgeSnapshot) error {
			var got []string
			for _, e := range s.Entries {
				got = append(got, e.ID+":"+e.Question)
			}
			if strings.Join(got, ",") != strings.Join(want, ",") {
				return fmt.Errorf("entries %v, want %v", got, want)
			}
			if s.Version != version {
				return fmt.Errorf("snapshot version %d, want %d", s.Version, version)
			}
			return nil
		})
	return snap.Entries
}

func testKnowledgeStoredWhole(t *testing.T, idx search.Index) {
	if v, err := idx.KnowledgeVersion(context.Background()); err != nil || v != 0 {
		t.Fatalf("empty index: version %d, %v; want 0", v, err)
	}
	full := entry("delivery-price", "Колко струва доставката")
	bare := knowledge.Entry{ID: "a-bare", Lang: "en", Question: "Opening hours", Answer: "9 to 18"}
	upsertKnowledge(t, idx, search.KnowledgeDoc{Entry: full, Revision: 2}, search.KnowledgeDoc{Entry: bare, Revision: 1})
	got := knowledgeAt(t, idx, 3, "a-bare:Opening hours", "delivery-price:Колко струва доставката")
	if !reflect.DeepEqual(got[1], full) {
		t.Errorf("stored entry\n%+v\nwant\n%+v", got[1], full)
	}
	if !reflect.DeepEqual(got[0], bare) {
		t.Errorf("stored entry\n%+v\nwant\n%+v", got[0], bare)
	}
}

func testKnowledgeRevisions(t *testing.T, idx search.Index) {
	upsertKnowledge(t, idx, search.KnowledgeDoc{Entry: entry("returns", "second"), Revision: 2})
	knowledgeAt(t, idx, 2, "returns:second")
	// An older revision arriving late changes nothing, not even the version.
	upsertKnowledge(t, idx, search.KnowledgeDoc{Entry: entry("returns", "first"), Revision: 1})
	// The same revision again (a retried write) keeps one document.
	upsertKnowledge(t, idx, search.KnowledgeDoc{Entry: entry("returns", "second"), Revision: 2})
	upsertKnowledge(t, idx, search.KnowledgeDoc{Entry: entry("returns", "third"), Revision: 3})
	knowledgeAt(t, idx, 3, "returns:third")
}

func testKnowledgeTombstones(t *testing.T, idx search.Index) {
	upsertKnowledge(t, idx,
		search.KnowledgeDoc{Entry: entry("keep", "kept"), Revision: 1},
		search.KnowledgeDoc{Entry: entry("gone", "removed"), Revision: 1},
	)
	knowledgeAt(t, idx, 2, "gone:removed", "keep:kept")
	upsertKnowledge(t, idx, search.KnowledgeDoc{Entry: knowledge.Entry{ID: "gone"}, Revision: 2, Deleted: true})
	knowledgeAt(t, idx, 3, "keep:kept")
	// The put before the delete, arriving after it, does not bring it back.
	upsertKnowledge(t, idx, search.KnowledgeDoc{Entry: entry("gone", "removed"), Revision: 1})
	// Created again after the delete: a later revision.
	upsertKnowledge(t, idx, search.KnowledgeDoc{Entry: entry("gone", "back"), Revision: 3})
	knowledgeAt(t, idx, 4, "gone:back", "keep:kept")
}

func testKnowledgeManyEntries(t *testing.T, idx search.Index) {
	var want []string
	var docs []search.KnowledgeDoc
	for i := range 1200 {
		id := fmt.Sprintf("e%04d", i)
		docs = append(docs, search.KnowledgeDoc{Entry: entry(id, "q"), Revision: 1})
		want = append(want, id+":q")
	}
	upsertKnowledge(t, idx, docs...)
	knowledgeAt(t, idx, 1200, want...)
}

func testKnowledgeLeavesMessagesAlone(t *testing.T, idx search.Index) {
	c := "conversation/webchat/kb"
	index(t, idx, msg(c, "m1", "customer", "Колко струва доставката", 1))
	upsertKnowledge(t, idx, search.KnowledgeDoc{Entry: entry("delivery-price", "Колко струва доставката"), Revision: 1})
	searchIDs(t, idx, search.MessageQuery{ConversationID: c, Text: "доставката"}, "m1")
	knowledgeAt(t, idx, 1, "delivery-price:Колко струва доставката")
	if err := idx.UpsertKnowledge(context.Background(), search.KnowledgeDoc{Revision: 1}); err == nil {
		t.Error("an entry without an ID was stored")
	}
}
