package bench

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/handoff-chat/handoff/internal/bench/handoffapi"
)

// fakeSearch answers the staff search with the IDs of the messages it was
// told are indexed in the conversation asked whose text holds every word
// asked.
type fakeSearch struct {
	mu      sync.Mutex
	indexed map[string][]*message // customer ID -> messages
	asked   int
	// answered records each search's words and how many hits it returned.
	answered []answeredSearch
}

type answeredSearch struct {
	words string
	hits  int
}

func (f *fakeSearch) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer staff-token-0123456789" {
		http.Error(w, `{"error":"no token"}`, http.StatusUnauthorized)
		return
	}
	parts := strings.Split(r.URL.Path, "/") // /api/v1/conversations/{channel}/{customer}/search
	f.mu.Lock()
	defer f.mu.Unlock()
	f.asked++
	size, _ := strconv.Atoi(r.URL.Query().Get("size"))
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	var ids []string
	for _, m := range f.indexed[parts[5]] {
		if holdsWords(m.text, r.URL.Query().Get("q")) {
			ids = append(ids, m.id)
		}
	}
	var hits []map[string]any
	for i := len(ids) - 1 - (page-1)*size; i >= 0 && len(hits) < size; i-- { // newest first
		hits = append(hits, map[string]any{"message": map[string]string{"id": ids[i], "sender": "customer"}})
	}
	f.answered = append(f.answered, answeredSearch{r.URL.Query().Get("q"), len(hits)})
	_ = json.NewEncoder(w).Encode(map[string]any{"total": len(ids), "hits": hits})
}

// holdsWords says whether every word of q is a word of text.
func holdsWords(text, q string) bool {
	words := strings.FieldsFunc(text, func(r rune) bool { return r == ' ' || r == ',' })
	for _, w := range strings.Fields(q) {
		if !slices.Contains(words, w) {
			return false
		}
	}
	return true
}

func (f *fakeSearch) index(customer string, m *message) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.indexed[customer] = append(f.indexed[customer], m)
}

// One message in five is timed and polled while the watcher runs; the
// others are found by a sweep; a failed search is counted.
func TestIndexWatchTimesASampleAndSweepsTheRest(t *testing.T) {
	fake := &fakeSearch{indexed: map[string][]*message{}}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	a := handoffapi.New(srv.URL, "staff-token-0123456789", "", "")
	w := newIndexWatch(a, 10*time.Millisecond, 0.2)
	c := &customer{api: a, channel: webChat, id: "visitor-0000000000000000001", tag: "t", word: "bqword"}
	var msgs []*message
	for range 10 {
		m := c.newMessage(false)
		m.setSent(time.Now())
		m.setAcked(time.Now())
		w.add(m)
		msgs = append(msgs, m)
	}
	timed := 0
	for _, m := range msgs {
		if m.status().timed {
			timed++
		}
	}
	if timed != 2 {
		t.Fatalf("%d of 10 messages timed, want 2 at a sample of 0.2", timed)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go w.run(ctx)
	for _, m := range msgs {
		fake.index(c.id, m)
	}
	for _, m := range msgs {
		if !m.status().timed {
			continue
		}
		select {
		case <-m.indexedCh:
		case <-time.After(10 * time.Second):
			t.Fatalf("timed message %s never found by the watcher", m.id)
		}
	}
	for _, m := range msgs {
		if s := m.status(); !s.timed && !s.indexed.IsZero() {
			t.Errorf("untimed message %s marked searchable before any sweep", m.id)
		}
	}
	// The poll looked for each timed message by its own words: one hit.
	fake.mu.Lock()
	for _, a := range fake.answered {
		if a.hits > 1 || !strings.HasPrefix(a.words, c.word+" ") {
			t.Errorf("the poll searched %q and got %d hits, want a timed message's own words and at most 1", a.words, a.hits)
		}
	}
	fake.mu.Unlock()
	w.sweep(ctx, msgs)
	for _, m := range msgs {
		if m.status().indexed.IsZero() {
			t.Errorf("message %s not found by the sweep", m.id)
		}
	}
	if failed, _ := w.failures(); failed != 0 {
		t.Errorf("%d failed searches", failed)
	}
	refused := newIndexWatch(handoffapi.New(srv.URL, "wrong-token-0123456789", "", ""), time.Second, 1)
	refused.sweep(ctx, msgs[:1])
	if failed, last := refused.failures(); failed != 1 || !strings.Contains(last, "401") {
		t.Errorf("failures %d (%q), want the refused search counted", failed, last)
	}
}

// A message older than a page of hits is still found by the sweep: it
// pages on until every message looked for was found.
func TestIndexWatchSweepPagesPastTheNewestHits(t *testing.T) {
	fake := &fakeSearch{indexed: map[string][]*message{}}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	a := handoffapi.New(srv.URL, "staff-token-0123456789", "", "")
	w := newIndexWatch(a, 10*time.Millisecond, 0)
	c := &customer{api: a, channel: webChat, id: "visitor-0000000000000000002", tag: "t", word: "bqword"}
	first := c.newMessage(false)
	fake.index(c.id, first)
	for range 2*handoffapi.SearchPageSize + 10 {
		fake.index(c.id, c.newMessage(false))
	}
	w.sweep(context.Background(), []*message{first})
	if first.status().indexed.IsZero() {
		t.Fatalf("the oldest of %d messages was not found by the sweep", 2*handoffapi.SearchPageSize+11)
	}
	if fake.asked != 3 {
		t.Errorf("the sweep searched %d pages, want 3", fake.asked)
	}
}
