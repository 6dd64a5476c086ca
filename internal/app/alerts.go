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
		mailer, err := notify.NewMailer(m.NotifyConfig())
		if err != nil {
			return nil, fmt.Errorf("config notifications.smtp: %w", err)
		}
		a.Mailer = mailer
	}
	if v := cfg.Notification.Vonage; v.Configured() {
		sms, err := notify.NewSMSSender(v.NotifyConfig())
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
		a.logger.Warn("cannot check whether requests for a human alert anyone: reading the settings failed", "error", err)
		return
	}
	n := a.cfg.Notification
	s := cur.Settings
	emailReady := s.NotificationEmail != "" && n.SMTP.Configured()
	smsReady := s.NotificationPhone != "" && n.Vonage.Configured()
	if emailReady || smsReady {
		return
	}
	missing := []string{
		whatIsMissing("email", s.NotificationEmail, n.SMTP.Configured(), "notifications.smtp", "notifications.smtp.host", "notification_email"),
		whatIsMissing("SMS", s.NotificationPhone, n.Vonage.Configured(), "notifications.vonage", "notifications.vonage.api_key", "notification_phone"),
	}
	a.logger.Warn("customers who ask for a human are flagged for staff, but nobody is alerted by email or SMS: " +
		strings.Join(missing, "; "))
}

// whatIsMissing says what to set so that alerts go out by one medium.
func whatIsMissing(medium, recipient string, configured bool, section, key, setting string) string {
	switch {
	case recipient == "" && !configured:
		return "for " + medium + ", set " + section + " and the " + setting + " setting"
	case recipient == "":
		return "for " + medium + ", set the " + setting + " setting"
	default:
		return "for " + medium + " to " + recipient + ", set " + key
	}
}
