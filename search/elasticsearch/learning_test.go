package elasticsearch

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/handoff-chat/handoff/search"
)

func lastSearchBody(t *testing.T, f *fakeES) (fakeReq, map[string]any) {
	t.Helper()
	reqs := f.requests(http.MethodPost, "/test-messages/_search")
	if len(reqs) == 0 {
		t.Fatal("no search of the messages index")
	}
	req := reqs[len(reqs)-1]
	var body map[string]any
	if err := json.Unmarshal(req.Body, &body); err != nil {
		t.Fatalf("search body %s: %v", req.Body, err)
	}
	return req, body
}

func TestDeclinedQuestions(t *testing.T) {
	f := newFakeES(t)
	x := openFake(t, f, Options{})
	m := message("m1", "conversation/webchat/a", "Do you ship to Greece?", 1)
	m.AIDeclined, m.AIReason = true, "low_confidence"
	src, _ := json.Marshal(m)
	f.searchAnswer = `{"took":1,"timed_out":false,"hits":{"hits":[{"_index":"test-messages","_id":"x","_source":` + string(src) + `}]}}`
	since := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	got, err := x.DeclinedQuestions(context.Background(), search.DeclinedQuery{Since: since, Size: 5000})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || !reflect.DeepEqual(got[0], m) {
		t.Fatalf("got %+v, want %+v", got, m)
	}
	req, body := lastSearchBody(t, f)
	if req.Query.Get("routing") != "" || req.Query.Get("allow_partial_search_results") != "false" {
		t.Errorf("search parameters %v", req.Query)
	}
	for _, check := range []struct {
		path []string
		want any
	}{
		{[]string{"size"}, float64(search.MaxDeclined)},
		{[]string{"query", "bool", "filter"}, []any{
			map[string]any{"term": map[string]any{"ai_declined": true}},
			map[string]any{"term": map[string]any{"sender": "customer"}},
			map[string]any{"range": map[string]any{"sent_at": map[string]any{"gte": "2026-11-01T00:00:00Z"}}},
		}},
		{[]string{"query", "bool", "must_not"}, []any{map[string]any{"terms": map[string]any{
			"ai_reason": []any{search.ReasonSmallTalk, search.ReasonHumanRequest}}}}},
		{[]string{"sort"}, []any{
			map[string]any{"sent_at": map[string]any{"order": "desc"}},
			map[string]any{"id": map[string]any{"order": "asc"}},
		}},
	} {
		if got := dig(body, check.path...); !reflect.DeepEqual(got, check.want) {
			t.Errorf("%v = %#v, want %#v", check.path, got, check.want)
		}
	}
}

func TestEntryStats(t *testing.T) {
	f := newFakeES(t)
	x := openFake(t, f, Options{})
	f.searchAnswer = `{"took":1,"timed_out":false,"hits":{"hits":[]},"aggregations":{"entries":{
		"doc_count_error_upper_bound":0,"sum_other_doc_count":0,"buckets":[
		{"key":"delivery-price","doc_count":3,"helped":{"doc_count":1},"asked_for_human":{"doc_count":2}},
		{"key":"returns","doc_count":1,"helped":{"doc_count":1},"asked_for_human":{"doc_count":0}}]}}}`
	got, err := x.EntryStats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []search.EntryStats{
		{EntryID: "delivery-price", Answered: 3, Helped: 1, AskedForHuman: 2},
		{EntryID: "returns", Answered: 1, Helped: 1},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	_, body := lastSearchBody(t, f)
	for _, check := range []struct {
		path []string
		want any
	}{
		{[]string{"size"}, 0.0},
		{[]string{"query", "bool", "filter"}, []any{map[string]any{"exists": map[string]any{"field": "ai_entry_id"}}}},
		{[]string{"query", "bool", "must_not"}, []any{map[string]any{"term": map[string]any{"ai_declined": true}}}},
		{[]string{"aggs", "entries", "terms"}, map[string]any{"field": "ai_entry_id", "size": float64(search.MaxStatsEntries), "order": map[string]any{"_key": "asc"}}},
		{[]string{"aggs", "entries", "aggs", "helped"}, map[string]any{"filter": map[string]any{"term": map[string]any{"ai_helped": true}}}},
		{[]string{"aggs", "entries", "aggs", "asked_for_human"}, map[string]any{"filter": map[string]any{"term": map[string]any{"ai_asked_for_human": true}}}},
	} {
		if got := dig(body, check.path...); !reflect.DeepEqual(got, check.want) {
			t.Errorf("%v = %#v, want %#v", check.path, got, check.want)
		}
	}
}

// An index of schema 1 gets the AI marker's fields added to its mapping; an
// index of the current schema is left alone.
func TestNewAddsTheFieldsOfALaterSchema(t *testing.T) {
	f := newFakeES(t)
	f.existing["test-messages"] = true
	f.schema = 1
	openFake(t, f, Options{})
	puts := f.requests(http.MethodPut, "/test-messages/_mapping")
	if len(puts) != 1 {
		t.Fatalf("%d mapping updates of the messages index, want 1", len(puts))
	}
	var body map[string]any
	if err := json.Unmarshal(puts[0].Body, &body); err != nil {
		t.Fatal(err)
	}
	if dig(body, "properties", "ai_declined", "type") != "boolean" || dig(body, "_meta", "handoff_schema") != float64(schemaVersion) {
		t.Errorf("mapping update %s", puts[0].Body)
	}

	current := newFakeES(t)
	current.existing["test-messages"] = true
	openFake(t, current, Options{})
	if n := len(current.requests(http.MethodPut, "/test-messages/_mapping")); n != 0 {
		t.Errorf("%d mapping updates of an index of the current schema", n)
	}
}
