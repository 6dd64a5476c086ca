package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/handoff-chat/handoff/internal/knowledge"
	"github.com/handoff-chat/handoff/search"
)

// learningSearch answers the learning queries from fixed messages and
// counters, or fails them with err.
type learningSearch struct {
	search.Index
	declined []search.Message
	stats    []search.EntryStats
	err      error
	since    *time.Time
}

func (f *learningSearch) DeclinedQuestions(_ context.Context, q search.DeclinedQuery) ([]search.Message, error) {
	f.since = &q.Since
	return f.declined, f.err
}

func (f *learningSearch) EntryStats(context.Context) ([]search.EntryStats, error) {
	return f.stats, f.err
}

func newLearningTestAPI(t *testing.T, idx *learningSearch, kb KnowledgeBase) *testAPI {
	t.Helper()
	logs := &bytes.Buffer{}
	fake := &fakeTemporal{}
	h := NewHandler(Deps{
		Temporal:     fake,
		Search:       idx,
		Knowledge:    kb,
		PublicURL:    "https://support.example.com/",
		Staff:        testDirectory(),
		MaxBodyBytes: 1 << 20,
		Logger:       slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	return &testAPI{handler: h, temporal: fake, log: logs}
}

var learnT0 = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

func declinedMsg(conv, text string, minute int) search.Message {
	return search.Message{ID: fmt.Sprint("m", minute), ConversationID: conv, Sender: "customer", Text: text,
		SentAt: learnT0.Add(time.Duration(minute) * time.Minute), AIDeclined: true, AIReason: "low_confidence"}
}

func TestUnansweredGroupsWithLinks(t *testing.T) {
	idx := &learningSearch{declined: []search.Message{
		declinedMsg("conversation/webchat/"+testVisitor, "Доставяте ли до Гърция?", 3),
		declinedMsg("conversation/webchat/9Zt-7wAAAAAKqf5kX0iLYA", "Can I pay with bitcoin?", 2),
		declinedMsg("conversation/messenger/4711", "dostavyate li do Gartsiya", 1),
	}}
	a := newLearningTestAPI(t, idx, newFakeKnowledge())
	r := a.staff("GET", "/api/v1/knowledge/unanswered?since=2026-11-01T00:00:00Z", "")
	if r.status != http.StatusOK {
		t.Fatalf("unanswered: %d %s", r.status, r.raw)
	}
	var body struct {
		Questions int `json:"questions"`
		Groups    []struct {
			Question string `json:"question"`
			Count    int    `json:"count"`
			Examples []struct {
				Text, ConversationID, Link string
			} `json:"examples"`
		} `json:"groups"`
	}
	if err := json.Unmarshal([]byte(r.raw), &body); err != nil {
		t.Fatal(err)
	}
	if body.Questions != 3 || len(body.Groups) != 2 || body.Groups[0].Count != 2 || body.Groups[0].Question != "Доставяте ли до Гърция?" {
		t.Fatalf("groups %s", r.raw)
	}
	if got := body.Groups[0].Examples[1].Link; got != "https://support.example.com/dashboard/conversations/messenger/4711" {
		t.Errorf("link %q", got)
	}
	if !idx.since.Equal(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("since passed on as %v", idx.since)
	}
	if r := a.staff("GET", "/api/v1/knowledge/unanswered?limit=1", ""); !strings.Contains(r.raw, `"questions":3`) || strings.Count(r.raw, `"question":`) != 1 {
		t.Errorf("limit=1: %s", r.raw)
	}
	for _, bad := range []string{"since=yesterday", "limit=0", "limit=501", "threshold=0", "threshold=x"} {
		r := a.staff("GET", "/api/v1/knowledge/unanswered?"+bad, "")
		name, _, _ := strings.Cut(bad, "=")
		if r.status != http.StatusBadRequest || !strings.Contains(r.errorText(), name) {
			t.Errorf("%s: %d %s, want 400 naming %s", bad, r.status, r.raw, name)
		}
	}
	empty := newLearningTestAPI(t, &learningSearch{}, newFakeKnowledge())
	if r := empty.staff("GET", "/api/v1/knowledge/unanswered", ""); r.raw != `{"groups":[],"questions":0}` {
		t.Errorf("nothing declined: %s", r.raw)
	}
}

func TestKnowledgeStats(t *testing.T) {
	a := newLearningTestAPI(t, &learningSearch{stats: []search.EntryStats{{EntryID: "delivery", Answered: 3, Helped: 1, AskedForHuman: 2}}}, newFakeKnowledge())
	if r := a.staff("GET", "/api/v1/knowledge/stats", ""); r.raw != `{"entries":[{"entry_id":"delivery","answered":3,"helped":1,"asked_for_human":2}]}` {
		t.Errorf("stats: %d %s", r.status, r.raw)
	}
	empty := newLearningTestAPI(t, &learningSearch{}, newFakeKnowledge())
	if r := empty.staff("GET", "/api/v1/knowledge/stats", ""); r.raw != `{"entries":[]}` {
		t.Errorf("no answers: %s", r.raw)
	}
}

func TestLearningSearchUnavailableIs503(t *testing.T) {
	a := newLearningTestAPI(t, &learningSearch{err: fmt.Errorf("bleve: %w", search.ErrUnavailable)}, newFakeKnowledge())
	for _, path := range []string{"/api/v1/knowledge/unanswered", "/api/v1/knowledge/stats"} {
		if r := a.staff("GET", path, ""); r.status != http.StatusServiceUnavailable {
			t.Errorf("%s: %d %s, want 503", path, r.status, r.raw)
		}
	}
}

func TestAddAlternates(t *testing.T) {
	kb := newFakeKnowledge()
	kb.entries["delivery"] = knowledge.Entry{ID: "delivery", Lang: "bg", Question: "Доставяте ли в чужбина?", Alternates: []string{"Доставка в чужбина"},
		Answer: "Да, в ЕС.", Translations: map[string]knowledge.Translation{"en": {Question: "Do you deliver abroad?", Answer: "Yes, in the EU."}}}
	a := newLearningTestAPI(t, &learningSearch{}, kb)
	r := a.staff("POST", "/api/v1/knowledge/delivery/alternates",
		`{"questions":["Доставяте ли до Гърция?"," доставка  в ЧУЖБИНА ","do you deliver abroad?","Доставяте ли до Гърция?","dostavyate li do Gartsiya"],"request_id":"alt-1"}`)
	if r.status != http.StatusOK || r.body["added"] != 2.0 || r.body["outcome"] != "edited" {
		t.Fatalf("add: %d %s, want 200 with 2 added", r.status, r.raw)
	}
	want := []string{"Доставка в чужбина", "Доставяте ли до Гърция?", "dostavyate li do Gartsiya"}
	if got := kb.entries["delivery"].Alternates; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("alternates %q, want %q", got, want)
	}
	if kb.puts[len(kb.puts)-1] != "alice/alt-1/delivery" {
		t.Errorf("puts %v", kb.puts)
	}
	r = a.staff("POST", "/api/v1/knowledge/delivery/alternates", `{"questions":["Доставяте ли до Гърция?"]}`)
	if r.status != http.StatusOK || r.body["added"] != 0.0 || r.body["outcome"] != "unchanged" {
		t.Errorf("again: %d %s, want 200 unchanged", r.status, r.raw)
	}
	for _, tc := range []struct{ name, path, body, mention string }{
		{"no questions", "/api/v1/knowledge/delivery/alternates", `{"questions":[]}`, "questions"},
		{"blank question", "/api/v1/knowledge/delivery/alternates", `{"questions":["ok","  "]}`, "questions[1]"},
		{"too long", "/api/v1/knowledge/delivery/alternates", `{"questions":["` + strings.Repeat("a", 501) + `"]}`, "questions[0]"},
		{"unknown field", "/api/v1/knowledge/delivery/alternates", `{"questions":["a?"],"colour":1}`, "colour"},
		{"bad id", "/api/v1/knowledge/-x/alternates", `{"questions":["a?"]}`, "entry id"},
		{"too many", "/api/v1/knowledge/delivery/alternates", `{"questions":[` + manyQuestions(51) + `]}`, "at most 50"},
		{"over the entry's bound", "/api/v1/knowledge/delivery/alternates", `{"questions":[` + manyQuestions(49) + `]}`, "would have 52 alternates"},
	} {
		r := a.staff("POST", tc.path, tc.body)
		if r.status != http.StatusBadRequest || !strings.Contains(r.errorText(), tc.mention) {
			t.Errorf("%s: %d %s, want 400 mentioning %q", tc.name, r.status, r.raw, tc.mention)
		}
	}
	if r := a.staff("POST", "/api/v1/knowledge/returns/alternates", `{"questions":["a?"]}`); r.status != http.StatusNotFound {
		t.Errorf("unknown entry: %d %s, want 404", r.status, r.raw)
	}

	// Another change lands between the read and the write: the addition is
	// applied again on top of it, and neither is lost.
	once := true
	kb.beforeEdit = func() {
		if once {
			once = false
			e := kb.entries["delivery"]
			e.Alternates = append(append([]string(nil), e.Alternates...), "added meanwhile")
			if _, err := kb.Put(context.Background(), "bob", "meanwhile", e, 0); err != nil {
				t.Error(err)
			}
		}
	}
	if r := a.staff("POST", "/api/v1/knowledge/delivery/alternates", `{"questions":["Колко струва доставката до Гърция?"]}`); r.status != http.StatusOK || r.body["added"] != 1.0 {
		t.Fatalf("add during another change: %d %s", r.status, r.raw)
	}
	got := kb.entries["delivery"].Alternates
	if !slices.Contains(got, "added meanwhile") || !slices.Contains(got, "Колко струва доставката до Гърция?") {
		t.Errorf("alternates %q, want both changes", got)
	}
}

func manyQuestions(n int) string {
	var qs []string
	for i := range n {
		qs = append(qs, fmt.Sprintf(`"question %d?"`, i))
	}
	return strings.Join(qs, ",")
}
