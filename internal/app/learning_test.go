package app_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/handoff-chat/handoff/internal/app"
)

// learningKnowledge is aiKnowledge with an entry on how to pay.
const learningKnowledge = `[
  {"id": "delivery-price", "lang": "en", "question": "How much does delivery cost?",
   "answer": "Delivery is free for orders over 50 EUR.",
   "translations": {"bg": {"question": "Колко струва доставката?", "answer": "Доставката е безплатна за поръчки над 50 EUR."}}},
  {"id": "payment-methods", "lang": "bg", "question": "Какви начини на плащане приемате?",
   "answer": "Приемаме карта и наложен платеж."}
]`

const paymentAnswer = "Приемаме карта и наложен платеж."

// greeted is a new web chat visitor whose first message the flows answered,
// so the next free text goes to the AI.
func greeted(c *api) string {
	visitor := c.newVisitor()
	c.say(visitor, map[string]any{"id": "hello", "text": "Здравейте"})
	c.waitTranscript(visitor, func(m []message) bool { return len(m) == 2 })
	return visitor
}

// botTextAfter is the text of the first bot message after the customer
// message with the given ID, and whether there is one.
func botTextAfter(msgs []message, id string) (string, bool) {
	for i, m := range msgs {
		if m.ID == id && m.Sender == "customer" {
			for _, next := range msgs[i+1:] {
				if next.Sender == "bot" {
					return next.Text, true
				}
			}
		}
	}
	return "", false
}

// A question the AI declines shows up, grouped with a similar one, in the
// unanswered questions with links to both conversations; once staff add them
// as alternates of an entry, the entry answers the question (within the AI's
// 10 s re-read of the knowledge base); the entry's counters count that
// answer, a "That helped" press and a request for a human after it.
func TestLearningFromUnansweredQuestions(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.Bot.Flows = shopFlows(t)
	cfg.HTTP.PublicURL = "https://support.example.com"
	a := startApp(t, cfg, app.RoleAll)
	c := newAPI(t, a)
	c.expect(http.StatusOK, "POST", "/api/v1/knowledge/import", []byte(learningKnowledge), true)

	const question = "Може ли да платя с биткойн?"
	first, second := greeted(c), greeted(c)
	c.say(first, map[string]any{"id": "q1", "text": question})
	c.say(second, map[string]any{"id": "q1", "text": "Мога ли да платя с биткойн"})
	for _, v := range []string{first, second} {
		msgs := c.waitTranscript(v, func(m []message) bool { _, ok := botTextAfter(m, "q1"); return ok })
		if text, _ := botTextAfter(msgs, "q1"); text == paymentAnswer {
			t.Fatalf("the AI answered %q before it was taught; want a decline", question)
		}
	}

	var group map[string]any
	waitUntil(t, 20*time.Second, "the declined questions to be one group of /unanswered", func() (bool, error) {
		r := c.expect(http.StatusOK, "GET", "/api/v1/knowledge/unanswered", nil, true)
		groups, _ := r["groups"].([]any)
		for _, g := range groups {
			if g := g.(map[string]any); g["count"] == 2.0 {
				group = g
				return true, nil
			}
		}
		return false, fmt.Errorf("unanswered: %v", r)
	})
	var questions, links []string
	for _, e := range group["examples"].([]any) {
		e := e.(map[string]any)
		questions = append(questions, e["text"].(string))
		links = append(links, e["link"].(string))
	}
	wantLinks := []string{
		"https://support.example.com/dashboard/conversations/webchat/" + second,
		"https://support.example.com/dashboard/conversations/webchat/" + first,
	}
	if strings.Join(links, " ") != strings.Join(wantLinks, " ") {
		t.Errorf("example links %v, want %v (newest first)", links, wantLinks)
	}

	r := c.expect(http.StatusOK, "POST", "/api/v1/knowledge/payment-methods/alternates", map[string]any{"questions": questions}, true)
	if r["added"] != 2.0 {
		t.Fatalf("adding %q: %v, want 2 added", questions, r)
	}

	// The AI re-reads the knowledge base at most every 10 s: ask until the
	// entry answers.
	third := greeted(c)
	asked := 0
	var answeredID string
	waitUntil(t, 25*time.Second, "the taught entry to answer the question", func() (bool, error) {
		asked++
		id := fmt.Sprintf("ask-%d", asked)
		c.say(third, map[string]any{"id": id, "text": question})
		msgs := c.waitTranscript(third, func(m []message) bool { _, ok := botTextAfter(m, id); return ok })
		text, _ := botTextAfter(msgs, id)
		if text == paymentAnswer {
			answeredID = id
			return true, nil
		}
		time.Sleep(2 * time.Second)
		return false, fmt.Errorf("the bot answered %q", text)
	})
	c.waitTranscript(third, func(m []message) bool {
		for _, msg := range m {
			for _, b := range msg.Buttons {
				if b.Payload == "HANDOFF_AI_HELPED:payment-methods" {
					return true
				}
			}
		}
		return false
	})
	c.say(third, map[string]any{"id": "helped", "text": "Помогна ми", "payload": "HANDOFF_AI_HELPED:payment-methods"})
	c.say(third, map[string]any{"id": "human", "text": "Искам оператор"})
	c.waitListed("/api/v1/conversations", third, func(row map[string]any) bool { return row["state"] == "agent_requested" })

	waitUntil(t, 20*time.Second, "the counters of payment-methods", func() (bool, error) {
		r := c.expect(http.StatusOK, "GET", "/api/v1/knowledge/stats", nil, true)
		for _, e := range r["entries"].([]any) {
			e := e.(map[string]any)
			if e["entry_id"] == "payment-methods" {
				return e["answered"] == 1.0 && e["helped"] == 1.0 && e["asked_for_human"] == 1.0, fmt.Errorf("counters %v (answered by %s)", e, answeredID)
			}
		}
		return false, fmt.Errorf("stats %v", r)
	})
}
