package settings

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/temporal"

	"github.com/handoff-chat/handoff/internal/chat"
	"github.com/handoff-chat/handoff/internal/temporalclient"
	"github.com/handoff-chat/handoff/workflows"
)

func TestWrapMarksTemporalUnavailable(t *testing.T) {
	err := wrap("change settings", context.DeadlineExceeded)
	var unavailable *temporalclient.UnavailableError
	if !errors.Is(err, ErrUnavailable) || !errors.As(err, &unavailable) || !unavailable.TimedOut {
		t.Errorf("wrap(deadline) = %v, want ErrUnavailable and a timed-out *temporalclient.UnavailableError", err)
	}
	if err := wrap("query settings workflow", serviceerror.NewResourceExhausted(0, "busy")); !errors.Is(err, ErrUnavailable) {
		t.Errorf("wrap(busy) = %v, want ErrUnavailable", err)
	}
	other := errors.New("boom")
	if err := wrap("query settings history", other); errors.Is(err, ErrUnavailable) || !errors.Is(err, other) {
		t.Errorf("wrap(other) = %v, want it wrapped without ErrUnavailable", err)
	}
}

func TestInvalidErrorMatchesErrInvalid(t *testing.T) {
	err := error(&InvalidError{Reason: "inactivity_timeout must be from 1m to 24h"})
	if !errors.Is(err, ErrInvalid) {
		t.Error("an *InvalidError does not match ErrInvalid")
	}
	if want := "invalid settings: inactivity_timeout must be from 1m to 24h"; err.Error() != want {
		t.Errorf("Error() = %q, want %q", err, want)
	}
}

func TestChangeRejectsAnInvalidPatchWithoutTemporal(t *testing.T) {
	_, err := NewStore(nil, chat.Settings{}).Change(context.Background(), "alice", "r-1", chat.SettingsPatch{})
	var invalid *InvalidError
	if !errors.As(err, &invalid) || invalid.Reason == "" {
		t.Errorf("Change(empty patch) = %v, want an *InvalidError with a reason", err)
	}
}

func TestUpdateIDTellsChangesOfOneRequestIDApart(t *testing.T) {
	hour, halfHour := time.Hour, 30*time.Minute
	first, err := updateID("r-1", chat.SettingsPatch{InactivityTimeout: &hour})
	if err != nil {
		t.Fatal(err)
	}
	retry, _ := updateID("r-1", chat.SettingsPatch{InactivityTimeout: &hour})
	other, _ := updateID("r-1", chat.SettingsPatch{InactivityTimeout: &halfHour})
	if first != retry || !strings.HasPrefix(first, "r-1/") {
		t.Errorf("a retry has update ID %q, the first call %q, want the same, starting with the request ID", retry, first)
	}
	if other == first {
		t.Errorf("a different patch under request ID r-1 has the first call's update ID %q, want another", other)
	}
	if none, _ := updateID("", chat.SettingsPatch{InactivityTimeout: &hour}); none != "" {
		t.Errorf("no request ID gave update ID %q, want none", none)
	}
}

func TestChangeErrorTypesTheWorkflowsRefusals(t *testing.T) {
	refusal := func(errType string) error {
		return temporal.NewNonRetryableApplicationError("the workflow's reason", errType, nil)
	}
	var reused *chat.ReusedIDError
	if err := changeError(refusal(workflows.ErrTypeReusedID)); !errors.As(err, &reused) ||
		err.Error() != "this request_id was already used for a different request" {
		t.Errorf("reused request ID: %v (%T), want a *chat.ReusedIDError naming request_id", err, err)
	}
	var invalid *InvalidError
	if err := changeError(refusal(workflows.ErrTypeInvalidInput)); !errors.As(err, &invalid) || invalid.Reason != "the workflow's reason" {
		t.Errorf("invalid: %v (%T), want an *InvalidError with the workflow's reason", err, err)
	}
	if err := changeError(context.DeadlineExceeded); !errors.Is(err, ErrUnavailable) {
		t.Errorf("deadline: %v, want ErrUnavailable", err)
	}
}
