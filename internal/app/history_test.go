package app_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/handoff-chat/handoff/internal/app"
	"github.com/handoff-chat/handoff/internal/chat"
	"github.com/handoff-chat/handoff/internal/config"
	"github.com/handoff-chat/handoff/internal/notify/smtptest"
	"github.com/handoff-chat/handoff/workflows"
)

// TestRecordHistories regenerates the histories in workflows/testdata that
// the replay test runs the workflow code against. It records only when asked:
//
//	HANDOFF_RECORD_HISTORY=1 go test ./internal/app -run TestRecordHistories
//
// Re-record only for an intentional, versioned change of workflow behaviour;
// a replay failure otherwise means a change broke running conversations.
func TestRecordHistories(t *testing.T) {
	if os.Getenv("HANDOFF_RECORD_HISTORY") == "" {
		t.Skip("records histories only with HANDOFF_RECORD_HISTORY=1")
	}
	cfg := testConfig(t.TempDir())
	// Short deadlines so the recorded run sees the countdown and the window
	// run out; config validation is bypassed on purpose here.
	cfg.Conversation.Window = 40 * time.Second
	cfg.LiveChat.InactivityTimeout = 10 * time.Second
	mail := smtptest.Start(t, smtptest.Options{})
	cfg.Notification.Email = "ops@example.com"
	cfg.Notification.SMTP = config.SMTP{Host: mail.Host(), Port: mail.Port(), Security: config.SMTPNone, From: "alerts@example.com"}
	a := startApp(t, cfg, app.RoleAll)
	c := newAPI(t, a)
	visitor := c.newVisitor()
	c.say(visitor, map[string]any{"id": "rec-1", "text": "Здравейте", "name": "Replay Customer"})
	c.waitTranscript(visitor, func(m []message) bool { return len(m) == 2 })
	c.say(visitor, map[string]any{"id": "rec-1", "text": "Здравейте"}) // redelivery
	c.expect(http.StatusAccepted, "POST", "/webchat/v1/visitors/"+visitor+"/agent-request", nil, false)
	c.waitTranscript(visitor, func(m []message) bool { return len(m) == 3 })
	mail.WaitForMessages(t, 1)
	c.say(visitor, map[string]any{"id": "rec-1b", "text": "оператор"}) // asking again: acknowledged, no alert
	c.waitTranscript(visitor, func(m []message) bool { return len(m) == 5 })
	c.expect(http.StatusOK, "POST", conversationPath(visitor)+"/live-chat", map[string]any{"on": true}, true)
	c.expect(http.StatusCreated, "POST", conversationPath(visitor)+"/messages", map[string]any{"text": "Добър ден, с какво да помогна?"}, true)
	c.say(visitor, map[string]any{"id": "rec-2", "text": "Поръчката ми закъснява"})
	c.expect(http.StatusOK, "POST", conversationPath(visitor)+"/live-chat", map[string]any{"on": false}, true)
	c.say(visitor, map[string]any{"id": "rec-3", "text": "Още нещо?"})
	c.expect(http.StatusCreated, "POST", conversationPath(visitor)+"/messages", map[string]any{"text": "Да?"}, true)
	c.expect(http.StatusOK, "PATCH", "/api/v1/settings", map[string]any{"notification_email": "ops@example.com"}, true)
	// Let the countdown run out, then the window close.
	deadline := time.Now().Add(2 * time.Minute)
	for c.expect(http.StatusOK, "GET", conversationPath(visitor), nil, true)["open"] == true {
		if time.Now().After(deadline) {
			t.Fatal("the conversation did not end")
		}
		time.Sleep(time.Second)
	}
	writeHistory(t, a, workflows.ConversationWorkflowID(chat.ChannelWebChat, visitor), "conversation.json")
	writeHistory(t, a, workflows.SettingsWorkflowID, "settings.json")
}

func writeHistory(t *testing.T, a *app.App, workflowID, file string) {
	t.Helper()
	iter := a.Client().GetWorkflowHistory(context.Background(), workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
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
