package app_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/handoff-chat/handoff/internal/app"
)

// Customer messages and staff messages have their own IDs: staff may use an
// ID a customer message has. A staff message ID reused with other content
// is a 409; the same request again is still a duplicate. A customer message
// is acknowledged before the conversation sees it, so one whose ID came
// with other content is kept under an ID of its own (reuse-1~<digest>)
// rather than refused, and a retry of either is recorded once. A settings
// request_id is refused like a staff message ID.
func TestReusedIDsAreRefusedAndKindsAreKeptApart(t *testing.T) {
	c := newAPI(t, shared)
	visitor := c.newVisitor()
	path := conversationPath(visitor)
	c.say(visitor, map[string]any{"id": "reuse-1", "text": "hello"})

	staff := c.expect(http.StatusCreated, "POST", path+"/messages", map[string]any{"id": "reuse-1", "text": "Hi, I'm Alice"}, true)
	if staff["duplicate"] != false {
		t.Fatalf("staff message with a customer message's ID: %v, want it recorded", staff)
	}
	again := c.expect(http.StatusCreated, "POST", path+"/messages", map[string]any{"id": "reuse-1", "text": "Hi, I'm Alice"}, true)
	if again["duplicate"] != true {
		t.Errorf("the same staff message again: %v, want duplicate: true", again)
	}
	const reused = "this id was already used for a different request"
	if r := c.do("POST", path+"/messages", map[string]any{"id": "reuse-1", "text": "Something else"}, true); r.status != http.StatusConflict || r.errorMessage(t) != reused {
		t.Errorf("staff message ID reused with other text: %d %s, want 409 %q", r.status, r.body, reused)
	}
	c.say(visitor, map[string]any{"id": "reuse-1", "text": "changed my mind"})
	c.say(visitor, map[string]any{"id": "reuse-1", "text": "changed my mind"})
	c.say(visitor, map[string]any{"id": "reuse-1", "text": "hello"})
	conv := c.expect(http.StatusOK, "GET", path, nil, true)
	var texts []string
	for _, m := range conv["messages"].([]any) {
		msg := m.(map[string]any)
		switch id := msg["id"].(string); {
		case id == "reuse-1":
			texts = append(texts, msg["sender"].(string)+": "+msg["text"].(string))
		case strings.HasPrefix(id, "reuse-1~"):
			texts = append(texts, msg["sender"].(string)+" under reuse-1~: "+msg["text"].(string))
		}
	}
	if got, want := strings.Join(texts, " | "), "customer: hello | staff: Hi, I'm Alice | customer under reuse-1~: changed my mind"; got != want {
		t.Errorf("messages with ID reuse-1: %s, want %s", got, want)
	}

	requestID := fmt.Sprintf("reuse-settings-%d", time.Now().UnixNano())
	c.expect(http.StatusOK, "PATCH", "/api/v1/settings", map[string]any{"request_id": requestID, "notification_cooldown": "30m"}, true)
	const reusedRequest = "this request_id was already used for a different request"
	if r := c.do("PATCH", "/api/v1/settings", map[string]any{"request_id": requestID, "notification_cooldown": "45m"}, true); r.status != http.StatusConflict || r.errorMessage(t) != reusedRequest {
		t.Errorf("request_id reused with another change: %d %s, want 409 %q", r.status, r.body, reusedRequest)
	}
	retried := c.expect(http.StatusOK, "PATCH", "/api/v1/settings", map[string]any{"request_id": requestID, "notification_cooldown": "30m"}, true)
	if s := retried["settings"].(map[string]any); s["notification_cooldown"] != "30m" {
		t.Errorf("settings after the retry %v, want the first change only", s)
	}
}

// The conversation remembers the visitor's language: the acknowledgement of
// the agent-request endpoint and a block staff send without a language come
// in it, not in the flows' default language (Bulgarian).
func TestWebChatRemembersTheVisitorsLanguage(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.Bot.Flows = shopFlows(t)
	a := startApp(t, cfg, app.RoleAll)
	c := newAPI(t, a)
	visitor := c.newVisitor()
	path := conversationPath(visitor)

	c.say(visitor, map[string]any{"id": "lang-1", "text": "Hello there"})
	first := c.waitTranscript(visitor, func(m []message) bool { return len(m) == 2 })
	if !strings.HasPrefix(first[1].Text, "Hello! I'm the virtual assistant") {
		t.Errorf("the bot's first reply %q, want the start block in English", first[1].Text)
	}
	c.expect(http.StatusAccepted, "POST", "/webchat/v1/visitors/"+visitor+"/agent-request", nil, false)
	ack := c.waitTranscript(visitor, func(m []message) bool { return len(m) == 3 })[2]
	if want := cfg.Bot.AgentRequestedReply["en"]; ack.Text != want {
		t.Errorf("acknowledgement %q, want the English one %q", ack.Text, want)
	}
	c.expect(http.StatusCreated, "POST", path+"/blocks", map[string]any{"id": "lang-blk", "block": "delivery"}, true)
	block := c.waitTranscript(visitor, func(m []message) bool { return len(m) == 4 })[3]
	if !strings.HasPrefix(block.Text, "We deliver") {
		t.Errorf("block sent by staff %q, want it in English", block.Text)
	}
	if conv := c.expect(http.StatusOK, "GET", path, nil, true); conv["language"] != "en" {
		t.Errorf("conversation language %v, want en", conv["language"])
	}

	// Without flows, bot.reply is answered in the visitor's language too.
	plain := newAPI(t, shared)
	bg := plain.newVisitor()
	plain.say(bg, map[string]any{"id": "lang-bg-1", "text": "Здравейте"})
	plain.say(bg, map[string]any{"id": "lang-bg-2", "text": "ok"})
	for _, m := range plain.waitTranscript(bg, func(m []message) bool { return len(m) == 4 }) {
		if want := cfg.Bot.Reply["bg"]; m.Sender == "bot" && m.Text != want {
			t.Errorf("bot reply %q, want the Bulgarian bot.reply %q", m.Text, want)
		}
	}
}

// The staff list shows until when staff can write to each customer.
func TestStaffListRowsShowTheStaffDeadline(t *testing.T) {
	c := newAPI(t, shared)
	visitor := c.newVisitor()
	c.say(visitor, map[string]any{"text": "hello"})
	c.waitListed("/api/v1/conversations", visitor, func(row map[string]any) bool {
		deadline, _ := row["staff_deadline"].(string)
		return deadline != "" && deadline == row["window_closes_at"] && row["human_agent_until"] == nil
	})
}
