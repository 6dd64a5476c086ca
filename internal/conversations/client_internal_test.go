package conversations

import (
	"context"
	"errors"
	"testing"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/temporal"

	"github.com/handoff-chat/handoff/internal/chat"
	"github.com/handoff-chat/handoff/internal/temporalclient"
	"github.com/handoff-chat/handoff/workflows"
)

func TestMapErrorMarksUnavailable(t *testing.T) {
	c := &Client{}
	err := c.mapError(context.Background(), "conversation/webchat/v", serviceerror.NewUnavailable("connection refused"))
	var unavailable *temporalclient.UnavailableError
	if !errors.As(err, &unavailable) || unavailable.TimedOut {
		t.Fatalf("mapError = %v, want an *UnavailableError that did not time out", err)
	}
	if want := "conversation conversation/webchat/v: Temporal is unavailable or busy: connection refused"; err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
}

func TestMapErrorTypesTheWorkflowsRefusals(t *testing.T) {
	c := &Client{}
	refusal := func(errType string) error {
		return temporal.NewNonRetryableApplicationError("the workflow's reason", errType, nil)
	}
	var reused *chat.ReusedIDError
	if err := c.mapError(context.Background(), "conversation/webchat/v", refusal(workflows.ErrTypeReusedID)); !errors.As(err, &reused) ||
		err.Error() != "this id was already used for a different request" {
		t.Errorf("reused ID: %v (%T), want a *chat.ReusedIDError naming the id field", err, err)
	}
	var state *StateError
	if err := c.mapError(context.Background(), "conversation/webchat/v", refusal(workflows.ErrTypeWrongState)); !errors.As(err, &state) || state.Reason != "the workflow's reason" {
		t.Errorf("wrong state: %v (%T), want a *StateError with the workflow's reason", err, err)
	}
	var input *InputError
	if err := c.mapError(context.Background(), "conversation/webchat/v", refusal(workflows.ErrTypeInvalidInput)); !errors.As(err, &input) {
		t.Errorf("invalid input: %v (%T), want an *InputError", err, err)
	}
	if err := c.mapError(context.Background(), "conversation/webchat/v", refusal(workflows.ErrTypeDuplicateMessage)); !isDuplicate(err) {
		t.Errorf("duplicate: %v, want it recognised as a duplicate", err)
	}
}
