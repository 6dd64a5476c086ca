package api

import (
	"fmt"
	"testing"

	"github.com/handoff-chat/handoff/internal/chat"
)

// TestStreamPassesOnMessagesNumberedAgain follows one stream through a
// workflow task that was passed on, lost, and run again with the customer's
// next message recorded before the replies: what the stream sent at seqs 3
// to 5 is replaced, and only what changed is sent again.
func TestStreamPassesOnMessagesNumberedAgain(t *testing.T) {
	customer := func(seq int64, id, text string) chat.Message {
		return chat.Message{Seq: seq, ID: id, Sender: chat.SenderCustomer, Text: text}
	}
	bot := func(seq int64, text string) chat.Message {
		return chat.Message{Seq: seq, ID: fmt.Sprintf("bot-%d", seq), Sender: chat.SenderBot, Text: text}
	}
	s := newStreamed(1) // the client has message 1
	pass := func(msgs ...chat.Message) []int64 {
		var sent []int64
		for _, m := range msgs {
			if s.take(m) {
				sent = append(sent, m.Seq)
			}
		}
		return sent
	}
	check := func(what string, got []int64, want ...int64) {
		t.Helper()
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: sent %v, want %v", what, got, want)
		}
	}
	hello := customer(1, "m1", "hello")
	check("the transcript at the start", pass(hello, bot(2, "how can we help?")), 2)
	check("the lost attempt", pass(customer(3, "m2", "where is my order?"), bot(4, "orders ship in two days"), bot(5, "anything else?")), 3, 4, 5)
	check("the same messages again", pass(hello, bot(2, "how can we help?"), customer(3, "m2", "where is my order?")))
	check("the task run again",
		pass(customer(3, "m2", "where is my order?"), customer(4, "m3", "and by card?"),
			bot(5, "orders ship in two days"), bot(6, "anything else?"), bot(7, "yes, by card")),
		4, 5, 6, 7)
	if s.after != 7 {
		t.Errorf("the newest seq sent is %d, want 7", s.after)
	}
	changedDelivery := bot(7, "yes, by card")
	changedDelivery.Delivery = &chat.Delivery{Status: chat.DeliverySent}
	check("a delivery that changed", pass(changedDelivery), 7)
	check("a message the client had before the stream, passed on unchanged", pass(hello))

	for seq := int64(8); seq < 8+streamRenumberWindow+10; seq++ {
		pass(bot(seq, "more"))
	}
	s.forgetOld()
	if len(s.sent) > streamRenumberWindow {
		t.Errorf("the stream remembers %d messages, want at most %d", len(s.sent), streamRenumberWindow)
	}
}
