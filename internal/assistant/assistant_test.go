package assistant

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/handoff-chat/handoff/activities"
	"github.com/handoff-chat/handoff/internal/generative"
	"github.com/handoff-chat/handoff/internal/knowledge"
	"github.com/handoff-chat/handoff/search"
	"github.com/handoff-chat/handoff/search/bleveindex"
)

var entries = []knowledge.Entry{
	{ID: "delivery-price", Lang: "en", Question: "How much does delivery cost?", Alternates: []string{"What is the shipping fee?"},
		Answer: "Delivery is free over 50 EUR.", Links: []knowledge.Link{{Title: "Delivery", URL: "https://shop.example/delivery"}},
		Translations: map[string]knowledge.Translation{"bg": {Question: "Колко струва доставката?", Answer: "Доставката е безплатна над 50 EUR."}}},
	{ID: "returns", Lang: "en", Question: "Can I return a product?", Answer: "Yes, within 14 days."},
}

// sources is a real (in-memory Bleve) index holding the knowledge base, and
// a threshold setting.
type sources struct {
	t         *testing.T
	index     *bleveindex.Index
	threshold float64
	revision  int64
}

func newSources(t *testing.T, threshold float64, es ...knowledge.Entry) *sources {
	idx, err := bleveindex.OpenInMemory()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = idx.Close() })
	s := &sources{t: t, index: idx, threshold: threshold}
	s.put(es...)
	return s
}

// put writes entries to the index as their workflows do, each as a new
// revision.
func (s *sources) put(es ...knowledge.Entry) {
	for _, e := range es {
		s.revision++
		if err := s.index.UpsertKnowledge(context.Background(), search.KnowledgeDoc{Entry: e, Revision: s.revision}); err != nil {
			s.t.Fatal(err)
		}
	}
}

func (s *sources) Sources() Sources {
	return Sources{
		Knowledge: s.index,
		Threshold: func(context.Context) (float64, error) { return s.threshold, nil },
	}
}

func TestAnswersInTheCustomersLanguageWithLinks(t *testing.T) {
	src := newSources(t, 0.45, entries...)
	a := New(src.Sources(), time.Minute)
	ans, err := a.Answer(context.Background(), "How much does delivery cost?", "en")
	if err != nil || !ans.Confident || ans.EntryID != "delivery-price" || ans.Text != "Delivery is free over 50 EUR." ||
		len(ans.Links) != 1 || ans.Links[0].URL != "https://shop.example/delivery" {
		t.Fatalf("answer %+v %v, want the delivery-price entry with its link", ans, err)
	}
	bg, err := a.Answer(context.Background(), "Колко струва доставката?", "bg")
	if err != nil || bg.EntryID != "delivery-price" || bg.Text != "Доставката е безплатна над 50 EUR." {
		t.Errorf("Bulgarian answer %+v %v, want the translation", bg, err)
	}
	if a.loads != 1 {
		t.Errorf("the knowledge base was read %d times for two questions within a minute, want once", a.loads)
	}
}

func TestReadsAgainWhenStaleAndUsesTheThreshold(t *testing.T) {
	src := newSources(t, 0.45, entries[1:]...)
	a := New(src.Sources(), 2*time.Second)
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	a.now = func() time.Time { return now }
	if ans, _ := a.Answer(context.Background(), "How much does delivery cost?", "en"); ans.Confident {
		t.Fatalf("answered %+v before the entry existed", ans)
	}
	src.put(entries[0])
	if ans, _ := a.Answer(context.Background(), "How much does delivery cost?", "en"); ans.Confident {
		t.Errorf("answered %+v before the check interval passed", ans)
	}
	now = now.Add(3 * time.Second)
	if ans, _ := a.Answer(context.Background(), "How much does delivery cost?", "en"); !ans.Confident || ans.EntryID != "delivery-price" {
		t.Errorf("after the entry was added and the check interval passed: %+v, want the new entry", ans)
	}
	// With the version unchanged, a check reads no entries.
	now = now.Add(3 * time.Second)
	_, _ = a.Answer(context.Background(), "How much does delivery cost?", "en")
	if a.loads != 2 {
		t.Errorf("entries read %d times, want twice (once per knowledge version)", a.loads)
	}
	const paraphrase = "how expensive is it to ship my order"
	loose, _ := a.Answer(context.Background(), paraphrase, "en")
	if loose.Score >= 1 || loose.Score <= 0 {
		t.Fatalf("the paraphrase scores %v; the test needs one between 0 and 1", loose.Score)
	}
	src.threshold = min(1, loose.Score+0.01)
	now = now.Add(3 * time.Second)
	if ans, _ := a.Answer(context.Background(), paraphrase, "en"); ans.Confident || ans.EntryID != "" {
		t.Errorf("at threshold %v: %+v, want a decline", src.threshold, ans)
	}
	if a.loads != 2 {
		t.Errorf("a threshold change read the entries again (%d loads)", a.loads)
	}
	// A deleted entry no longer answers.
	if err := src.index.UpsertKnowledge(context.Background(), search.KnowledgeDoc{Entry: knowledge.Entry{ID: "delivery-price"}, Revision: 100, Deleted: true}); err != nil {
		t.Fatal(err)
	}
	src.threshold = 0.45
	now = now.Add(3 * time.Second)
	if ans, _ := a.Answer(context.Background(), "How much does delivery cost?", "en"); ans.EntryID == "delivery-price" {
		t.Errorf("a deleted entry answered: %+v", ans)
	}
}

func TestNoEntriesLeavesTheBotToItsFlows(t *testing.T) {
	a := New(newSources(t, 0.45).Sources(), 0)
	if _, err := a.Answer(context.Background(), "How much does delivery cost?", "en"); !errors.Is(err, activities.ErrNoKnowledgeBase) {
		t.Errorf("with no entries: %v, want ErrNoKnowledgeBase", err)
	}
}

type phraser struct {
	text string
	err  error
	got  []generative.Source
}

func (p *phraser) Phrase(_ context.Context, _, _ string, sources []generative.Source) (string, error) {
	p.got = sources
	return p.text, p.err
}

func TestAPhraserWordsTheAnswerAndFailsBackToTheEntry(t *testing.T) {
	src := newSources(t, 0.45, entries...)
	words := &phraser{text: "Shipping costs nothing above 50 EUR."}
	s := src.Sources()
	s.Phraser = words
	a := New(s, time.Minute)
	ans, err := a.Answer(context.Background(), "How much does delivery cost?", "en")
	if err != nil || ans.Text != "Shipping costs nothing above 50 EUR." || len(words.got) != 1 || words.got[0].Answer != "Delivery is free over 50 EUR." {
		t.Fatalf("phrased answer %+v %v, sources %+v", ans, err, words.got)
	}
	words.err = errors.New("timeout")
	if ans, _ := a.Answer(context.Background(), "How much does delivery cost?", "en"); ans.Text != "Delivery is free over 50 EUR." {
		t.Errorf("after the model failed: %q, want the entry's answer", ans.Text)
	}
}
