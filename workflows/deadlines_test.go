package workflows

import (
	"testing"
	"time"
)

func TestNextDeadline(t *testing.T) {
	at := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	window := at.Add(24 * time.Hour)
	cases := []struct {
		name     string
		d        Deadlines
		wantKind deadline
		wantAt   time.Time
	}{
		{"window open, no live chat", Deadlines{WindowClosesAt: window}, windowClose, window},
		{"live chat expires first", Deadlines{WindowClosesAt: window, LiveChatExpiresAt: at.Add(time.Hour)}, liveChatExpiry, at.Add(time.Hour)},
		{"live chat expires after the window", Deadlines{WindowClosesAt: window, LiveChatExpiresAt: window.Add(time.Hour)}, windowClose, window},
		{"live chat and window at once", Deadlines{WindowClosesAt: window, LiveChatExpiresAt: window}, liveChatExpiry, window},
		{"window checked, no HUMAN_AGENT", Deadlines{WindowClosesAt: window, WindowChecked: true}, staffDeadline, window},
		{"HUMAN_AGENT period", Deadlines{WindowClosesAt: window, WindowChecked: true, HumanAgentUntil: at.Add(7 * 24 * time.Hour)},
			staffDeadline, at.Add(7 * 24 * time.Hour)},
		{"live chat during the HUMAN_AGENT period", Deadlines{WindowClosesAt: window, WindowChecked: true,
			HumanAgentUntil: at.Add(7 * 24 * time.Hour), LiveChatExpiresAt: window.Add(time.Hour)}, liveChatExpiry, window.Add(time.Hour)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			kind, next := c.d.next()
			if kind != c.wantKind || !next.Equal(c.wantAt) {
				t.Errorf("next() = %d at %s, want %d at %s", kind, next, c.wantKind, c.wantAt)
			}
		})
	}
}

func TestReopenAndHumanAgentExtension(t *testing.T) {
	last := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	d := Deadlines{}
	d.reopen(last, 24*time.Hour)
	if !d.WindowClosesAt.Equal(last.Add(24*time.Hour)) || d.WindowChecked || !d.HumanAgentUntil.IsZero() {
		t.Fatalf("after reopen: %+v", d)
	}
	d.WindowChecked = true
	d.extendForHumanAgent(24 * time.Hour)
	if !d.HumanAgentUntil.Equal(last.Add(7*24*time.Hour)) || !d.staffDeadline().Equal(d.HumanAgentUntil) {
		t.Errorf("HUMAN_AGENT period ends %s, staff deadline %s; want 7 days after the last customer message", d.HumanAgentUntil, d.staffDeadline())
	}
	if !d.humanAgentPeriod(last.Add(3*24*time.Hour)) || d.windowOpen(last.Add(25*time.Hour)) {
		t.Errorf("at day 3 staff may write with HUMAN_AGENT; at 25h the standard window is closed: %+v", d)
	}
	d.reopen(last.Add(48*time.Hour), 24*time.Hour)
	if !d.HumanAgentUntil.IsZero() || d.WindowChecked {
		t.Errorf("a new customer message starts a new window: %+v", d)
	}
}
