package temporalclient

import (
	"context"
	"errors"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
)

// UnavailableError means Temporal did not complete a call: it did not answer
// in time, could not be reached or was too busy. Whether an update was
// recorded is unknown; retrying it with the same ID records it once.
type UnavailableError struct {
	// TimedOut is true when the call ran out of time (or was cancelled)
	// waiting for Temporal, false when Temporal refused it as unavailable or
	// busy.
	TimedOut bool
	Err      error
}

func (e *UnavailableError) Error() string {
	if e.TimedOut {
		return "Temporal did not answer in time: " + e.Err.Error()
	}
	return "Temporal is unavailable or busy: " + e.Err.Error()
}

func (e *UnavailableError) Unwrap() error { return e.Err }

// Unavailable returns err as an *UnavailableError when it reports a Temporal
// call that timed out, was cancelled, or was refused because Temporal is
// unavailable or busy; otherwise it returns nil.
func Unavailable(err error) *UnavailableError {
	if err == nil {
		return nil
	}
	var already *UnavailableError
	if errors.As(err, &already) {
		return already
	}
	if timedOut(err) {
		return &UnavailableError{TimedOut: true, Err: err}
	}
	if busy(err) {
		return &UnavailableError{Err: err}
	}
	return nil
}

// timedOut reports a call that ended waiting: the caller's deadline or
// cancellation, the server's deadline, or the SDK giving up waiting for an
// update.
func timedOut(err error) bool {
	var deadline *serviceerror.DeadlineExceeded
	var canceled *serviceerror.Canceled
	var updateWait *client.WorkflowUpdateServiceTimeoutOrCanceledError
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) ||
		errors.As(err, &deadline) || errors.As(err, &canceled) || errors.As(err, &updateWait)
}

// busy reports Temporal refusing a call for now: unreachable, its namespace
// failing over, or over its limits.
func busy(err error) bool {
	var unavailable *serviceerror.Unavailable
	var namespaceUnavailable *serviceerror.NamespaceUnavailable
	var exhausted *serviceerror.ResourceExhausted
	return errors.As(err, &unavailable) || errors.As(err, &namespaceUnavailable) || errors.As(err, &exhausted)
}
