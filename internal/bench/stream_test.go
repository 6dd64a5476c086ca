package bench

import (
	"testing"
	"time"
)

// Replies are matched to the customer's waiting messages in order, staff
// messages by their ID, from both channels' wire forms.
func TestRepliesMatchWaitingMessagesInOrder(t *testing.T) {
	c := &customer{channel: webChat, tag: "t", word: "w"}
	first, second := c.newMessage(true), c.newMessage(true)
	c.expect(first)
	c.expect(second)
	staff := c.expectStaff("stf-1")
	t0 := time.Now()

	c.onEvent([]byte(`{"seq":10,"id":"t-1","sender":"customer"}`), t0)
	c.onEvent([]byte(`{"seq":11,"id":"bot-11","sender":"bot"}`), t0.Add(time.Second))
	c.delivered(staffText("stf-1"), t0.Add(2*time.Second))
	c.delivered("Thanks for your message!", t0.Add(3*time.Second))
	c.delivered("Thanks again!", t0.Add(4*time.Second))

	if got := first.status().replied; !got.Equal(t0.Add(time.Second)) {
		t.Errorf("first message answered at %v, want the first bot event", got)
	}
	if got := second.status().replied; !got.Equal(t0.Add(3 * time.Second)) {
		t.Errorf("second message answered at %v, want the next bot message, not the staff one", got)
	}
	if got := staff.deliveredAt(); !got.Equal(t0.Add(2 * time.Second)) {
		t.Errorf("staff message delivered at %v", got)
	}
	if c.unexpectedReplies() != 1 || c.lastSeq != 11 {
		t.Errorf("unexpected replies %d, cursor %d; want the third reply unexpected and the cursor at 11", c.unexpectedReplies(), c.lastSeq)
	}
	c.forget(first) // already answered: nothing to drop
	third := c.newMessage(true)
	c.expect(third)
	c.forget(third)
	c.delivered("Thanks!", t0)
	if !third.status().replied.IsZero() {
		t.Error("a forgotten message got a reply")
	}
}
