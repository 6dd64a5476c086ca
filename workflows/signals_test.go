package workflows_test

import (
	"testing"
	"time"

	"github.com/handoff-chat/handoff/internal/chat"
	"github.com/handoff-chat/handoff/workflows"
)

// A customer message sent as a signal (Messenger's webhook) is recorded and
// answered like one sent as an update; a redelivery is recorded once, and a
// message the checks refuse (its ID reused for other text, no content) is
// dropped.
func TestSignaledCustomerMessages(t *testing.T) {
	h := newHarness(t)
	signal := func(d time.Duration, msg workflows.CustomerMessage) {
		h.at(d, func() { h.env.SignalWorkflow(workflows.SignalCustomerMessage, msg) })
	}
	signal(time.Minute, workflows.CustomerMessage{ID: "mid.1", Text: "здравейте", CustomerName: "Мария Петрова"})
	signal(2*time.Minute, workflows.CustomerMessage{ID: "mid.1", Text: "здравейте", CustomerName: "Мария Петрова"})
	signal(3*time.Minute, workflows.CustomerMessage{ID: "mid.1", Text: "друг текст"})
	signal(4*time.Minute, workflows.CustomerMessage{ID: "mid.2"})
	updated := h.customer(5*time.Minute, "mid.3", "кога ще пристигне пратката?")
	transcript := h.transcriptAt(6 * time.Minute)
	final := h.run()

	mustSucceed(t, "the update after the signals", updated)
	var customer []string
	bot := 0
	for _, m := range *transcript {
		switch m.Sender {
		case chat.SenderCustomer:
			customer = append(customer, m.ID+":"+m.Text)
		case chat.SenderBot:
			bot++
		}
	}
	if len(customer) != 2 || customer[0] != "mid.1:здравейте" || customer[1] != "mid.3:кога ще пристигне пратката?" {
		t.Errorf("customer messages %v, want mid.1 once and mid.3", customer)
	}
	if bot != 2 {
		t.Errorf("%d bot replies, want one to each recorded message", bot)
	}
	if want := start.Add(5*time.Minute + 24*time.Hour); !final.WindowClosesAt.Equal(want) {
		t.Errorf("window closes at %s, want %s", final.WindowClosesAt, want)
	}
}
