package assistant

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/handoff-chat/handoff/activities"
	"github.com/handoff-chat/handoff/internal/generative"
	"github.com/handoff-chat/handoff/internal/knowledge"
)

var entries = []knowledge.Entry{
	{ID: "delivery-price", Lang: "en", Question: "How much does delivery cost?", Alternates: []string{"What is the shipping fee?"},
		Answer: "Delivery is free over 50 EUR.", Links: []knowledge.Link{{Title: "Delivery", URL: "https://shop.example/delivery"}},
		Translations: map[string]knowledge.Translation{"bg": {Question: "Колко струва доставката?", Answer: "Доставката е безплатна над 50 EUR."}}},
	{ID: "returns", Lang: "en", Question: "Can I return a product?", Answer: "Yes, within 14 days."},
}

type sources struct {
	entries   []knowledge.Entry
	threshold float64
	reads     int
}

func (s *sources) Sources() Sources {
	return Sources{
		Entries:   func(context.Context) ([]knowledge.Entry, error) { s.reads++; return s.entries, nil },
		Threshold: func(context.Context) (float64, error) { return s.threshold, nil },
	}
}

func TestAnswersInTheCustomersLanguageWithLinks(t *testing.T) {
	src := &sources{entries: entries, threshold: 0.45}
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
	if src.reads != 1 {
		t.Errorf("the knowledge base was read %d times for two questions within a minute, want once", src.reads)
	}
}

func TestReadsAgainWhenStaleAndUsesTheThreshold(t *testing.T) {
	src := &sources{entries: entries[1:], threshold: 0.45}
	a := New(src.Sources(), 10*time.Second)
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	a.now = func() time.Time { return now }
	if ans, _ := a.Answer(context.Background(), "How much does delivery cost?", "en"); ans.Confident {
		t.Fatalf("answered %+v before the entry existed", ans)
	}
	src.entries = entries
	now = now.Add(11 * time.Second)
	if ans, _ := a.Answer(context.Background(), "How much does delivery cost?", "en"); !ans.Confident || ans.EntryID != "delivery-price" {
		t.Errorf("after the entry was added and the cache aged: %+v, want the new entry", ans)
	}
	const paraphrase = "how expensive is it to ship my order"
	loose, _ := a.Answer(context.Background(), paraphrase, "en")
	if loose.Score >= 1 || loose.Score <= 0 {
		t.Fatalf("the paraphrase scores %v; the test needs one between 0 and 1", loose.Score)
	}
	src.threshold = min(1, loose.Score+0.01)
	now = now.Add(11 * time.Second)
	if ans, _ := a.Answer(context.Background(), paraphrase, "en"); ans.Confident || ans.EntryID != "" {
		t.Errorf("at threshold %v: %+v, want a decline", src.threshold, ans)
	}
}

func TestNoEntriesLeavesTheBotToItsFlows(t *testing.T) {
	a := New((&sources{threshold: 0.45}).Sources(), 0)
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
	src := &sources{entries: entries, threshold: 0.45}
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
