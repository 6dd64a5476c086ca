package app_test

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/handoff-chat/handoff/internal/app"
)

// A tiny knowledge base for the example shop: the AI answers from it in the
// customer's language.
const aiKnowledge = `[
  {"id": "delivery-price", "lang": "en", "question": "How much does delivery cost?",
   "alternates": ["What is the shipping fee?"],
   "answer": "Delivery is free for orders over 50 EUR.",
   "links": [{"title": "Delivery", "url": "https://shop.example/delivery"}],
   "translations": {"bg": {"question": "Колко струва доставката?", "answer": "Доставката е безплатна за поръчки над 50 EUR."}}}
]`

// On web chat, a question the knowledge base answers gets the entry's answer
// with its link and the "That helped" / "Talk to a human" quick replies; the
// customer's message carries the AI's marker for staff, not for the
// customer. A question it cannot answer is declined with an offer of a human,
// and "да" accepts it.
func TestTheAIAnswersFromTheKnowledgeBase(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.Bot.Flows = shopFlows(t)
	a := startApp(t, cfg, app.RoleAll)
	c := newAPI(t, a)
	c.expect(http.StatusOK, "POST", "/api/v1/knowledge/import", []byte(aiKnowledge), true)

	visitor := c.newVisitor()
	c.say(visitor, map[string]any{"id": "ai-hello", "text": "Здравейте"})
	c.waitTranscript(visitor, func(m []message) bool { return len(m) == 2 })
	c.say(visitor, map[string]any{"id": "ai-q1", "text": "а колко струва доставката при вас?"})
	msgs := c.waitTranscript(visitor, func(m []message) bool { return len(m) == 5 })
	answer, ask := msgs[3], msgs[4]
	if answer.Sender != "bot" || answer.Text != "Доставката е безплатна за поръчки над 50 EUR." {
		t.Fatalf("the bot answered %+v, want the entry's Bulgarian answer", answer)
	}
	if len(ask.Buttons) != 2 || !strings.HasPrefix(ask.Buttons[0].Payload, "HANDOFF_AI_HELPED:delivery-price") || ask.Buttons[1].Payload != "HANDOFF_TALK_TO_HUMAN" {
		t.Errorf("the follow-up %+v, want That helped and Talk to a human", ask)
	}
	raw := string(c.do("GET", "/webchat/v1/visitors/"+visitor+"/messages", nil, false).body)
	if strings.Contains(raw, `"ai"`) || !strings.Contains(raw, "https://shop.example/delivery") {
		t.Errorf("the visitor's transcript %s: want the link and no AI marker", raw)
	}
	conv := c.expect(http.StatusOK, "GET", conversationPath(visitor), nil, true)
	var marker map[string]any
	for _, m := range conv["messages"].([]any) {
		if msg := m.(map[string]any); msg["id"] == "ai-q1" {
			marker, _ = msg["ai"].(map[string]any)
		}
	}
	if marker == nil || marker["entry_id"] != "delivery-price" || marker["score"].(float64) <= 0 {
		t.Errorf("staff see the question's marker %v, want delivery-price with a score", marker)
	}

	c.say(visitor, map[string]any{"id": "ai-q2", "text": "можете ли да ми кажете какво е времето утре в Пловдив?"})
	c.waitTranscript(visitor, func(m []message) bool { return len(m) >= 7 })
	c.say(visitor, map[string]any{"id": "ai-yes", "text": "да"})
	c.waitListed("/api/v1/conversations", visitor, func(row map[string]any) bool { return row["state"] == "agent_requested" })
}

// From a live chat, staff save a customer's question and their reply as a
// knowledge-base entry in one action; the next customer who asks gets the
// answer from the AI.
func TestStaffTurnALiveChatAnswerIntoAnEntry(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.Bot.Flows = shopFlows(t)
	a := startApp(t, cfg, app.RoleAll)
	c := newAPI(t, a)

	first := c.newVisitor()
	c.say(first, map[string]any{"id": "lc-nav", "text": "Delivery", "payload": "FLOW:en:delivery"})
	c.waitTranscript(first, func(m []message) bool { return len(m) == 2 })
	c.expect(http.StatusOK, "POST", conversationPath(first)+"/live-chat", map[string]any{"on": true}, true)
	c.say(first, map[string]any{"id": "lc-q", "text": "Do you offer gift wrapping?"})
	c.expect(http.StatusCreated, "POST", conversationPath(first)+"/messages", map[string]any{
		"id": "lc-a", "text": "Yes, gift wrapping is free for every order.",
		"buttons": []map[string]any{{"title": "Gifts", "url": "https://shop.example/gifts"}},
	}, true)
	saved := c.expect(http.StatusCreated, "POST", conversationPath(first)+"/knowledge", map[string]any{"question_id": "lc-q", "answer_id": "lc-a"}, true)
	entry := saved["entry"].(map[string]any)
	if entry["question"] != "Do you offer gift wrapping?" || entry["answer"] != "Yes, gift wrapping is free for every order." || entry["lang"] != "en" {
		t.Fatalf("saved %v, want the question and the reply as an English entry", saved)
	}
	again := c.expect(http.StatusCreated, "POST", conversationPath(first)+"/knowledge", map[string]any{"question_id": "lc-q", "answer_id": "lc-a"}, true)
	if again["entry"].(map[string]any)["id"] != entry["id"] {
		t.Errorf("saving the same again made %v, want the same entry %v (a retry)", again, entry["id"])
	}
	if r := c.do("POST", conversationPath(first)+"/knowledge", map[string]any{"question_id": "lc-a", "answer_id": "lc-a"}, true); r.status != http.StatusBadRequest {
		t.Errorf("a staff message as the question: %d %s, want 400", r.status, r.body)
	}

	next := c.newVisitor()
	c.say(next, map[string]any{"id": "lc-next", "text": "do you offer gift wrapping?"})
	msgs := c.waitTranscript(next, func(m []message) bool { return len(m) >= 3 })
	if msgs[1].Text != "Yes, gift wrapping is free for every order." {
		t.Errorf("the next customer got %+v, want the saved answer", msgs[1])
	}
}

// The knowledge base lives in Temporal; the search index only holds a copy
// for the AI. With the index deleted, the next start writes the entries to
// it again and the AI answers as before.
func TestTheAIAnswersAgainAfterTheSearchIndexIsLost(t *testing.T) {
	if testing.Short() {
		t.Skip("restarts a handoff process")
	}
	dir := t.TempDir()
	env := []string{
		"HANDOFF_DATA_DIR=" + dir,
		"HANDOFF_TEMPORAL_EMBEDDED_FRONTEND_ADDR=127.0.0.1:0",
		"HANDOFF_AUTH_TOKENS=alice:" + staffToken,
	}
	first, httpAddr, _ := startChildOnFreePorts(t, dir, env)
	c := &api{t: t, base: "http://" + httpAddr, token: staffToken, visitorTokens: map[string]string{}}
	c.expect(http.StatusOK, "POST", "/api/v1/knowledge/import", []byte(aiKnowledge), true)
	askUntilAnswered(t, c)
	first.stop(t)

	if err := os.RemoveAll(filepath.Join(dir, "search")); err != nil {
		t.Fatal(err)
	}
	second, httpAddr, _ := startChildOnFreePorts(t, dir, env)
	defer second.stop(t)
	c = &api{t: t, base: "http://" + httpAddr, token: staffToken, visitorTokens: map[string]string{}}
	askUntilAnswered(t, c)
}

// askUntilAnswered has one web chat customer ask about the shipping fee,
// once a second, until the AI answers from aiKnowledge: the index takes the
// entries a moment after they are written.
func askUntilAnswered(t *testing.T, c *api) {
	t.Helper()
	visitor := c.newVisitor()
	asked := 0
	waitUntil(t, 20*time.Second, "the AI answers from the knowledge base", func() (bool, error) {
		asked++
		c.say(visitor, map[string]any{"id": fmt.Sprintf("fee-%d", asked), "text": "what is the shipping fee?"})
		msgs := c.waitTranscript(visitor, func(m []message) bool { return len(m) >= 2*asked })
		for _, m := range msgs {
			if m.Sender == "bot" && m.Text == "Delivery is free for orders over 50 EUR." {
				return true, nil
			}
		}
		time.Sleep(time.Second)
		return false, nil
	})
}
