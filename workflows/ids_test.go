package workflows_test

import (
	"strings"
	"testing"
	"time"

	"github.com/handoff-chat/handoff/internal/chat"
	"github.com/handoff-chat/handoff/workflows"
)

// Customer messages, staff messages and agent requests each have their own
// IDs: one kind reusing another's ID is a new request, not a duplicate.
func TestEachKindOfRequestHasItsOwnIDs(t *testing.T) {
	h := newHarness(t)
	customer := h.customer(0, "x", "hello")
	ask := h.update(time.Minute, workflows.UpdateRequestAgent, workflows.AgentRequest{ID: "x"})
	staff := h.staff(2*time.Minute, "x", "Hi, I'm Alice")
	customerAgain := h.customer(3*time.Minute, "x", "hello")
	staffAgain := h.staff(4*time.Minute, "x", "Hi, I'm Alice")
	askAgain := h.update(5*time.Minute, workflows.UpdateRequestAgent, workflows.AgentRequest{ID: "x"})
	transcript := h.transcriptAt(6 * time.Minute)
	h.run()

	mustSucceed(t, "customer message x", customer)
	mustSucceed(t, "agent request x", ask)
	mustSucceed(t, "staff message x", staff)
	if ask.view.Status != chat.StatusAgentRequested || ask.view.AgentRequestedAt == nil {
		t.Errorf("after agent request x: %+v, want it flagged although a message had the ID x", ask.view)
	}
	if staff.view.Status != chat.StatusLiveChat {
		t.Errorf("after staff message x: %s, want live chat", staff.view.Status)
	}
	for name, o := range map[string]*outcome{"customer message": customerAgain, "staff message": staffAgain} {
		if errorType(o.rejected) != workflows.ErrTypeDuplicateMessage {
			t.Errorf("%s x again with the same content: rejected=%v err=%v, want a duplicate", name, o.rejected, o.err)
		}
	}
	mustSucceed(t, "agent request x again", askAgain)
	if got, want := senders(*transcript), "customer,bot,bot,staff"; got != want {
		t.Errorf("transcript %s, want %s: the message, the bot's reply, one acknowledgement and the staff message", got, want)
	}
}

// An ID reused with different content is refused before it is recorded.
func TestIDReusedWithDifferentContentIsRefused(t *testing.T) {
	h := newHarness(t)
	h.customer(0, "m1", "hello")
	otherText := h.customer(time.Minute, "m1", "something else")
	otherPayload := h.update(2*time.Minute, workflows.UpdateCustomerMessage, workflows.CustomerMessage{ID: "m1", Text: "hello", Payload: chat.PayloadTalkToHuman})
	h.staff(3*time.Minute, "s1", "Hi")
	otherStaffText := h.staff(4*time.Minute, "s1", "Bye")
	otherButtons := h.update(5*time.Minute, workflows.UpdateStaffMessage, workflows.StaffMessage{ID: "s1", Author: "alice",
		Content: chat.Content{Text: "Hi", Buttons: []chat.Button{{Title: "Shop", URL: "https://example.com"}}}})
	sameAgain := h.staff(6*time.Minute, "s1", "Hi")
	transcript := h.transcriptAt(7 * time.Minute)
	h.run()

	for name, o := range map[string]*outcome{
		"customer message with other text":    otherText,
		"customer message with other payload": otherPayload,
		"staff message with other text":       otherStaffText,
		"staff message with other buttons":    otherButtons,
	} {
		if !o.done || errorType(o.rejected) != workflows.ErrTypeReusedID {
			t.Errorf("%s: rejected=%v err=%v, want a ReusedID rejection", name, o.rejected, o.err)
		}
	}
	if errorType(sameAgain.rejected) != workflows.ErrTypeDuplicateMessage {
		t.Errorf("staff message s1 again as it was: rejected=%v, want a duplicate", sameAgain.rejected)
	}
	if got, want := senders(*transcript), "customer,bot,staff"; got != want {
		t.Errorf("transcript %s, want %s", got, want)
	}
	if (*transcript)[0].Text != "hello" || (*transcript)[2].Text != "Hi" {
		t.Errorf("transcript %+v, want the first content of each ID", *transcript)
	}
}

// On Messenger, echoes come back with the IDs Meta gave: an echo of a
// message handoff sent is a duplicate, a staff message may still carry such
// an ID as its own, and an inbox echo is recorded once.
func TestEchoesAreRecognisedByTheChannelsIDs(t *testing.T) {
	h := newMessengerHarness(t)
	h.messengerCustomer(0, "m1", "hello")
	h.staff(time.Minute, "s1", "Hi")
	ownEcho := h.update(2*time.Minute, workflows.UpdateStaffMessage, workflows.StaffMessage{ID: "mid.s1", Author: "Messenger inbox", Echo: true, Content: chat.Content{Text: "Hi"}})
	inbox := h.update(3*time.Minute, workflows.UpdateStaffMessage, workflows.StaffMessage{ID: "mid.inbox", Author: "Messenger inbox", Echo: true, Content: chat.Content{Text: "From the Page app"}})
	inboxAgain := h.update(4*time.Minute, workflows.UpdateStaffMessage, workflows.StaffMessage{ID: "mid.inbox", Author: "Messenger inbox", Echo: true, Content: chat.Content{Text: "From the Page app"}})
	staffWithChannelID := h.staff(5*time.Minute, "mid.s1", "A staff message whose ID looks like Meta's")
	transcript := h.transcriptAt(6 * time.Minute)
	h.run()

	if errorType(ownEcho.rejected) != workflows.ErrTypeDuplicateMessage {
		t.Errorf("echo of handoff's own message: rejected=%v err=%v, want a duplicate", ownEcho.rejected, ownEcho.err)
	}
	mustSucceed(t, "inbox echo", inbox)
	if errorType(inboxAgain.rejected) != workflows.ErrTypeDuplicateMessage {
		t.Errorf("redelivered inbox echo: rejected=%v, want a duplicate", inboxAgain.rejected)
	}
	mustSucceed(t, "staff message with a channel's ID", staffWithChannelID)
	if got, want := senders(*transcript), "customer,bot,staff,staff,staff"; got != want {
		t.Errorf("transcript %s, want %s", got, want)
	}
}

// A request for a human by an agent request with the ID of a customer
// message that asked before is alerted about on its own.
func TestAgentRequestWithAMessagesIDIsAlertedOnItsOwn(t *testing.T) {
	h := newHarness(t).withRecipients()
	h.update(0, workflows.UpdateCustomerMessage, workflows.CustomerMessage{ID: "x", Payload: chat.PayloadTalkToHuman, Text: "Talk to a human"})
	h.liveChat(time.Minute, true)
	h.liveChat(2*time.Minute, false)
	h.update(time.Hour, workflows.UpdateRequestAgent, workflows.AgentRequest{ID: "x"})
	view := h.viewAt(time.Hour + time.Minute)
	h.run()

	sent := h.sentAlerts(chat.MediumEmail)
	if len(sent) != 2 || sent[0].ID == sent[1].ID {
		t.Fatalf("emails %+v, want two with different IDs", sent)
	}
	if n := notificationsOf(*view, chat.MediumEmail); len(n) != 2 || n[0].Status != chat.NotificationSent || n[1].Status != chat.NotificationSent {
		t.Errorf("email outcomes %+v, want one sent for each request", n)
	}
}

// The workflow applies the same bounds as the API to what a customer
// message brings into its state, whoever sends it.
func TestOutOfBoundsCustomerMessagesAreRejected(t *testing.T) {
	h := newHarness(t)
	long := h.update(0, workflows.UpdateCustomerMessage, workflows.CustomerMessage{ID: "m1", Text: "hi", Locale: strings.Repeat("a", 900)})
	control := h.update(time.Second, workflows.UpdateCustomerMessage, workflows.CustomerMessage{ID: "m2", Text: "hi\x00there"})
	blank := h.update(2*time.Second, workflows.UpdateCustomerMessage, workflows.CustomerMessage{ID: "m3", Text: "\u200b\u200b"})
	ok := h.customer(3*time.Second, "m4", "hello")
	h.run()
	for name, o := range map[string]*outcome{"900-byte locale": long, "NUL in text": control, "zero-width text": blank} {
		if errorType(o.rejected) != workflows.ErrTypeInvalidInput {
			t.Errorf("%s: rejected=%v err=%v, want an InvalidInput rejection", name, o.rejected, o.err)
		}
	}
	mustSucceed(t, "a message within bounds", ok)
}
