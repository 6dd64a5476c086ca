package workflows

import (
	"fmt"
	"reflect"
	"slices"
	"time"

	"github.com/handoff-chat/handoff/internal/chat"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// settingsHistoryKept is how many changes the settings workflow keeps in its
// state for the API; every change stays in the workflow history regardless.
const settingsHistoryKept = 200

// SettingsState is the settings workflow's state. It holds only the values
// admins changed (Overrides); anything not overridden comes from config.yaml, so
// a new default there applies to every setting nobody has changed.
type SettingsState struct {
	Overrides chat.SettingsPatch    `json:"overrides"`
	Changes   []chat.SettingsChange `json:"changes"`
	// Requests are the patches of the kept changes, by request ID, so a
	// request ID reused with a different patch is recognised.
	Requests map[string]chat.SettingsPatch `json:"requests,omitempty"`
}

// SettingsView is what QuerySettings returns.
type SettingsView struct {
	Overrides  chat.SettingsPatch   `json:"overrides"`
	LastChange *chat.SettingsChange `json:"last_change,omitempty"`
}

// SettingsWorkflow is the single, long-running holder of the admin-tunable
// settings. Every process reads it by query and changes it by update, so all of
// them share one durable copy, and its history is the audit trail.
func SettingsWorkflow(ctx workflow.Context, state SettingsState) error {
	if err := workflow.SetQueryHandler(ctx, QuerySettings, func() (SettingsView, error) {
		return state.view(), nil
	}); err != nil {
		return fmt.Errorf("register settings query: %w", err)
	}
	if err := workflow.SetQueryHandler(ctx, QuerySettingsChange, func() ([]chat.SettingsChange, error) {
		return state.Changes, nil
	}); err != nil {
		return fmt.Errorf("register settings history query: %w", err)
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateSettings,
		func(ctx workflow.Context, req SettingsChangeRequest) (SettingsView, error) {
			if err := state.checkRequestID(req); err != nil {
				return state.view(), err
			}
			state.apply(req, workflow.Now(ctx))
			return state.view(), nil
		},
		workflow.UpdateHandlerOptions{Validator: func(req SettingsChangeRequest) error {
			if err := req.Patch.Validate(); err != nil {
				return temporal.NewApplicationError(err.Error(), ErrTypeInvalidInput)
			}
			return state.checkRequestID(req)
		}},
	); err != nil {
		return fmt.Errorf("register settings update: %w", err)
	}

	return continueAsNewWhenSuggested(ctx, SettingsWorkflowName, &state)
}

func (s *SettingsState) view() SettingsView {
	v := SettingsView{Overrides: s.Overrides}
	if n := len(s.Changes); n > 0 {
		last := s.Changes[n-1]
		v.LastChange = &last
	}
	return v
}

// checkRequestID refuses a request ID already used for a different patch.
func (s *SettingsState) checkRequestID(req SettingsChangeRequest) error {
	if req.RequestID == "" {
		return nil
	}
	if patch, ok := s.Requests[req.RequestID]; ok && !reflect.DeepEqual(patch, req.Patch) {
		return temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("request ID %q was already used for a different change", req.RequestID), ErrTypeReusedID, nil)
	}
	return nil
}

// apply records a change; a retried request (a request ID already recorded)
// changes nothing.
func (s *SettingsState) apply(req SettingsChangeRequest, now time.Time) {
	if _, ok := s.Requests[req.RequestID]; ok && req.RequestID != "" {
		return
	}
	// The audit trail writes an override's value, and "(default)" for a
	// setting that follows config.yaml.
	written := func(overrides chat.SettingsPatch, name string) string {
		if !slices.Contains(overrides.Set(), name) {
			return "(default)"
		}
		return overrides.Apply(chat.Settings{}).Format(name)
	}
	next := s.Overrides.Merge(req.Patch)
	changes := map[string]chat.Change{}
	for _, name := range chat.SettingNames() {
		if from, to := written(s.Overrides, name), written(next, name); from != to {
			changes[name] = chat.Change{From: from, To: to}
		}
	}
	s.Overrides = next
	s.Changes = append(s.Changes, chat.SettingsChange{RequestID: req.RequestID, Author: req.Author, At: now, Changes: changes})
	if req.RequestID != "" {
		if s.Requests == nil {
			s.Requests = map[string]chat.SettingsPatch{}
		}
		s.Requests[req.RequestID] = req.Patch
	}
	if len(s.Changes) > settingsHistoryKept {
		for _, dropped := range s.Changes[:len(s.Changes)-settingsHistoryKept] {
			delete(s.Requests, dropped.RequestID)
		}
		s.Changes = append([]chat.SettingsChange(nil), s.Changes[len(s.Changes)-settingsHistoryKept:]...)
	}
}

// continueAsNewWhenSuggested is the life of an entity workflow with nothing
// to do but its handlers (settings): it serves its handlers until the server suggests
// continuing as new, lets them finish, and carries the state, a pointer the
// handlers change, into the next run.
func continueAsNewWhenSuggested(ctx workflow.Context, workflowName string, state any) error {
	if err := workflow.Await(ctx, func() bool {
		return workflow.GetInfo(ctx).GetContinueAsNewSuggested()
	}); err != nil {
		return err
	}
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return err
	}
	return workflow.NewContinueAsNewError(ctx, workflowName, state)
}
