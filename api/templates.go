package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/handoff-chat/handoff/internal/chat"
	"github.com/handoff-chat/handoff/internal/templates"
)

// TemplateLibrary is the template library (internal/templates.Store).
type TemplateLibrary interface {
	Counted(ctx context.Context) ([]templates.Counted, error)
	Get(ctx context.Context, id string) (chat.Template, error)
	Put(ctx context.Context, author, requestID string, t chat.Template, ifRevision int64, create bool) (chat.Template, error)
	Delete(ctx context.Context, author, requestID, id string) error
}

func (s *server) templateLibrary() (TemplateLibrary, error) {
	if s.Templates == nil {
		return nil, newAPIError(http.StatusServiceUnavailable, "the template library is not available in this process")
	}
	return s.Templates, nil
}

// listTemplates lists the library with each template's send count,
// filtered by q (title and text, any case) and sorted by sort: sent (most
// sent first, the default), title, or updated (newest first).
func (s *server) listTemplates(c *gin.Context) error {
	lib, err := s.templateLibrary()
	if err != nil {
		return err
	}
	q := strings.ToLower(strings.TrimSpace(c.Query("q")))
	if len([]rune(q)) > chat.MaxSearchRunes {
		return badRequest(fmt.Sprintf(`query parameter "q" has more than %d characters`, chat.MaxSearchRunes))
	}
	order := c.DefaultQuery("sort", "sent")
	if order != "sent" && order != "title" && order != "updated" {
		return badRequest(`query parameter "sort" must be sent, title or updated, got ` + chat.Quote(order))
	}
	all, err := lib.Counted(c.Request.Context())
	if all == nil {
		return fmt.Errorf("list templates: %w", err)
	}
	if err != nil { // counted by nobody: the templates, with a warning
		s.requestLogger(c).Warn("template send counts unavailable", "error", err)
	}
	out := make([]templates.Counted, 0, len(all))
	for _, t := range all {
		if q == "" || strings.Contains(strings.ToLower(t.Title+" "+t.Text), q) {
			out = append(out, t)
		}
	}
	slices.SortStableFunc(out, func(a, b templates.Counted) int {
		switch order {
		case "title":
			return strings.Compare(strings.ToLower(a.Title), strings.ToLower(b.Title))
		case "updated":
			return b.UpdatedAt.Compare(a.UpdatedAt)
		}
		if a.Sent != b.Sent {
			return b.Sent - a.Sent
		}
		return strings.Compare(strings.ToLower(a.Title), strings.ToLower(b.Title))
	})
	c.JSON(http.StatusOK, gin.H{"templates": out, "counted": err == nil})
	return nil
}

// templateRequest is a template as staff send it, with a request ID and
// the revision an edit read.
type templateRequest struct {
	chat.Template
	RequestID  string `json:"request_id"`
	IfRevision int64  `json:"if_revision"`
}

func (req *templateRequest) clean() {
	req.Title, req.Text, req.ImageURL = strings.TrimSpace(req.Title), strings.TrimSpace(req.Text), strings.TrimSpace(req.ImageURL)
	if req.Button != nil {
		req.Button.Title, req.Button.URL, req.Button.Payload = strings.TrimSpace(req.Button.Title), strings.TrimSpace(req.Button.URL), ""
	}
}

func (s *server) createTemplate(c *gin.Context) error {
	lib, err := s.templateLibrary()
	if err != nil {
		return err
	}
	var req templateRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	req.clean()
	if req.ID == "" {
		suffix := make([]byte, 3)
		_, _ = rand.Read(suffix)
		req.ID = chat.TemplateIDFromTitle(req.Title, hex.EncodeToString(suffix))
	}
	requestID, err := idOrNew("request_id", req.RequestID)
	if err != nil {
		return err
	}
	t, err := lib.Put(c.Request.Context(), staffName(c), requestID, req.Template, 0, true)
	if err != nil {
		return fmt.Errorf("create template %s: %w", req.ID, err)
	}
	c.JSON(http.StatusCreated, t)
	return nil
}

func (s *server) putTemplate(c *gin.Context) error {
	lib, err := s.templateLibrary()
	if err != nil {
		return err
	}
	id := c.Param("id")
	var req templateRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	req.clean()
	switch req.ID {
	case "":
		req.ID = id
	case id:
	default:
		return badRequest(fmt.Sprintf("id %q in the body is not the template id %q of the path; leave it out or send the same", req.ID, id))
	}
	if req.IfRevision < 0 {
		return badRequest(fmt.Sprintf(`"if_revision" must be a revision the library returned (1 or more), or left out; got %d`, req.IfRevision))
	}
	requestID, err := idOrNew("request_id", req.RequestID)
	if err != nil {
		return err
	}
	t, err := lib.Put(c.Request.Context(), staffName(c), requestID, req.Template, req.IfRevision, false)
	if err != nil {
		return fmt.Errorf("put template %s: %w", id, err)
	}
	c.JSON(http.StatusOK, t)
	return nil
}

func (s *server) deleteTemplate(c *gin.Context) error {
	lib, err := s.templateLibrary()
	if err != nil {
		return err
	}
	requestID, err := idOrNew("request_id", c.Query("request_id"))
	if err != nil {
		return err
	}
	if err := lib.Delete(c.Request.Context(), staffName(c), requestID, c.Param("id")); err != nil {
		return fmt.Errorf("delete template %s: %w", c.Param("id"), err)
	}
	c.Status(http.StatusNoContent)
	return nil
}

// templateErrorResponse maps the library's refusals; ok is false for any
// other error.
func templateErrorResponse(err error) (status int, body gin.H, ok bool) {
	var refusal *templates.Error
	if !errors.As(err, &refusal) {
		return 0, nil, false
	}
	switch refusal.Kind {
	case templates.ErrInvalid:
		return http.StatusBadRequest, errorBody(strings.ReplaceAll(refusal.Reason, "\n", "; ")), true
	case templates.ErrNotFound:
		return http.StatusNotFound, errorBody(refusal.Reason), true
	default:
		return http.StatusConflict, errorBody(refusal.Reason), true
	}
}
