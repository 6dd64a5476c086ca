package app_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// pollInterval is how often waitUntil checks its condition.
const pollInterval = 100 * time.Millisecond

// waitUntil checks cond every pollInterval until it reports done, and fails
// the test if that has not happened within timeout. While cond is not done,
// its error says what it saw instead; the failure names what was awaited and
// ends with the last such error. cond runs on the test's goroutine, so it
// may fail the test itself.
func waitUntil(t testing.TB, timeout time.Duration, what string, cond func() (done bool, err error)) {
	t.Helper()
	if err := pollUntil(timeout, what, cond); err != nil {
		t.Fatal(err)
	}
}

// pollUntil is waitUntil for code that reports a timeout as an error instead
// of failing the test.
func pollUntil(timeout time.Duration, what string, cond func() (done bool, err error)) error {
	deadline := time.Now().Add(timeout)
	for {
		done, err := cond()
		if done {
			return nil
		}
		if time.Now().After(deadline) {
			timedOut := fmt.Sprintf("timed out after %s waiting for %s", timeout.Round(time.Millisecond), what)
			if err == nil {
				return errors.New(timedOut)
			}
			return fmt.Errorf("%s: %w", timedOut, err)
		}
		time.Sleep(pollInterval)
	}
}

func TestPollUntil(t *testing.T) {
	calls := 0
	err := pollUntil(time.Minute, "the third call", func() (bool, error) {
		calls++
		return calls == 3, fmt.Errorf("call %d", calls)
	})
	if err != nil || calls != 3 {
		t.Errorf("after %d calls: %v, want nil once the condition holds on the third", calls, err)
	}

	calls = 0
	lastSeen := errors.New("still 1 of 2")
	err = pollUntil(250*time.Millisecond, "two replies", func() (bool, error) {
		calls++
		return false, lastSeen
	})
	if err == nil || !errors.Is(err, lastSeen) || !strings.Contains(err.Error(), "two replies") || !strings.Contains(err.Error(), "250ms") {
		t.Errorf("error %v, want it to name what was awaited, the timeout and the last state", err)
	}
	if calls < 2 {
		t.Errorf("condition checked %d times within the timeout, want it polled", calls)
	}

	calls = 0
	err = pollUntil(-time.Second, "anything", func() (bool, error) {
		calls++
		return false, nil
	})
	if calls != 1 || err == nil || err.Error() != "timed out after -1s waiting for anything" {
		t.Errorf("past deadline: %d calls, error %v, want one check and a plain timeout", calls, err)
	}
}
