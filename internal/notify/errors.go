package notify

import "errors"

// PermanentError marks a failure that retrying cannot fix.
//
// The package documentation lists which failures are permanent. Use
// [IsPermanent] rather than a type assertion, since the error may be wrapped.
type PermanentError struct {
	// Err is the underlying failure; its message is the PermanentError's
	// message.
	Err error
}

// Error returns the message of the underlying error.
func (e *PermanentError) Error() string {
	if e.Err == nil {
		return "permanent failure"
	}
	return e.Err.Error()
}

// Unwrap returns the underlying error.
func (e *PermanentError) Unwrap() error { return e.Err }

// IsPermanent reports whether err, or any error it wraps, is a
// [*PermanentError]: a failure that retrying cannot fix. It returns false for
// nil and for every temporary failure.
func IsPermanent(err error) bool {
	var pe *PermanentError
	return errors.As(err, &pe)
}

// permanent wraps err as a [*PermanentError]; nil stays nil.
func permanent(err error) error {
	if err == nil {
		return nil
	}
	return &PermanentError{Err: err}
}

// detailedError carries a hand-written message while still unwrapping to the
// original error, so that errors.Is/As keep working (for example to find the
// *textproto.Error with the SMTP reply code, or a context error).
type detailedError struct {
	msg string
	err error
}

func (e *detailedError) Error() string { return e.msg }
func (e *detailedError) Unwrap() error { return e.err }
