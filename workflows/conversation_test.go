package workflows_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/handoff-chat/handoff/internal/chat"
	"github.com/handoff-chat/handoff/workflows"
)

func TestCustomerMessageOpensWindowAndBotReplies(t *testing.T) {
	h := newHarness(t)
	first := h.customer(0, "m1", "здравейте")
	second := h.customer(3*time.Hour, "m2", "кога ще пристигне пратката?")
	afterFirst := h.viewAt(time.Minute)
	afterSecond := h.viewAt(3*time.Hour + time.Minute)
	transcript := h.transcriptAt(3*time.Hour + time.Minute)
	final := h.run()

	mustSucceed(t, "first message", first)
	mustSucceed(t, "second message", second)
	if afterFirst.Status != chat.StatusBot || !afterFirst.AIEnabled {
		t.Errorf("after first message: state %s ai %v, want bot with AI on", afterFirst.Status, afterFirst.AIEnabled)
	}
	if want := start.Add(24 * time.Hour); !afterFirst.WindowClosesAt.Equal(want) {
		t.Errorf("window closes at %s after first message, want %s", afterFirst.WindowClosesAt, want)
	}
	if want := start.Add(27 * time.Hour); !afterSecond.WindowClosesAt.Equal(want) {
		t.Errorf("window closes at %s after second message, want %s", afterSecond.WindowClosesAt, want)
	}
	if afterFirst.CustomerName != "Мария Петрова" {
		t.Errorf("customer name %q", afterFirst.CustomerName)
	}
	var senders []chat.Sender
	for _, m := range *transcript {
		senders = append(senders, m.Sender)
	}
	want := []chat.Sender{chat.SenderCustomer, chat.SenderBot, chat.SenderCustomer, chat.SenderBot}
	if len(senders) != len(want) {
		t.Fatalf("transcript senders %v, want %v", senders, want)
	}
	for i := range want {
		if senders[i] != want[i] || (*transcript)[i].Seq != start.UnixMicro()+int64(i) {
			t.Fatalf("transcript %+v, want senders %v numbered from the start time on", *transcript, want)
		}
	}
	if (*transcript)[1].Text != "отговор на бота" || len((*transcript)[1].Buttons) != 1 {
		t.Errorf("bot reply %+v, want the configured Bulgarian text with a talk-to-a-human button", (*transcript)[1])
	}
	if !final.WindowClosesAt.Equal(start.Add(27 * time.Hour)) {
		t.Errorf("run ended with window %s", final.WindowClosesAt)
	}
}

func TestStaffMessageAt59MinutesRestartsCountdown(t *testing.T) {
	h := newHarness(t)
	h.customer(0, "m1", "hello")
	on := h.liveChat(time.Minute, true)
	reply := h.staff(time.Minute+59*time.Minute, "s1", "still here?")
	at61 := h.viewAt(time.Minute + 61*time.Minute)        // old countdown would have run out
	justBefore := h.viewAt(time.Minute + 118*time.Minute) // 59m + 59m after the restart
	afterExpiry := h.viewAt(time.Minute + 119*time.Minute + time.Second)
	h.run()

	mustSucceed(t, "live chat on", on)
	mustSucceed(t, "staff message", reply)
	if want := start.Add(time.Minute + time.Hour); on.view.LiveChatExpiresAt == nil || !on.view.LiveChatExpiresAt.Equal(want) {
		t.Errorf("countdown after live chat on ends %v, want %s", on.view.LiveChatExpiresAt, want)
	}
	if want := start.Add(time.Minute + 59*time.Minute + time.Hour); reply.view.LiveChatExpiresAt == nil || !reply.view.LiveChatExpiresAt.Equal(want) {
		t.Errorf("countdown after staff message ends %v, want %s", reply.view.LiveChatExpiresAt, want)
	}
	if at61.Status != chat.StatusLiveChat || justBefore.Status != chat.StatusLiveChat {
		t.Errorf("live chat ended early: at 61m %s, at 118m %s", at61.Status, justBefore.Status)
	}
	if afterExpiry.Status != chat.StatusBot || !afterExpiry.AIEnabled || afterExpiry.LiveChatExpiresAt != nil {
		t.Errorf("after the restarted countdown: %+v, want bot with AI on and no countdown", *afterExpiry)
	}
}

func TestLiveChatSwitchesOffAfterInactivityTimeout(t *testing.T) {
	h := newHarness(t)
	h.settings.InactivityTimeout = 30 * time.Minute
	h.customer(0, "m1", "hello")
	on := h.liveChat(10*time.Minute, true)
	during := h.viewAt(39 * time.Minute)
	after := h.viewAt(40*time.Minute + time.Second)
	lateCustomer := h.customer(2*time.Hour, "m2", "anyone?")
	transcript := h.transcriptAt(2*time.Hour + time.Minute)
	h.run()

	mustSucceed(t, "live chat on", on)
	if on.view.AIEnabled || on.view.Status != chat.StatusLiveChat {
		t.Errorf("live chat on returned %+v", on.view)
	}
	if during.Status != chat.StatusLiveChat || during.AIEnabled {
		t.Errorf("at 39m: %s ai %v, want live_chat with AI off", during.Status, during.AIEnabled)
	}
	if after.Status != chat.StatusBot || !after.AIEnabled {
		t.Errorf("at 40m: %s ai %v, want bot with AI on", after.Status, after.AIEnabled)
	}
	mustSucceed(t, "late customer message", lateCustomer)
	last := (*transcript)[len(*transcript)-1]
	if last.Sender != chat.SenderBot {
		t.Errorf("after live chat ended the bot should answer again; last message %+v", last)
	}
}

func TestWindowClosesWhileLiveChatIsOn(t *testing.T) {
	h := newHarness(t)
	h.settings.InactivityTimeout = 24 * time.Hour
	h.customer(0, "m1", "hello")
	h.liveChat(23*time.Hour, true)
	h.staff(23*time.Hour+30*time.Minute, "s1", "sorry for the wait")
	final := h.run()

	if final.Status != chat.StatusBot || final.LiveChatExpiresAt != nil {
		t.Errorf("final state %+v, want live chat switched off", final)
	}
	if got, want := h.env.Now(), start.Add(24*time.Hour); !got.Equal(want) {
		t.Errorf("run ended at %s, want when the window closed at %s", got, want)
	}
}

func TestStaffCannotWriteOrSwitchAfterWindowClosesInTheSameRun(t *testing.T) {
	h := newHarness(t)
	h.customer(0, "m1", "hello")
	off := h.liveChat(time.Hour, false)
	h.run()
	if off.rejected == nil || errorType(off.rejected) != workflows.ErrTypeWrongState {
		t.Errorf("switching live chat off while off: rejected=%v, want a WrongState rejection", off.rejected)
	}
}

func TestDuplicateCustomerMessageIsIgnored(t *testing.T) {
	h := newHarness(t)
	first := h.customer(0, "mid.1", "hello")
	again := h.customer(time.Minute, "mid.1", "hello")
	transcript := h.transcriptAt(2 * time.Minute)
	h.run()

	mustSucceed(t, "first delivery", first)
	if !again.done || errorType(again.rejected) != workflows.ErrTypeDuplicateMessage {
		t.Errorf("redelivery: rejected=%v err=%v, want a DuplicateMessage rejection", again.rejected, again.err)
	}
	customer := 0
	for _, m := range *transcript {
		if m.Sender == chat.SenderCustomer {
			customer++
		}
	}
	if customer != 1 || len(*transcript) != 2 {
		t.Errorf("transcript %+v, want the message and one bot reply", *transcript)
	}
}

func TestStaffMessageWhileOffSwitchesLiveChatOnAndSilencesBot(t *testing.T) {
	h := newHarness(t)
	h.customer(0, "m1", "hello")
	reply := h.staff(5*time.Minute, "s1", "Hi, I'm Alice")
	customer := h.customer(6*time.Minute, "m2", "thanks")
	transcript := h.transcriptAt(7 * time.Minute)
	h.run()

	mustSucceed(t, "staff message", reply)
	mustSucceed(t, "customer reply", customer)
	if reply.view.Status != chat.StatusLiveChat || reply.view.AIEnabled {
		t.Errorf("after staff message: %+v, want live chat on, AI off", reply.view)
	}
	last := (*transcript)[len(*transcript)-1]
	if last.Sender != chat.SenderCustomer || len(*transcript) != 4 {
		t.Errorf("transcript %+v, want customer, bot, staff, customer (no bot while live chat is on)", *transcript)
	}
	if (*transcript)[2].Author != "alice" {
		t.Errorf("staff message author %q", (*transcript)[2].Author)
	}
}

func TestAgentRequestFlagsConversationUntilLiveChat(t *testing.T) {
	h := newHarness(t)
	h.customer(0, "m1", "hello")
	ask := h.update(time.Minute, workflows.UpdateRequestAgent, workflows.AgentRequest{ID: "req-1"})
	askAgain := h.update(2*time.Minute, workflows.UpdateRequestAgent, workflows.AgentRequest{ID: "req-2"})
	transcript := h.transcriptAt(3 * time.Minute)
	on := h.liveChat(10*time.Minute, true)
	h.run()

	mustSucceed(t, "agent request", ask)
	mustSucceed(t, "second agent request", askAgain)
	if ask.view.Status != chat.StatusAgentRequested || ask.view.AgentRequestedAt == nil ||
		!ask.view.AgentRequestedAt.Equal(start.Add(time.Minute)) || !ask.view.AIEnabled {
		t.Errorf("after request: %+v, want agent_requested flagged at 1m with AI still on", ask.view)
	}
	if !askAgain.view.AgentRequestedAt.Equal(start.Add(time.Minute)) {
		t.Errorf("asking again moved the flag to %s", askAgain.view.AgentRequestedAt)
	}
	acks := 0
	for _, m := range *transcript {
		if m.Text == "staff alerted" {
			acks++
		}
	}
	if acks != 2 {
		t.Errorf("transcript %+v, want each request acknowledged", *transcript)
	}
	mustSucceed(t, "live chat on", on)
	if on.view.Status != chat.StatusLiveChat || on.view.AgentRequestedAt != nil {
		t.Errorf("after live chat on: %+v, want live chat with the request served", on.view)
	}
}

func TestTalkToHumanButtonRequestsAgent(t *testing.T) {
	h := newHarness(t)
	choice := h.update(0, workflows.UpdateCustomerMessage, workflows.CustomerMessage{ID: "m1", Payload: chat.PayloadTalkToHuman, Text: "Talk to a human"})
	h.run()
	mustSucceed(t, "button choice", choice)
	if choice.view.Status != chat.StatusAgentRequested {
		t.Errorf("after talk-to-a-human: %s, want agent_requested", choice.view.Status)
	}
}

func TestWrongStateAndInvalidInputAreRejected(t *testing.T) {
	h := newHarness(t)
	h.customer(0, "m1", "hello")
	off := h.liveChat(time.Minute, false)
	on := h.liveChat(2*time.Minute, true)
	onAgain := h.liveChat(3*time.Minute, true)
	empty := h.staff(4*time.Minute, "s1", "")
	noID := h.update(5*time.Minute, workflows.UpdateCustomerMessage, workflows.CustomerMessage{Text: "x"})
	h.run()

	if errorType(off.rejected) != workflows.ErrTypeWrongState {
		t.Errorf("off while off: %v", off.rejected)
	}
	mustSucceed(t, "on", on)
	if errorType(onAgain.rejected) != workflows.ErrTypeWrongState {
		t.Errorf("on while on: %v", onAgain.rejected)
	}
	if errorType(empty.rejected) != workflows.ErrTypeInvalidInput {
		t.Errorf("empty staff message: %v", empty.rejected)
	}
	if errorType(noID.rejected) != workflows.ErrTypeInvalidInput {
		t.Errorf("message without ID: %v", noID.rejected)
	}
}

func TestSettingsChangeAppliesAtNextCountdownRestart(t *testing.T) {
	h := newHarness(t)
	h.customer(0, "m1", "hello")
	on := h.liveChat(time.Minute, true)
	h.at(10*time.Minute, func() { h.settings.InactivityTimeout = 10 * time.Minute })
	unchanged := h.viewAt(11 * time.Minute)
	reply := h.staff(20*time.Minute, "s1", "hi")
	expired := h.viewAt(30*time.Minute + time.Second)
	h.run()

	mustSucceed(t, "on", on)
	mustSucceed(t, "staff message", reply)
	if want := start.Add(61 * time.Minute); !unchanged.LiveChatExpiresAt.Equal(want) {
		t.Errorf("running countdown changed to %s, want it to keep %s until it restarts", unchanged.LiveChatExpiresAt, want)
	}
	if want := start.Add(30 * time.Minute); !reply.view.LiveChatExpiresAt.Equal(want) {
		t.Errorf("restarted countdown ends %s, want %s with the new 10m timeout", reply.view.LiveChatExpiresAt, want)
	}
	if expired.Status != chat.StatusBot {
		t.Errorf("at 30m: %s, want bot", expired.Status)
	}
}

func TestStateSurvivesContinueAsNew(t *testing.T) {
	h := newHarness(t)
	h.customer(0, "m1", "hello")
	h.customer(time.Minute, "m2", "are you there?")
	h.staff(2*time.Minute, "s1", "yes")
	h.update(3*time.Minute, workflows.UpdateRequestAgent, workflows.AgentRequest{ID: "r1"})
	h.at(4*time.Minute, func() { h.env.SetContinueAsNewSuggested(true) })
	h.env.ExecuteWorkflow(workflows.ConversationWorkflowName, workflows.ConversationStart{
		Channel: chat.ChannelWebChat, CustomerID: "visitor-1", Window: 24 * time.Hour, MaxHistoryEvents: 4000,
	})
	err := h.env.GetWorkflowError()
	var can *workflow.ContinueAsNewError
	if !errors.As(err, &can) {
		t.Fatalf("workflow ended with %v, want continue-as-new", err)
	}
	var next workflows.ConversationStart
	if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &next); err != nil {
		t.Fatalf("decode continue-as-new input: %v", err)
	}
	s := next.State
	if s == nil {
		t.Fatal("continue-as-new input carries no state")
	}
	if s.Status != chat.StatusLiveChat || s.CustomerName != "Мария Петрова" || next.MaxHistoryEvents != 4000 {
		t.Errorf("carried state %+v", *s)
	}
	if len(s.Transcript) < 4 || s.NextSeq != s.Transcript[0].Seq+int64(len(s.Transcript)) {
		t.Errorf("carried transcript %d messages, next seq %d", len(s.Transcript), s.NextSeq)
	}
	if !s.WindowClosesAt.Equal(start.Add(time.Minute+24*time.Hour)) || s.LiveChatExpiresAt.IsZero() {
		t.Errorf("carried deadlines: window %s live chat %s", s.WindowClosesAt, s.LiveChatExpiresAt)
	}

	// The next run picks up where the last one stopped: the duplicate check,
	// the sequence and the countdown all continue.
	h2 := newHarness(t)
	h2.env.SetStartTime(h.env.Now())
	dup := h2.customer(0, "m2", "are you there?")
	fresh := h2.customer(time.Minute, "m3", "hello again")
	transcript := h2.transcriptAt(2 * time.Minute)
	h2.env.ExecuteWorkflow(workflows.ConversationWorkflowName, next)
	if errorType(dup.rejected) != workflows.ErrTypeDuplicateMessage {
		t.Errorf("message from before continue-as-new: rejected=%v, want duplicate", dup.rejected)
	}
	mustSucceed(t, "message after continue-as-new", fresh)
	last := (*transcript)[len(*transcript)-1]
	if last.ID != "m3" || last.Seq != s.NextSeq {
		t.Errorf("first new message %+v, want m3 with seq %d", last, s.NextSeq)
	}
}

func TestMessagesAndStateReachTheSearchIndexDespiteOutages(t *testing.T) {
	h := newHarness(t)
	h.indexFailures = 3
	h.customer(0, "m1", "Доставката закъснява")
	h.staff(10*time.Minute, "s1", "Проверявам")
	h.update(20*time.Minute, workflows.UpdateRequestAgent, workflows.AgentRequest{ID: "r1"})
	h.run()

	var ids []string
	var last chat.ConversationSummary
	for _, req := range h.indexed {
		for _, m := range req.Messages {
			ids = append(ids, m.ID)
		}
		if req.Conversation.UpdatedAt.Before(last.UpdatedAt) {
			t.Errorf("conversation documents went back in time: %s after %s", req.Conversation.UpdatedAt, last.UpdatedAt)
		}
		last = req.Conversation
	}
	if strings.Join(ids, ",") != "m1,s1" {
		t.Errorf("indexed messages %v, want the customer's and the staff message once each and no bot replies", ids)
	}
	if last.CustomerName != "Мария Петрова" || last.ID != "default-test-workflow-id" ||
		!last.LastMessageAt.Equal(start.Add(10*time.Minute)) || !last.WindowClosesAt.Equal(start.Add(24*time.Hour)) {
		t.Errorf("last conversation document %+v", last)
	}
	if last.State != chat.StatusBot || last.LiveChatExpiresAt != nil {
		t.Errorf("last document state %s, want bot after live chat ended", last.State)
	}
	// The document carries the newest messages of every sender, for the
	// change feed; the last one is the latest in the transcript.
	if n := len(last.Recent); n == 0 || !strings.HasPrefix(senders(last.Recent), "customer,bot,staff") || last.Recent[n-1].Seq != last.LastSeq {
		t.Errorf("last document's recent messages %s, want the transcript up to message %d", senders(last.Recent), last.LastSeq)
	}
}

// The deadlines reach the search attributes rounded up to the quarter hour,
// so messages that move them within a quarter write no attribute.
func TestDeadlineSearchAttributesAreRoundedUp(t *testing.T) {
	h := newHarness(t)
	var windows []time.Duration
	h.env.OnUpsertTypedSearchAttributes(mock.Anything).Run(func(args mock.Arguments) {
		if v, ok := args.Get(0).(temporal.SearchAttributes).GetTime(workflows.SAWindowClosesAt); ok {
			windows = append(windows, v.Sub(start))
		}
	}).Return(nil)
	for i := range 10 {
		h.customer(time.Duration(i)*time.Minute+7*time.Second, fmt.Sprintf("m%d", i), "hello")
	}
	h.customer(20*time.Minute, "m10", "hello again")
	h.run()

	// The run starts (at a quarter hour) with the window of its start.
	want := []time.Duration{24 * time.Hour, 24*time.Hour + 15*time.Minute, 24*time.Hour + 30*time.Minute}
	if !slices.Equal(windows, want) {
		t.Errorf("window attribute written as %v after start, want %v: once per quarter hour it moved into", windows, want)
	}
}
