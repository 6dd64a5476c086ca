package workflows

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/handoff-chat/handoff/internal/chat"
)

// The state keeps the latest transcriptKept messages, in order, however
// many were recorded.
func TestTranscriptKeepsTheLatestMessages(t *testing.T) {
	c := &conversation{}
	c.index = newQueue(&c.state.PendingIndex, &c.stopping)
	const recorded = 3*transcriptKept + 7
	for i := range recorded {
		sender := chat.SenderCustomer
		if i%2 == 1 {
			sender = chat.SenderBot
		}
		c.record(chat.Message{Sender: sender})
		if len(c.state.Transcript) > transcriptKept {
			t.Fatalf("after %d messages the state holds %d, want at most %d", i+1, len(c.state.Transcript), transcriptKept)
		}
	}
	if len(c.state.Transcript) != transcriptKept {
		t.Fatalf("the state holds %d messages, want %d", len(c.state.Transcript), transcriptKept)
	}
	for i, m := range c.state.Transcript {
		if want := int64(recorded - transcriptKept + i); m.Seq != want {
			t.Fatalf("message %d of the kept transcript has seq %d, want %d", i, m.Seq, want)
		}
	}
}

// The IDs remembered for duplicates are the latest recentIDsKept: an old one
// is forgotten, a recent one still recognised.
func TestRecentIDsKeepTheLatest(t *testing.T) {
	c := &conversation{}
	const remembered = 3*recentIDsKept + 5
	for i := range remembered {
		c.remember(sentMessageIDs, fmt.Sprint("m", i), "")
		if len(c.state.RecentIDs) > recentIDsKept {
			t.Fatalf("after %d IDs the state holds %d, want at most %d", i+1, len(c.state.RecentIDs), recentIDsKept)
		}
	}
	if _, ok := c.lookup(sentMessageIDs, fmt.Sprint("m", remembered-recentIDsKept)); !ok {
		t.Error("the oldest of the kept IDs is forgotten")
	}
	if _, ok := c.lookup(sentMessageIDs, fmt.Sprint("m", remembered-recentIDsKept-1)); ok {
		t.Error("an ID older than the kept ones is still remembered")
	}
}

// At the instant the window closes, a customer message can be signalled
// just ahead of a staff update; the update's validator runs before the
// message is recorded. The validators let staff in while such a message
// waits, and refuse them when none does; the handlers check the window
// after recording it, so a waiting message that is itself refused (here, one
// without content) lets nobody in. The test environment records a signal
// before it delivers the next update, so this is checked on the validators
// and handlers themselves, with a signal left waiting on the channel.
func TestValidatorsLeaveTheWindowToTheHandlerWhileACustomerMessageWaits(t *testing.T) {
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.OnActivity(settingsActivities.LoadSettings, mock.Anything).Return(chat.Settings{InactivityTimeout: time.Hour}, nil)
	staffMessage := StaffMessage{ID: "s1", Author: "alice", Content: chat.Content{Text: "we are here"}}
	liveChatOn := LiveChatChange{On: true, Author: "alice"}
	probe := func(ctx workflow.Context) ([]string, error) {
		c := newConversation(ctx, ConversationStart{Channel: chat.ChannelWebChat, CustomerID: "visitor-1", Window: 24 * time.Hour})
		c.signaled = workflow.GetSignalChannel(ctx, SignalCustomerMessage)
		c.state.WindowClosesAt = workflow.Now(ctx).Add(-time.Second)
		validate := func(when string) []string {
			staff := c.validateStaffMessage(ctx, staffMessage)
			liveChat := c.validateSetLiveChat(ctx, liveChatOn)
			return []string{fmt.Sprintf("%s: staff message %v", when, staff == nil), fmt.Sprintf("%s: live chat on %v", when, liveChat == nil)}
		}
		got := validate("nothing waits")
		if err := workflow.Await(ctx, func() bool { return c.signaled.Len() > 0 }); err != nil {
			return nil, err
		}
		got = append(got, validate("a customer message waits")...)
		_, liveChatErr := c.onSetLiveChat(ctx, liveChatOn)
		_, staffErr := c.onStaffMessage(ctx, staffMessage)
		for name, err := range map[string]error{"live chat on": liveChatErr, "staff message": staffErr} {
			got = append(got, fmt.Sprintf("handler after a refused message: %s refused for the window %v",
				name, err != nil && strings.Contains(err.Error(), "messaging window closed")))
		}
		slices.Sort(got[4:])
		return got, nil
	}
	env.RegisterWorkflowWithOptions(probe, workflow.RegisterOptions{Name: "validator-probe"})
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(SignalCustomerMessage, CustomerMessage{ID: "mid.2"}) // no content: refused when recorded
	}, time.Minute)
	env.ExecuteWorkflow("validator-probe")
	var got []string
	if err := env.GetWorkflowResult(&got); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"nothing waits: staff message false", "nothing waits: live chat on false",
		"a customer message waits: staff message true", "a customer message waits: live chat on true",
		"handler after a refused message: live chat on refused for the window true",
		"handler after a refused message: staff message refused for the window true",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got:\n%q\nwant:\n%q", got, want)
	}
}
