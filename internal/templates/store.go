// Package templates reads and changes the template library staff insert
// into replies. The templates live in one TemplateLibrary workflow, so
// every process shares one durable, audited copy; how often each was sent
// is counted from the indexed staff messages that reference it.
package templates

import (
	"context"
	"errors"
	"fmt"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/handoff-chat/handoff/internal/chat"
	"github.com/handoff-chat/handoff/internal/temporalclient"
	"github.com/handoff-chat/handoff/search"
	"github.com/handoff-chat/handoff/workflows"
)

// Errors of a change the library refuses; each says what was wrong.
var (
	ErrInvalid          = errors.New("invalid template")
	ErrNotFound         = errors.New("template not found")
	ErrExists           = errors.New("template exists")
	ErrRevisionMismatch = errors.New("template changed since it was read")
	// ErrUnavailable: Temporal did not complete the call; retrying with
	// the same request ID applies a change once.
	ErrUnavailable = errors.New("template library unavailable")
)

// Error is a refusal with the library's reason.
type Error struct {
	Kind   error
	Reason string
}

func (e *Error) Error() string        { return e.Reason }
func (e *Error) Is(target error) bool { return target == e.Kind }

// Counter reads how often each template was sent (the search index).
type Counter interface {
	TemplateSends(ctx context.Context) ([]search.TemplateSends, error)
}

// Store reads and changes the library through Temporal.
type Store struct {
	client  client.Client
	counter Counter
}

// NewStore returns the library of c, counted by counter.
func NewStore(c client.Client, counter Counter) *Store { return &Store{client: c, counter: counter} }

// Counted is a template with how many messages were sent from it.
type Counted struct {
	chat.Template
	Sent int `json:"sent"`
}

func (s *Store) startOptions() client.StartWorkflowOptions {
	return client.StartWorkflowOptions{
		ID:                       workflows.TemplatesWorkflowID,
		TaskQueue:                workflows.TaskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
	}
}

// Ensure starts the library's workflow unless it runs.
func (s *Store) Ensure(ctx context.Context) error {
	if _, err := s.client.ExecuteWorkflow(ctx, s.startOptions(), workflows.TemplatesWorkflowName, workflows.TemplatesState{}); err != nil {
		return wrap("start the template library", err)
	}
	return nil
}

// List returns every template, by ID.
func (s *Store) List(ctx context.Context) ([]chat.Template, error) {
	resp, err := s.client.QueryWorkflow(ctx, workflows.TemplatesWorkflowID, "", workflows.QueryTemplates)
	if err != nil {
		return nil, wrap("query the template library", err)
	}
	var out []chat.Template
	if err := resp.Get(&out); err != nil {
		return nil, fmt.Errorf("decode the template library: %w", err)
	}
	return out, nil
}

// Get returns one template.
func (s *Store) Get(ctx context.Context, id string) (chat.Template, error) {
	all, err := s.List(ctx)
	if err != nil {
		return chat.Template{}, err
	}
	for _, t := range all {
		if t.ID == id {
			return t, nil
		}
	}
	return chat.Template{}, &Error{Kind: ErrNotFound, Reason: fmt.Sprintf("no template %q in the library", id)}
}

// Counted returns every template with its send count. When the index
// cannot count, the templates come with 0 and the error.
func (s *Store) Counted(ctx context.Context) ([]Counted, error) {
	all, err := s.List(ctx)
	if err != nil {
		return nil, err
	}
	sends, countErr := s.counter.TemplateSends(ctx)
	sent := make(map[string]int, len(sends))
	for _, c := range sends {
		sent[c.TemplateID] = c.Sent
	}
	out := make([]Counted, 0, len(all))
	for _, t := range all {
		out = append(out, Counted{Template: t, Sent: sent[t.ID]})
	}
	if countErr != nil {
		return out, fmt.Errorf("count template sends: %w", countErr)
	}
	return out, nil
}

// Put creates (create) or edits a template on behalf of author;
// ifRevision above 0 requires the template to be at that revision.
func (s *Store) Put(ctx context.Context, author, requestID string, t chat.Template, ifRevision int64, create bool) (chat.Template, error) {
	if err := t.Validate(); err != nil {
		return chat.Template{}, &Error{Kind: ErrInvalid, Reason: err.Error()}
	}
	var out chat.Template
	err := s.update(ctx, workflows.UpdateTemplatePut, requestID, workflows.TemplatePut{
		Template: t, Author: author, RequestID: requestID, IfRevision: ifRevision, Create: create,
	}, &out)
	return out, err
}

// Delete deletes a template on behalf of author.
func (s *Store) Delete(ctx context.Context, author, requestID, id string) error {
	var done bool
	return s.update(ctx, workflows.UpdateTemplateDelete, requestID, workflows.TemplateDelete{ID: id, Author: author, RequestID: requestID}, &done)
}

func (s *Store) update(ctx context.Context, name, requestID string, arg, out any) error {
	startOp := s.client.NewWithStartWorkflowOperation(s.startOptions(), workflows.TemplatesWorkflowName, workflows.TemplatesState{})
	handle, err := s.client.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: startOp,
		UpdateOptions: client.UpdateWorkflowOptions{
			UpdateName: name, Args: []any{arg}, WaitForStage: client.WorkflowUpdateStageCompleted,
		},
	})
	if err == nil {
		if err = handle.Get(ctx, out); err == nil {
			return nil
		}
	}
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		kinds := map[string]error{
			workflows.ErrTypeInvalidInput: ErrInvalid, workflows.ErrTypeNotFound: ErrNotFound,
			workflows.ErrTypeReusedID: ErrExists, workflows.ErrTypeRevisionMismatch: ErrRevisionMismatch,
		}
		if kind, ok := kinds[appErr.Type()]; ok {
			return &Error{Kind: kind, Reason: appErr.Message()}
		}
	}
	return wrap(name+" (request "+requestID+")", err)
}

func wrap(op string, err error) error {
	if unavailable := temporalclient.Unavailable(err); unavailable != nil {
		return fmt.Errorf("%s: %w: %w", op, ErrUnavailable, unavailable)
	}
	return fmt.Errorf("%s: %w", op, err)
}
