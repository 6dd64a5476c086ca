package chat

import (
	"errors"
	"fmt"
	"net/mail"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Settings are the admin-tunable options. Every field has a default in config.yaml.
type Settings struct {
	InactivityTimeout time.Duration `json:"inactivity_timeout"`
	NotificationEmail string        `json:"notification_email"`
	NotificationPhone string        `json:"notification_phone"`
	// MessengerHumanAgent lets staff answer Messenger customers for up to 7
	// days after their last message, sent with the HUMAN_AGENT tag.
	MessengerHumanAgent bool `json:"messenger_human_agent"`
	// NotificationCooldown is how long after alerting the business about a
	// customer a new request from the same customer alerts no one again.
	NotificationCooldown time.Duration `json:"notification_cooldown"`
	// AIConfidenceThreshold is the confidence, from 0 to 1, at which the AI
	// answers a question from the knowledge base; below it, it declines and
	// offers a human.
	AIConfidenceThreshold float64 `json:"ai_confidence_threshold"`
}

// SettingsPatch changes some settings; nil fields are left as they are.
type SettingsPatch struct {
	InactivityTimeout     *time.Duration `json:"inactivity_timeout,omitempty"`
	NotificationEmail     *string        `json:"notification_email,omitempty"`
	NotificationPhone     *string        `json:"notification_phone,omitempty"`
	MessengerHumanAgent   *bool          `json:"messenger_human_agent,omitempty"`
	NotificationCooldown  *time.Duration `json:"notification_cooldown,omitempty"`
	AIConfidenceThreshold *float64       `json:"ai_confidence_threshold,omitempty"`
}

// SettingsChange is one entry of the settings audit trail.
type SettingsChange struct {
	RequestID string            `json:"request_id"`
	Author    string            `json:"author"`
	At        time.Time         `json:"at"`
	Changes   map[string]Change `json:"changes"`
}

// Change is the old and new value of one setting.
type Change struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// Bounds of the live-chat inactivity timeout.
const (
	MinInactivityTimeout = time.Minute
	MaxInactivityTimeout = 24 * time.Hour
)

// MaxNotificationCooldown bounds the notification cooldown: a run of the
// conversation workflow never outlives a day without a customer message, and
// the cooldown is counted within one run.
const MaxNotificationCooldown = 24 * time.Hour

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

// Bounds of the AI's confidence threshold.
const (
	MinAIConfidenceThreshold = 0.01
	MaxAIConfidenceThreshold = 1
)

// ValidateAIConfidenceThreshold accepts a threshold from 0.01 to 1.
func ValidateAIConfidenceThreshold(t float64) error {
	if !(t >= MinAIConfidenceThreshold && t <= MaxAIConfidenceThreshold) {
		return fmt.Errorf("ai_confidence_threshold must be between 0.01 and 1, got %s", FormatThreshold(t))
	}
	return nil
}

// FormatThreshold writes a threshold the way admins type it: 0.45.
func FormatThreshold(t float64) string { return strconv.FormatFloat(t, 'f', -1, 64) }

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
		ValidateAIConfidenceThreshold(s.AIConfidenceThreshold),
	)
}

// Validate checks the fields a patch sets; an empty patch is an error.
func (p SettingsPatch) Validate() error {
	if p == (SettingsPatch{}) {
		return errors.New("the change sets no setting; known settings: inactivity_timeout, notification_email, notification_phone, notification_cooldown, messenger_human_agent, ai_confidence_threshold")
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
	if p.AIConfidenceThreshold != nil {
		errs = append(errs, ValidateAIConfidenceThreshold(*p.AIConfidenceThreshold))
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
	if p.AIConfidenceThreshold != nil {
		s.AIConfidenceThreshold = *p.AIConfidenceThreshold
	}
	return s
}
