// Package api is handoff's HTTP surface: the web chat endpoints customers use,
// the staff REST API under /api/v1, health checks and the OpenAPI document.
package api

import (
	"context"
	_ "embed"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"go.temporal.io/sdk/client"

	"github.com/handoff-chat/handoff/internal/conversations"
	"github.com/handoff-chat/handoff/internal/flows"
	"github.com/handoff-chat/handoff/internal/settings"
	"github.com/handoff-chat/handoff/search"
)

//go:embed openapi.yaml
var openAPIDocument []byte

// Deps are what the API needs.
type Deps struct {
	Conversations *conversations.Client
	Settings      *settings.Store
	Temporal      client.Client
	// Search holds messages and the conversation list.
	Search search.Index
	// Messenger configures the Facebook Messenger webhook.
	Messenger Messenger
	// Flows are the navigation flows staff can send blocks of; nil when none
	// are configured.
	Flows *flows.Registry
	// WebChat configures the widget's endpoints.
	WebChat WebChat
	// StaffTokens maps a bearer token to the staff member's name.
	StaffTokens map[string]string
	// Closing is closed when the server shuts down; long-lived streams end.
	Closing <-chan struct{}
	// MaxBodyBytes caps request bodies; larger ones get 413.
	MaxBodyBytes int64
	Logger       *slog.Logger
}

// requestTimeout bounds the Temporal calls of one request.
const requestTimeout = 15 * time.Second

type server struct {
	Deps
	// activity wakes web chat event streams.
	activity activity
}

// NewHandler returns the HTTP handler with every route.
func NewHandler(deps Deps) http.Handler {
	gin.SetMode(gin.ReleaseMode)
	if deps.Logger == nil {
		deps.Logger = slog.Default()
	}
	s := &server{Deps: deps}
	r := gin.New()
	r.Use(s.recoverPanics, s.logRequests, s.limitBody, s.webChatCORS)
	r.HandleMethodNotAllowed = true
	r.NoRoute(func(c *gin.Context) {
		writeError(c, http.StatusNotFound, "no route for "+c.Request.Method+" "+c.Request.URL.Path)
	})
	r.NoMethod(func(c *gin.Context) {
		writeError(c, http.StatusMethodNotAllowed, "method "+c.Request.Method+" is not allowed on "+c.Request.URL.Path)
	})

	r.GET("/healthz", s.healthz)
	r.GET("/readyz", s.readyz)
	r.GET("/api/openapi.yaml", func(c *gin.Context) {
		c.Data(http.StatusOK, "application/yaml", openAPIDocument)
	})

	r.GET("/webhooks/messenger", s.messengerVerify)
	r.POST("/webhooks/messenger", s.messengerWebhook)

	r.GET("/webchat/widget.js", s.serveWidget)
	r.GET("/chat", s.serveChatPage)
	chat := r.Group("/webchat/v1")
	chat.POST("/visitors", s.newVisitor)
	visitor := chat.Group("/visitors/:visitor", s.requireVisitor)
	visitor.POST("/messages", s.visitorMessage)
	visitor.GET("/messages", s.visitorTranscript)
	visitor.GET("/events", s.visitorEvents)
	visitor.POST("/agent-request", s.visitorAgentRequest)

	staff := r.Group("/api/v1", s.requireStaff)
	staff.GET("/conversations", s.listConversations)
	staff.GET("/conversations/:channel/:customer", s.getConversation)
	staff.GET("/conversations/:channel/:customer/search", s.searchConversation)
	staff.POST("/conversations/:channel/:customer/live-chat", s.setLiveChat)
	staff.POST("/conversations/:channel/:customer/messages", s.staffMessage)
	staff.POST("/conversations/:channel/:customer/blocks", s.sendBlock)
	staff.GET("/flows", s.listFlows)
	staff.POST("/flows/reload", s.reloadFlows)
	staff.GET("/settings", s.getSettings)
	staff.PATCH("/settings", s.changeSettings)
	staff.GET("/settings/changes", s.settingsChanges)
	return r
}

func (s *server) healthz(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"status": "ok"})
}

func (s *server) readyz(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 3*time.Second)
	defer cancel()
	if _, err := s.Temporal.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
		writeError(c, http.StatusServiceUnavailable, "Temporal is not reachable: "+err.Error())
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": "ready"})
}

// writeError answers with {"error": message}.
func writeError(c *gin.Context, status int, message string) {
	c.AbortWithStatusJSON(status, gin.H{"error": message})
}

// writeConversationError maps the conversations package's errors to statuses.
func (s *server) writeConversationError(c *gin.Context, err error) {
	var stateErr *conversations.StateError
	var inputErr *conversations.InputError
	switch {
	case errors.Is(err, conversations.ErrNotFound):
		writeError(c, http.StatusNotFound, "no conversation with customer "+c.Param("customer")+" on channel "+c.Param("channel"))
	case errors.As(err, &stateErr):
		writeError(c, http.StatusConflict, stateErr.Reason)
	case errors.As(err, &inputErr):
		writeError(c, http.StatusBadRequest, inputErr.Reason)
	case errors.Is(err, search.ErrUnavailable):
		writeError(c, http.StatusServiceUnavailable, "the search backend is unavailable: "+err.Error())
	case errors.Is(err, context.DeadlineExceeded):
		writeError(c, http.StatusServiceUnavailable, "Temporal did not answer in time, so the outcome is unknown; retrying with the same id is safe")
	default:
		s.Logger.Error("request failed", "path", c.Request.URL.Path, "error", err)
		writeError(c, http.StatusServiceUnavailable, "the request could not be completed: "+err.Error())
	}
}

// writeSettingsError answers a failed settings read or change.
func (s *server) writeSettingsError(c *gin.Context, err error) {
	s.Logger.Error("settings request failed", "error", err)
	if errors.Is(err, context.DeadlineExceeded) {
		writeError(c, http.StatusServiceUnavailable, "Temporal did not answer in time, so the outcome is unknown; retrying with the same request_id is safe")
		return
	}
	writeError(c, http.StatusServiceUnavailable, "the settings could not be read or changed: "+err.Error())
}

func requestContext(c *gin.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(c.Request.Context(), requestTimeout)
}
