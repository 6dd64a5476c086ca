package workflows_test

import (
	"fmt"
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

// Updates apply after the customer messages signalled before them, even
// when both reach the run in one workflow task (as a first message sent by
// signal-with-start and a "talk to a human" tap right after it do): the
// customer's message is answered, in their language, before their request
// for a human is acknowledged; a staff reply and "live chat off" sent
// after a customer's message come after it.
func TestUpdatesComeAfterTheMessagesSignalledBeforeThem(t *testing.T) {
	h := newHarness(t)
	asked, replied, off := &outcome{}, &outcome{}, &outcome{}
	h.at(0, func() {
		h.env.SignalWorkflow(workflows.SignalCustomerMessage, workflows.CustomerMessage{ID: "mid.1", Text: "поръчката ми е счупена"})
		h.env.UpdateWorkflow(workflows.UpdateRequestAgent, "", asked, workflows.AgentRequest{ID: "req-1"})
	})
	h.at(2*time.Minute, func() {
		h.env.SignalWorkflow(workflows.SignalCustomerMessage, workflows.CustomerMessage{ID: "mid.2", Text: "има ли някой?"})
		h.env.UpdateWorkflow(workflows.UpdateStaffMessage, "", replied, workflows.StaffMessage{ID: "s1", Author: "alice", Content: chat.Content{Text: "Тук съм"}})
	})
	h.at(3*time.Minute, func() {
		h.env.SignalWorkflow(workflows.SignalCustomerMessage, workflows.CustomerMessage{ID: "mid.3", Text: "благодаря"})
		h.env.UpdateWorkflow(workflows.UpdateSetLiveChat, "", off, workflows.LiveChatChange{On: false, Author: "alice"})
	})
	transcript := h.transcriptAt(4 * time.Minute)
	h.run()

	for name, o := range map[string]*outcome{"agent request": asked, "staff reply": replied, "live chat off": off} {
		mustSucceed(t, name, o)
	}
	var got []string
	for _, m := range *transcript {
		switch {
		case m.Sender == chat.SenderBot:
			got = append(got, "bot:"+m.Text)
		default:
			got = append(got, string(m.Sender)+":"+m.ID)
		}
	}
	want := "customer:mid.1 bot:отговор на бота bot:екипът е уведомен customer:mid.2 bot:отговор на бота staff:s1 customer:mid.3"
	if strings.Join(got, " ") != want {
		t.Errorf("transcript %q,\nwant %q (no bot reply to mid.3: live chat was on when it came)", strings.Join(got, " "), want)
	}
}

// TestStaffMessageAtTheWindowCloseAfterACustomerMessage: the window has
// closed and the run waits for the search backend to take its last writes
// (an outage) before it ends. When a customer message is signalled just
// before staff write, it reopens the window and staff are let in, as they
// are a moment later; without it they are refused. (The test environment
// records a signal before it delivers the next update, so the validators'
// part, which runs before the signalled message is recorded, is checked in
// TestValidatorsLeaveTheWindowToTheHandlerWhileACustomerMessageWaits.)
func TestStaffMessageAtTheWindowCloseAfterACustomerMessage(t *testing.T) {
	for _, update := range []struct {
		name string
		arg  any
	}{
		{workflows.UpdateStaffMessage, workflows.StaffMessage{ID: "s1", Author: "alice", Content: chat.Content{Text: "we are here"}}},
		{workflows.UpdateSetLiveChat, workflows.LiveChatChange{On: true, Author: "alice"}},
	} {
		for _, customerWrote := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/customer wrote %v", update.name, customerWrote), func(t *testing.T) {
				h := newHarness(t)
				h.at(0, func() {
					h.env.SignalWorkflow(workflows.SignalCustomerMessage, workflows.CustomerMessage{ID: "mid.1", Text: "hello"})
				})
				// Staff write just before the close, while the search backend
				// is down: their message keeps the run waiting past the close.
				h.at(24*time.Hour-2*time.Second, func() { h.indexFailures = 100 })
				before := h.update(24*time.Hour-time.Second, workflows.UpdateStaffMessage,
					workflows.StaffMessage{ID: "s0", Author: "alice", Content: chat.Content{Text: "anything else?"}})
				staff := &outcome{}
				h.at(24*time.Hour+30*time.Second, func() {
					if customerWrote {
						h.env.SignalWorkflow(workflows.SignalCustomerMessage, workflows.CustomerMessage{ID: "mid.2", Text: "is anyone there?"})
					}
					h.env.UpdateWorkflow(update.name, "", staff, update.arg)
				})
				transcript := h.transcriptAt(24*time.Hour + time.Minute)
				h.run()
				mustSucceed(t, "staff message before the close", before)
				if !customerWrote {
					if staff.rejected == nil || !strings.Contains(staff.rejected.Error(), "messaging window closed") {
						t.Fatalf("%s after the close: rejected=%v err=%v, want refused as the window closed", update.name, staff.rejected, staff.err)
					}
					return
				}
				mustSucceed(t, update.name, staff)
				var ids []string
				for _, m := range *transcript {
					if m.Sender != chat.SenderBot {
						ids = append(ids, m.ID)
					}
				}
				if !strings.Contains(strings.Join(ids, " "), "mid.2") {
					t.Errorf("transcript %v lacks the customer's message mid.2", ids)
				}
			})
		}
	}
}
