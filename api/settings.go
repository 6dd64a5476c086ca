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
	// AIConfidenceThreshold: the AI answers from the knowledge base at this
	// confidence (0.01 to 1) and declines below it.
	AIConfidenceThreshold float64 `json:"ai_confidence_threshold"`
}

func toSettingsJSON(s chat.Settings) settingsJSON {
	return settingsJSON{
		InactivityTimeout:     chat.FormatDuration(s.InactivityTimeout),
		NotificationEmail:     s.NotificationEmail,
		NotificationPhone:     s.NotificationPhone,
		MessengerHumanAgent:   s.MessengerHumanAgent,
		NotificationCooldown:  chat.FormatDuration(s.NotificationCooldown),
		AIConfidenceThreshold: s.AIConfidenceThreshold,
	}
}

type settingsResponse struct {
	Settings   settingsJSON         `json:"settings"`
	Defaults   settingsJSON         `json:"defaults"`
	Overridden []string             `json:"overridden"`
	LastChange *chat.SettingsChange `json:"last_change,omitempty"`
}

func toSettingsResponse(cur settings.Current) settingsResponse {
	r := settingsResponse{
		Settings:   toSettingsJSON(cur.Settings),
		Defaults:   toSettingsJSON(cur.Defaults),
		Overridden: []string{},
		LastChange: cur.LastChange,
	}
	if cur.Overrides.InactivityTimeout != nil {
		r.Overridden = append(r.Overridden, "inactivity_timeout")
	}
	if cur.Overrides.NotificationEmail != nil {
		r.Overridden = append(r.Overridden, "notification_email")
	}
	if cur.Overrides.NotificationPhone != nil {
		r.Overridden = append(r.Overridden, "notification_phone")
	}
	if cur.Overrides.MessengerHumanAgent != nil {
		r.Overridden = append(r.Overridden, "messenger_human_agent")
	}
	if cur.Overrides.NotificationCooldown != nil {
		r.Overridden = append(r.Overridden, "notification_cooldown")
	}
	if cur.Overrides.AIConfidenceThreshold != nil {
		r.Overridden = append(r.Overridden, "ai_confidence_threshold")
	}
	return r
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
	// AIConfidenceThreshold is a number such as 0.45.
	AIConfidenceThreshold *float64 `json:"ai_confidence_threshold"`
	// RequestID lets a client retry a change without recording it twice.
	RequestID string `json:"request_id"`
}

// patch turns the request into a settings patch, with a 400 error for a
// duration that does not parse. The values' ranges are checked by the store.
func (req settingsPatchRequest) patch() (chat.SettingsPatch, error) {
	var patch chat.SettingsPatch
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
	patch.MessengerHumanAgent = req.MessengerHumanAgent
	patch.AIConfidenceThreshold = req.AIConfidenceThreshold
	return patch, nil
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
	if changes == nil {
		changes = []chat.SettingsChange{}
	}
	c.JSON(http.StatusOK, gin.H{"changes": changes})
	return nil
}
