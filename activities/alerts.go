package activities

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"strings"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/handoff-chat/handoff/internal/notify"
	"github.com/handoff-chat/handoff/workflows"
)

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
func (a *Alerter) NotifyByEmail(ctx context.Context, req workflows.AgentAlert) (workflows.AlertResult, error) {
	if result, ok := alreadySent(ctx); ok {
		return result, nil
	}
	if a.Mailer == nil {
		return workflows.AlertResult{}, notificationRefused(fmt.Sprintf(
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
		return workflows.AlertResult{}, classifyAlertError("email "+req.To, err)
	}
	result := workflows.AlertResult{Receipt: messageID}
	activity.RecordHeartbeat(ctx, result)
	return result, nil
}

// NotifyBySMS texts the alert to req.To.
func (a *Alerter) NotifyBySMS(ctx context.Context, req workflows.AgentAlert) (workflows.AlertResult, error) {
	if result, ok := alreadySent(ctx); ok {
		return result, nil
	}
	if a.SMS == nil {
		return workflows.AlertResult{}, notificationRefused(fmt.Sprintf(
			"no SMS sent to %s: Vonage is not configured (notifications.vonage.api_key)", req.To), nil)
	}
	id, err := a.SMS.Send(ctx, req.To, notify.SMSText(a.notifyAlert(req)), alertKey(req.ID))
	if err != nil {
		return workflows.AlertResult{}, classifyAlertError("SMS "+req.To, err)
	}
	result := workflows.AlertResult{Receipt: id}
	activity.RecordHeartbeat(ctx, result)
	return result, nil
}

// alreadySent returns the receipt an earlier attempt recorded.
func alreadySent(ctx context.Context) (workflows.AlertResult, bool) {
	if !activity.HasHeartbeatDetails(ctx) {
		return workflows.AlertResult{}, false
	}
	var result workflows.AlertResult
	if err := activity.GetHeartbeatDetails(ctx, &result); err != nil || result.Receipt == "" {
		return workflows.AlertResult{}, false
	}
	return result, true
}

func (a *Alerter) notifyAlert(req workflows.AgentAlert) notify.Alert {
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
	return temporal.NewNonRetryableApplicationError(reason, workflows.ErrTypeNotificationRefused, cause)
}
