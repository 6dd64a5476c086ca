// Package api is handoff's HTTP surface: the web chat endpoints customers use,
// the staff REST API under /api/v1, health checks and the OpenAPI document.
package api

import (
	"context"
	_ "embed"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"go.temporal.io/sdk/client"

	"github.com/handoff-chat/handoff/internal/conversations"
	"github.com/handoff-chat/handoff/internal/feed"
	"github.com/handoff-chat/handoff/internal/flows"
	"github.com/handoff-chat/handoff/internal/media"
	"github.com/handoff-chat/handoff/internal/settings"
	"github.com/handoff-chat/handoff/internal/staff"
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
	// Knowledge is the AI's knowledge base; nil answers its routes 503.
	Knowledge KnowledgeBase
	// Templates is the template library.
	Templates TemplateLibrary
	// TemporalUI is the Temporal UI's address and TemporalNamespace the
	// namespace, for auditors' links to a conversation's history; empty
	// shows no link.
	TemporalUI, TemporalNamespace string
	// PublicURL is where staff reach the dashboard, for links to
	// conversations.
	PublicURL string
	// WebChat configures the widget's endpoints.
	WebChat WebChat
	// Staff are the users who log in to the dashboard and the API tokens,
	// each with a role.
	Staff *staff.Directory
	// SessionKey signs dashboard sessions; SessionTTL is how long one lasts.
	SessionKey []byte
	SessionTTL time.Duration
	// Feed is the process's change feed behind every event stream; nil
	// answers the streams 503.
	Feed *feed.Feed
	// Media is the store of uploaded images; nil answers uploads 503.
	Media *media.Store
	// Closing is closed when the server shuts down; long-lived streams end.
	Closing <-chan struct{}
	// MaxBodyBytes caps request bodies; larger ones get 413.
	MaxBodyBytes int64
	// MaxImportBytes caps the body of a knowledge base import instead;
	// below MaxBodyBytes it is MaxBodyBytes.
	MaxImportBytes int64
	// TrustedProxies are the reverse proxies (IPs or CIDR ranges) whose
	// X-Forwarded-For names the client; none are trusted when empty.
	TrustedProxies []string
	Logger         *slog.Logger
}

// requestTimeout bounds the Temporal and search calls of one request; the
// web chat event stream is the exception.
const requestTimeout = 15 * time.Second

// readyTimeout bounds the readiness check's call to Temporal.
const readyTimeout = 3 * time.Second

type server struct {
	Deps
	// visitorLimit counts new visitors per client address, messageLimit
	// messages per visitor, streams open event streams per visitor.
	visitorLimit *rateLimiter
	messageLimit *rateLimiter
	streams      *streamSlots
	sessions     sessions
	logins       *loginThrottle
}

// NewHandler returns the HTTP handler with every route.
func NewHandler(deps Deps) http.Handler {
	gin.SetMode(gin.ReleaseMode)
	if deps.Logger == nil {
		deps.Logger = slog.Default()
	}
	s := &server{
		Deps:         deps,
		visitorLimit: newRateLimiter(deps.WebChat.Limits.VisitorsPerMinute),
		messageLimit: newRateLimiter(deps.WebChat.Limits.MessagesPerMinute),
		streams:      newStreamSlots(deps.WebChat.Limits.StreamsPerVisitor),
		sessions:     sessions{key: deps.SessionKey, ttl: deps.SessionTTL},
		logins:       newLoginThrottle(),
	}
	if s.sessions.ttl <= 0 {
		s.sessions.ttl = 12 * time.Hour
	}
	if s.Staff == nil {
		s.Staff, _ = staff.NewDirectory(nil, nil)
	}
	r := gin.New()
	if err := r.SetTrustedProxies(deps.TrustedProxies); err != nil {
		deps.Logger.Error("http.trusted_proxies not usable; trusting no proxy", "error", err)
		_ = r.SetTrustedProxies(nil)
	}
	r.Use(s.assignRequestID, s.recoverPanics, s.logRequests, s.limitBody, s.guard(s.webChatCORS))
	r.HandleMethodNotAllowed = true
	r.NoRoute(s.handle(func(c *gin.Context) error {
		return notFound("no route for " + c.Request.Method + " " + c.Request.URL.Path)
	}))
	r.NoMethod(s.handle(func(c *gin.Context) error {
		return newAPIError(http.StatusMethodNotAllowed, "method "+c.Request.Method+" is not allowed on "+c.Request.URL.Path)
	}))

	r.GET("/healthz", s.healthz)
	r.GET("/readyz", s.handle(s.readyz))
	r.GET("/api/openapi.yaml", func(c *gin.Context) {
		c.Data(http.StatusOK, "application/yaml", openAPIDocument)
	})

	r.GET("/webhooks/messenger", s.handle(s.messengerVerify))
	r.POST("/webhooks/messenger", s.handle(s.messengerWebhook))

	r.GET("/webchat/widget.js", s.serveWidget)
	r.GET("/chat", s.serveChatPage)
	chat := r.Group("/webchat/v1")
	chat.POST("/visitors", s.guard(s.limitVisitorCreation), s.newVisitor)
	chat.GET("/welcome", s.handle(s.webChatWelcome))
	visitor := chat.Group("/visitors/:visitor")
	byHeader, byHeaderOrQuery := s.guard(s.requireVisitor), s.guard(s.requireStreamVisitor)
	limited := s.guard(s.limitVisitorMessages)
	visitor.POST("/messages", byHeader, limited, s.handle(s.visitorMessage))
	visitor.GET("/messages", byHeader, s.handle(s.visitorTranscript))
	visitor.GET("/events", byHeaderOrQuery, s.handleStream(s.visitorEvents))
	visitor.POST("/agent-request", byHeader, limited, s.handle(s.visitorAgentRequest))

	staffAPI := r.Group("/api/v1", s.guard(s.requireStaff))
	work, admin, adminRead := s.guard(s.mayWork), s.guard(s.mayAdminister), s.guard(s.mayReadAdministration)
	staffAPI.GET("/conversations", s.handle(s.listConversations))
	staffAPI.GET("/conversations/:channel/:customer", s.handle(s.getConversation))
	staffAPI.GET("/conversations/:channel/:customer/search", s.handle(s.searchConversation))
	staffAPI.POST("/conversations/:channel/:customer/live-chat", work, s.handle(s.setLiveChat))
	staffAPI.POST("/conversations/:channel/:customer/messages", work, s.handle(s.staffMessage))
	staffAPI.POST("/conversations/:channel/:customer/blocks", work, s.handle(s.sendBlock))
	staffAPI.POST("/conversations/:channel/:customer/knowledge", admin, s.handle(s.saveEntryFromChat))
	staffAPI.GET("/flows", s.handle(s.listFlows))
	staffAPI.POST("/flows/reload", admin, s.handle(s.reloadFlows))
	staffAPI.GET("/settings", adminRead, s.handle(s.getSettings))
	staffAPI.PATCH("/settings", admin, s.handle(s.changeSettings))
	staffAPI.GET("/settings/changes", adminRead, s.handle(s.settingsChanges))
	staffAPI.GET("/knowledge", adminRead, s.handle(s.listKnowledge))
	staffAPI.GET("/knowledge/export", adminRead, s.handle(s.exportKnowledge))
	staffAPI.POST("/knowledge/import", admin, s.handle(s.importKnowledge))
	staffAPI.GET("/knowledge/unanswered", adminRead, s.handle(s.unansweredKnowledge))
	staffAPI.GET("/knowledge/stats", adminRead, s.handle(s.knowledgeStats))
	staffAPI.POST("/knowledge/:id/alternates", admin, s.handle(s.addAlternates))
	staffAPI.GET("/knowledge/:id", adminRead, s.handle(s.getKnowledge))
	staffAPI.PUT("/knowledge/:id", admin, s.handle(s.putKnowledge))
	staffAPI.DELETE("/knowledge/:id", admin, s.handle(s.deleteKnowledge))
	staffAPI.GET("/templates", s.handle(s.listTemplates))
	staffAPI.POST("/templates", admin, s.handle(s.createTemplate))
	staffAPI.PUT("/templates/:id", admin, s.handle(s.putTemplate))
	staffAPI.DELETE("/templates/:id", admin, s.handle(s.deleteTemplate))
	staffAPI.GET("/me", s.handle(s.me))
	staffAPI.POST("/media", work, s.handle(s.uploadMedia))
	r.GET("/media/:name", s.handleStream(s.serveMedia))
	s.dashboardRoutes(r)
	return r
}

func (s *server) healthz(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"status": "ok"})
}

// readyz answers 503 while Temporal does not pass a health check; the reason
// is logged, not sent.
func (s *server) readyz(c *gin.Context) error {
	ctx, cancel := context.WithTimeout(c.Request.Context(), readyTimeout)
	defer cancel()
	if _, err := s.Temporal.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
		s.requestLogger(c).Warn("readiness check: Temporal is not reachable", "error", err)
		return newAPIError(http.StatusServiceUnavailable, "Temporal is not reachable")
	}
	c.JSON(http.StatusOK, gin.H{"status": "ready"})
	return nil
}
