package workflows_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/handoff-chat/handoff/activities"
	"github.com/handoff-chat/handoff/internal/chat"
	"github.com/handoff-chat/handoff/workflows"
)

// withRecipients sets both notification recipients in the settings.
func (h *harness) withRecipients() *harness {
	h.settings.NotificationEmail = "ops@example.com"
	h.settings.NotificationPhone = "+359888123456"
	h.settings.NotificationCooldown = 30 * time.Minute
	return h
}

func notificationsOf(v chat.Conversation, medium chat.NotificationMedium) []chat.Notification {
	var out []chat.Notification
	for _, n := range v.Notifications {
		if n.Medium == medium {
			out = append(out, n)
		}
	}
	return out
}

func TestAgentRequestAlertsByEmailAndSMSOnce(t *testing.T) {
	h := newHarness(t).withRecipients()
	h.customer(0, "m1", "Поръчах крем преди седмица")
	h.customer(time.Minute, "m2", "и още не е пристигнал")
	h.update(2*time.Minute, workflows.UpdateCustomerMessage, workflows.CustomerMessage{
		ID: "m3", Payload: chat.PayloadTalkToHuman, Text: "Говори с човек"})
	view := h.viewAt(3 * time.Minute)
	final := h.run()

	for _, medium := range []chat.NotificationMedium{chat.MediumEmail, chat.MediumSMS} {
		sent := h.sentAlerts(medium)
		if len(sent) != 1 {
			t.Fatalf("%s alerts sent: %d, want 1", medium, len(sent))
		}
		a := sent[0]
		if a.ConversationID != view.ID || a.Channel != chat.ChannelWebChat ||
			a.CustomerID != "visitor-1" || a.CustomerName != "Мария Петрова" || !a.RequestedAt.Equal(start.Add(2*time.Minute)) {
			t.Errorf("%s alert %+v: wrong customer or time", medium, a)
		}
		if !strings.HasPrefix(a.ID, a.ConversationID+"/m3/") || !strings.HasSuffix(a.ID, string(medium)) {
			t.Errorf("%s alert ID %q, want conversation/request/medium", medium, a.ID)
		}
		if len(a.Recent) != 2 || a.Recent[0].Text != "Поръчах крем преди седмица" || a.Recent[1].Text != "и още не е пристигнал" {
			t.Errorf("%s alert quotes %+v, want the two customer messages oldest first (not the button press)", medium, a.Recent)
		}
		n := notificationsOf(*view, medium)
		if len(n) != 1 || n[0].Status != chat.NotificationSent || n[0].RequestID != "m3" || n[0].To != a.To {
			t.Errorf("%s outcome on the conversation: %+v, want one sent", medium, n)
		}
	}
	if got := h.sentAlerts(chat.MediumEmail)[0].To; got != "ops@example.com" {
		t.Errorf("email to %q", got)
	}
	if got := h.sentAlerts(chat.MediumSMS)[0].To; got != "+359888123456" {
		t.Errorf("SMS to %q", got)
	}
	if view.Status != chat.StatusAgentRequested || len(final.Notifications) != 2 {
		t.Errorf("view %+v, final notifications %+v", *view, final.Notifications)
	}
}

func TestAgentPhraseRequestsAgentAndAcknowledgesInCustomersLanguage(t *testing.T) {
	h := newHarness(t).withRecipients()
	asked := h.update(0, workflows.UpdateCustomerMessage, workflows.CustomerMessage{ID: "m1", Text: "Искам оператор", AsksForHuman: true})
	transcript := h.transcriptAt(time.Minute)
	h.run()

	mustSucceed(t, "phrase", asked)
	if asked.view.Status != chat.StatusAgentRequested {
		t.Errorf("after the phrase: %s, want agent_requested", asked.view.Status)
	}
	if len(*transcript) != 2 || (*transcript)[1].Text != "екипът е уведомен" {
		t.Errorf("transcript %+v, want the message and the Bulgarian acknowledgement only (no bot answer to the phrase)", *transcript)
	}
	if len(h.sentAlerts(chat.MediumEmail)) != 1 {
		t.Errorf("email alerts %d, want 1", len(h.sentAlerts(chat.MediumEmail)))
	}
}

func TestRepeatedRequestsWithinCooldownAlertOnce(t *testing.T) {
	h := newHarness(t).withRecipients()
	h.settings.NotificationPhone = ""
	h.customer(0, "m1", "hello")
	h.update(time.Minute, workflows.UpdateRequestAgent, workflows.AgentRequest{ID: "req-1"})
	h.liveChat(5*time.Minute, true)
	h.liveChat(10*time.Minute, false)
	again := h.update(20*time.Minute, workflows.UpdateRequestAgent, workflows.AgentRequest{ID: "req-2"})
	duringCooldown := h.viewAt(21 * time.Minute)
	h.liveChat(25*time.Minute, true)
	h.liveChat(30*time.Minute, false)
	h.update(40*time.Minute, workflows.UpdateRequestAgent, workflows.AgentRequest{ID: "req-3"}) // 39m after the alert
	afterCooldown := h.viewAt(41 * time.Minute)
	h.run()

	mustSucceed(t, "second request", again)
	if again.view.Status != chat.StatusAgentRequested {
		t.Errorf("a request within the cooldown is still flagged: got %s", again.view.Status)
	}
	sent := h.sentAlerts(chat.MediumEmail)
	if len(sent) != 2 || !strings.Contains(sent[0].ID, "/req-1/") || !strings.Contains(sent[1].ID, "/req-3/") {
		t.Fatalf("alerts sent for %+v, want req-1 and req-3 (req-2 came within the cooldown)", sent)
	}
	var skipped *chat.Notification
	for _, n := range duringCooldown.Notifications {
		if n.RequestID == "req-2" {
			skipped = &n
		}
	}
	if skipped == nil || skipped.Status != chat.NotificationSkipped || !strings.Contains(skipped.Reason, "30m cooldown") {
		t.Errorf("outcome of req-2: %+v, want skipped because of the 30m cooldown", skipped)
	}
	if n := afterCooldown.Notifications; len(n) != 3 || n[2].RequestID != "req-3" || n[2].Status != chat.NotificationSent {
		t.Errorf("notifications after the cooldown %+v, want req-3 sent", n)
	}
}

func TestTemporaryAlertFailureIsRetriedAndSentOnce(t *testing.T) {
	h := newHarness(t).withRecipients()
	h.alert = func(medium chat.NotificationMedium, attempt int) error {
		if medium == chat.MediumEmail && attempt <= 3 {
			return errors.New("dial tcp smtp.example.com:587: connection refused")
		}
		return nil
	}
	h.customer(0, "m1", "hello")
	h.update(time.Minute, workflows.UpdateRequestAgent, workflows.AgentRequest{ID: "req-1"})
	whileRetrying := h.viewAt(time.Minute + 6*time.Second)
	final := h.run()

	if got := len(h.sentAlerts(chat.MediumEmail)); got != 1 {
		t.Errorf("emails sent %d, want 1 after the retries", got)
	}
	attempts := 0
	for _, a := range h.alerts {
		if a.medium == chat.MediumEmail {
			attempts++
		}
	}
	if attempts != 4 {
		t.Errorf("email attempts %d, want 4 (3 failures, then success)", attempts)
	}
	if n := notificationsOf(*whileRetrying, chat.MediumEmail); len(n) != 1 || n[0].Status != chat.NotificationSending {
		t.Errorf("while retrying: %+v, want sending", n)
	}
	if n := notificationsOf(final, chat.MediumEmail); len(n) != 1 || n[0].Status != chat.NotificationSent {
		t.Errorf("in the end: %+v, want sent", n)
	}
	if got := len(h.sentAlerts(chat.MediumSMS)); got != 1 {
		t.Errorf("SMS sent %d, want 1 (email trouble does not touch SMS)", got)
	}
}

func TestPermanentAlertFailureIsShownWithItsReason(t *testing.T) {
	h := newHarness(t).withRecipients()
	const reason = `Vonage refused the SMS to +359888123456: status 29 (Non-Whitelisted Destination)`
	h.alert = func(medium chat.NotificationMedium, attempt int) error {
		if medium == chat.MediumSMS {
			return temporal.NewNonRetryableApplicationError(reason, activities.ErrTypeNotificationRefused, nil)
		}
		return nil
	}
	h.customer(0, "m1", "hello")
	ask := h.update(time.Minute, workflows.UpdateRequestAgent, workflows.AgentRequest{ID: "req-1"})
	final := h.run()

	mustSucceed(t, "request", ask)
	sms := notificationsOf(final, chat.MediumSMS)
	if len(sms) != 1 || sms[0].Status != chat.NotificationFailed || sms[0].Reason != reason {
		t.Errorf("SMS outcome %+v, want failed with Vonage's reason", sms)
	}
	if n := len(h.alerts) - len(h.sentAlerts(chat.MediumEmail)); n != 1 {
		t.Errorf("SMS attempts %d, want 1: a permanent failure is not retried", n)
	}
	if email := notificationsOf(final, chat.MediumEmail); len(email) != 1 || email[0].Status != chat.NotificationSent {
		t.Errorf("email outcome %+v, want sent", email)
	}
}

func TestAlertGivesUpAfterAnHourOfTemporaryFailures(t *testing.T) {
	h := newHarness(t)
	h.settings.NotificationEmail = "ops@example.com"
	h.alert = func(chat.NotificationMedium, int) error {
		return errors.New("451 4.3.0 mail server busy")
	}
	h.customer(0, "m1", "hello")
	h.update(time.Minute, workflows.UpdateRequestAgent, workflows.AgentRequest{ID: "req-1"})
	final := h.run()

	email := notificationsOf(final, chat.MediumEmail)
	if len(email) != 1 || email[0].Status != chat.NotificationFailed ||
		!strings.Contains(email[0].Reason, "gave up after retrying for 1h") || !strings.Contains(email[0].Reason, "mail server busy") {
		t.Errorf("email outcome %+v, want failed after an hour with the last error", email)
	}
	if len(h.alerts) < 5 {
		t.Errorf("only %d attempts in an hour, want retries with backoff", len(h.alerts))
	}
}

func TestRequestWithNothingConfiguredIsFlaggedAndSaysNobodyWasAlerted(t *testing.T) {
	h := newHarness(t)
	h.customer(0, "m1", "hello")
	ask := h.update(time.Minute, workflows.UpdateRequestAgent, workflows.AgentRequest{ID: "req-1"})
	final := h.run()

	mustSucceed(t, "request", ask)
	if ask.view.Status != chat.StatusAgentRequested {
		t.Errorf("state %s, want agent_requested", ask.view.Status)
	}
	if len(h.alerts) != 0 {
		t.Errorf("alerts attempted: %+v", h.alerts)
	}
	if n := final.Notifications; len(n) != 1 || n[0].Status != chat.NotificationSkipped || !strings.Contains(n[0].Reason, "no notification email or phone") {
		t.Errorf("notifications %+v, want one saying nobody was alerted and why", n)
	}
}

func TestMessengerAlertNamesTheCustomerFromTheirProfile(t *testing.T) {
	h := newMessengerHarness(t).withRecipients()
	h.profileFailures = 3 // the name arrives seconds after the request
	h.update(0, workflows.UpdateCustomerMessage, workflows.CustomerMessage{
		ID: "m1", Text: "I want to talk to a human", PageID: pageID, AsksForHuman: true})
	h.run()

	sent := h.sentAlerts(chat.MediumEmail)
	if len(sent) != 1 || sent[0].CustomerName != "Maria Petrova" || sent[0].Channel != chat.ChannelMessenger {
		t.Errorf("alerts %+v, want one naming the customer as their Messenger profile does", sent)
	}
}
