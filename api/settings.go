package api

import (
	"errors"
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
}

func toSettingsJSON(s chat.Settings) settingsJSON {
	return settingsJSON{
		InactivityTimeout:    chat.FormatDuration(s.InactivityTimeout),
		NotificationEmail:    s.NotificationEmail,
		NotificationPhone:    s.NotificationPhone,
		MessengerHumanAgent:  s.MessengerHumanAgent,
		NotificationCooldown: chat.FormatDuration(s.NotificationCooldown),
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
	return r
}

func (s *server) getSettings(c *gin.Context) {
	ctx, cancel := requestContext(c)
	defer cancel()
	cur, err := s.Settings.Current(ctx)
	if err != nil {
		s.writeSettingsError(c, err)
		return
	}
	c.JSON(http.StatusOK, toSettingsResponse(cur))
}

type settingsPatchRequest struct {
	InactivityTimeout    *string `json:"inactivity_timeout"`
	NotificationEmail    *string `json:"notification_email"`
	NotificationPhone    *string `json:"notification_phone"`
	MessengerHumanAgent  *bool   `json:"messenger_human_agent"`
	NotificationCooldown *string `json:"notification_cooldown"`
	// RequestID lets a client retry a change without recording it twice.
	RequestID string `json:"request_id"`
}

func (s *server) changeSettings(c *gin.Context) {
	var req settingsPatchRequest
	if !decodeJSON(c, &req) {
		return
	}
	var patch chat.SettingsPatch
	if req.InactivityTimeout != nil {
		d, err := time.ParseDuration(strings.TrimSpace(*req.InactivityTimeout))
		if err != nil {
			writeError(c, http.StatusBadRequest, `inactivity_timeout must be a duration like "30m" or "1h", got "`+*req.InactivityTimeout+`"`)
			return
		}
		patch.InactivityTimeout = &d
	}
	if req.NotificationCooldown != nil {
		d, err := time.ParseDuration(strings.TrimSpace(*req.NotificationCooldown))
		if err != nil {
			writeError(c, http.StatusBadRequest, `notification_cooldown must be a duration like "0s", "30m" or "2h", got "`+*req.NotificationCooldown+`"`)
			return
		}
		patch.NotificationCooldown = &d
	}
	if req.NotificationEmail != nil {
		v := strings.TrimSpace(*req.NotificationEmail)
		patch.NotificationEmail = &v
	}
	if req.NotificationPhone != nil {
		v := strings.TrimSpace(*req.NotificationPhone)
		patch.NotificationPhone = &v
	}
	patch.MessengerHumanAgent = req.MessengerHumanAgent
	var ok bool
	if req.RequestID, ok = idOrNew(c, "request_id", req.RequestID); !ok {
		return
	}
	ctx, cancel := requestContext(c)
	defer cancel()
	cur, err := s.Settings.Change(ctx, staffName(c), req.RequestID, patch)
	if errors.Is(err, settings.ErrInvalid) {
		writeError(c, http.StatusBadRequest, strings.ReplaceAll(strings.TrimPrefix(err.Error(), settings.ErrInvalid.Error()+": "), "\n", "; "))
		return
	}
	if err != nil {
		s.writeSettingsError(c, err)
		return
	}
	c.JSON(http.StatusOK, toSettingsResponse(cur))
}

func (s *server) settingsChanges(c *gin.Context) {
	ctx, cancel := requestContext(c)
	defer cancel()
	changes, err := s.Settings.History(ctx)
	if err != nil {
		s.writeSettingsError(c, err)
		return
	}
	if changes == nil {
		changes = []chat.SettingsChange{}
	}
	c.JSON(http.StatusOK, gin.H{"changes": changes})
}
