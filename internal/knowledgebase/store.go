// Package knowledgebase reads and changes the AI's knowledge base, whose
// entries live in KnowledgeEntry workflows (one per entry, ID
// knowledge/<entry id>): Temporal is the source of truth and each
// workflow's history the entry's audit trail.
package knowledgebase

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/handoff-chat/handoff/internal/chat"
	"github.com/handoff-chat/handoff/internal/knowledge"
	"github.com/handoff-chat/handoff/internal/temporalclient"
	"github.com/handoff-chat/handoff/workflows"
)

// ErrNotFound is matched by a request for an entry that does not exist
// (never created, or deleted).
var ErrNotFound = errors.New("knowledge entry not found")

// NotFoundError names the entry that does not exist.
type NotFoundError struct{ ID string }

func (e *NotFoundError) Error() string { return fmt.Sprintf("no knowledge entry %q", e.ID) }

// Is makes a *NotFoundError match ErrNotFound.
func (e *NotFoundError) Is(target error) bool { return target == ErrNotFound }

// RevisionMismatchError is a put whose ifRevision was not the entry's
// revision: someone changed the entry since it was read.
type RevisionMismatchError struct{ ID, Reason string }

func (e *RevisionMismatchError) Error() string { return e.Reason }

// InvalidError is an entry or request that failed validation; Reason says
// what is wrong, naming the field (one problem a line).
type InvalidError struct{ Reason string }

func (e *InvalidError) Error() string { return "invalid knowledge entry: " + e.Reason }

// ErrUnavailable is matched by errors of calls Temporal did not complete;
// they also unwrap to a *temporalclient.UnavailableError. Retrying with the
// same request ID applies a change once.
var ErrUnavailable = errors.New("knowledge base unavailable")

// Concurrency bounds the Temporal calls List and Import make at a time.
const Concurrency = 8

// Record is an entry with its recorded changes, oldest first, and its
// revision: how many changes it has had, which a put can require to be
// unchanged (Put's ifRevision).
type Record struct {
	Entry    knowledge.Entry             `json:"entry"`
	Revision int64                       `json:"revision"`
	Changes  []workflows.KnowledgeChange `json:"changes"`
}

// PutResult is what a put did (workflows.KnowledgeCreated, KnowledgeEdited
// or KnowledgeUnchanged) and the entry afterwards.
type PutResult struct {
	Outcome string `json:"outcome"`
	Record
}

// ImportResult counts what an import did.
type ImportResult struct {
	Imported  int `json:"imported"`
	Created   int `json:"created"`
	Edited    int `json:"edited"`
	Unchanged int `json:"unchanged"`
}

// Store reads and changes knowledge entries through Temporal.
type Store struct {
	client client.Client
}

// NewStore returns a store on c.
func NewStore(c client.Client) *Store { return &Store{client: c} }

func startOptions(id string) client.StartWorkflowOptions {
	return client.StartWorkflowOptions{
		ID:                       workflows.KnowledgeWorkflowID(id),
		TaskQueue:                workflows.TaskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
	}
}

// Put creates or edits e on behalf of author. requestID makes a retried call
// idempotent; ifRevision above 0 applies the put only if the entry is still
// at that revision (a *RevisionMismatchError otherwise). A validation
// failure is an *InvalidError; a requestID already used for a different
// change of this entry is a *chat.ReusedIDError.
func (s *Store) Put(ctx context.Context, author, requestID string, e knowledge.Entry, ifRevision int64) (PutResult, error) {
	req := workflows.KnowledgePut{Entry: e, Author: author, RequestID: requestID, IfRevision: ifRevision}
	return s.put(ctx, req, updateID("put", requestID, workflows.KnowledgeRequestDigest(&req)))
}

// put sends req as an update with updateID; Temporal answers an update ID
// it has seen with that update's first answer, while with no update ID the
// workflow answers a seen request ID itself (as unchanged).
func (s *Store) put(ctx context.Context, req workflows.KnowledgePut, updateID string) (PutResult, error) {
	e := req.Entry
	if err := e.Validate(); err != nil {
		return PutResult{}, &InvalidError{Reason: err.Error()}
	}
	startOp := s.client.NewWithStartWorkflowOperation(startOptions(e.ID), workflows.KnowledgeWorkflowName, workflows.KnowledgeState{ID: e.ID})
	handle, err := s.client.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: startOp,
		UpdateOptions: client.UpdateWorkflowOptions{
			UpdateID:     updateID,
			UpdateName:   workflows.UpdateKnowledgePut,
			Args:         []any{req},
			WaitForStage: client.WorkflowUpdateStageCompleted,
		},
	})
	var result workflows.KnowledgeResult
	if err == nil {
		err = handle.Get(ctx, &result)
	}
	if err != nil {
		return PutResult{}, changeError("put knowledge entry "+e.ID, e.ID, err)
	}
	return PutResult{Outcome: result.Outcome, Record: record(result.View)}, nil
}

// Delete deletes the entry id on behalf of author; an entry that does not
// exist is a *NotFoundError. The entry's workflow stays with its changes, so
// a later Put of the same ID continues its history.
func (s *Store) Delete(ctx context.Context, author, requestID, id string) error {
	if err := knowledge.CheckID("id", id); err != nil {
		return &InvalidError{Reason: err.Error()}
	}
	handle, err := s.client.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID:   workflows.KnowledgeWorkflowID(id),
		UpdateID:     updateID("delete", requestID, workflows.KnowledgeRequestDigest(nil)),
		UpdateName:   workflows.UpdateKnowledgeDelete,
		Args:         []any{workflows.KnowledgeDelete{Author: author, RequestID: requestID}},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err == nil {
		err = handle.Get(ctx, nil)
	}
	if err != nil {
		return changeError("delete knowledge entry "+id, id, err)
	}
	return nil
}

// editAttempts bounds how often Edit reads and writes again when another
// change came in between.
const editAttempts = 5

// Edit changes the entry id with change, on behalf of author: it reads the
// entry, applies change to it and puts the result only if nobody changed
// the entry in between, else reads and applies again. A change that is
// refused (change's error, validation) is returned as is.
func (s *Store) Edit(ctx context.Context, author, requestID, id string, change func(*knowledge.Entry) error) (PutResult, error) {
	for attempt := 1; ; attempt++ {
		rec, err := s.Get(ctx, id)
		if err != nil {
			return PutResult{}, err
		}
		entry := rec.Entry
		if err := change(&entry); err != nil {
			return PutResult{}, err
		}
		res, err := s.Put(ctx, author, requestID, entry, rec.Revision)
		var mismatch *RevisionMismatchError
		if !errors.As(err, &mismatch) || attempt == editAttempts {
			return res, err
		}
	}
}

// Get returns the entry id and its changes; an entry that does not exist is
// a *NotFoundError.
func (s *Store) Get(ctx context.Context, id string) (Record, error) {
	if err := knowledge.CheckID("id", id); err != nil {
		return Record{}, &InvalidError{Reason: err.Error()}
	}
	view, err := s.view(ctx, workflows.KnowledgeWorkflowID(id))
	if err != nil {
		return Record{}, err
	}
	if view.Entry == nil {
		return Record{}, &NotFoundError{ID: id}
	}
	return record(view), nil
}

func (s *Store) view(ctx context.Context, workflowID string) (workflows.KnowledgeView, error) {
	resp, err := s.client.QueryWorkflow(ctx, workflowID, "", workflows.QueryKnowledge)
	if err != nil {
		var notFound *serviceerror.NotFound
		if errors.As(err, &notFound) {
			return workflows.KnowledgeView{}, &NotFoundError{ID: strings.TrimPrefix(workflowID, "knowledge/")}
		}
		return workflows.KnowledgeView{}, wrap("query "+workflowID, err)
	}
	var view workflows.KnowledgeView
	if err := resp.Get(&view); err != nil {
		return workflows.KnowledgeView{}, fmt.Errorf("decode %s: %w", workflowID, err)
	}
	return view, nil
}

// List returns every entry, ordered by ID: the running KnowledgeEntry
// workflows from Temporal's visibility store, each queried for its entry,
// Concurrency at a time. Deleted entries are left out. An entry created a
// moment ago may be missing until visibility has it.
func (s *Store) List(ctx context.Context) ([]knowledge.Entry, error) {
	ids, err := s.workflowIDs(ctx)
	if err != nil {
		return nil, err
	}
	entries := make([]*knowledge.Entry, len(ids))
	err = each(ctx, len(ids), func(ctx context.Context, i int) error {
		view, err := s.view(ctx, ids[i])
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		entries[i] = view.Entry
		return err
	})
	if err != nil {
		return nil, err
	}
	out := []knowledge.Entry{}
	for _, e := range entries {
		if e != nil {
			out = append(out, *e)
		}
	}
	slices.SortFunc(out, func(a, b knowledge.Entry) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// Export is List: every entry in the exchange format's order.
func (s *Store) Export(ctx context.Context) ([]knowledge.Entry, error) { return s.List(ctx) }

// Empty reports whether no entry workflow runs (none was ever created, or
// they are all gone).
func (s *Store) Empty(ctx context.Context) (bool, error) {
	resp, err := s.client.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: listQuery, PageSize: 1})
	if err != nil {
		return false, wrap("list knowledge entries", err)
	}
	return len(resp.Executions) == 0, nil
}

const listQuery = "WorkflowType = '" + workflows.KnowledgeWorkflowName + "' AND ExecutionStatus = 'Running'"

func (s *Store) workflowIDs(ctx context.Context) ([]string, error) {
	var ids []string
	seen := map[string]bool{}
	var token []byte
	for {
		resp, err := s.client.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Query: listQuery, PageSize: 1000, NextPageToken: token,
		})
		if err != nil {
			return nil, wrap("list knowledge entries", err)
		}
		for _, ex := range resp.Executions {
			if id := ex.GetExecution().GetWorkflowId(); !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
		token = resp.NextPageToken
		if len(token) == 0 {
			return ids, nil
		}
	}
}

// Import puts every entry on behalf of author, Concurrency at a time. Each
// entry's request ID is derived from its content, so a retried import
// records nothing twice, and an entry imported before counts as unchanged. The entries are validated first (see
// knowledge.Decode); one invalid entry imports none.
func (s *Store) Import(ctx context.Context, author string, entries []knowledge.Entry) (ImportResult, error) {
	var errs []error
	seen := map[string]int{}
	for i, e := range entries {
		if err := e.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("entry %d (%s): %w", i+1, chat.Quote(e.ID), err))
		}
		if first, dup := seen[e.ID]; dup {
			errs = append(errs, fmt.Errorf("entry %d: id %s is also entry %d's", i+1, chat.Quote(e.ID), first))
		}
		seen[e.ID] = i + 1
	}
	if len(entries) > knowledge.MaxEntriesImport {
		errs = append(errs, fmt.Errorf("at most %d entries at once, got %d", knowledge.MaxEntriesImport, len(entries)))
	}
	if err := errors.Join(errs...); err != nil {
		return ImportResult{}, &InvalidError{Reason: err.Error()}
	}
	outcomes := make([]string, len(entries))
	err := each(ctx, len(entries), func(ctx context.Context, i int) error {
		// No request ID: an entry equal to the stored one is unchanged, so a
		// retried import changes nothing, and an import after a delete
		// brings the entry back (a restore from an export).
		res, err := s.put(ctx, workflows.KnowledgePut{Entry: entries[i], Author: author}, "")
		if err != nil {
			return fmt.Errorf("entry %d (%s): %w", i+1, entries[i].ID, err)
		}
		outcomes[i] = res.Outcome
		return nil
	})
	var result ImportResult
	for _, o := range outcomes {
		switch o {
		case workflows.KnowledgeCreated:
			result.Created++
		case workflows.KnowledgeEdited:
			result.Edited++
		case workflows.KnowledgeUnchanged:
			result.Unchanged++
		default:
			continue
		}
		result.Imported++
	}
	return result, err
}

// each runs fn for 0..n-1, Concurrency at a time, and returns the first
// error; after one, the calls not yet begun are skipped.
func each(ctx context.Context, n int, fn func(ctx context.Context, i int) error) error {
	inner, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	slots := make(chan struct{}, Concurrency)
	for i := 0; i < n && inner.Err() == nil; i++ {
		select {
		case slots <- struct{}{}:
		case <-inner.Done():
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			if err := fn(inner, i); err != nil {
				mu.Lock()
				if first == nil {
					first = err
					cancel()
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if first == nil && ctx.Err() != nil {
		first = wrap("knowledge base", ctx.Err())
	}
	return first
}

func record(view workflows.KnowledgeView) Record {
	r := Record{Changes: view.Changes, Revision: view.Revision}
	if view.Entry != nil {
		r.Entry = *view.Entry
	}
	if r.Changes == nil {
		r.Changes = []workflows.KnowledgeChange{}
	}
	return r
}

// updateID is the Temporal update ID of a change: kind, request ID and a
// digest of the request, so Temporal answers a retry with the first outcome
// and the same request ID with other content reaches the workflow, which
// refuses it. No request ID leaves the update ID to the SDK.
func updateID(kind, requestID, digest string) string {
	if requestID == "" {
		return ""
	}
	return kind + "/" + requestID + "/" + digest
}

// changeError maps the workflow's refusals to *InvalidError,
// *NotFoundError and *chat.ReusedIDError; anything else is wrapped.
func changeError(op, id string, err error) error {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		switch appErr.Type() {
		case workflows.ErrTypeInvalidInput:
			return &InvalidError{Reason: appErr.Message()}
		case workflows.ErrTypeNotFound:
			return &NotFoundError{ID: id}
		case workflows.ErrTypeReusedID:
			return &chat.ReusedIDError{Field: "request_id"}
		case workflows.ErrTypeRevisionMismatch:
			return &RevisionMismatchError{ID: id, Reason: appErr.Message()}
		}
	}
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return &NotFoundError{ID: id}
	}
	return wrap(op, err)
}

// wrap says what failed, marking Temporal being unavailable with
// ErrUnavailable.
func wrap(op string, err error) error {
	if unavailable := temporalclient.Unavailable(err); unavailable != nil {
		return fmt.Errorf("%s: %w: %w", op, ErrUnavailable, unavailable)
	}
	return fmt.Errorf("%s: %w", op, err)
}
