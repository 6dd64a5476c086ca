package elasticsearch

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/handoff-chat/handoff/internal/knowledge"
	"github.com/handoff-chat/handoff/search"
)

func TestUpsertKnowledge(t *testing.T) {
	f := newFakeES(t)
	x := openFake(t, f, Options{})
	e := knowledge.Entry{ID: "delivery-price", Lang: "bg", Question: "Колко струва доставката?", Answer: "5,99 лв."}
	ctx := context.Background()
	if err := x.UpsertKnowledge(ctx, search.KnowledgeDoc{Entry: e, Revision: 4}); err != nil {
		t.Fatal(err)
	}
	if err := x.UpsertKnowledge(ctx, search.KnowledgeDoc{Entry: e, Revision: 5, Deleted: true}); err != nil {
		t.Fatal(err)
	}
	items := f.bulkItems(t)
	if len(items) != 2 {
		t.Fatalf("%d bulk items", len(items))
	}
	meta := items[0].Meta["index"]
	for k, want := range map[string]any{"_index": "test-knowledge", "_id": e.ID, "version": 4.0, "version_type": "external_gte"} {
		if meta[k] != want {
			t.Errorf("bulk meta %s = %v, want %v", k, meta[k], want)
		}
	}
	if _, routed := meta["routing"]; routed {
		t.Errorf("knowledge writes are not routed: %v", meta)
	}
	if got := items[0].Doc; got["id"] != e.ID || got["revision"] != 4.0 || dig(got, "entry", "answer") != "5,99 лв." {
		t.Errorf("document %v", got)
	}
	if got := items[1].Doc; got["deleted"] != true || dig(got, "entry", "answer") != "" || dig(got, "entry", "id") != e.ID {
		t.Errorf("tombstone %v keeps more than the ID", got)
	}

	f.mu.Lock()
	f.bulkItem = func(map[string]map[string]any, map[string]any) (int, string) {
		return http.StatusConflict, "version_conflict_engine_exception"
	}
	f.mu.Unlock()
	if err := x.UpsertKnowledge(ctx, search.KnowledgeDoc{Entry: e, Revision: 1}); err != nil {
		t.Errorf("an older revision must be ignored, got %v", err)
	}
	if err := x.UpsertKnowledge(ctx, search.KnowledgeDoc{Revision: 1}); err == nil {
		t.Error("an entry without an ID was accepted")
	}
}

// The version is a sum aggregation; the entries are read a page at a time
// with search_after, the version first.
func TestKnowledgeEntriesPages(t *testing.T) {
	f := newFakeES(t)
	x := openFake(t, f, Options{})
	total := knowledgePage + 3
	var searches []map[string]any
	f.searchFunc = func(path string, body map[string]any) string {
		if path != "/test-knowledge/_search" {
			return `{"hits":{"hits":[]}}`
		}
		searches = append(searches, body)
		if _, ok := body["aggs"]; ok {
			return `{"hits":{"hits":[]},"aggregations":{"version":{"value":1210.0}}}`
		}
		first := 0
		if after, ok := body["search_after"].([]any); ok {
			fmt.Sscanf(after[0].(string), "e%d", &first)
			first++
		}
		var hits []string
		for i := first; i < min(first+knowledgePage, total); i++ {
			id := fmt.Sprintf("e%04d", i)
			src, _ := json.Marshal(knowledgeDoc{ID: id, KnowledgeDoc: search.KnowledgeDoc{Entry: knowledge.Entry{ID: id, Question: "q"}, Revision: 1}})
			hits = append(hits, fmt.Sprintf(`{"_id":%q,"_source":%s,"sort":[%q]}`, id, src, id))
		}
		return `{"hits":{"hits":[` + strings.Join(hits, ",") + `]}}`
	}
	snap, err := x.KnowledgeEntries(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if snap.Version != 1210 || len(snap.Entries) != total || snap.Entries[total-1].ID != fmt.Sprintf("e%04d", total-1) {
		t.Fatalf("version %d, %d entries", snap.Version, len(snap.Entries))
	}
	if len(searches) != 3 {
		t.Fatalf("%d searches, want the version and two pages", len(searches))
	}
	if got := dig(searches[0], "aggs", "version", "sum", "field"); got != "revision" {
		t.Errorf("version query %v", searches[0])
	}
	for _, check := range []struct {
		path []string
		want any
	}{
		{[]string{"query", "bool", "must_not"}, []any{map[string]any{"term": map[string]any{"deleted": true}}}},
		{[]string{"sort"}, []any{map[string]any{"id": map[string]any{"order": "asc"}}}},
		{[]string{"size"}, float64(knowledgePage)},
	} {
		if got := dig(searches[1], check.path...); !reflect.DeepEqual(got, check.want) {
			t.Errorf("%v = %#v, want %#v", check.path, got, check.want)
		}
	}
	if _, ok := searches[1]["search_after"]; ok {
		t.Error("the first page has search_after")
	}
	if got := searches[2]["search_after"]; !reflect.DeepEqual(got, []any{fmt.Sprintf("e%04d", knowledgePage-1)}) {
		t.Errorf("second page search_after %v", got)
	}
}
