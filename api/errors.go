package api

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/handoff-chat/handoff/internal/chat"
	"github.com/handoff-chat/handoff/internal/conversations"
	"github.com/handoff-chat/handoff/internal/knowledgebase"
	"github.com/handoff-chat/handoff/internal/media"
	"github.com/handoff-chat/handoff/internal/settings"
	"github.com/handoff-chat/handoff/internal/temporalclient"
	"github.com/handoff-chat/handoff/search"
)

// apiError is an error answered with its own status and message, which is
// meant for the client.
type apiError struct {
	status  int
	message string
	// extra holds body fields besides "error".
	extra gin.H
}

func (e *apiError) Error() string { return e.message }

func newAPIError(status int, message string) *apiError {
	return &apiError{status: status, message: message}
}

func badRequest(message string) error   { return newAPIError(http.StatusBadRequest, message) }
func unauthorized(message string) error { return newAPIError(http.StatusUnauthorized, message) }
func forbidden(message string) error    { return newAPIError(http.StatusForbidden, message) }
func notFound(message string) error     { return newAPIError(http.StatusNotFound, message) }

// handle adapts a handler that returns an error: the handler's calls get
// requestTimeout through the request's context, and an error it returns is
// answered by writeErr.
func (s *server) handle(h func(*gin.Context) error) gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx, cancel := context.WithTimeout(c.Request.Context(), requestTimeout)
		defer cancel()
		c.Request = c.Request.WithContext(ctx)
		if err := h(c); err != nil {
			s.writeErr(c, err)
		}
	}
}

// handleStream is handle without the time limit, for long-lived streams.
func (s *server) handleStream(h func(*gin.Context) error) gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := h(c); err != nil {
			s.writeErr(c, err)
		}
	}
}

// guard adapts a middleware check: an error is answered by writeErr and ends
// the request; nil lets it go on.
func (s *server) guard(check func(*gin.Context) error) gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := check(c); err != nil {
			s.writeErr(c, err)
		}
	}
}

// writeErr answers err as JSON and ends the request.
func (s *server) writeErr(c *gin.Context, err error) {
	status, body := s.errorResponse(c, err)
	c.AbortWithStatusJSON(status, body)
}

// errorResponse maps err to a status and a body {"error": message}. Errors
// without a mapping are logged and answered 500 with the request ID, never
// with their text.
func (s *server) errorResponse(c *gin.Context, err error) (int, gin.H) {
	var apiErr *apiError
	var stateErr *conversations.StateError
	var inputErr *conversations.InputError
	var invalidSettings *settings.InvalidError
	var reusedID *chat.ReusedIDError
	var unavailable *temporalclient.UnavailableError
	if status, body, ok := knowledgeErrorResponse(err); ok {
		return status, body
	}
	if status, body, ok := templateErrorResponse(err); ok {
		return status, body
	}
	switch {
	case errors.As(err, &apiErr):
		return apiErr.status, apiErr.body()
	case errors.Is(err, conversations.ErrNotFound):
		return http.StatusNotFound, errorBody("no conversation with customer " + c.Param("customer") + " on channel " + c.Param("channel"))
	case errors.As(err, &stateErr):
		return http.StatusConflict, errorBody(stateErr.Reason)
	case errors.As(err, &inputErr):
		return http.StatusBadRequest, errorBody(inputErr.Reason)
	case errors.As(err, &invalidSettings):
		return http.StatusBadRequest, errorBody(strings.ReplaceAll(invalidSettings.Reason, "\n", "; "))
	case errors.As(err, &reusedID):
		return http.StatusConflict, errorBody(reusedID.Error())
	case errors.Is(err, search.ErrUnavailable):
		s.requestLogger(c).Warn("search backend unavailable", "path", c.Request.URL.Path, "error", err)
		return http.StatusServiceUnavailable, errorBody("the search backend is unavailable")
	case errors.Is(err, media.ErrUnavailable):
		s.requestLogger(c).Warn("image store unavailable", "path", c.Request.URL.Path, "error", err)
		return http.StatusServiceUnavailable, errorBody("the image store is unavailable; try again shortly")
	case errors.As(err, &unavailable):
		s.logUnavailable(c, err)
		return http.StatusServiceUnavailable, errorBody(retryMessage(unavailable, retryField(err)))
	default:
		s.requestLogger(c).Error("request failed", "method", c.Request.Method, "path", c.Request.URL.Path, "error", err)
		id := requestID(c)
		return http.StatusInternalServerError, gin.H{"error": "internal error; request id " + id, "request_id": id}
	}
}

// logUnavailable logs a Temporal call that did not complete, unless the
// client itself gave up on the request.
func (s *server) logUnavailable(c *gin.Context, err error) {
	log := s.requestLogger(c)
	if errors.Is(c.Request.Context().Err(), context.Canceled) {
		log.Debug("request cancelled by the client", "path", c.Request.URL.Path, "error", err)
		return
	}
	log.Warn("Temporal unavailable", "path", c.Request.URL.Path, "error", err)
}

func errorBody(message string) gin.H { return gin.H{"error": message} }

func (e *apiError) body() gin.H {
	body := gin.H{}
	for k, v := range e.extra {
		body[k] = v
	}
	body["error"] = e.message
	return body
}

// retryField is the request field whose value makes a retry safe: the
// request_id of a settings or knowledge entry change, else the message or
// request id.
func retryField(err error) string {
	if errors.Is(err, settings.ErrUnavailable) || errors.Is(err, knowledgebase.ErrUnavailable) {
		return "request_id"
	}
	return "id"
}

func retryMessage(err *temporalclient.UnavailableError, field string) string {
	what := "Temporal is unavailable or busy"
	if err.TimedOut {
		what = "Temporal did not answer in time"
	}
	return what + ", so the outcome is unknown; retrying with the same " + field + " is safe"
}
