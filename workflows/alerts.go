package workflows

import (
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

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

// pendingAlert is a request for a human not yet alerted.
type pendingAlert struct {
	RequestID   string          `json:"request_id"`
	RequestedAt time.Time       `json:"requested_at"`
	Recent      []QuotedMessage `json:"recent,omitempty"`
}

// alertsVersion turns alerts on for runs started by code that sends them;
// runs recorded before alerts existed replay without. It is called before
// the update handlers are registered, because an update that started the run
// is handled as soon as its handler is.
func (c *conversation) alertsVersion(ctx workflow.Context) {
	c.alerting = workflow.GetVersion(ctx, "agent-alerts", workflow.DefaultVersion, 1) >= 1
}

// startAlerter starts the coroutine that alerts the business.
func (c *conversation) startAlerter(ctx workflow.Context) {
	if c.alerting {
		workflow.Go(ctx, c.runAlerter)
	}
}

// queueAlert records a request for a human to alert the business about,
// quoting the customer's last messages up to now.
func (c *conversation) queueAlert(ctx workflow.Context, requestID string) {
	var recent []QuotedMessage
	for i := len(c.state.Transcript) - 1; i >= 0 && len(recent) < alertQuotes; i-- {
		m := c.state.Transcript[i]
		if m.Sender == SenderCustomer && m.Text != "" && m.Payload == "" {
			recent = append(recent, QuotedMessage{Text: truncateRunes(m.Text, alertQuoteRunes), SentAt: m.SentAt})
		}
	}
	for i, j := 0, len(recent)-1; i < j; i, j = i+1, j-1 {
		recent[i], recent[j] = recent[j], recent[i]
	}
	c.state.PendingAlerts = append(c.state.PendingAlerts, pendingAlert{
		RequestID: requestID, RequestedAt: workflow.Now(ctx), Recent: recent,
	})
}

// runAlerter sends queued alerts one request at a time.
func (c *conversation) runAlerter(ctx workflow.Context) {
	for {
		if err := workflow.Await(ctx, func() bool { return len(c.state.PendingAlerts) > 0 }); err != nil {
			return
		}
		c.alertBusy = true
		alert := c.state.PendingAlerts[0]
		c.state.PendingAlerts = c.state.PendingAlerts[1:]
		c.alert(ctx, alert)
		c.alertBusy = false
	}
}

// alert sends one alert by every medium the settings name, unless the
// business was alerted about this customer within the cooldown.
func (c *conversation) alert(ctx workflow.Context, a pendingAlert) {
	skip := func(reason string) {
		c.setNotification(Notification{RequestID: a.RequestID, RequestedAt: a.RequestedAt,
			Status: NotificationSkipped, Reason: reason, At: workflow.Now(ctx)})
	}
	settings, err := loadSettings(ctx)
	if err != nil {
		skip(fmt.Sprintf("nobody was alerted: the settings could not be read (%v)", err))
		return
	}
	if last := c.state.LastAlertAt; !last.IsZero() && a.RequestedAt.Before(last.Add(settings.NotificationCooldown)) {
		skip(fmt.Sprintf("nobody was alerted again: the business was alerted about this customer at %s, within the %s cooldown (setting notification_cooldown)",
			last.UTC().Format(time.RFC3339), FormatDuration(settings.NotificationCooldown)))
		return
	}
	type send struct {
		medium   NotificationMedium
		to       string
		activity string
	}
	var sends []send
	if settings.NotificationEmail != "" {
		sends = append(sends, send{MediumEmail, settings.NotificationEmail, NotifyEmailActivity})
	}
	if settings.NotificationPhone != "" {
		sends = append(sends, send{MediumSMS, settings.NotificationPhone, NotifySMSActivity})
	}
	if len(sends) == 0 {
		skip("nobody was alerted: no notification email or phone is set (settings notification_email, notification_phone)")
		return
	}
	c.state.LastAlertAt = a.RequestedAt
	notifications := make([]Notification, len(sends))
	for i, s := range sends {
		notifications[i] = Notification{RequestID: a.RequestID, RequestedAt: a.RequestedAt, Medium: s.medium, To: s.to,
			Status: NotificationSending, At: workflow.Now(ctx)}
		c.setNotification(notifications[i])
	}
	// A Messenger customer's name comes from their profile, fetched after
	// their first message; give that a moment so the alert can name them.
	if c.delivering && c.state.CustomerName == "" && !c.state.ProfileFetched {
		if _, err := workflow.AwaitWithTimeout(ctx, alertProfileWait, func() bool { return c.state.ProfileFetched }); err != nil {
			return
		}
	}

	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    2 * time.Minute,
		ScheduleToCloseTimeout: alertGiveUp,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:        5 * time.Second,
			BackoffCoefficient:     2,
			MaximumInterval:        5 * time.Minute,
			NonRetryableErrorTypes: []string{ErrTypeNotificationRefused},
		},
	})
	wg := workflow.NewWaitGroup(ctx)
	for i, s := range sends {
		n := notifications[i]
		req := AgentAlert{
			ID:             c.workflowID + "/" + a.RequestID + "/" + string(s.medium),
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
			var result AlertResult
			err := workflow.ExecuteActivity(ctx, s.activity, req).Get(ctx, &result)
			n.At = workflow.Now(ctx)
			if err != nil {
				workflow.GetLogger(ctx).Warn("business not alerted", "conversation", c.workflowID, "medium", s.medium, "error", err)
				n.Status, n.Reason = NotificationFailed, alertFailureReason(err)
			} else {
				n.Status = NotificationSent
			}
			c.setNotification(n)
		})
	}
	wg.Wait(ctx)
}

// setNotification records the outcome of an alert, replacing the earlier
// outcome of the same request and medium.
func (c *conversation) setNotification(n Notification) {
	for i, old := range c.state.Notifications {
		if old.RequestID == n.RequestID && old.Medium == n.Medium {
			c.state.Notifications[i] = n
			return
		}
	}
	c.state.Notifications = append(c.state.Notifications, n)
	if len(c.state.Notifications) > notificationsKept {
		c.state.Notifications = append([]Notification(nil), c.state.Notifications[len(c.state.Notifications)-notificationsKept:]...)
	}
}

// alertFailureReason is what staff are told about an alert that was not sent.
func alertFailureReason(err error) string {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		if appErr.Type() == ErrTypeNotificationRefused {
			return appErr.Message()
		}
		return fmt.Sprintf("gave up after retrying for %s: %s", FormatDuration(alertGiveUp), appErr.Message())
	}
	var timeoutErr *temporal.TimeoutError
	if errors.As(err, &timeoutErr) {
		return fmt.Sprintf("gave up after retrying for %s: %v", FormatDuration(alertGiveUp), timeoutErr)
	}
	return err.Error()
}

func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}
