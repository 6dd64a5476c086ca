package workflows

import (
	"time"

	"github.com/handoff-chat/handoff/internal/chat"
)

// Deadlines are the moments at which a conversation acts by itself. They are
// part of the carried state.
type Deadlines struct {
	// WindowClosesAt is the customer's last message + the messaging window.
	WindowClosesAt time.Time `json:"window_closes_at"`
	// WindowChecked says the window close was acted on (the HUMAN_AGENT
	// setting read); HumanAgentUntil is set when that extended the run.
	WindowChecked   bool      `json:"window_checked,omitempty"`
	HumanAgentUntil time.Time `json:"human_agent_until,omitempty"`
	// LiveChatExpiresAt is the last staff message (or live chat on) + the
	// inactivity timeout; zero while live chat is off.
	LiveChatExpiresAt time.Time `json:"live_chat_expires_at"`
}

// deadline names what happens when a deadline is reached.
type deadline int

const (
	// liveChatExpiry switches live chat off.
	liveChatExpiry deadline = iota
	// windowClose ends the standard messaging window: the HUMAN_AGENT
	// setting decides whether staff may still write.
	windowClose
	// staffDeadline is when staff can no longer write: the run ends.
	staffDeadline
)

// next is the deadline that comes first, and when. Deadlines at the same
// moment come in the order live-chat expiry, window close, run end.
func (d Deadlines) next() (deadline, time.Time) {
	kind, at := staffDeadline, d.staffDeadline()
	if !d.WindowChecked && !d.WindowClosesAt.After(at) {
		kind, at = windowClose, d.WindowClosesAt
	}
	if !d.LiveChatExpiresAt.IsZero() && !d.LiveChatExpiresAt.After(at) {
		kind, at = liveChatExpiry, d.LiveChatExpiresAt
	}
	return kind, at
}

// staffDeadline is the window close, or the end of the HUMAN_AGENT period
// when that is later.
func (d Deadlines) staffDeadline() time.Time {
	if d.HumanAgentUntil.After(d.WindowClosesAt) {
		return d.HumanAgentUntil
	}
	return d.WindowClosesAt
}

// reopen starts a new messaging window at a customer message.
func (d *Deadlines) reopen(now time.Time, window time.Duration) {
	d.WindowClosesAt = now.Add(window)
	d.WindowChecked = false
	d.HumanAgentUntil = time.Time{}
}

// extendForHumanAgent lets staff write for the HUMAN_AGENT period after the
// customer's last message, given the window's length.
func (d *Deadlines) extendForHumanAgent(window time.Duration) {
	lastCustomerMessage := d.WindowClosesAt.Add(-window)
	d.HumanAgentUntil = lastCustomerMessage.Add(chat.HumanAgentWindow)
}

// windowOpen reports whether the standard messaging window is open at now.
func (d Deadlines) windowOpen(now time.Time) bool { return now.Before(d.WindowClosesAt) }

// humanAgentPeriod reports whether staff may write with the HUMAN_AGENT tag at now.
func (d Deadlines) humanAgentPeriod(now time.Time) bool { return now.Before(d.HumanAgentUntil) }
