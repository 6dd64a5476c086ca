package workflows_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/handoff-chat/handoff/activities"
	"github.com/handoff-chat/handoff/internal/chat"
	"github.com/handoff-chat/handoff/workflows"
)

const pageID = "1000200030004000"

func newMessengerHarness(t *testing.T) *harness {
	h := newHarness(t)
	h.channel = chat.ChannelMessenger
	h.profileName = "Maria Petrova"
	return h
}

// messengerCustomer sends a customer message as the Messenger webhook does:
// with the page it was written to and no name.
func (h *harness) messengerCustomer(d time.Duration, id, text string) *outcome {
	return h.update(d, workflows.UpdateCustomerMessage, workflows.CustomerMessage{ID: id, Text: text, PageID: pageID})
}

func findMessage(t *testing.T, msgs []chat.Message, id string) chat.Message {
	t.Helper()
	for _, m := range msgs {
		if m.ID == id {
			return m
		}
	}
	t.Fatalf("message %s not in transcript %+v", id, msgs)
	return chat.Message{}
}

func TestMessengerRepliesAreDeliveredThroughThePage(t *testing.T) {
	h := newMessengerHarness(t)
	first := h.messengerCustomer(0, "m1", "hello")
	on := h.liveChat(time.Minute, true)
	reply := h.update(2*time.Minute, workflows.UpdateStaffMessage, workflows.StaffMessage{ID: "s1", Author: "alice", Content: chat.Content{Text: "Here is our catalogue", Attachments: []chat.Attachment{{Type: "image", URL: "https://example.com/cat.jpg"}}, Buttons: []chat.Button{{Title: "Shop", URL: "https://example.com"}}}})
	// Meta echoes what handoff sent; the echo carries the ID the Send API gave.
	echo := h.update(3*time.Minute, workflows.UpdateStaffMessage, workflows.StaffMessage{ID: "mid.s1", Author: "Messenger inbox", Echo: true, Content: chat.Content{Text: "Here is our catalogue"}})
	view := h.viewAt(4 * time.Minute)
	transcript := h.transcriptAt(4 * time.Minute)
	h.run()

	mustSucceed(t, "first message", first)
	mustSucceed(t, "live chat on", on)
	mustSucceed(t, "staff message", reply)
	if errorType(echo.rejected) != workflows.ErrTypeDuplicateMessage {
		t.Errorf("echo of handoff's own message: rejected=%v err=%v, want a duplicate", echo.rejected, echo.err)
	}
	if len(h.delivered) != 2 {
		t.Fatalf("delivered %+v, want the bot reply and the staff message", h.delivered)
	}
	bot, staff := h.delivered[0], h.delivered[1]
	if bot.Message.Sender != chat.SenderBot || bot.PageID != pageID || bot.CustomerID != "visitor-1" || bot.Tag != "" {
		t.Errorf("bot reply delivery %+v, want a response through page %s", bot, pageID)
	}
	if staff.Message.ID != "s1" || len(staff.Message.Attachments) != 1 || staff.Message.Buttons[0].URL != "https://example.com" || staff.Tag != "" {
		t.Errorf("staff delivery %+v, want the image and link as sent", staff)
	}
	s1 := findMessage(t, *transcript, "s1")
	if s1.Delivery == nil || s1.Delivery.Status != chat.DeliverySent || s1.Delivery.ChannelMessageIDs[0] != "mid.s1" {
		t.Errorf("staff message delivery %+v, want sent with the channel's ID", s1.Delivery)
	}
	if n := strings.Count(senders(*transcript), "staff"); n != 1 {
		t.Errorf("transcript %s has %d staff messages, want 1 (the echo is not recorded again)", senders(*transcript), n)
	}
	if view.CustomerName != "Maria Petrova" || view.PageID != pageID {
		t.Errorf("view %+v, want the name fetched from the profile and the page recorded", *view)
	}
	if len(h.profileRequests) != 1 || h.profileRequests[0].PageID != pageID {
		t.Errorf("profile requests %+v, want one, through page %s", h.profileRequests, pageID)
	}
}

func senders(msgs []chat.Message) string {
	var out []string
	for _, m := range msgs {
		out = append(out, string(m.Sender))
	}
	return strings.Join(out, ",")
}

func TestRefusedDeliveryIsShownToStaff(t *testing.T) {
	h := newMessengerHarness(t)
	h.deliver = func(_ int, req activities.DeliveryRequest) error {
		if req.Message.Sender == chat.SenderStaff {
			return temporal.NewNonRetryableApplicationError("The customer can't be reached on Messenger right now (Meta error 551).",
				activities.ErrTypeDeliveryRefused, nil)
		}
		return nil
	}
	h.messengerCustomer(0, "m1", "hello")
	reply := h.staff(time.Minute, "s1", "hi there")
	transcript := h.transcriptAt(2 * time.Minute)
	h.run()

	mustSucceed(t, "staff message", reply)
	d := findMessage(t, *transcript, "s1").Delivery
	if d == nil || d.Status != chat.DeliveryFailed || !strings.Contains(d.Error, "can't be reached") {
		t.Errorf("delivery %+v, want failed with Meta's reason", d)
	}
	if h.attempts != 2 {
		t.Errorf("%d delivery attempts, want 2 (bot reply, then one refused staff message with no retry)", h.attempts)
	}
}

func TestTransientDeliveryErrorsAreRetried(t *testing.T) {
	h := newMessengerHarness(t)
	h.deliver = func(attempt int, _ activities.DeliveryRequest) error {
		if attempt <= 3 {
			return errors.New("graph API answered 503")
		}
		return nil
	}
	h.messengerCustomer(0, "m1", "hello")
	transcript := h.transcriptAt(10 * time.Minute)
	h.run()

	if len(h.delivered) != 1 || h.attempts != 4 {
		t.Fatalf("delivered %d after %d attempts, want 1 after 4", len(h.delivered), h.attempts)
	}
	if d := (*transcript)[1].Delivery; d == nil || d.Status != chat.DeliverySent {
		t.Errorf("bot reply delivery %+v, want sent after the retries", d)
	}
}

// An attempt that sent some parts of a message hands them to the next one,
// which goes on from there; the message's channel IDs are all of them.
func TestUnfinishedDeliveryGoesOnWhereItStopped(t *testing.T) {
	h := newMessengerHarness(t)
	var sentBefore [][]string
	h.unfinished = func(attempt int, req activities.DeliveryRequest) bool {
		sentBefore = append(sentBefore, req.Sent)
		return attempt <= 2
	}
	h.messengerCustomer(0, "m1", "hello")
	transcript := h.transcriptAt(10 * time.Minute)
	h.run()

	if h.attempts != 3 || len(sentBefore) != 3 || len(sentBefore[0]) != 0 || len(sentBefore[1]) != 1 || len(sentBefore[2]) != 2 {
		t.Fatalf("%d attempts, each told of the parts sent before: %v; want 3 attempts told of 0, 1 and 2 parts", h.attempts, sentBefore)
	}
	d := (*transcript)[1].Delivery
	if d == nil || d.Status != chat.DeliverySent || len(d.ChannelMessageIDs) != 3 || d.ChannelMessageIDs[0] != sentBefore[2][0] {
		t.Errorf("bot reply delivery %+v, want sent with the IDs of all three parts", d)
	}
}

func TestRunEndsWithWindowWithoutHumanAgent(t *testing.T) {
	h := newMessengerHarness(t)
	h.messengerCustomer(0, "m1", "hello")
	lastMinute := h.staff(24*time.Hour-time.Minute, "s1", "are you still there?")
	final := h.run()

	mustSucceed(t, "staff message in the last minute of the window", lastMinute)
	if final.HumanAgentUntil != nil {
		t.Errorf("run ended with a HUMAN_AGENT period %v while the setting is off", final.HumanAgentUntil)
	}
	if now := h.env.Now(); now.After(start.Add(24*time.Hour + time.Minute)) {
		t.Errorf("run ended at %s, want when the 24-hour window closed", now)
	}
	if h.loads == 0 {
		t.Error("the HUMAN_AGENT setting was never read at window close")
	}
}

func TestHumanAgentLetsStaffAnswerForSevenDays(t *testing.T) {
	h := newMessengerHarness(t)
	h.settings.MessengerHumanAgent = true
	h.messengerCustomer(0, "m1", "hello")
	late := h.staff(30*time.Hour, "s1", "sorry for the delay")
	view := h.viewAt(31 * time.Hour)
	lastDay := h.staff(7*24*time.Hour-time.Minute, "s2", "one more thing")
	h.run()

	mustSucceed(t, "staff message after 30 hours", late)
	mustSucceed(t, "staff message on day 7", lastDay)
	if want := start.Add(chat.HumanAgentWindow); view.HumanAgentUntil == nil || !view.HumanAgentUntil.Equal(want) {
		t.Errorf("HUMAN_AGENT period ends %v, want %s", view.HumanAgentUntil, want)
	}
	var tags []string
	for _, d := range h.delivered {
		tags = append(tags, d.Message.ID+":"+d.Tag)
	}
	if got := strings.Join(tags, " "); !strings.HasSuffix(got, "s1:HUMAN_AGENT s2:HUMAN_AGENT") || strings.Count(got, "HUMAN_AGENT") != 2 {
		t.Errorf("deliveries %s, want the bot reply untagged and both late staff messages tagged HUMAN_AGENT", got)
	}
	if now := h.env.Now(); now.Before(start.Add(chat.HumanAgentWindow)) {
		t.Errorf("run ended at %s, before the HUMAN_AGENT period", now)
	}
	// The staff list keeps the conversation until the period ends.
	var afterClose *chat.ConversationSummary
	for _, req := range h.indexed {
		if req.Conversation.UpdatedAt.After(start.Add(24 * time.Hour)) {
			afterClose = &req.Conversation
			break
		}
	}
	want := start.Add(chat.HumanAgentWindow)
	if afterClose == nil || !afterClose.StaffDeadline.Equal(want) || afterClose.HumanAgentUntil == nil || !afterClose.HumanAgentUntil.Equal(want) {
		t.Errorf("indexed after the window closed: %+v, want the staff deadline and HUMAN_AGENT period ending %s", afterClose, want)
	}
	if first := h.indexed[0].Conversation; !first.StaffDeadline.Equal(start.Add(24*time.Hour)) || first.HumanAgentUntil != nil {
		t.Errorf("indexed inside the window: %+v, want the staff deadline at the window close", first)
	}
}

func TestWebChatMessagesAreNotSent(t *testing.T) {
	h := newHarness(t)
	h.customer(0, "m1", "hello")
	reply := h.staff(time.Minute, "s1", "hi")
	transcript := h.transcriptAt(2 * time.Minute)
	h.run()

	mustSucceed(t, "staff message", reply)
	if h.attempts != 0 || len(h.profileRequests) != 0 {
		t.Errorf("web chat made %d deliveries and %d profile requests, want none", h.attempts, len(h.profileRequests))
	}
	for _, m := range *transcript {
		if m.Delivery != nil {
			t.Errorf("web chat message %s has a delivery %+v", m.ID, m.Delivery)
		}
	}
}

func TestStaffMessageContentIsChecked(t *testing.T) {
	tests := []struct {
		name string
		msg  workflows.StaffMessage
		want string
	}{
		{"nothing to send", workflows.StaffMessage{ID: "s1"}, "needs text or an image"},
		{"not an image", workflows.StaffMessage{ID: "s1", Content: chat.Content{Attachments: []chat.Attachment{{Type: "file", URL: "https://x.example/a.pdf"}}}}, "only images"},
		{"image URL", workflows.StaffMessage{ID: "s1", Content: chat.Content{Attachments: []chat.Attachment{{Type: "image", URL: "ftp://x"}}}}, "http:// or https://"},
		{"button without target", workflows.StaffMessage{ID: "s1", Content: chat.Content{Text: "hi", Buttons: []chat.Button{{Title: "Go"}}}}, "either a payload or a URL"},
		{"button with both", workflows.StaffMessage{ID: "s1", Content: chat.Content{Text: "hi", Buttons: []chat.Button{{Title: "Go", Payload: "P", URL: "https://x.example"}}}}, "either a payload or a URL"},
		{"button without title", workflows.StaffMessage{ID: "s1", Content: chat.Content{Text: "hi", Buttons: []chat.Button{{URL: "https://x.example"}}}}, "needs a title"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.customer(0, "m1", "hello")
			o := h.update(time.Minute, workflows.UpdateStaffMessage, tt.msg)
			h.run()
			if errorType(o.rejected) != workflows.ErrTypeInvalidInput || !strings.Contains(o.rejected.Error(), tt.want) {
				t.Errorf("rejected=%v err=%v, want invalid input containing %q", o.rejected, o.err, tt.want)
			}
		})
	}
}

func TestFlowButtonsWorkDuringLiveChat(t *testing.T) {
	h := newHarness(t)
	h.customer(0, "m1", "hello")
	h.staff(time.Minute, "s1", "here is our delivery info")
	press := h.update(2*time.Minute, workflows.UpdateCustomerMessage, workflows.CustomerMessage{ID: "m2", Text: "Delivery", Payload: "FLOW:en:delivery"})
	text := h.customer(3*time.Minute, "m3", "thanks")
	transcript := h.transcriptAt(4 * time.Minute)
	h.run()

	mustSucceed(t, "button press", press)
	mustSucceed(t, "free text", text)
	if got := senders(*transcript); got != "customer,bot,staff,customer,bot,customer" {
		t.Errorf("transcript %s, want the bot to answer the button press during live chat but not the free text", got)
	}
}
