package workflows

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/handoff-chat/handoff/internal/chat"
)

// The template library: one long-running workflow holds every template
// (at most chat.MaxTemplates), so every process shares one durable copy
// and its history is the library's audit trail. The search index only
// counts the messages sent from each template: losing it loses no
// template.
const (
	TemplatesWorkflowName = "TemplateLibrary"
	TemplatesWorkflowID   = "templates"
	// UpdateTemplatePut creates or edits a template (TemplatePut).
	UpdateTemplatePut = "put-template"
	// UpdateTemplateDelete deletes one (TemplateDelete).
	UpdateTemplateDelete = "delete-template"
	// QueryTemplates returns every template, by ID.
	QueryTemplates = "templates"
)

// templateRequestsKept is how many request IDs the library remembers for
// retries.
const templateRequestsKept = 500

// TemplatesState is the library's state, carried across continue-as-new.
type TemplatesState struct {
	Templates map[string]chat.Template `json:"templates,omitempty"`
	// Requests are the digests of recent requests by request ID, oldest
	// first in RequestOrder, so a retry is recognised and a reused ID
	// refused.
	Requests     map[string]string `json:"requests,omitempty"`
	RequestOrder []string          `json:"request_order,omitempty"`
}

// TemplatePut is the payload of UpdateTemplatePut.
type TemplatePut struct {
	Template  chat.Template `json:"template"`
	Author    string        `json:"author"`
	RequestID string        `json:"request_id,omitempty"`
	// IfRevision, when above 0, applies the put only if the template is at
	// that revision (ErrTypeRevisionMismatch otherwise).
	IfRevision int64 `json:"if_revision,omitempty"`
	// Create refuses a put of an ID that exists (ErrTypeReusedID).
	Create bool `json:"create,omitempty"`
}

// TemplateDelete is the payload of UpdateTemplateDelete.
type TemplateDelete struct {
	ID        string `json:"id"`
	Author    string `json:"author"`
	RequestID string `json:"request_id,omitempty"`
}

// TemplatesWorkflow serves the library's updates and query until the
// server suggests continuing as new.
func TemplatesWorkflow(ctx workflow.Context, state TemplatesState) error {
	if state.Templates == nil {
		state.Templates = map[string]chat.Template{}
	}
	if err := workflow.SetQueryHandler(ctx, QueryTemplates, func() ([]chat.Template, error) {
		return state.list(), nil
	}); err != nil {
		return fmt.Errorf("register templates query: %w", err)
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateTemplatePut,
		func(ctx workflow.Context, req TemplatePut) (chat.Template, error) {
			if state.retried(req.RequestID, templatePutDigest(req)) {
				return state.Templates[req.Template.ID], nil
			}
			if err := state.checkPut(req); err != nil {
				return chat.Template{}, err
			}
			t := req.Template
			t.Revision = state.Templates[t.ID].Revision + 1
			t.UpdatedAt, t.UpdatedBy = workflow.Now(ctx), req.Author
			state.Templates[t.ID] = t
			state.remember(req.RequestID, templatePutDigest(req))
			return t, nil
		},
		workflow.UpdateHandlerOptions{Validator: func(req TemplatePut) error {
			if state.retried(req.RequestID, templatePutDigest(req)) {
				return nil
			}
			if err := req.Template.Validate(); err != nil {
				return temporal.NewApplicationError(err.Error(), ErrTypeInvalidInput)
			}
			return state.checkPut(req)
		}},
	); err != nil {
		return fmt.Errorf("register template put: %w", err)
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateTemplateDelete,
		func(ctx workflow.Context, req TemplateDelete) (bool, error) {
			if state.retried(req.RequestID, templateDeleteDigest(req)) {
				return true, nil
			}
			if _, ok := state.Templates[req.ID]; !ok {
				return false, temporal.NewApplicationError(fmt.Sprintf("no template %q", req.ID), ErrTypeNotFound)
			}
			delete(state.Templates, req.ID)
			state.remember(req.RequestID, templateDeleteDigest(req))
			return true, nil
		},
		workflow.UpdateHandlerOptions{Validator: func(req TemplateDelete) error {
			if state.retried(req.RequestID, templateDeleteDigest(req)) {
				return nil
			}
			if err := state.checkRequestID(req.RequestID, templateDeleteDigest(req)); err != nil {
				return err
			}
			if _, ok := state.Templates[req.ID]; !ok {
				return temporal.NewApplicationError(fmt.Sprintf("no template %q", req.ID), ErrTypeNotFound)
			}
			return nil
		}},
	); err != nil {
		return fmt.Errorf("register template delete: %w", err)
	}
	return continueAsNewWhenSuggested(ctx, TemplatesWorkflowName, &state)
}

// list is every template, by ID.
func (s *TemplatesState) list() []chat.Template {
	out := make([]chat.Template, 0, len(s.Templates))
	for _, id := range slices.Sorted(maps.Keys(s.Templates)) {
		out = append(out, s.Templates[id])
	}
	return out
}

// checkRequestID refuses a request ID already used for another change.
func (s *TemplatesState) checkRequestID(requestID, digest string) error {
	if d, ok := s.Requests[requestID]; ok && requestID != "" && d != digest {
		return temporal.NewApplicationError(fmt.Sprintf("request ID %q was already used for a different change", requestID), ErrTypeReusedID)
	}
	return nil
}

// checkPut refuses a put the library cannot take: a reused request ID, a
// full library, an existing ID for a create, a revision that moved.
func (s *TemplatesState) checkPut(req TemplatePut) error {
	if err := s.checkRequestID(req.RequestID, templatePutDigest(req)); err != nil {
		return err
	}
	cur, exists := s.Templates[req.Template.ID]
	switch {
	case !exists && len(s.Templates) >= chat.MaxTemplates:
		return temporal.NewApplicationError(fmt.Sprintf("the library holds its maximum of %d templates; delete one first", chat.MaxTemplates), ErrTypeInvalidInput)
	case exists && req.Create:
		return temporal.NewApplicationError(fmt.Sprintf("a template %q exists already; edit it or choose another ID", req.Template.ID), ErrTypeReusedID)
	case req.IfRevision > 0 && cur.Revision != req.IfRevision:
		return temporal.NewApplicationError(fmt.Sprintf("template %q is at revision %d, not %d: it changed since it was read", req.Template.ID, cur.Revision, req.IfRevision), ErrTypeRevisionMismatch)
	}
	return nil
}

// retried reports whether requestID was already applied to the same
// request (checkRequestID refuses one reused for another).
func (s *TemplatesState) retried(requestID, digest string) bool {
	return requestID != "" && s.Requests[requestID] == digest
}

func (s *TemplatesState) remember(requestID, digest string) {
	if requestID == "" {
		return
	}
	if s.Requests == nil {
		s.Requests = map[string]string{}
	}
	s.Requests[requestID] = digest
	s.RequestOrder = append(s.RequestOrder, requestID)
	if n := len(s.RequestOrder); n > templateRequestsKept {
		for _, old := range s.RequestOrder[:n-templateRequestsKept] {
			delete(s.Requests, old)
		}
		s.RequestOrder = append([]string(nil), s.RequestOrder[n-templateRequestsKept:]...)
	}
}

// templatePutDigest identifies a put's content.
func templatePutDigest(req TemplatePut) string {
	t := req.Template
	t.Revision, t.UpdatedAt, t.UpdatedBy = 0, time.Time{}, ""
	raw, _ := json.Marshal(struct {
		T          chat.Template
		IfRevision int64
		Create     bool
	}{t, req.IfRevision, req.Create})
	sum := sha256.Sum256(raw)
	return "put " + hex.EncodeToString(sum[:12])
}

// templateDeleteDigest identifies a delete.
func templateDeleteDigest(req TemplateDelete) string { return "delete " + req.ID }
