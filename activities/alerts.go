package activities

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"strings"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/handoff-chat/handoff/internal/notify"
)

// AgentAlert is the input of Alerter.NotifyByEmail and Alerter.NotifyBySMS: who
// asked for a human, what they wrote, and whom to tell.
type AgentAlert struct {
	// ID identifies the alert: the conversation, the request and the
	// medium. It is the same on every retry, so receivers can recognise a
	// re-send (email Message-ID, Vonage client-ref).
	ID             string    `json:"id"`
	ConversationID string    `json:"conversation_id"`
	Channel        string    `json:"channel"`
	CustomerID     string    `json:"customer_id"`
	CustomerName   string    `json:"customer_name,omitempty"`
	RequestedAt    time.Time `json:"requested_at"`
	// Recent are the customer's last messages up to the request, oldest first.
	Recent []QuotedMessage `json:"recent,omitempty"`
	// To is the email address or phone number in settings at the request.
	To string `json:"to"`
}

// QuotedMessage is a customer message quoted in an alert.
type QuotedMessage struct {
	Text   string    `json:"text"`
	SentAt time.Time `json:"sent_at"`
}

// AlertResult is what the notify activities return.
type AlertResult struct {
	// Receipt is what the receiving server gave back: the email's
	// Message-ID, or Vonage's message ID.
	Receipt string `json:"receipt,omitempty"`
}

// ErrTypeNotificationRefused means an email or SMS to the business failed
// for good (bad address, rejected, not configured); the error message is the
// reason shown to staff.
const ErrTypeNotificationRefused = "NotificationRefused"

// Alerter tells the business that a customer asks for a human, by email and
// by SMS.
//
// Each activity sends once per alert: the receipt of a successful send is
// recorded as heartbeat progress, so an attempt that follows one which sent
// but could not report it returns that receipt instead of sending again; an
// error after the server accepted a message is no failure (see package
// notify). The alert ID is also sent along (email Message-ID, Vonage
// client-ref), so the receiving side can recognise the rare re-send that
// neither can rule out: a worker that dies between sending and recording.
type Alerter struct {
	// Mailer sends email; nil when no mail server is configured.
	Mailer *notify.Mailer
	// SMS sends text messages; nil when Vonage is not configured.
	SMS *notify.SMSSender
	// PublicURL is where staff reach the dashboard (http.public_url).
	PublicURL string
}

// NotifyByEmail emails the alert to req.To.
func (a *Alerter) NotifyByEmail(ctx context.Context, req AgentAlert) (AlertResult, error) {
	if result, ok := alreadySent(ctx); ok {
		return result, nil
	}
	if a.Mailer == nil {
		return AlertResult{}, notificationRefused(fmt.Sprintf(
			"no email sent to %s: no mail server is configured (notifications.smtp.host)", req.To), nil)
	}
	alert := a.notifyAlert(req)
	messageID := "<" + alertKey(req.ID) + "@" + a.messageIDDomain() + ">"
	err := a.Mailer.Send(ctx, notify.Email{
		To:        req.To,
		Subject:   notify.EmailSubject(alert),
		Body:      notify.EmailBody(alert),
		MessageID: messageID,
	})
	if err != nil {
		return AlertResult{}, classifyAlertError("email "+req.To, err)
	}
	result := AlertResult{Receipt: messageID}
	activity.RecordHeartbeat(ctx, result)
	return result, nil
}

// NotifyBySMS texts the alert to req.To.
func (a *Alerter) NotifyBySMS(ctx context.Context, req AgentAlert) (AlertResult, error) {
	if result, ok := alreadySent(ctx); ok {
		return result, nil
	}
	if a.SMS == nil {
		return AlertResult{}, notificationRefused(fmt.Sprintf(
			"no SMS sent to %s: Vonage is not configured (notifications.vonage.api_key)", req.To), nil)
	}
	id, err := a.SMS.Send(ctx, req.To, notify.SMSText(a.notifyAlert(req)), alertKey(req.ID))
	if err != nil {
		return AlertResult{}, classifyAlertError("SMS "+req.To, err)
	}
	result := AlertResult{Receipt: id}
	activity.RecordHeartbeat(ctx, result)
	return result, nil
}

// alreadySent returns the receipt an earlier attempt recorded.
func alreadySent(ctx context.Context) (AlertResult, bool) {
	if !activity.HasHeartbeatDetails(ctx) {
		return AlertResult{}, false
	}
	var result AlertResult
	if err := activity.GetHeartbeatDetails(ctx, &result); err != nil || result.Receipt == "" {
		return AlertResult{}, false
	}
	return result, true
}

func (a *Alerter) notifyAlert(req AgentAlert) notify.Alert {
	alert := notify.Alert{
		ConversationID: req.ConversationID,
		Channel:        req.Channel,
		CustomerID:     req.CustomerID,
		CustomerName:   req.CustomerName,
		RequestedAt:    req.RequestedAt,
		Link:           ConversationLink(a.PublicURL, req.Channel, req.CustomerID),
	}
	for _, q := range req.Recent {
		alert.Recent = append(alert.Recent, notify.Quote{Text: q.Text, SentAt: q.SentAt})
	}
	return alert
}

// ConversationLink is the address of a conversation in the staff dashboard.
func ConversationLink(publicURL, channel, customerID string) string {
	return strings.TrimRight(publicURL, "/") + "/dashboard/conversations/" + url.PathEscape(channel) + "/" + url.PathEscape(customerID)
}

// messageIDDomain is the right-hand side of alert Message-IDs: the host of
// the public URL.
func (a *Alerter) messageIDDomain() string {
	if u, err := url.Parse(a.PublicURL); err == nil && u.Hostname() != "" {
		return u.Hostname()
	}
	return "handoff.invalid"
}

// alertKey is a short, stable identifier of an alert, safe in headers and
// in Vonage's 40-character client-ref.
func alertKey(id string) string {
	sum := sha256.Sum256([]byte(id))
	return "alert-" + hex.EncodeToString(sum[:16])
}

// classifyAlertError leaves temporary failures for Temporal to retry and
// turns permanent ones into a non-retryable error whose message staff read.
func classifyAlertError(what string, err error) error {
	if notify.IsPermanent(err) {
		return notificationRefused(err.Error(), err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

func notificationRefused(reason string, cause error) error {
	return temporal.NewNonRetryableApplicationError(reason, ErrTypeNotificationRefused, cause)
}
