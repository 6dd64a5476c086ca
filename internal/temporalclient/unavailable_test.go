package temporalclient

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/handoff-chat/handoff/workflows"
)

func TestUnavailableRecognisesTemporalNotAnswering(t *testing.T) {
	cases := []struct {
		name     string
		err      error
		timedOut bool
	}{
		{"context deadline", context.DeadlineExceeded, true},
		{"context deadline, wrapped", fmt.Errorf("query: %w", context.DeadlineExceeded), true},
		{"cancelled", context.Canceled, true},
		{"server deadline", serviceerror.NewDeadlineExceeded("deadline exceeded"), true},
		{"server cancelled", serviceerror.NewCanceled("canceled"), true},
		{"update wait timed out", client.NewWorkflowUpdateServiceTimeoutOrCanceledError(errors.New("rpc error")), true},
		{"update-with-start wait timed out", fmt.Errorf("failed workflow update: %w",
			client.NewWorkflowUpdateServiceTimeoutOrCanceledError(serviceerror.NewDeadlineExceeded("x"))), true},
		{"unavailable", serviceerror.NewUnavailable("connection refused"), false},
		{"namespace failing over", serviceerror.NewNamespaceUnavailable("default"), false},
		{"busy", fmt.Errorf("failed workflow update: %w", serviceerror.NewResourceExhausted(0, "limit")), false},
	}
	for _, tc := range cases {
		got := Unavailable(tc.err)
		if got == nil {
			t.Errorf("%s: not recognised", tc.name)
			continue
		}
		if got.TimedOut != tc.timedOut || !errors.Is(got, tc.err) {
			t.Errorf("%s: %+v, want TimedOut %v wrapping the cause", tc.name, got, tc.timedOut)
		}
	}
}

func TestUnavailableLeavesOtherErrors(t *testing.T) {
	for _, err := range []error{
		nil,
		errors.New("boom"),
		serviceerror.NewNotFound("workflow not found"),
		serviceerror.NewPermissionDenied("no", ""),
		serviceerror.NewInternal("internal"),
		temporal.NewApplicationError("already on", workflows.ErrTypeWrongState),
	} {
		if got := Unavailable(err); got != nil {
			t.Errorf("Unavailable(%v) = %v, want nil", err, got)
		}
	}
}
