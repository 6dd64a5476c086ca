package workflows

import (
	"context"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/handoff-chat/handoff/activities"
	"github.com/handoff-chat/handoff/internal/chat"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// Alerting the business when a customer asks for a human. A request queues
// one alert; the alerter sends it by email and by SMS, as the settings in
// force say, each through its own activity so that one medium failing never
// sends the other twice. The outcome of every send is kept on the
// conversation for staff to see.

const (
	// alertGiveUp bounds the retries of one email or SMS: a temporary
	// failure is retried with backoff for this long, then the alert is
	// marked failed.
	alertGiveUp = time.Hour
	// alertQuotes is how many of the customer's last messages an alert quotes.
	alertQuotes = 5
	// alertQuoteRunes caps one quoted message.
	alertQuoteRunes = 500
	// alertProfileWait is how long an alert waits for the customer's name
	// from the channel before it goes out without it.
	alertProfileWait = 30 * time.Second
	// notificationsKept is how many alert outcomes the state keeps.
	notificationsKept = 20
)

// pendingAlert is a request for a human not yet alerted. RequestID is the
// ID of the customer message or agent request that asked; Space says which.
type pendingAlert struct {
	RequestID   string                     `json:"request_id"`
	Space       idSpace                    `json:"space,omitempty"`
	RequestedAt time.Time                  `json:"requested_at"`
	Recent      []activities.QuotedMessage `json:"recent,omitempty"`
}

// queueAlert records a request for a human to alert the business about,
// quoting the customer's last messages up to now.
func (c *conversation) queueAlert(ctx workflow.Context, requestID string, space idSpace) {
	var recent []activities.QuotedMessage
	for i := len(c.state.Transcript) - 1; i >= 0 && len(recent) < alertQuotes; i-- {
		m := c.state.Transcript[i]
		if m.Sender == chat.SenderCustomer && m.Text != "" && m.Payload == "" {
			recent = append(recent, activities.QuotedMessage{Text: truncateRunes(m.Text, alertQuoteRunes), SentAt: m.SentAt})
		}
	}
	for i, j := 0, len(recent)-1; i < j; i, j = i+1, j-1 {
		recent[i], recent[j] = recent[j], recent[i]
	}
	c.alerts.push(pendingAlert{
		RequestID: requestID, Space: space, RequestedAt: workflow.Now(ctx), Recent: recent,
	})
}

// alert sends one alert by every medium the settings name, unless the
// business was alerted about this customer within the cooldown.
func (c *conversation) alert(ctx workflow.Context, a pendingAlert) error {
	skip := func(reason string) {
		c.setNotification(chat.Notification{RequestID: a.RequestID, RequestedAt: a.RequestedAt,
			Status: chat.NotificationSkipped, Reason: reason, At: workflow.Now(ctx)})
	}
	settings, err := loadSettings(ctx)
	if err != nil {
		skip(fmt.Sprintf("nobody was alerted: the settings could not be read (%v)", err))
		return nil
	}
	if last := c.state.LastAlertAt; !last.IsZero() && a.RequestedAt.Before(last.Add(settings.NotificationCooldown)) {
		skip(fmt.Sprintf("nobody was alerted again: the business was alerted about this customer at %s, within the %s cooldown (setting notification_cooldown)",
			last.UTC().Format(time.RFC3339), chat.FormatDuration(settings.NotificationCooldown)))
		return nil
	}
	type send struct {
		medium chat.NotificationMedium
		to     string
		notify func(context.Context, activities.AgentAlert) (activities.AlertResult, error)
	}
	var sends []send
	if settings.NotificationEmail != "" {
		sends = append(sends, send{chat.MediumEmail, settings.NotificationEmail, alertActivities.NotifyByEmail})
	}
	if settings.NotificationPhone != "" {
		sends = append(sends, send{chat.MediumSMS, settings.NotificationPhone, alertActivities.NotifyBySMS})
	}
	if len(sends) == 0 {
		skip("nobody was alerted: no notification email or phone is set (settings notification_email, notification_phone)")
		return nil
	}
	c.state.LastAlertAt = a.RequestedAt
	notifications := make([]chat.Notification, len(sends))
	for i, s := range sends {
		notifications[i] = chat.Notification{RequestID: a.RequestID, RequestedAt: a.RequestedAt, Medium: s.medium, To: s.to,
			Status: chat.NotificationSending, At: workflow.Now(ctx)}
		c.setNotification(notifications[i])
	}
	// A Messenger customer's name comes from their profile, fetched after
	// their first message; give that a moment so the alert can name them.
	if chat.SentToChannel(c.state.Channel) && c.state.CustomerName == "" && !c.state.ProfileFetched {
		if _, err := workflow.AwaitWithTimeout(ctx, alertProfileWait, func() bool { return c.state.ProfileFetched }); err != nil {
			return err
		}
	}

	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    2 * time.Minute,
		ScheduleToCloseTimeout: alertGiveUp,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:        5 * time.Second,
			BackoffCoefficient:     2,
			MaximumInterval:        5 * time.Minute,
			NonRetryableErrorTypes: []string{activities.ErrTypeNotificationRefused},
		},
	})
	wg := workflow.NewWaitGroup(ctx)
	for i, s := range sends {
		n := notifications[i]
		req := activities.AgentAlert{
			ID:             a.alertID(c.workflowID, s.medium),
			ConversationID: c.workflowID,
			Channel:        c.state.Channel,
			CustomerID:     c.state.CustomerID,
			CustomerName:   c.state.CustomerName,
			RequestedAt:    a.RequestedAt,
			Recent:         a.Recent,
			To:             s.to,
		}
		wg.Add(1)
		workflow.Go(ctx, func(ctx workflow.Context) {
			defer wg.Done()
			var result activities.AlertResult
			err := workflow.ExecuteActivity(ctx, s.notify, req).Get(ctx, &result)
			n.At = workflow.Now(ctx)
			if err != nil {
				workflow.GetLogger(ctx).Warn("business not alerted", "conversation", c.workflowID, "medium", s.medium, "error", err)
				n.Status, n.Reason = chat.NotificationFailed, alertFailureReason(err)
			} else {
				n.Status = chat.NotificationSent
			}
			c.setNotification(n)
		})
	}
	wg.Wait(ctx)
	return nil
}

// alertID is the stable ID of the alert by one medium: the conversation, the
// request and the medium. A customer message and an agent request may share
// an ID, so an agent request's alert says it is one.
func (a pendingAlert) alertID(conversationID string, medium chat.NotificationMedium) string {
	request := a.RequestID
	if a.Space == agentRequestIDs {
		request = "agent-request/" + a.RequestID
	}
	return conversationID + "/" + request + "/" + string(medium)
}

// setNotification records the outcome of an alert, replacing the earlier
// outcome of the same request (its ID and time) and medium.
func (c *conversation) setNotification(n chat.Notification) {
	for i, old := range c.state.Notifications {
		if old.RequestID == n.RequestID && old.RequestedAt.Equal(n.RequestedAt) && old.Medium == n.Medium {
			c.state.Notifications[i] = n
			return
		}
	}
	c.state.Notifications = append(c.state.Notifications, n)
	if len(c.state.Notifications) > notificationsKept {
		c.state.Notifications = append([]chat.Notification(nil), c.state.Notifications[len(c.state.Notifications)-notificationsKept:]...)
	}
}

// alertFailureReason is what staff are told about an alert that was not sent.
func alertFailureReason(err error) string {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		if appErr.Type() == activities.ErrTypeNotificationRefused {
			return appErr.Message()
		}
		return fmt.Sprintf("gave up after retrying for %s: %s", chat.FormatDuration(alertGiveUp), appErr.Message())
	}
	var timeoutErr *temporal.TimeoutError
	if errors.As(err, &timeoutErr) {
		return fmt.Sprintf("gave up after retrying for %s: %v", chat.FormatDuration(alertGiveUp), timeoutErr)
	}
	return err.Error()
}

func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}
