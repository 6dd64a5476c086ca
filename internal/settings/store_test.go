package settings

import (
	"context"
	"errors"
	"testing"

	"go.temporal.io/api/serviceerror"

	"github.com/handoff-chat/handoff/internal/chat"
	"github.com/handoff-chat/handoff/internal/temporalclient"
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
