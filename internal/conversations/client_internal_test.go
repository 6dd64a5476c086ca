package conversations

import (
	"context"
	"errors"
	"testing"

	"github.com/handoff-chat/handoff/internal/temporalclient"
	"go.temporal.io/api/serviceerror"
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
