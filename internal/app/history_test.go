package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/handoff-chat/handoff/internal/app"
	"github.com/handoff-chat/handoff/internal/chat"
	"github.com/handoff-chat/handoff/internal/config"
	"github.com/handoff-chat/handoff/internal/graphapi/graphapitest"
	"github.com/handoff-chat/handoff/internal/notify/smtptest"
	"github.com/handoff-chat/handoff/workflows"
)

// TestRecordHistories regenerates the histories in workflows/testdata that
// the replay test runs the workflow code against. It records only when asked:
//
//	HANDOFF_RECORD_HISTORY=1 go test ./internal/app -run TestRecordHistories -timeout 10m
//
// Before the first release, re-record whenever the workflow code changes.
// From the first release on, the histories of every released version stay
// in workflows/testdata, a change that alters a workflow's commands is
// versioned, and new histories are added, never re-recorded over old ones.
func TestRecordHistories(t *testing.T) {
	if os.Getenv("HANDOFF_RECORD_HISTORY") == "" {
		t.Skip("records histories only with HANDOFF_RECORD_HISTORY=1")
	}
	t.Run("webchat", recordWebChat)
	t.Run("messenger", recordMessenger)
	t.Run("continue-as-new", recordContinueAsNew)
	t.Run("ai", recordAI)
}

// recordingConfig has short deadlines, so a recorded run sees the live-chat
// countdown and the window run out; config validation is bypassed on purpose.
func recordingConfig(t *testing.T) (*config.Config, *smtptest.Server) {
	cfg := testConfig(t.TempDir())
	cfg.Conversation.Window = 40 * time.Second
	cfg.LiveChat.InactivityTimeout = 10 * time.Second
	cfg.Bot.Flows = shopFlows(t)
	mail := smtptest.Start(t, smtptest.Options{})
	cfg.Notification.Email = "ops@example.com"
	cfg.Notification.SMTP = config.SMTP{Host: mail.Host(), Port: mail.Port(), Security: config.SMTPNone, From: "alerts@example.com"}
	return cfg, mail
}

// recordWebChat: flow navigation, a redelivery, a request for a human with
// an email alert, asking again, live chat that times out, the bot answering
// again, a settings change, and the window closing.
func recordWebChat(t *testing.T) {
	cfg, mail := recordingConfig(t)
	a := startApp(t, cfg, app.RoleAll)
	c := newAPI(t, a)
	visitor := c.newVisitor()
	c.say(visitor, map[string]any{"id": "rec-1", "text": "Здравейте", "name": "Replay Customer", "locale": "bg-BG"})
	first := c.waitTranscript(visitor, func(m []message) bool { return len(m) == 2 })
	if len(first[1].Buttons) == 0 || !strings.HasPrefix(first[1].Buttons[0].Payload, chat.PayloadNavigationPrefix) {
		t.Fatalf("the bot's first reply %+v has no flow buttons", first[1])
	}
	c.say(visitor, map[string]any{"id": "rec-1", "text": "Здравейте"}) // redelivery
	choice := first[1].Buttons[0]
	c.say(visitor, map[string]any{"id": "rec-nav", "text": choice.Title, "payload": choice.Payload})
	c.waitTranscript(visitor, func(m []message) bool { return len(m) == 4 })
	c.expect(http.StatusAccepted, "POST", "/webchat/v1/visitors/"+visitor+"/agent-request", nil, false)
	c.waitTranscript(visitor, func(m []message) bool { return len(m) == 5 })
	mail.WaitForMessages(t, 1)
	c.say(visitor, map[string]any{"id": "rec-again", "text": "оператор"}) // asking again: acknowledged, no alert
	c.waitTranscript(visitor, func(m []message) bool { return len(m) == 7 })
	c.expect(http.StatusOK, "POST", conversationPath(visitor)+"/live-chat", map[string]any{"on": true}, true)
	c.expect(http.StatusCreated, "POST", conversationPath(visitor)+"/messages", map[string]any{"text": "Добър ден, с какво да помогна?"}, true)
	c.say(visitor, map[string]any{"id": "rec-2", "text": "Поръчката ми закъснява"})
	c.expect(http.StatusOK, "POST", conversationPath(visitor)+"/live-chat", map[string]any{"on": false}, true)
	c.expect(http.StatusCreated, "POST", conversationPath(visitor)+"/messages", map[string]any{"text": "Ще проверя."}, true)
	c.expect(http.StatusOK, "PATCH", "/api/v1/settings", map[string]any{"notification_email": "ops@example.com"}, true)
	// The live-chat countdown runs out; the bot answers the next message.
	waitConversation(t, c, conversationPath(visitor), "live chat to time out", func(v map[string]any) bool { return v["state"] == "bot" })
	n := len(c.transcript(visitor, 0))
	c.say(visitor, map[string]any{"id": "rec-3", "text": "Още нещо?"})
	c.waitTranscript(visitor, func(m []message) bool { return len(m) == n+2 })
	waitConversation(t, c, conversationPath(visitor), "the window to close", func(v map[string]any) bool { return v["open"] == false })
	writeHistory(t, a, workflows.ConversationWorkflowID(chat.ChannelWebChat, visitor), "", "conversation-webchat.json")
	writeHistory(t, a, workflows.SettingsWorkflowID, "", "settings.json")
}

// recordMessenger: a customer on Messenger, the bot's reply and a staff
// message sent through the Send API, a message Meta refuses, a request for
// a human in the customer's words with an email alert, and the window
// closing with the HUMAN_AGENT setting read.
func recordMessenger(t *testing.T) {
	const page, pageToken = "1000000001", "EAAB-test-page-token"
	graph := graphapitest.NewServer(t, map[string]string{page: pageToken})
	cfg, mail := recordingConfig(t)
	cfg.Messenger.AppSecret = appSecret
	cfg.Messenger.VerifyToken = verifyToken
	cfg.Messenger.Pages = []string{page + ":" + pageToken}
	cfg.Messenger.GraphURL = graph.URL
	a := startApp(t, cfg, app.RoleAll)
	c := newAPI(t, a)
	psid := fmt.Sprintf("3%015d", time.Now().UnixNano()%1e15)
	graph.SetProfile(psid, "Мария", "Петрова")
	path := "/api/v1/conversations/messenger/" + psid

	deliver(t, c.base, messengerEvent(page, psid, `{"mid":"rec_m_1","text":"Здравейте, имам въпрос"}`))
	graph.WaitForRequests(t, 1, 20*time.Second)
	c.expect(http.StatusCreated, "POST", path+"/messages", map[string]any{"id": "rec-stf-1", "text": "Здравейте, Мария!"}, true)
	waitConversation(t, c, path, "the staff message to be sent", messageDelivered("rec-stf-1", "sent"))
	graph.FailNext(400, 551, 1545041, "This person isn't available right now.")
	c.expect(http.StatusCreated, "POST", path+"/messages", map[string]any{"id": "rec-stf-2", "text": "Там ли сте?"}, true)
	waitConversation(t, c, path, "Meta to refuse the message", messageDelivered("rec-stf-2", "failed"))
	c.expect(http.StatusOK, "POST", path+"/live-chat", map[string]any{"on": false}, true)
	deliver(t, c.base, messengerEvent(page, psid, `{"mid":"rec_m_2","text":"Искам оператор"}`))
	mail.WaitForMessages(t, 1)
	waitConversation(t, c, path, "the window to close", func(v map[string]any) bool { return v["open"] == false })
	writeHistory(t, a, workflows.ConversationWorkflowID(chat.ChannelMessenger, psid), "", "conversation-messenger.json")
}

// recordContinueAsNew: a conversation long enough to continue as new; both
// runs are recorded, the second one while it is still open.
func recordContinueAsNew(t *testing.T) {
	cfg, _ := recordingConfig(t)
	cfg.Temporal.MaxHistoryEvents = 60
	// Long enough that the continued run is still the one taking the
	// messages however slow the machine is (nothing here waits for it).
	cfg.Conversation.Window = 10 * time.Minute
	a := startApp(t, cfg, app.RoleAll)
	c := newAPI(t, a)
	visitor := c.newVisitor()
	c.say(visitor, map[string]any{"id": "long-0", "text": "message 0", "name": "Long Talker"})
	c.waitTranscript(visitor, func(m []message) bool { return len(m) == 2 })
	firstRun := runID(t, a, visitor)
	c.expect(http.StatusCreated, "POST", conversationPath(visitor)+"/messages", map[string]any{"text": "staff here"}, true)
	for i := 1; i <= 15; i++ {
		c.say(visitor, map[string]any{"id": fmt.Sprintf("long-%d", i), "text": fmt.Sprintf("message %d", i)})
	}
	waitConversation(t, c, conversationPath(visitor), "the run to continue as new", func(map[string]any) bool {
		return runID(t, a, visitor) != firstRun
	})
	c.say(visitor, map[string]any{"id": "long-16", "text": "message 16"})
	c.expect(http.StatusCreated, "POST", conversationPath(visitor)+"/messages", map[string]any{"text": "still here"}, true)
	id := workflows.ConversationWorkflowID(chat.ChannelWebChat, visitor)
	writeHistory(t, a, id, firstRun, "conversation-continued-as-new.json")
	writeHistory(t, a, id, runID(t, a, visitor), "conversation-after-continue-as-new.json")
}

// recordAI: the AI answers a question from the knowledge base, the customer
// presses "That helped"; it declines another and "да" accepts the offer of a
// human; staff add the declined question to an entry's alternates, delete
// and re-create an entry; the window closes. The conversation and one
// knowledge entry's history are recorded.
func recordAI(t *testing.T) {
	cfg, mail := recordingConfig(t)
	a := startApp(t, cfg, app.RoleAll)
	c := newAPI(t, a)
	c.expect(http.StatusOK, "POST", "/api/v1/knowledge/import", []byte(aiKnowledge), true)
	askUntilAnswered(t, c)

	visitor := c.newVisitor()
	c.say(visitor, map[string]any{"id": "ai-rec-1", "text": "Колко струва доставката?", "name": "AI Replay", "locale": "bg-BG"})
	msgs := c.waitTranscript(visitor, func(m []message) bool { return len(m) == 3 })
	helped := msgs[2].Buttons[0]
	if !strings.HasPrefix(helped.Payload, chat.PayloadAIHelped) {
		t.Fatalf("the follow-up %+v has no That helped button", msgs[2])
	}
	c.say(visitor, map[string]any{"id": "ai-rec-helped", "text": helped.Title, "payload": helped.Payload})
	c.say(visitor, map[string]any{"id": "ai-rec-2", "text": "Имате ли магазин във Варна?"})
	c.waitTranscript(visitor, func(m []message) bool {
		return len(m) > 0 && m[len(m)-1].Sender == "bot" && strings.Contains(string(mustJSON(m[len(m)-1])), "HANDOFF_TALK_TO_HUMAN")
	})
	c.say(visitor, map[string]any{"id": "ai-rec-yes", "text": "да"})
	mail.WaitForMessages(t, 1)
	c.expect(http.StatusOK, "POST", "/api/v1/knowledge/delivery-price/alternates", map[string]any{"questions": []string{"Колко ще ми струва куриерът?"}}, true)
	if r := c.do("DELETE", "/api/v1/knowledge/delivery-price", nil, true); r.status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	c.expect(http.StatusOK, "POST", "/api/v1/knowledge/import", []byte(aiKnowledge), true)
	waitConversation(t, c, conversationPath(visitor), "the window to close", func(v map[string]any) bool { return v["open"] == false })
	writeHistory(t, a, workflows.ConversationWorkflowID(chat.ChannelWebChat, visitor), "", "conversation-ai.json")
	writeHistory(t, a, workflows.KnowledgeWorkflowID("delivery-price"), "", "knowledge-entry.json")
}

func mustJSON(v any) []byte {
	raw, _ := json.Marshal(v)
	return raw
}

// messageDelivered reports whether the conversation's message id has the
// delivery status.
func messageDelivered(id, status string) func(map[string]any) bool {
	return func(conv map[string]any) bool {
		for _, m := range conv["messages"].([]any) {
			msg := m.(map[string]any)
			if d, _ := msg["delivery"].(map[string]any); msg["id"] == id && d["status"] == status {
				return true
			}
		}
		return false
	}
}

// waitConversation polls the staff view of a conversation until ok holds.
func waitConversation(t *testing.T, c *api, path, what string, ok func(map[string]any) bool) {
	t.Helper()
	waitUntil(t, 2*time.Minute, what, func() (bool, error) {
		conv := c.expect(http.StatusOK, "GET", path, nil, true)
		return ok(conv), fmt.Errorf("the conversation is %v", conv)
	})
}

func writeHistory(t *testing.T, a *app.App, workflowID, runID, file string) {
	t.Helper()
	iter := a.Client().GetWorkflowHistory(context.Background(), workflowID, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var history historypb.History
	for iter.HasNext() {
		event, err := iter.Next()
		if err != nil {
			t.Fatalf("read history of %s: %v", workflowID, err)
		}
		history.Events = append(history.Events, event)
	}
	raw, err := protojson.MarshalOptions{Indent: "  "}.Marshal(&history)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("..", "..", "workflows", "testdata", file)
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %d events of %s to %s", len(history.Events), workflowID, path)
}
