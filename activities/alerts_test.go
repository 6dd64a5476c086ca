package activities_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/handoff-chat/handoff/activities"
	"github.com/handoff-chat/handoff/internal/chat"
	"github.com/handoff-chat/handoff/internal/notify"
	"github.com/handoff-chat/handoff/internal/notify/smtptest"
	"github.com/handoff-chat/handoff/internal/notify/vonagetest"
)

func testAlert() activities.AgentAlert {
	return activities.AgentAlert{
		ID:             "conversation/messenger/4711/m.1/email",
		ConversationID: "conversation/messenger/4711",
		Channel:        chat.ChannelMessenger,
		CustomerID:     "4711",
		CustomerName:   "Ivan Petrov",
		RequestedAt:    time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC),
		Recent:         []activities.QuotedMessage{{Text: "Where is my order?", SentAt: time.Date(2026, 11, 30, 9, 59, 0, 0, time.UTC)}},
		To:             "ops@example.com",
	}
}

func newAlerter(t *testing.T) (*activities.Alerter, *smtptest.Server, *vonagetest.Server) {
	t.Helper()
	mail := smtptest.Start(t, smtptest.Options{})
	mailer, err := notify.NewMailer(notify.SMTPConfig{Host: mail.Host(), Port: mail.Port(), Security: notify.SecurityNone, From: "alerts@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	sms := vonagetest.NewServer(t)
	sender, err := notify.NewSMSSender(notify.VonageConfig{APIKey: "test-key", APISecret: "test-secret", From: "Shop", BaseURL: sms.URL()})
	if err != nil {
		t.Fatal(err)
	}
	return &activities.Alerter{Mailer: mailer, SMS: sender, PublicURL: "https://support.example.com/"}, mail, sms
}

func TestNotifyByEmailSendsOneMessageWithAStableID(t *testing.T) {
	alerter, mail, _ := newAlerter(t)
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestActivityEnvironment()
	env.RegisterActivity(alerter)

	val, err := env.ExecuteActivity(alerter.NotifyByEmail, testAlert())
	if err != nil {
		t.Fatal(err)
	}
	var result activities.AlertResult
	if err := val.Get(&result); err != nil {
		t.Fatal(err)
	}
	msg := mail.WaitForMessages(t, 1)[0]
	if got := msg.Header.Get("Message-Id"); got != result.Receipt || !strings.HasSuffix(got, "@support.example.com>") {
		t.Errorf("Message-ID %q, receipt %q: want the same, in the public URL's domain", got, result.Receipt)
	}
	if !strings.Contains(msg.Body, "https://support.example.com/dashboard/conversations/messenger/4711") {
		t.Errorf("body lacks the dashboard link:\n%s", msg.Body)
	}

	// The same alert again gets the same Message-ID, so a re-send is recognisable.
	if _, err := env.ExecuteActivity(alerter.NotifyByEmail, testAlert()); err != nil {
		t.Fatal(err)
	}
	msgs := mail.WaitForMessages(t, 2)
	if msgs[0].Header.Get("Message-Id") != msgs[1].Header.Get("Message-Id") {
		t.Errorf("Message-IDs differ between sends of one alert: %q, %q", msgs[0].Header.Get("Message-Id"), msgs[1].Header.Get("Message-Id"))
	}
}

func TestRetryAfterASendThatWasNotReportedDoesNotSendAgain(t *testing.T) {
	alerter, mail, sms := newAlerter(t)
	var suite testsuite.WorkflowTestSuite
	for name, activity := range map[string]any{"email": alerter.NotifyByEmail, "sms": alerter.NotifyBySMS} {
		t.Run(name, func(t *testing.T) {
			env := suite.NewTestActivityEnvironment()
			env.RegisterActivity(alerter)
			// What an earlier attempt recorded after sending, before its
			// worker died.
			env.SetHeartbeatDetails(activities.AlertResult{Receipt: "earlier-receipt"})
			val, err := env.ExecuteActivity(activity, testAlert())
			if err != nil {
				t.Fatal(err)
			}
			var result activities.AlertResult
			if err := val.Get(&result); err != nil {
				t.Fatal(err)
			}
			if result.Receipt != "earlier-receipt" {
				t.Errorf("receipt %q, want the earlier attempt's", result.Receipt)
			}
		})
	}
	if n := len(mail.Messages()); n != 0 {
		t.Errorf("%d emails sent, want none", n)
	}
	if n := len(sms.Requests()); n != 0 {
		t.Errorf("%d SMS sent, want none", n)
	}
}

func TestAlertFailuresAreClassified(t *testing.T) {
	alerter, mail, sms := newAlerter(t)
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestActivityEnvironment()
	env.RegisterActivity(alerter)

	mail.RejectRecipient("ops@example.com")
	_, err := env.ExecuteActivity(alerter.NotifyByEmail, testAlert())
	if !isRefused(err) || !strings.Contains(err.Error(), "ops@example.com") {
		t.Errorf("rejected recipient: %v, want a non-retryable refusal naming the address", err)
	}

	sms.FailNextHTTP(503)
	smsAlert := testAlert()
	smsAlert.To = "+359888123456"
	_, err = env.ExecuteActivity(alerter.NotifyBySMS, smsAlert)
	if err == nil || isRefused(err) {
		t.Errorf("Vonage unavailable: %v, want a retryable error", err)
	}

	unconfigured := &activities.Alerter{PublicURL: "https://support.example.com"}
	env.RegisterActivity(unconfigured)
	_, err = env.ExecuteActivity(unconfigured.NotifyBySMS, smsAlert)
	if !isRefused(err) || !strings.Contains(err.Error(), "notifications.vonage.api_key") {
		t.Errorf("SMS without Vonage: %v, want a refusal naming the missing key", err)
	}
	_, err = env.ExecuteActivity(unconfigured.NotifyByEmail, testAlert())
	if !isRefused(err) || !strings.Contains(err.Error(), "notifications.smtp.host") {
		t.Errorf("email without SMTP: %v, want a refusal naming the missing key", err)
	}
}

func isRefused(err error) bool {
	var appErr *temporal.ApplicationError
	return errors.As(err, &appErr) && appErr.Type() == activities.ErrTypeNotificationRefused && appErr.NonRetryable()
}
