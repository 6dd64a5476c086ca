package workflows_test

import (
	"strings"
	"testing"
	"time"

	"github.com/handoff-chat/handoff/internal/chat"
	"github.com/handoff-chat/handoff/workflows"
)

// A customer message sent as a signal (Messenger's webhook) is recorded and
// answered like one sent as an update; a redelivery is recorded once; a
// message whose ID came before with other text is recorded under an ID of
// its own (once, however often it is sent); one without content is dropped.
func TestSignaledCustomerMessages(t *testing.T) {
	h := newHarness(t)
	signal := func(d time.Duration, msg workflows.CustomerMessage) {
		h.at(d, func() { h.env.SignalWorkflow(workflows.SignalCustomerMessage, msg) })
	}
	signal(time.Minute, workflows.CustomerMessage{ID: "mid.1", Text: "здравейте", CustomerName: "Мария Петрова"})
	signal(2*time.Minute, workflows.CustomerMessage{ID: "mid.1", Text: "здравейте", CustomerName: "Мария Петрова"})
	signal(3*time.Minute, workflows.CustomerMessage{ID: "mid.1", Text: "друг текст"})
	signal(3*time.Minute+time.Second, workflows.CustomerMessage{ID: "mid.1", Text: "друг текст"})
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
	if len(customer) != 3 || customer[0] != "mid.1:здравейте" || customer[2] != "mid.3:кога ще пристигне пратката?" ||
		!strings.HasPrefix(customer[1], "mid.1~") || !strings.HasSuffix(customer[1], ":друг текст") {
		t.Errorf("customer messages %v, want mid.1 once, the other text once under mid.1~<digest>, and mid.3", customer)
	}
	if bot != 3 {
		t.Errorf("%d bot replies, want one to each recorded message", bot)
	}
	if want := start.Add(5*time.Minute + 24*time.Hour); !final.WindowClosesAt.Equal(want) {
		t.Errorf("window closes at %s, want %s", final.WindowClosesAt, want)
	}
}
