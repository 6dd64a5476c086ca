// Package settings reads and changes the admin-tunable settings, which live in
// the settings workflow so every API and worker process shares one durable,
// audited copy. Values nobody changed come from config.yaml.
package settings

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"golang.org/x/sync/singleflight"

	"github.com/handoff-chat/handoff/internal/chat"
	"github.com/handoff-chat/handoff/internal/temporalclient"
	"github.com/handoff-chat/handoff/workflows"
)

// ErrInvalid is matched by a change that failed validation (an *InvalidError).
var ErrInvalid = errors.New("invalid settings")

// InvalidError is a change that failed validation; Reason says what is wrong,
// one problem a line.
type InvalidError struct{ Reason string }

func (e *InvalidError) Error() string { return ErrInvalid.Error() + ": " + e.Reason }

// Is makes an *InvalidError match ErrInvalid.
func (e *InvalidError) Is(target error) bool { return target == ErrInvalid }

// ErrUnavailable is matched by errors of calls Temporal did not complete (it
// timed out, was unreachable or busy). They also unwrap to a
// *temporalclient.UnavailableError. Whether a change was applied is unknown;
// retrying it with the same request ID applies it once.
var ErrUnavailable = errors.New("settings workflow unavailable")

// Store reads and changes settings through Temporal.
type Store struct {
	client   client.Client
	defaults chat.Settings

	// inForce caches the settings in force for InForce, which runs for
	// every bot reply: read at most every InForceMaxAge, and at once after
	// a change made through this store.
	mu         sync.Mutex
	inForce    chat.Settings
	inForceAt  time.Time
	haveCached bool
	// reading is the one read of the settings in force under way: the
	// callers that find the cache old meanwhile wait for its answer
	// instead of each querying the workflow.
	reading singleflight.Group
}

// InForceMaxAge is how old the settings InForce returns may be: a change
// made in another process applies here within this long.
const InForceMaxAge = 2 * time.Second

// inForceReadTimeout bounds the read InForce's callers share: it outlives
// the caller that began it, who may give up first.
const inForceReadTimeout = 10 * time.Second

// Current is the settings in force and how they came to be.
type Current struct {
	Settings   chat.Settings        `json:"settings"`
	Defaults   chat.Settings        `json:"defaults"`
	Overrides  chat.SettingsPatch   `json:"overrides"`
	LastChange *chat.SettingsChange `json:"last_change,omitempty"`
}

// NewStore returns a store whose unchanged settings are defaults.
func NewStore(c client.Client, defaults chat.Settings) *Store {
	return &Store{client: c, defaults: defaults}
}

// Defaults are the config.yaml values.
func (s *Store) Defaults() chat.Settings { return s.defaults }

// Ensure starts the settings workflow unless it is already running.
func (s *Store) Ensure(ctx context.Context) error {
	_, err := s.client.ExecuteWorkflow(ctx, s.startOptions(), workflows.SettingsWorkflowName, workflows.SettingsState{})
	if err != nil {
		return fmt.Errorf("start settings workflow: %w", err)
	}
	return nil
}

func (s *Store) startOptions() client.StartWorkflowOptions {
	return client.StartWorkflowOptions{
		ID:                       workflows.SettingsWorkflowID,
		TaskQueue:                workflows.TaskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
	}
}

// Current returns the settings in force.
func (s *Store) Current(ctx context.Context) (Current, error) {
	resp, err := s.client.QueryWorkflow(ctx, workflows.SettingsWorkflowID, "", workflows.QuerySettings)
	if err != nil {
		return Current{}, wrap("query settings workflow", err)
	}
	var view workflows.SettingsView
	if err := resp.Get(&view); err != nil {
		return Current{}, fmt.Errorf("decode settings: %w", err)
	}
	return s.current(view), nil
}

func (s *Store) current(view workflows.SettingsView) Current {
	return Current{
		Settings:   view.Overrides.Apply(s.defaults),
		Defaults:   s.defaults,
		Overrides:  view.Overrides,
		LastChange: view.LastChange,
	}
}

// Change validates and applies patch on behalf of author. requestID makes a
// retried call idempotent. A validation failure is an *InvalidError; a
// requestID already used for a different patch is a *chat.ReusedIDError.
func (s *Store) Change(ctx context.Context, author, requestID string, patch chat.SettingsPatch) (Current, error) {
	if err := patch.Validate(); err != nil {
		return Current{}, &InvalidError{Reason: err.Error()}
	}
	updateID, err := updateID(requestID, patch)
	if err != nil {
		return Current{}, err
	}
	startOp := s.client.NewWithStartWorkflowOperation(s.startOptions(), workflows.SettingsWorkflowName, workflows.SettingsState{})
	handle, err := s.client.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: startOp,
		UpdateOptions: client.UpdateWorkflowOptions{
			UpdateID:     updateID,
			UpdateName:   workflows.UpdateSettings,
			Args:         []any{workflows.SettingsChangeRequest{Patch: patch, Author: author, RequestID: requestID}},
			WaitForStage: client.WorkflowUpdateStageCompleted,
		},
	})
	if err == nil {
		var view workflows.SettingsView
		if err = handle.Get(ctx, &view); err == nil {
			cur := s.current(view)
			s.remember(cur.Settings)
			return cur, nil
		}
	}
	return Current{}, changeError(err)
}

// changeError maps the workflow's refusals of a change to *InvalidError and
// *chat.ReusedIDError; anything else is wrapped.
func changeError(err error) error {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		switch appErr.Type() {
		case workflows.ErrTypeInvalidInput:
			return &InvalidError{Reason: appErr.Message()}
		case workflows.ErrTypeReusedID:
			return &chat.ReusedIDError{Field: "request_id"}
		}
	}
	return wrap("change settings", err)
}

// updateID is the Temporal update ID of a change: its request ID with a
// digest of the patch. Temporal answers a repeated update ID with the first
// outcome without running the update again, so a retry of the same change is
// answered by Temporal, while the same request ID with a different patch
// reaches the workflow, which refuses it. No request ID leaves the update ID
// to the SDK.
func updateID(requestID string, patch chat.SettingsPatch) (string, error) {
	if requestID == "" {
		return "", nil
	}
	raw, err := json.Marshal(patch)
	if err != nil {
		return "", fmt.Errorf("change settings: encode the patch: %w", err)
	}
	sum := sha256.Sum256(raw)
	return requestID + "/" + hex.EncodeToString(sum[:12]), nil
}

// History returns the recorded changes, oldest first.
func (s *Store) History(ctx context.Context) ([]chat.SettingsChange, error) {
	resp, err := s.client.QueryWorkflow(ctx, workflows.SettingsWorkflowID, "", workflows.QuerySettingsChange)
	if err != nil {
		return nil, wrap("query settings history", err)
	}
	var changes []chat.SettingsChange
	if err := resp.Get(&changes); err != nil {
		return nil, fmt.Errorf("decode settings history: %w", err)
	}
	return changes, nil
}

// InForce returns the settings in force, at most InForceMaxAge old (for
// the activities: the bot's texts, the AI, alerts, the countdown).
func (s *Store) InForce(ctx context.Context) (chat.Settings, error) {
	if cached, ok := s.recent(); ok {
		return cached, nil
	}
	read := s.reading.DoChan("in force", func() (any, error) {
		// A caller that found the cache old just before the last read
		// stored its answer takes that answer instead of reading again.
		if cached, ok := s.recent(); ok {
			return cached, nil
		}
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), inForceReadTimeout)
		defer cancel()
		cur, err := s.Current(ctx)
		if err != nil {
			return nil, err
		}
		s.remember(cur.Settings)
		return cur.Settings, nil
	})
	select {
	case <-ctx.Done():
		return chat.Settings{}, fmt.Errorf("read the settings in force: %w", ctx.Err())
	case r := <-read:
		if r.Err != nil {
			return chat.Settings{}, r.Err
		}
		return r.Val.(chat.Settings), nil
	}
}

// recent returns the cached settings in force unless they are older than
// InForceMaxAge.
func (s *Store) recent() (chat.Settings, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.inForce, s.haveCached && time.Since(s.inForceAt) < InForceMaxAge
}

func (s *Store) remember(in chat.Settings) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inForce, s.inForceAt, s.haveCached = in, time.Now(), true
}

// wrap says what failed, marking Temporal being unavailable with
// ErrUnavailable.
func wrap(op string, err error) error {
	if unavailable := temporalclient.Unavailable(err); unavailable != nil {
		return fmt.Errorf("%s: %w: %w", op, ErrUnavailable, unavailable)
	}
	return fmt.Errorf("%s: %w", op, err)
}
