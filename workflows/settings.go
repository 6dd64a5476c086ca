package workflows

import (
	"errors"
	"fmt"
	"net/mail"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// Bounds of the live-chat inactivity timeout.
const (
	MinInactivityTimeout = time.Minute
	MaxInactivityTimeout = 24 * time.Hour
)

// MaxNotificationCooldown bounds the notification cooldown: a run of the
// conversation workflow never outlives a day without a customer message, and
// the cooldown is counted within one run.
const MaxNotificationCooldown = 24 * time.Hour

// settingsHistoryKept is how many changes the settings workflow keeps in its
// state for the API; every change stays in the workflow history regardless.
const settingsHistoryKept = 200

var phonePattern = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

// ValidateInactivityTimeout reports whether d is an allowed inactivity timeout.
func ValidateInactivityTimeout(d time.Duration) error {
	if d < MinInactivityTimeout || d > MaxInactivityTimeout {
		return fmt.Errorf("inactivity_timeout must be between 1m and 24h, got %s", FormatDuration(d))
	}
	return nil
}

// ValidateNotificationEmail accepts an empty string (no email) or one address.
func ValidateNotificationEmail(s string) error {
	if s == "" {
		return nil
	}
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Address != s {
		return fmt.Errorf("notification_email must be a plain email address like ops@example.com, got %q", s)
	}
	return nil
}

// ValidateNotificationPhone accepts an empty string (no SMS) or an E.164 number.
func ValidateNotificationPhone(s string) error {
	if s == "" {
		return nil
	}
	if !phonePattern.MatchString(s) {
		return fmt.Errorf("notification_phone must be in international E.164 form like +359888123456, got %q", s)
	}
	return nil
}

// ValidateNotificationCooldown accepts 0 (alert on every request) up to 24h.
func ValidateNotificationCooldown(d time.Duration) error {
	if d < 0 || d > MaxNotificationCooldown {
		return fmt.Errorf("notification_cooldown must be between 0s and 24h, got %s", FormatDuration(d))
	}
	return nil
}

// FormatDuration writes a duration the way admins type it: 1h30m, 45m, 90s.
func FormatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// Validate checks every complete setting.
func (s Settings) Validate() error {
	return errors.Join(
		ValidateInactivityTimeout(s.InactivityTimeout),
		ValidateNotificationEmail(s.NotificationEmail),
		ValidateNotificationPhone(s.NotificationPhone),
		ValidateNotificationCooldown(s.NotificationCooldown),
	)
}

// Validate checks the fields a patch sets; an empty patch is an error.
func (p SettingsPatch) Validate() error {
	if p == (SettingsPatch{}) {
		return errors.New("the change sets no setting; known settings: inactivity_timeout, notification_email, notification_phone, notification_cooldown, messenger_human_agent")
	}
	var errs []error
	if p.InactivityTimeout != nil {
		errs = append(errs, ValidateInactivityTimeout(*p.InactivityTimeout))
	}
	if p.NotificationEmail != nil {
		errs = append(errs, ValidateNotificationEmail(*p.NotificationEmail))
	}
	if p.NotificationPhone != nil {
		errs = append(errs, ValidateNotificationPhone(*p.NotificationPhone))
	}
	if p.NotificationCooldown != nil {
		errs = append(errs, ValidateNotificationCooldown(*p.NotificationCooldown))
	}
	return errors.Join(errs...)
}

// Apply returns defaults with the patch's fields laid over them.
func (p SettingsPatch) Apply(defaults Settings) Settings {
	s := defaults
	if p.InactivityTimeout != nil {
		s.InactivityTimeout = *p.InactivityTimeout
	}
	if p.NotificationEmail != nil {
		s.NotificationEmail = *p.NotificationEmail
	}
	if p.NotificationPhone != nil {
		s.NotificationPhone = *p.NotificationPhone
	}
	if p.MessengerHumanAgent != nil {
		s.MessengerHumanAgent = *p.MessengerHumanAgent
	}
	if p.NotificationCooldown != nil {
		s.NotificationCooldown = *p.NotificationCooldown
	}
	return s
}

// SettingsState is the settings workflow's state. It holds only the values
// admins changed (Overrides); anything not overridden comes from config.yaml, so
// a new default there applies to every setting nobody has changed.
type SettingsState struct {
	Overrides SettingsPatch    `json:"overrides"`
	Changes   []SettingsChange `json:"changes"`
}

// SettingsView is what QuerySettings returns.
type SettingsView struct {
	Overrides  SettingsPatch   `json:"overrides"`
	LastChange *SettingsChange `json:"last_change,omitempty"`
}

// SettingsWorkflow is the single, long-running holder of the admin-tunable
// settings. Every process reads it by query and changes it by update, so all of
// them share one durable copy, and its history is the audit trail.
func SettingsWorkflow(ctx workflow.Context, state SettingsState) error {
	if err := workflow.SetQueryHandler(ctx, QuerySettings, func() (SettingsView, error) {
		return state.view(), nil
	}); err != nil {
		return fmt.Errorf("register settings query: %w", err)
	}
	if err := workflow.SetQueryHandler(ctx, QuerySettingsChange, func() ([]SettingsChange, error) {
		return state.Changes, nil
	}); err != nil {
		return fmt.Errorf("register settings history query: %w", err)
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateSettings,
		func(ctx workflow.Context, req SettingsChangeRequest) (SettingsView, error) {
			state.apply(req, workflow.Now(ctx))
			return state.view(), nil
		},
		workflow.UpdateHandlerOptions{Validator: func(req SettingsChangeRequest) error {
			if err := req.Patch.Validate(); err != nil {
				return temporal.NewApplicationError(err.Error(), ErrTypeInvalidInput)
			}
			return nil
		}},
	); err != nil {
		return fmt.Errorf("register settings update: %w", err)
	}

	if err := workflow.Await(ctx, func() bool {
		return workflow.GetInfo(ctx).GetContinueAsNewSuggested()
	}); err != nil {
		return err
	}
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return err
	}
	return workflow.NewContinueAsNewError(ctx, SettingsWorkflowName, state)
}

func (s *SettingsState) view() SettingsView {
	v := SettingsView{Overrides: s.Overrides}
	if n := len(s.Changes); n > 0 {
		last := s.Changes[n-1]
		v.LastChange = &last
	}
	return v
}

func (s *SettingsState) apply(req SettingsChangeRequest, now time.Time) {
	for _, c := range s.Changes {
		if req.RequestID != "" && c.RequestID == req.RequestID {
			return // a retried request
		}
	}
	changes := map[string]Change{}
	record := func(name string, from *string, to string) {
		old := "(default)"
		if from != nil {
			old = *from
		}
		if old != to {
			changes[name] = Change{From: old, To: to}
		}
	}
	p := req.Patch
	if p.InactivityTimeout != nil {
		record("inactivity_timeout", formatted(s.Overrides.InactivityTimeout, FormatDuration), FormatDuration(*p.InactivityTimeout))
		s.Overrides.InactivityTimeout = p.InactivityTimeout
	}
	if p.NotificationEmail != nil {
		record("notification_email", s.Overrides.NotificationEmail, *p.NotificationEmail)
		s.Overrides.NotificationEmail = p.NotificationEmail
	}
	if p.NotificationPhone != nil {
		record("notification_phone", s.Overrides.NotificationPhone, *p.NotificationPhone)
		s.Overrides.NotificationPhone = p.NotificationPhone
	}
	if p.MessengerHumanAgent != nil {
		record("messenger_human_agent", formatted(s.Overrides.MessengerHumanAgent, strconv.FormatBool), strconv.FormatBool(*p.MessengerHumanAgent))
		s.Overrides.MessengerHumanAgent = p.MessengerHumanAgent
	}
	if p.NotificationCooldown != nil {
		record("notification_cooldown", formatted(s.Overrides.NotificationCooldown, FormatDuration), FormatDuration(*p.NotificationCooldown))
		s.Overrides.NotificationCooldown = p.NotificationCooldown
	}
	s.Changes = append(s.Changes, SettingsChange{RequestID: req.RequestID, Author: req.Author, At: now, Changes: changes})
	if len(s.Changes) > settingsHistoryKept {
		s.Changes = append([]SettingsChange(nil), s.Changes[len(s.Changes)-settingsHistoryKept:]...)
	}
}

// formatted is an overridden value as the audit trail writes it; nil when
// the setting was not overridden.
func formatted[T any](v *T, format func(T) string) *string {
	if v == nil {
		return nil
	}
	out := format(*v)
	return &out
}
