package chat

import (
	"errors"
	"fmt"
	"maps"
	"net/mail"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Settings are the admin-tunable options. Every field has a default in
// config.yaml; a SettingsPatch field of the same JSON name overrides it.
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
	// AIEnabled lets the conversational AI answer customers' questions from
	// the knowledge base; off, free text gets the flows' fallback (or
	// BotReply) as if the knowledge base were empty.
	AIEnabled bool `json:"ai_enabled"`
	// AIConfidenceThreshold is the confidence, from 0 to 1, at which the AI
	// answers a question from the knowledge base; below it, it declines and
	// offers a human.
	AIConfidenceThreshold float64 `json:"ai_confidence_threshold"`
	// BotReply is the bot's answer without flows, by language code.
	BotReply map[string]string `json:"bot_reply"`
	// AgentRequestedReply tells a customer who asked for a human that the
	// business was alerted, by language code.
	AgentRequestedReply map[string]string `json:"agent_requested_reply"`
	// AgentPhrases are the words with which a customer asks for a human.
	AgentPhrases []string `json:"agent_phrases"`
}

// SettingsPatch changes some settings: a field that is not nil overrides
// the setting of the same JSON name, and Reset names settings that follow
// config.yaml again. As the settings workflow's state, it holds the
// overrides in force (Reset empty).
type SettingsPatch struct {
	InactivityTimeout     *time.Duration     `json:"inactivity_timeout,omitempty"`
	NotificationEmail     *string            `json:"notification_email,omitempty"`
	NotificationPhone     *string            `json:"notification_phone,omitempty"`
	MessengerHumanAgent   *bool              `json:"messenger_human_agent,omitempty"`
	NotificationCooldown  *time.Duration     `json:"notification_cooldown,omitempty"`
	AIEnabled             *bool              `json:"ai_enabled,omitempty"`
	AIConfidenceThreshold *float64           `json:"ai_confidence_threshold,omitempty"`
	BotReply              *map[string]string `json:"bot_reply,omitempty"`
	AgentRequestedReply   *map[string]string `json:"agent_requested_reply,omitempty"`
	AgentPhrases          *[]string          `json:"agent_phrases,omitempty"`
	Reset                 []string           `json:"reset,omitempty"`
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

// Bounds of the bot's fixed texts and the phrases that ask for a human.
const (
	MaxSettingLanguages = 20
	MaxAgentPhrases     = 200
	MaxAgentPhraseRunes = 100
)

var languageCode = regexp.MustCompile(`^[a-z]{2,3}$`)

// ValidateTexts checks a setting of texts by language: at least one, each
// keyed by a 2 or 3 letter lower-case language code, none empty, each a
// message text.
func ValidateTexts(name string, texts map[string]string) error {
	if len(texts) == 0 {
		return fmt.Errorf("%s must give the text in at least one language, like {\"en\": \"...\"}", name)
	}
	if len(texts) > MaxSettingLanguages {
		return fmt.Errorf("%s has %d languages; at most %d", name, len(texts), MaxSettingLanguages)
	}
	var errs []error
	for _, lang := range slices.Sorted(maps.Keys(texts)) {
		if !languageCode.MatchString(lang) {
			errs = append(errs, fmt.Errorf("%s must be keyed by a 2 or 3 letter lower-case language code like en or bg, got %s", name, Quote(lang)))
		} else if err := CheckText(name+"."+lang, texts[lang]); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// ValidateAgentPhrases checks the phrases that ask for a human: at most
// MaxAgentPhrases of at most MaxAgentPhraseRunes characters, each with a
// letter or digit (a phrase without could never match). None is allowed:
// then only buttons ask for a human.
func ValidateAgentPhrases(phrases []string) error {
	if len(phrases) > MaxAgentPhrases {
		return fmt.Errorf("agent_phrases has %d phrases; at most %d", len(phrases), MaxAgentPhrases)
	}
	var errs []error
	for i, p := range phrases {
		field := fmt.Sprintf("agent_phrases[%d]", i)
		if err := checkString(field, p, MaxAgentPhraseRunes); err != nil {
			errs = append(errs, err)
		} else if !strings.ContainsFunc(p, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) {
			errs = append(errs, fmt.Errorf("%s (%s) has no letters or digits, so it could never match", field, Quote(p)))
		}
	}
	return errors.Join(errs...)
}

// settingRules are the settings by JSON name, with the check of a value
// (given as the Settings it is part of) and how the audit trail writes it.
var settingRules = []struct {
	name     string
	validate func(Settings) error
	format   func(Settings) string
}{
	{"inactivity_timeout", func(s Settings) error { return ValidateInactivityTimeout(s.InactivityTimeout) },
		func(s Settings) string { return FormatDuration(s.InactivityTimeout) }},
	{"notification_email", func(s Settings) error { return ValidateNotificationEmail(s.NotificationEmail) },
		func(s Settings) string { return s.NotificationEmail }},
	{"notification_phone", func(s Settings) error { return ValidateNotificationPhone(s.NotificationPhone) },
		func(s Settings) string { return s.NotificationPhone }},
	{"messenger_human_agent", nil, func(s Settings) string { return strconv.FormatBool(s.MessengerHumanAgent) }},
	{"notification_cooldown", func(s Settings) error { return ValidateNotificationCooldown(s.NotificationCooldown) },
		func(s Settings) string { return FormatDuration(s.NotificationCooldown) }},
	{"ai_enabled", nil, func(s Settings) string { return strconv.FormatBool(s.AIEnabled) }},
	{"ai_confidence_threshold", func(s Settings) error { return ValidateAIConfidenceThreshold(s.AIConfidenceThreshold) },
		func(s Settings) string { return FormatThreshold(s.AIConfidenceThreshold) }},
	{"bot_reply", func(s Settings) error { return ValidateTexts("bot_reply", s.BotReply) },
		func(s Settings) string { return formatTexts(s.BotReply) }},
	{"agent_requested_reply", func(s Settings) error { return ValidateTexts("agent_requested_reply", s.AgentRequestedReply) },
		func(s Settings) string { return formatTexts(s.AgentRequestedReply) }},
	{"agent_phrases", func(s Settings) error { return ValidateAgentPhrases(s.AgentPhrases) },
		func(s Settings) string { return strings.Join(s.AgentPhrases, ", ") }},
}

// SettingNames are the names of every setting, in the order the API lists
// them.
func SettingNames() []string {
	names := make([]string, len(settingRules))
	for i, r := range settingRules {
		names[i] = r.name
	}
	return names
}

func formatTexts(texts map[string]string) string {
	parts := make([]string, 0, len(texts))
	for _, lang := range slices.Sorted(maps.Keys(texts)) {
		parts = append(parts, lang+": "+texts[lang])
	}
	return strings.Join(parts, "; ")
}

// Validate checks every complete setting.
func (s Settings) Validate() error {
	var errs []error
	for _, r := range settingRules {
		if r.validate != nil {
			errs = append(errs, r.validate(s))
		}
	}
	return errors.Join(errs...)
}

// Format is the setting name of s as the audit trail writes it.
func (s Settings) Format(name string) string {
	for _, r := range settingRules {
		if r.name == name {
			return r.format(s)
		}
	}
	return ""
}

// patchFields maps the JSON names of SettingsPatch's overrides to their
// field indexes, and settingsFields those of Settings.
var patchFields, settingsFields = jsonFields(reflect.TypeFor[SettingsPatch]()), jsonFields(reflect.TypeFor[Settings]())

func jsonFields(t reflect.Type) map[string]int {
	m := map[string]int{}
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		m[name] = i
	}
	return m
}

// Set lists the settings the patch overrides, in SettingNames order.
func (p SettingsPatch) Set() []string {
	v := reflect.ValueOf(p)
	var names []string
	for _, r := range settingRules {
		if !v.Field(patchFields[r.name]).IsNil() {
			names = append(names, r.name)
		}
	}
	return names
}

// IsEmpty reports whether the patch neither sets nor resets anything.
func (p SettingsPatch) IsEmpty() bool { return len(p.Set()) == 0 && len(p.Reset) == 0 }

// Validate checks the fields a patch sets and the names it resets; an
// empty patch, an unknown name, or a setting both set and reset is an
// error.
func (p SettingsPatch) Validate() error {
	known := "known settings: " + strings.Join(SettingNames(), ", ")
	if p.IsEmpty() {
		return errors.New("the change sets no setting; " + known)
	}
	applied := p.Apply(Settings{})
	set := p.Set()
	var errs []error
	for _, r := range settingRules {
		if r.validate != nil && slices.Contains(set, r.name) {
			errs = append(errs, r.validate(applied))
		}
	}
	for _, name := range p.Reset {
		switch {
		case !slices.Contains(SettingNames(), name):
			errs = append(errs, fmt.Errorf("reset names %s, which is no setting; %s", Quote(name), known))
		case slices.Contains(set, name):
			errs = append(errs, fmt.Errorf("%s is both changed and reset; do one of them", name))
		}
	}
	return errors.Join(errs...)
}

// Apply returns defaults with the patch's overrides laid over them (Reset
// plays no part: a reset setting is one the patch does not override).
func (p SettingsPatch) Apply(defaults Settings) Settings {
	s := defaults
	pv, sv := reflect.ValueOf(p), reflect.ValueOf(&s).Elem()
	for _, name := range p.Set() {
		sv.Field(settingsFields[name]).Set(pv.Field(patchFields[name]).Elem())
	}
	return s
}

// Merge returns the overrides p with q laid over them: what q sets
// replaces, what q resets is removed. The result's Reset is empty.
func (p SettingsPatch) Merge(q SettingsPatch) SettingsPatch {
	out := p
	out.Reset = nil
	ov, qv := reflect.ValueOf(&out).Elem(), reflect.ValueOf(q)
	for _, name := range q.Reset {
		if i, ok := patchFields[name]; ok {
			ov.Field(i).SetZero()
		}
	}
	for _, name := range q.Set() {
		ov.Field(patchFields[name]).Set(qv.Field(patchFields[name]))
	}
	return out
}
