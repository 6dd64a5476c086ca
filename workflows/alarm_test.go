package workflows_test

import (
	"fmt"
	"testing"
	"time"
)

// Customer messages move the window close later; the conversation keeps
// the timer it has instead of starting one per message, and still ends
// exactly at the last message plus the window.
func TestDeadlinesMovedLaterStartNoTimerPerMessage(t *testing.T) {
	h := newHarness(t)
	const messages = 12
	for i := range messages {
		h.customer(time.Duration(i)*30*time.Minute, fmt.Sprintf("m%d", i), "здравейте")
	}
	var timers []time.Duration
	h.env.SetOnTimerScheduledListener(func(_ string, d time.Duration) { timers = append(timers, d) })
	final := h.run()
	last := start.Add((messages - 1) * 30 * time.Minute)
	if want := last.Add(24 * time.Hour); !final.WindowClosesAt.Equal(want) || !h.env.Now().Equal(want) {
		t.Errorf("the run ended at %s with the window closing at %s, want both at %s", h.env.Now(), final.WindowClosesAt, want)
	}
	// The first timer rings 24 h after the first message, finds the window
	// moved and is set again for the 5.5 h left; nothing else.
	if len(timers) > 3 {
		t.Errorf("%d timers for %d customer messages: %v, want at most 3", len(timers), messages, timers)
	}
}
