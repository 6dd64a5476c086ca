package workflows_test

import (
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/converter"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/handoff-chat/handoff/internal/chat"
	"github.com/handoff-chat/handoff/workflows"
)

func ptr[T any](v T) *T { return &v }

func TestSettingsPatchValidation(t *testing.T) {
	cases := []struct {
		name    string
		patch   chat.SettingsPatch
		mention string // empty = valid
	}{
		{"minimum timeout", chat.SettingsPatch{InactivityTimeout: ptr(time.Minute)}, ""},
		{"maximum timeout", chat.SettingsPatch{InactivityTimeout: ptr(24 * time.Hour)}, ""},
		{"timeout too short", chat.SettingsPatch{InactivityTimeout: ptr(59 * time.Second)}, "inactivity_timeout"},
		{"timeout too long", chat.SettingsPatch{InactivityTimeout: ptr(24*time.Hour + time.Minute)}, "inactivity_timeout"},
		{"email", chat.SettingsPatch{NotificationEmail: ptr("ops@example.com")}, ""},
		{"clear email", chat.SettingsPatch{NotificationEmail: ptr("")}, ""},
		{"email with name", chat.SettingsPatch{NotificationEmail: ptr("Ops <ops@example.com>")}, "notification_email"},
		{"not an email", chat.SettingsPatch{NotificationEmail: ptr("ops.example.com")}, "notification_email"},
		{"phone", chat.SettingsPatch{NotificationPhone: ptr("+359888123456")}, ""},
		{"local phone", chat.SettingsPatch{NotificationPhone: ptr("0888123456")}, "notification_phone"},
		{"empty", chat.SettingsPatch{}, "no setting"},
		{"bot texts", chat.SettingsPatch{BotReply: ptr(map[string]string{"en": "Hi", "bg": "Здравейте"})}, ""},
		{"bot texts in no language", chat.SettingsPatch{BotReply: ptr(map[string]string{})}, "bot_reply"},
		{"bot text in no language code", chat.SettingsPatch{AgentRequestedReply: ptr(map[string]string{"EN": "Hi"})}, "agent_requested_reply"},
		{"empty bot text", chat.SettingsPatch{AgentRequestedReply: ptr(map[string]string{"en": " "})}, "agent_requested_reply.en"},
		{"no agent phrases", chat.SettingsPatch{AgentPhrases: ptr([]string{})}, ""},
		{"agent phrase without letters", chat.SettingsPatch{AgentPhrases: ptr([]string{"ok", "!!"})}, "agent_phrases[1]"},
		{"agent phrase too long", chat.SettingsPatch{AgentPhrases: ptr([]string{strings.Repeat("a", 101)})}, "agent_phrases[0]"},
		{"ai switch", chat.SettingsPatch{AIEnabled: ptr(false)}, ""},
		{"reset", chat.SettingsPatch{Reset: []string{"inactivity_timeout", "bot_reply"}}, ""},
		{"reset of no setting", chat.SettingsPatch{Reset: []string{"colour"}}, "colour"},
		{"set and reset", chat.SettingsPatch{AIEnabled: ptr(true), Reset: []string{"ai_enabled"}}, "both changed and reset"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.patch.Validate()
			switch {
			case tc.mention == "" && err != nil:
				t.Fatalf("valid patch rejected: %v", err)
			case tc.mention != "" && err == nil:
				t.Fatal("invalid patch accepted")
			case tc.mention != "" && !strings.Contains(err.Error(), tc.mention):
				t.Fatalf("error %q does not name %q", err, tc.mention)
			}
		})
	}
	err := chat.SettingsPatch{InactivityTimeout: ptr(time.Second), NotificationPhone: ptr("x")}.Validate()
	if err == nil || !strings.Contains(err.Error(), "inactivity_timeout") || !strings.Contains(err.Error(), "notification_phone") {
		t.Errorf("two problems at once reported as %v", err)
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		time.Hour: "1h", 90 * time.Minute: "1h30m", 45 * time.Minute: "45m", 90 * time.Second: "1m30s", 24 * time.Hour: "24h",
	} {
		if got := chat.FormatDuration(d); got != want {
			t.Errorf("FormatDuration(%s) = %q, want %q", d, got, want)
		}
	}
}

func TestSettingsWorkflowRecordsWhoChangedWhatAndWhen(t *testing.T) {
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler)))
	env := suite.NewTestWorkflowEnvironment()
	env.SetStartTime(start)
	env.RegisterWorkflowWithOptions(workflows.SettingsWorkflow, workflow.RegisterOptions{Name: workflows.SettingsWorkflowName})

	change := func(d time.Duration, req workflows.SettingsChangeRequest) *outcome {
		o := &outcome{}
		env.RegisterDelayedCallback(func() { env.UpdateWorkflow(workflows.UpdateSettings, "", o, req) }, d)
		return o
	}
	first := change(time.Minute, workflows.SettingsChangeRequest{RequestID: "r1", Author: "alice",
		Patch: chat.SettingsPatch{InactivityTimeout: ptr(30 * time.Minute)}})
	retried := change(2*time.Minute, workflows.SettingsChangeRequest{RequestID: "r1", Author: "alice",
		Patch: chat.SettingsPatch{InactivityTimeout: ptr(30 * time.Minute)}})
	invalid := change(3*time.Minute, workflows.SettingsChangeRequest{RequestID: "r2", Author: "mallory",
		Patch: chat.SettingsPatch{InactivityTimeout: ptr(time.Second)}})
	second := change(4*time.Minute, workflows.SettingsChangeRequest{RequestID: "r3", Author: "bob",
		Patch: chat.SettingsPatch{InactivityTimeout: ptr(2 * time.Hour), NotificationEmail: ptr("ops@example.com")}})
	reset := change(4*time.Minute+30*time.Second, workflows.SettingsChangeRequest{RequestID: "r4", Author: "carol",
		Patch: chat.SettingsPatch{Reset: []string{"notification_email", "notification_phone"}}})
	var history []chat.SettingsChange
	var view workflows.SettingsView
	env.RegisterDelayedCallback(func() {
		res, err := env.QueryWorkflow(workflows.QuerySettingsChange)
		if err == nil {
			err = res.Get(&history)
		}
		if err == nil {
			res, err = env.QueryWorkflow(workflows.QuerySettings)
		}
		if err == nil {
			err = res.Get(&view)
		}
		if err != nil {
			t.Errorf("query: %v", err)
		}
		env.SetContinueAsNewSuggested(true)
	}, 5*time.Minute)
	env.ExecuteWorkflow(workflows.SettingsWorkflowName, workflows.SettingsState{})

	if first.err != nil || first.rejected != nil || retried.err != nil || second.err != nil || reset.err != nil || reset.rejected != nil {
		t.Fatalf("changes failed: %v %v %v %v %v %v", first.err, first.rejected, retried.err, second.err, reset.err, reset.rejected)
	}
	if invalid.rejected == nil || !strings.Contains(invalid.rejected.Error(), "inactivity_timeout") {
		t.Errorf("invalid change: %v, want a rejection naming the setting", invalid.rejected)
	}
	if len(history) != 3 {
		t.Fatalf("history %+v, want alice's change once (the retry is ignored), bob's and carol's reset", history)
	}
	// The reset records the email going back to the default; the phone
	// was not overridden, so resetting it changed nothing.
	if h := history[2]; h.Author != "carol" || len(h.Changes) != 1 || h.Changes["notification_email"] != (chat.Change{From: "ops@example.com", To: "(default)"}) {
		t.Errorf("the reset is recorded as %+v", h)
	}
	if h := history[0]; h.Author != "alice" || !h.At.Equal(start.Add(time.Minute)) ||
		h.Changes["inactivity_timeout"] != (chat.Change{From: "(default)", To: "30m"}) {
		t.Errorf("first change %+v", h)
	}
	if h := history[1]; h.Author != "bob" || h.Changes["inactivity_timeout"] != (chat.Change{From: "30m", To: "2h"}) ||
		h.Changes["notification_email"].To != "ops@example.com" {
		t.Errorf("second change %+v", h)
	}
	got := view.Overrides.Apply(chat.Settings{InactivityTimeout: time.Hour, NotificationPhone: "+359888123456"})
	if got.InactivityTimeout != 2*time.Hour || got.NotificationEmail != "" || got.NotificationPhone != "+359888123456" {
		t.Errorf("settings in force %+v: overrides must win, and untouched and reset settings keep the config default", got)
	}
	if set := view.Overrides.Set(); len(set) != 1 || set[0] != "inactivity_timeout" {
		t.Errorf("overridden after the reset: %v, want only inactivity_timeout", set)
	}
	if !env.IsWorkflowCompleted() {
		t.Fatal("settings workflow did not continue as new when suggested")
	}
	if err := env.GetWorkflowError(); err == nil || !strings.Contains(err.Error(), "continue as new") {
		t.Errorf("settings workflow ended with %v, want continue-as-new", err)
	}
}

// A request ID reused with a different patch is refused and changes nothing;
// the same patch again is a retry. The request IDs survive continue-as-new.
func TestSettingsRequestIDReusedWithADifferentPatchIsRefused(t *testing.T) {
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler)))
	env := suite.NewTestWorkflowEnvironment()
	env.SetStartTime(start)
	env.RegisterWorkflowWithOptions(workflows.SettingsWorkflow, workflow.RegisterOptions{Name: workflows.SettingsWorkflowName})
	change := func(d time.Duration, patch chat.SettingsPatch) *outcome {
		o := &outcome{}
		req := workflows.SettingsChangeRequest{RequestID: "r1", Author: "alice", Patch: patch}
		env.RegisterDelayedCallback(func() { env.UpdateWorkflow(workflows.UpdateSettings, "", o, req) }, d)
		return o
	}
	first := change(time.Minute, chat.SettingsPatch{InactivityTimeout: ptr(30 * time.Minute)})
	other := change(2*time.Minute, chat.SettingsPatch{InactivityTimeout: ptr(2 * time.Hour)})
	more := change(3*time.Minute, chat.SettingsPatch{InactivityTimeout: ptr(30 * time.Minute), MessengerHumanAgent: ptr(true)})
	retry := change(4*time.Minute, chat.SettingsPatch{InactivityTimeout: ptr(30 * time.Minute)})
	env.RegisterDelayedCallback(func() { env.SetContinueAsNewSuggested(true) }, 5*time.Minute)
	env.ExecuteWorkflow(workflows.SettingsWorkflowName, workflows.SettingsState{})

	mustSucceed(t, "first change", first)
	mustSucceed(t, "retry", retry)
	for name, o := range map[string]*outcome{"another timeout": other, "another setting as well": more} {
		if !o.done || errorType(o.rejected) != workflows.ErrTypeReusedID {
			t.Errorf("%s under r1: rejected=%v err=%v, want a ReusedID rejection", name, o.rejected, o.err)
		}
	}
	var can *workflow.ContinueAsNewError
	if err := env.GetWorkflowError(); !errors.As(err, &can) {
		t.Fatalf("settings workflow ended with %v, want continue-as-new", err)
	}
	var next workflows.SettingsState
	if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &next); err != nil {
		t.Fatal(err)
	}
	if len(next.Changes) != 1 || *next.Overrides.InactivityTimeout != 30*time.Minute || next.Overrides.MessengerHumanAgent != nil {
		t.Errorf("carried state %+v, want only the first change", next)
	}

	env2 := suite.NewTestWorkflowEnvironment()
	env2.RegisterWorkflowWithOptions(workflows.SettingsWorkflow, workflow.RegisterOptions{Name: workflows.SettingsWorkflowName})
	after := &outcome{}
	env2.RegisterDelayedCallback(func() {
		env2.UpdateWorkflow(workflows.UpdateSettings, "", after, workflows.SettingsChangeRequest{RequestID: "r1", Author: "alice",
			Patch: chat.SettingsPatch{InactivityTimeout: ptr(2 * time.Hour)}})
	}, time.Minute)
	env2.RegisterDelayedCallback(func() { env2.SetContinueAsNewSuggested(true) }, 2*time.Minute)
	env2.ExecuteWorkflow(workflows.SettingsWorkflowName, next)
	if errorType(after.rejected) != workflows.ErrTypeReusedID {
		t.Errorf("r1 with another patch after continue-as-new: rejected=%v err=%v, want a ReusedID rejection", after.rejected, after.err)
	}
}
