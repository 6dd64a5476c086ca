package workflows

import (
	"fmt"
	"testing"

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
