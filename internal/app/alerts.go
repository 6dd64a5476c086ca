package app

import (
	"context"
	"fmt"
	"strings"

	"github.com/handoff-chat/handoff/activities"
	"github.com/handoff-chat/handoff/internal/config"
	"github.com/handoff-chat/handoff/internal/notify"
	"github.com/handoff-chat/handoff/internal/settings"
)

// newAlerter builds the senders of alerts to the business from the config;
// a medium that is not configured is left nil.
func newAlerter(cfg *config.Config) (*activities.Alerter, error) {
	a := &activities.Alerter{PublicURL: cfg.HTTP.PublicURL}
	if m := cfg.Notification.SMTP; m.Configured() {
		mailer, err := notify.NewMailer(notify.SMTPConfig{
			Host: m.Host, Port: m.Port, Security: notify.Security(m.Security),
			Username: m.Username, Password: m.Password, From: m.From,
		})
		if err != nil {
			return nil, fmt.Errorf("config notifications.smtp: %w", err)
		}
		a.Mailer = mailer
	}
	if v := cfg.Notification.Vonage; v.Configured() {
		sms, err := notify.NewSMSSender(notify.VonageConfig{
			APIKey: v.APIKey, APISecret: v.APISecret, From: v.From, BaseURL: v.BaseURL,
		})
		if err != nil {
			return nil, fmt.Errorf("config notifications.vonage: %w", err)
		}
		a.SMS = sms
	}
	return a, nil
}

// warnIfNobodyIsAlerted logs one warning at start-up when a customer asking
// for a human would alert no one, saying what is missing. Requests are still
// flagged for staff either way.
func (a *App) warnIfNobodyIsAlerted(ctx context.Context, store *settings.Store) {
	cur, err := store.Current(ctx)
	if err != nil {
		a.logger.Warn("cannot check the notification settings", "error", err)
		return
	}
	n := a.cfg.Notification
	s := cur.Settings
	emailReady := s.NotificationEmail != "" && n.SMTP.Configured()
	smsReady := s.NotificationPhone != "" && n.Vonage.Configured()
	if emailReady || smsReady {
		return
	}
	var missing []string
	switch {
	case s.NotificationEmail == "" && !n.SMTP.Configured():
		missing = append(missing, "for email, set notifications.smtp and the notification_email setting")
	case s.NotificationEmail == "":
		missing = append(missing, "for email, set the notification_email setting")
	default:
		missing = append(missing, "for email to "+s.NotificationEmail+", set notifications.smtp.host")
	}
	switch {
	case s.NotificationPhone == "" && !n.Vonage.Configured():
		missing = append(missing, "for SMS, set notifications.vonage and the notification_phone setting")
	case s.NotificationPhone == "":
		missing = append(missing, "for SMS, set the notification_phone setting")
	default:
		missing = append(missing, "for SMS to "+s.NotificationPhone+", set notifications.vonage.api_key")
	}
	a.logger.Warn("customers who ask for a human are flagged for staff, but nobody is alerted by email or SMS: " +
		strings.Join(missing, "; "))
}
