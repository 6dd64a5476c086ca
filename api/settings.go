package api

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/handoff-chat/handoff/internal/chat"
	"github.com/handoff-chat/handoff/internal/settings"
)

// settingsJSON is the wire form of settings: durations as Go duration strings.
type settingsJSON struct {
	InactivityTimeout string `json:"inactivity_timeout"`
	NotificationEmail string `json:"notification_email"`
	NotificationPhone string `json:"notification_phone"`
	// MessengerHumanAgent lets staff answer Messenger customers for 7 days
	// with the HUMAN_AGENT tag.
	MessengerHumanAgent bool `json:"messenger_human_agent"`
	// NotificationCooldown: repeated requests for a human from one customer
	// within this long alert the business only once.
	NotificationCooldown string `json:"notification_cooldown"`
	// AIEnabled: the AI answers questions from the knowledge base.
	AIEnabled bool `json:"ai_enabled"`
	// AIConfidenceThreshold: the AI answers from the knowledge base at this
	// confidence (0.01 to 1) and declines below it.
	AIConfidenceThreshold float64 `json:"ai_confidence_threshold"`
	// BotReply and AgentRequestedReply are the bot's fixed texts by
	// language code.
	BotReply            map[string]string `json:"bot_reply"`
	AgentRequestedReply map[string]string `json:"agent_requested_reply"`
	// AgentPhrases ask for a human in the customer's own words.
	AgentPhrases []string `json:"agent_phrases"`
}

func toSettingsJSON(s chat.Settings) settingsJSON {
	return settingsJSON{
		InactivityTimeout:     chat.FormatDuration(s.InactivityTimeout),
		NotificationEmail:     s.NotificationEmail,
		NotificationPhone:     s.NotificationPhone,
		MessengerHumanAgent:   s.MessengerHumanAgent,
		NotificationCooldown:  chat.FormatDuration(s.NotificationCooldown),
		AIEnabled:             s.AIEnabled,
		AIConfidenceThreshold: s.AIConfidenceThreshold,
		BotReply:              nonNilMap(s.BotReply),
		AgentRequestedReply:   nonNilMap(s.AgentRequestedReply),
		AgentPhrases:          nonNil(s.AgentPhrases),
	}
}

// nonNil is s, or an empty slice for nil, so that JSON shows [] rather
// than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func nonNilMap(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

type settingsResponse struct {
	Settings settingsJSON `json:"settings"`
	Defaults settingsJSON `json:"defaults"`
	// Overridden names the settings admins changed; the rest follow
	// config.yaml.
	Overridden []string             `json:"overridden"`
	LastChange *chat.SettingsChange `json:"last_change,omitempty"`
}

func toSettingsResponse(cur settings.Current) settingsResponse {
	return settingsResponse{
		Settings:   toSettingsJSON(cur.Settings),
		Defaults:   toSettingsJSON(cur.Defaults),
		Overridden: nonNil(cur.Overrides.Set()),
		LastChange: cur.LastChange,
	}
}

func (s *server) getSettings(c *gin.Context) error {
	cur, err := s.Settings.Current(c.Request.Context())
	if err != nil {
		return fmt.Errorf("read settings: %w", err)
	}
	c.JSON(http.StatusOK, toSettingsResponse(cur))
	return nil
}

type settingsPatchRequest struct {
	InactivityTimeout    *string `json:"inactivity_timeout"`
	NotificationEmail    *string `json:"notification_email"`
	NotificationPhone    *string `json:"notification_phone"`
	MessengerHumanAgent  *bool   `json:"messenger_human_agent"`
	NotificationCooldown *string `json:"notification_cooldown"`
	AIEnabled            *bool   `json:"ai_enabled"`
	// AIConfidenceThreshold is a number such as 0.45.
	AIConfidenceThreshold *float64           `json:"ai_confidence_threshold"`
	BotReply              *map[string]string `json:"bot_reply"`
	AgentRequestedReply   *map[string]string `json:"agent_requested_reply"`
	AgentPhrases          *[]string          `json:"agent_phrases"`
	// Reset names settings that follow config.yaml again.
	Reset []string `json:"reset"`
	// RequestID lets a client retry a change without recording it twice.
	RequestID string `json:"request_id"`
}

// maxResetNames bounds the names one change resets.
const maxResetNames = 50

// patch turns the request into a settings patch, with a 400 error for a
// duration that does not parse. The values' ranges are checked by the store.
func (req settingsPatchRequest) patch() (chat.SettingsPatch, error) {
	patch := chat.SettingsPatch{
		MessengerHumanAgent:   req.MessengerHumanAgent,
		AIEnabled:             req.AIEnabled,
		AIConfidenceThreshold: req.AIConfidenceThreshold,
		BotReply:              trimmedTexts(req.BotReply),
		AgentRequestedReply:   trimmedTexts(req.AgentRequestedReply),
		AgentPhrases:          trimmedList(req.AgentPhrases),
	}
	if req.InactivityTimeout != nil {
		d, err := time.ParseDuration(strings.TrimSpace(*req.InactivityTimeout))
		if err != nil {
			return patch, badRequest(`inactivity_timeout must be a duration like "30m" or "1h", got ` + chat.Quote(*req.InactivityTimeout))
		}
		patch.InactivityTimeout = &d
	}
	if req.NotificationCooldown != nil {
		d, err := time.ParseDuration(strings.TrimSpace(*req.NotificationCooldown))
		if err != nil {
			return patch, badRequest(`notification_cooldown must be a duration like "0s", "30m" or "2h", got ` + chat.Quote(*req.NotificationCooldown))
		}
		patch.NotificationCooldown = &d
	}
	patch.NotificationEmail = trimmed(req.NotificationEmail)
	if patch.NotificationEmail != nil && len(*patch.NotificationEmail) > chat.MaxEmailBytes {
		return patch, badRequest(fmt.Sprintf("notification_email is %d characters long; an address has at most %d", len(*patch.NotificationEmail), chat.MaxEmailBytes))
	}
	patch.NotificationPhone = trimmed(req.NotificationPhone)
	if len(req.Reset) > maxResetNames {
		return patch, badRequest(fmt.Sprintf("reset names %d settings; there are %d", len(req.Reset), len(chat.SettingNames())))
	}
	patch.Reset = req.Reset
	return patch, nil
}

// trimmedTexts is texts with each text trimmed; nil stays nil.
func trimmedTexts(texts *map[string]string) *map[string]string {
	if texts == nil {
		return nil
	}
	out := make(map[string]string, len(*texts))
	for lang, text := range *texts {
		out[strings.TrimSpace(lang)] = strings.TrimSpace(text)
	}
	return &out
}

// trimmedList is list with each item trimmed and empty ones dropped; nil
// stays nil.
func trimmedList(list *[]string) *[]string {
	if list == nil {
		return nil
	}
	out := []string{}
	for _, item := range *list {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return &out
}

// trimmed is *v without leading and trailing space; nil stays nil.
func trimmed(v *string) *string {
	if v == nil {
		return nil
	}
	t := strings.TrimSpace(*v)
	return &t
}

func (s *server) changeSettings(c *gin.Context) error {
	var req settingsPatchRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	patch, err := req.patch()
	if err != nil {
		return err
	}
	requestID, err := idOrNew("request_id", req.RequestID)
	if err != nil {
		return err
	}
	cur, err := s.Settings.Change(c.Request.Context(), staffName(c), requestID, patch)
	if err != nil {
		return fmt.Errorf("settings change %s: %w", requestID, err)
	}
	c.JSON(http.StatusOK, toSettingsResponse(cur))
	return nil
}

func (s *server) settingsChanges(c *gin.Context) error {
	changes, err := s.Settings.History(c.Request.Context())
	if err != nil {
		return fmt.Errorf("read settings changes: %w", err)
	}
	c.JSON(http.StatusOK, gin.H{"changes": nonNil(changes)})
	return nil
}
