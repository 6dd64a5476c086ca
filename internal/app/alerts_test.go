package app_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/handoff-chat/handoff/internal/app"
	"github.com/handoff-chat/handoff/internal/config"
	"github.com/handoff-chat/handoff/internal/notify/smtptest"
	"github.com/handoff-chat/handoff/internal/notify/vonagetest"
)

// alertingApp starts handoff with email through a real SMTP server and SMS
// through a local server speaking Vonage's SMS API, both started here.
func alertingApp(t *testing.T) (*api, *smtptest.Server, *vonagetest.Server) {
	t.Helper()
	mail := smtptest.Start(t, smtptest.Options{})
	sms := vonagetest.NewServer(t)
	cfg := testConfig(t.TempDir())
	cfg.HTTP.PublicURL = "https://support.example.com"
	cfg.Notification.Email = "ops@example.com"
	cfg.Notification.Phone = "+359888123456"
	cfg.Notification.Cooldown = 30 * time.Minute
	cfg.Notification.SMTP = config.SMTP{
		Host: mail.Host(), Port: mail.Port(), Security: config.SMTPNone, From: "Билка <alerts@bilka.example>",
	}
	cfg.Notification.Vonage = config.Vonage{
		APIKey: "test-key", APISecret: "test-secret", From: "Bilka", BaseURL: sms.URL(),
	}
	logs := &warnings{}
	a, err := app.Start(context.Background(), cfg, app.RoleAll, slog.New(logs))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Stop)
	if got := logs.containing("nobody is alerted"); len(got) != 0 {
		t.Errorf("start-up warned %q with email and SMS set up", got)
	}
	return newAPI(t, a), mail, sms
}

// warnings is a slog handler that keeps the warnings logged.
type warnings struct {
	mu   sync.Mutex
	msgs []string
}

func (w *warnings) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }
func (w *warnings) Handle(_ context.Context, r slog.Record) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.msgs = append(w.msgs, r.Message)
	return nil
}
func (w *warnings) WithAttrs([]slog.Attr) slog.Handler { return w }
func (w *warnings) WithGroup(string) slog.Handler      { return w }

func (w *warnings) containing(s string) []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for _, m := range w.msgs {
		if strings.Contains(m, s) {
			out = append(out, m)
		}
	}
	return out
}

func TestStartUpWarnsOnceWhenNobodyWouldBeAlerted(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.Notification.Email = "ops@example.com" // but no mail server
	logs := &warnings{}
	a, err := app.Start(context.Background(), cfg, app.RoleAll, slog.New(logs))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Stop)

	got := logs.containing("nobody is alerted")
	if len(got) != 1 {
		t.Fatalf("warnings %q, want exactly one about alerts", logs.msgs)
	}
	for _, want := range []string{"for email to ops@example.com, set notifications.smtp.host", "for SMS, set notifications.vonage and the notification_phone setting"} {
		if !strings.Contains(got[0], want) {
			t.Errorf("warning %q does not say %q", got[0], want)
		}
	}

	// A request is still flagged, and the conversation says why nobody heard of it.
	c := newAPI(t, a)
	visitor := c.newVisitor()
	asked := c.expect(http.StatusAccepted, "POST", "/webchat/v1/visitors/"+visitor+"/agent-request", nil, false)
	if asked["state"] != "agent_requested" {
		t.Fatalf("agent request: %v", asked)
	}
	n := notificationBy(c.waitNotifications(visitor, 1), "email")
	if n == nil || n["status"] != "failed" || !strings.Contains(n["reason"].(string), "notifications.smtp.host") {
		t.Errorf("email outcome %v, want failed naming the missing mail server", n)
	}
}

// waitNotifications polls the conversation until every alert outcome is
// final (nothing still sending) and there are at least n of them.
func (a *api) waitNotifications(visitor string, n int) []map[string]any {
	a.t.Helper()
	var out []map[string]any
	waitUntil(a.t, 60*time.Second, fmt.Sprintf("at least %d alerts of %s to settle", n, visitor), func() (bool, error) {
		conv := a.expect(http.StatusOK, "GET", conversationPath(visitor), nil, true)
		out = nil
		final := true
		list, _ := conv["notifications"].([]any)
		for _, item := range list {
			n := item.(map[string]any)
			out = append(out, n)
			final = final && n["status"] != "sending"
		}
		if len(out) >= n && final {
			return true, nil
		}
		return false, fmt.Errorf("the alerts are %v", list)
	})
	return out
}

func notificationBy(list []map[string]any, medium string) map[string]any {
	for _, n := range list {
		if n["medium"] == medium {
			return n
		}
	}
	return nil
}

func TestAgentRequestAlertsTheBusinessByEmailAndSMS(t *testing.T) {
	c, mail, sms := alertingApp(t)
	visitor := c.newVisitor()
	c.say(visitor, map[string]any{"text": "Поръчах крем преди седмица и още го няма", "name": "Мария Петрова"})
	c.say(visitor, map[string]any{"text": "Искам да говоря с оператор, моля"})
	if got := c.expect(http.StatusOK, "GET", conversationPath(visitor), nil, true); got["state"] != "agent_requested" {
		t.Fatalf("after the phrase the conversation is %v, want agent_requested", got["state"])
	}
	msgs := c.waitTranscript(visitor, func(m []message) bool {
		return len(m) > 0 && strings.Contains(m[len(m)-1].Text, "Уведомихме екипа")
	})
	if !strings.Contains(msgs[len(msgs)-1].Text, "опишете случая си") {
		t.Errorf("acknowledgement %q does not invite the customer to describe the case", msgs[len(msgs)-1].Text)
	}

	link := "https://support.example.com/dashboard/conversations/webchat/" + visitor
	email := mail.WaitForMessages(t, 1)[0]
	if len(email.To) != 1 || email.To[0] != "ops@example.com" || !strings.Contains(email.From, "alerts@bilka.example") {
		t.Errorf("email envelope from %q to %v", email.From, email.To)
	}
	for _, want := range []string{"Мария Петрова", "Web chat"} {
		if !strings.Contains(email.Subject, want) {
			t.Errorf("subject %q lacks %q", email.Subject, want)
		}
	}
	for _, want := range []string{"Поръчах крем преди седмица и още го няма", "Искам да говоря с оператор, моля", link} {
		if !strings.Contains(email.Body, want) {
			t.Errorf("email body lacks %q:\n%s", want, email.Body)
		}
	}
	if email.Header.Get("Message-Id") == "" {
		t.Error("email has no Message-ID")
	}

	text := sms.WaitForRequests(t, 1)[0]
	if text.To != "359888123456" || text.From != "Bilka" || text.APIKey != "test-key" || text.Type != "unicode" {
		t.Errorf("SMS request %+v", text)
	}
	if !strings.Contains(text.Text, "Мария Петрова") || !strings.HasSuffix(text.Text, link) {
		t.Errorf("SMS text %q, want the customer's name and the link at the end", text.Text)
	}

	outcomes := c.waitNotifications(visitor, 2)
	for _, medium := range []string{"email", "sms"} {
		if n := notificationBy(outcomes, medium); n == nil || n["status"] != "sent" {
			t.Errorf("%s outcome %v, want sent", medium, n)
		}
	}

	// Staff take the chat and hand it back; asking again within the
	// cooldown is flagged and acknowledged, but alerts no one.
	c.expect(http.StatusOK, "POST", conversationPath(visitor)+"/live-chat", map[string]any{"on": true}, true)
	c.expect(http.StatusOK, "POST", conversationPath(visitor)+"/live-chat", map[string]any{"on": false}, true)
	c.say(visitor, map[string]any{"text": "оператор"})
	if got := c.expect(http.StatusOK, "GET", conversationPath(visitor), nil, true); got["state"] != "agent_requested" {
		t.Fatalf("after asking again the conversation is %v, want agent_requested", got["state"])
	}
	outcomes = c.waitNotifications(visitor, 3)
	if last := outcomes[len(outcomes)-1]; last["status"] != "skipped" || !strings.Contains(last["reason"].(string), "cooldown") {
		t.Errorf("outcome of the second request %v, want skipped for the cooldown", last)
	}
	if n := len(mail.Messages()); n != 1 {
		t.Errorf("%d emails, want 1", n)
	}
	if n := len(sms.Requests()); n != 1 {
		t.Errorf("%d SMS requests, want 1", n)
	}
}

func TestAlertRetriesTemporaryFailuresAndShowsPermanentOnes(t *testing.T) {
	c, mail, sms := alertingApp(t)
	mail.FailNext(1)
	sms.FailNext("29", "Non-Whitelisted Destination")
	visitor := c.newVisitor()
	c.say(visitor, map[string]any{"text": "Здравейте", "name": "Иван"})
	c.say(visitor, map[string]any{"payload": "HANDOFF_TALK_TO_HUMAN", "text": "Говори с човек"})
	if got := c.expect(http.StatusOK, "GET", conversationPath(visitor), nil, true); got["state"] != "agent_requested" {
		t.Fatalf("after the button press the conversation is %v, want agent_requested", got["state"])
	}

	outcomes := c.waitNotifications(visitor, 2)
	if n := notificationBy(outcomes, "email"); n == nil || n["status"] != "sent" {
		t.Errorf("email outcome %v, want sent after the temporary failure was retried", n)
	}
	if got := len(mail.Messages()); got != 1 || mail.Attempts() != 2 {
		t.Errorf("%d emails after %d attempts, want exactly 1 after 2", got, mail.Attempts())
	}
	n := notificationBy(outcomes, "sms")
	if n == nil || n["status"] != "failed" {
		t.Fatalf("SMS outcome %v, want failed", n)
	}
	for _, want := range []string{"29", "Non-Whitelisted Destination", "+359888123456"} {
		if !strings.Contains(n["reason"].(string), want) {
			t.Errorf("SMS failure reason %q lacks %q", n["reason"], want)
		}
	}
	if got := len(sms.Requests()); got != 1 {
		t.Errorf("%d SMS requests, want 1: a permanent refusal is not retried", got)
	}
	conv := c.expect(http.StatusOK, "GET", conversationPath(visitor), nil, true)
	if conv["state"] != "agent_requested" {
		t.Errorf("state %v, want still flagged for staff", conv["state"])
	}
}
