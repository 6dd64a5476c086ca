package workflows

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/handoff-chat/handoff/activities"
	"github.com/handoff-chat/handoff/internal/knowledge"
)

// Knowledge entry workflow: one per entry of the AI's knowledge base, the
// source of truth for that entry; its history is the entry's audit trail.
const (
	KnowledgeWorkflowName = "KnowledgeEntry"
	// UpdateKnowledgePut creates or edits the entry (KnowledgePut).
	UpdateKnowledgePut = "put"
	// UpdateKnowledgeDelete deletes the entry (KnowledgeDelete).
	UpdateKnowledgeDelete = "delete"
	// QueryKnowledge returns a KnowledgeView.
	QueryKnowledge = "entry"
	// ErrTypeNotFound: the entry does not exist (never created, or deleted).
	ErrTypeNotFound = "NotFound"
	// ErrTypeRevisionMismatch: a put's IfRevision is not the entry's
	// revision; someone else changed it since it was read.
	ErrTypeRevisionMismatch = "RevisionMismatch"
)

// knowledgeHistoryKept is how many changes an entry workflow keeps in its
// state; every change stays in the workflow history regardless.
const knowledgeHistoryKept = 100

// KnowledgeWorkflowID is the workflow ID of the entry with this ID.
func KnowledgeWorkflowID(entryID string) string { return "knowledge/" + entryID }

// What a change did to an entry.
const (
	KnowledgeCreated   = "created"
	KnowledgeEdited    = "edited"
	KnowledgeDeleted   = "deleted"
	KnowledgeUnchanged = "unchanged"
)

// KnowledgeState is the entry workflow's state, carried across
// continue-as-new. Entry is nil before the first put and after a delete; the
// workflow stays, so its changes survive a delete and a later put.
type KnowledgeState struct {
	ID      string            `json:"id"`
	Entry   *knowledge.Entry  `json:"entry,omitempty"`
	Changes []KnowledgeChange `json:"changes,omitempty"`
	// Requests are the digests of the kept changes' requests, by request
	// ID, so a request ID reused for a different request is recognised.
	Requests map[string]string `json:"requests,omitempty"`
	// Revision counts every change ever made (Changes keeps the latest
	// only); Indexed is the revision last written to the search index.
	Revision int64 `json:"revision,omitempty"`
	Indexed  int64 `json:"indexed,omitempty"`
}

// KnowledgeChange is one recorded change: who, when and what.
type KnowledgeChange struct {
	RequestID string    `json:"request_id,omitempty"`
	Author    string    `json:"author"`
	At        time.Time `json:"at"`
	// Action is KnowledgeCreated, KnowledgeEdited or KnowledgeDeleted.
	Action string `json:"action"`
	// Fields are the fields an edit changed (question, alternates, answer,
	// links, lang, translations.<lang>).
	Fields []string `json:"fields,omitempty"`
}

// KnowledgePut is the payload of UpdateKnowledgePut.
type KnowledgePut struct {
	Entry  knowledge.Entry `json:"entry"`
	Author string          `json:"author"`
	// RequestID makes a retried put idempotent; reused for a different
	// request it is refused (ErrTypeReusedID).
	RequestID string `json:"request_id,omitempty"`
	// IfRevision, when above 0, applies the put only if the entry is at
	// that revision (ErrTypeRevisionMismatch otherwise): a read, change and
	// write that cannot overwrite a change made in between.
	IfRevision int64 `json:"if_revision,omitempty"`
}

// KnowledgeDelete is the payload of UpdateKnowledgeDelete.
type KnowledgeDelete struct {
	Author    string `json:"author"`
	RequestID string `json:"request_id,omitempty"`
}

// KnowledgeView is what QueryKnowledge returns: the entry's ID, the entry
// (nil when it does not exist), its kept changes, oldest first, and its
// revision.
type KnowledgeView struct {
	ID       string            `json:"id"`
	Entry    *knowledge.Entry  `json:"entry,omitempty"`
	Changes  []KnowledgeChange `json:"changes"`
	Revision int64             `json:"revision"`
}

// KnowledgeResult is what the updates return: what the request did and the
// entry afterwards.
type KnowledgeResult struct {
	// Outcome is KnowledgeCreated, KnowledgeEdited, KnowledgeUnchanged or
	// KnowledgeDeleted.
	Outcome string        `json:"outcome"`
	View    KnowledgeView `json:"view"`
}

// KnowledgeRequestDigest identifies a put's entry or a delete, so a request
// ID reused for another request is told from a retry.
func KnowledgeRequestDigest(put *KnowledgePut) string {
	raw := []byte("delete")
	if put != nil {
		raw, _ = json.Marshal(put.Entry)
	}
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:12])
}

// KnowledgeWorkflow holds one knowledge base entry. Puts create or edit it,
// a delete removes it; each is checked by a validator before it is recorded,
// and every change is then written to the search index, where the AI reads
// the knowledge base from.
func KnowledgeWorkflow(ctx workflow.Context, state KnowledgeState) error {
	if err := workflow.SetQueryHandler(ctx, QueryKnowledge, func() (KnowledgeView, error) {
		return state.view(), nil
	}); err != nil {
		return fmt.Errorf("register knowledge query: %w", err)
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateKnowledgePut,
		func(ctx workflow.Context, req KnowledgePut) (KnowledgeResult, error) {
			if err := state.checkPut(req); err != nil {
				return KnowledgeResult{}, err
			}
			return state.put(req, workflow.Now(ctx)), nil
		},
		workflow.UpdateHandlerOptions{Validator: func(req KnowledgePut) error {
			if err := req.Entry.Validate(); err != nil {
				return temporal.NewApplicationError(err.Error(), ErrTypeInvalidInput)
			}
			if req.Entry.ID != state.ID {
				return temporal.NewApplicationError(fmt.Sprintf("entry id %q does not belong in workflow of entry %q", req.Entry.ID, state.ID), ErrTypeInvalidInput)
			}
			if req.Author == "" {
				return temporal.NewApplicationError("a change needs an author", ErrTypeInvalidInput)
			}
			return state.checkPut(req)
		}},
	); err != nil {
		return fmt.Errorf("register knowledge put: %w", err)
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateKnowledgeDelete,
		func(ctx workflow.Context, req KnowledgeDelete) (KnowledgeResult, error) {
			if err := state.checkRequest(req.RequestID, nil); err != nil {
				return KnowledgeResult{}, err
			}
			return state.delete(req, workflow.Now(ctx)), nil
		},
		workflow.UpdateHandlerOptions{Validator: func(req KnowledgeDelete) error {
			if req.Author == "" {
				return temporal.NewApplicationError("a change needs an author", ErrTypeInvalidInput)
			}
			if err := state.checkRequest(req.RequestID, nil); err != nil {
				return err
			}
			if _, done := state.Requests[req.RequestID]; state.Entry == nil && (req.RequestID == "" || !done) {
				return temporal.NewApplicationError(fmt.Sprintf("no knowledge entry %q", state.ID), ErrTypeNotFound)
			}
			return nil
		}},
	); err != nil {
		return fmt.Errorf("register knowledge delete: %w", err)
	}

	for {
		if err := workflow.Await(ctx, func() bool {
			return state.Revision > state.Indexed || workflow.GetInfo(ctx).GetContinueAsNewSuggested()
		}); err != nil {
			return err
		}
		if state.Revision > state.Indexed {
			state.index(ctx)
			continue
		}
		if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
			return err
		}
		// A change a finishing handler made is indexed by the next run.
		return workflow.NewContinueAsNewError(ctx, KnowledgeWorkflowName, state)
	}
}

// index writes the entry as it stands to the search index, retrying until
// the backend takes it, so an outage delays the AI's knowledge and loses
// nothing. Changes made meanwhile are written by the next call.
func (s *KnowledgeState) index(ctx workflow.Context) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 10 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, MaximumInterval: time.Minute},
	})
	req := activities.KnowledgeIndexRequest{ID: s.ID, Entry: s.Entry, Revision: s.Revision}
	if err := workflow.ExecuteActivity(ctx, searchActivities.IndexKnowledgeEntry, req).Get(ctx, nil); err != nil {
		// Only a non-retryable failure ends the retries; the next change
		// tries again.
		workflow.GetLogger(ctx).Error("knowledge entry not indexed", "entry", s.ID, "revision", req.Revision, "error", err)
	}
	s.Indexed = req.Revision
}

func (s *KnowledgeState) view() KnowledgeView {
	changes := s.Changes
	if changes == nil {
		changes = []KnowledgeChange{}
	}
	return KnowledgeView{ID: s.ID, Entry: s.Entry, Changes: changes, Revision: s.Revision}
}

// checkPut refuses a put whose request ID was used for a different change,
// or whose IfRevision is not the entry's revision (a retry of a put that was
// applied passes: it answers unchanged).
func (s *KnowledgeState) checkPut(req KnowledgePut) error {
	if err := s.checkRequest(req.RequestID, &req); err != nil {
		return err
	}
	if req.IfRevision > 0 && req.IfRevision != s.Revision && !s.seen(req.RequestID) {
		return temporal.NewApplicationError(
			fmt.Sprintf("knowledge entry %q is at revision %d, not %d: it changed since it was read", s.ID, s.Revision, req.IfRevision),
			ErrTypeRevisionMismatch)
	}
	return nil
}

// checkRequest refuses a request ID already used for a different request.
func (s *KnowledgeState) checkRequest(requestID string, put *KnowledgePut) error {
	if requestID == "" {
		return nil
	}
	if digest, ok := s.Requests[requestID]; ok && digest != KnowledgeRequestDigest(put) {
		return temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("request ID %q was already used for a different change", requestID), ErrTypeReusedID, nil)
	}
	return nil
}

// seen reports a retried request: its request ID is recorded.
func (s *KnowledgeState) seen(requestID string) bool {
	_, ok := s.Requests[requestID]
	return ok && requestID != ""
}

func (s *KnowledgeState) put(req KnowledgePut, now time.Time) KnowledgeResult {
	if s.seen(req.RequestID) {
		return KnowledgeResult{Outcome: KnowledgeUnchanged, View: s.view()}
	}
	entry := req.Entry
	var change KnowledgeChange
	switch {
	case s.Entry == nil:
		change.Action = KnowledgeCreated
	default:
		change.Fields = changedFields(*s.Entry, entry)
		if len(change.Fields) == 0 {
			return KnowledgeResult{Outcome: KnowledgeUnchanged, View: s.view()}
		}
		change.Action = KnowledgeEdited
	}
	s.Entry = &entry
	s.record(change, req.Author, req.RequestID, KnowledgeRequestDigest(&req), now)
	return KnowledgeResult{Outcome: change.Action, View: s.view()}
}

func (s *KnowledgeState) delete(req KnowledgeDelete, now time.Time) KnowledgeResult {
	if s.seen(req.RequestID) {
		return KnowledgeResult{Outcome: KnowledgeDeleted, View: s.view()}
	}
	s.Entry = nil
	s.record(KnowledgeChange{Action: KnowledgeDeleted}, req.Author, req.RequestID, KnowledgeRequestDigest(nil), now)
	return KnowledgeResult{Outcome: KnowledgeDeleted, View: s.view()}
}

func (s *KnowledgeState) record(change KnowledgeChange, author, requestID, digest string, now time.Time) {
	change.Author, change.RequestID, change.At = author, requestID, now
	s.Changes = append(s.Changes, change)
	s.Revision++
	s.remember(requestID, digest)
	if len(s.Changes) > knowledgeHistoryKept {
		for _, dropped := range s.Changes[:len(s.Changes)-knowledgeHistoryKept] {
			delete(s.Requests, dropped.RequestID)
		}
		s.Changes = append([]KnowledgeChange(nil), s.Changes[len(s.Changes)-knowledgeHistoryKept:]...)
	}
}

func (s *KnowledgeState) remember(requestID, digest string) {
	if requestID == "" {
		return
	}
	if s.Requests == nil {
		s.Requests = map[string]string{}
	}
	s.Requests[requestID] = digest
}

// changedFields names the fields that differ between two versions of an
// entry, in a fixed order.
func changedFields(old, cur knowledge.Entry) []string {
	var fields []string
	if old.Lang != cur.Lang {
		fields = append(fields, "lang")
	}
	if old.Question != cur.Question {
		fields = append(fields, "question")
	}
	if !slices.Equal(old.Alternates, cur.Alternates) {
		fields = append(fields, "alternates")
	}
	if old.Answer != cur.Answer {
		fields = append(fields, "answer")
	}
	if !slices.Equal(old.Links, cur.Links) {
		fields = append(fields, "links")
	}
	var langs []string
	for lang := range old.Translations {
		langs = append(langs, lang)
	}
	for lang := range cur.Translations {
		if _, ok := old.Translations[lang]; !ok {
			langs = append(langs, lang)
		}
	}
	slices.Sort(langs)
	for _, lang := range langs {
		o, inOld := old.Translations[lang]
		c, inCur := cur.Translations[lang]
		if inOld != inCur || !reflect.DeepEqual(o, c) {
			fields = append(fields, "translations."+lang)
		}
	}
	return fields
}
