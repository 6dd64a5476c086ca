package workflows

import (
	"time"

	"go.temporal.io/sdk/workflow"
)

// alarm is the one timer a conversation waits on. Most deadline changes
// move the deadline later (every customer message moves the window close,
// every staff message the live-chat expiry), so the alarm keeps a timer
// that is due earlier than the new deadline instead of cancelling it and
// starting another: when it rings early the run loop finds the deadline not
// reached yet and sets the alarm again for what remains. Only a deadline
// earlier than the pending timer replaces it. That turns two timer
// commands per message into at most one per deadline.
type alarm struct {
	timer  workflow.Future
	at     time.Time
	cancel workflow.CancelFunc
}

// set makes the alarm ring at at, or earlier.
func (a *alarm) set(ctx workflow.Context, at time.Time) {
	if a.pending() && !at.Before(a.at) {
		return
	}
	if a.pending() {
		a.cancel()
	}
	timerCtx, cancel := workflow.WithCancel(ctx)
	a.timer, a.at, a.cancel = workflow.NewTimer(timerCtx, at.Sub(workflow.Now(ctx))), at, cancel
}

// pending reports a timer that has not fired.
func (a *alarm) pending() bool { return a.timer != nil && !a.timer.IsReady() }

// rang reports that the timer fired.
func (a *alarm) rang() bool { return a.timer != nil && a.timer.IsReady() }
