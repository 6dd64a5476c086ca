package reindex_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/handoff-chat/handoff/activities"
	"github.com/handoff-chat/handoff/internal/chat"
	"github.com/handoff-chat/handoff/internal/reindex"
	"github.com/handoff-chat/handoff/search"
	"github.com/handoff-chat/handoff/workflows"
)

// The histories in workflows/testdata were recorded from real runs (see
// internal/app/history_test.go); the tests here replay them.
func recorded(t *testing.T, name string) *historypb.History {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "workflows", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h, err := client.HistoryFromJSON(f, client.HistoryJSONOptions{})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return h
}

// recordedMessage is a customer or staff message as its update or signal
// recorded it in a history.
type recordedMessage struct {
	ID, Sender, Text, Author string
}

// messagesIn reads the customer and staff messages a history recorded,
// straight from its update and signal events: what a rebuild must find.
func messagesIn(t *testing.T, h *historypb.History) []recordedMessage {
	t.Helper()
	var out []recordedMessage
	for _, e := range h.GetEvents() {
		if a := e.GetWorkflowExecutionUpdateAcceptedEventAttributes(); a != nil {
			in := a.GetAcceptedRequest().GetInput()
			switch in.GetName() {
			case workflows.UpdateCustomerMessage:
				var m workflows.CustomerMessage
				decode(t, in.GetArgs(), &m)
				out = append(out, recordedMessage{ID: m.ID, Sender: "customer", Text: m.Text})
			case workflows.UpdateStaffMessage:
				var m workflows.StaffMessage
				decode(t, in.GetArgs(), &m)
				out = append(out, recordedMessage{ID: m.ID, Sender: "staff", Text: m.Text, Author: m.Author})
			}
		}
		if a := e.GetWorkflowExecutionSignaledEventAttributes(); a != nil && a.GetSignalName() == workflows.SignalCustomerMessage {
			var m workflows.CustomerMessage
			decode(t, a.GetInput(), &m)
			out = append(out, recordedMessage{ID: m.ID, Sender: "customer", Text: m.Text})
		}
	}
	// A redelivered signal is in the history again but recorded once.
	seen := map[recordedMessage]bool{}
	return slices.DeleteFunc(out, func(m recordedMessage) bool {
		dup := seen[m]
		seen[m] = true
		return dup
	})
}

func decode(t *testing.T, payloads *commonpb.Payloads, v any) {
	t.Helper()
	if err := converter.GetDefaultDataConverter().FromPayloads(payloads, v); err != nil {
		t.Fatal(err)
	}
}

// rebuilt replays the histories as the runs of one conversation, oldest
// first, as a rebuild does.
func rebuilt(t *testing.T, workflowID string, histories ...*historypb.History) *reindex.Conversation {
	t.Helper()
	c := reindex.NewConversation(workflowID)
	for i, h := range histories {
		writes, err := reindex.Replay(h, workflowID, "run-"+string(rune('a'+i)))
		if err != nil {
			t.Fatal(err)
		}
		for _, req := range writes.Conversations {
			c.Add(req)
		}
	}
	return c
}

func asRecorded(msgs []search.Message) []recordedMessage {
	var out []recordedMessage
	for _, m := range msgs {
		out = append(out, recordedMessage{ID: m.ID, Sender: m.Sender, Text: m.Text, Author: m.Author})
	}
	return out
}

// conversationOf is the workflow ID of the conversation a recorded history
// belongs to, from the channel and customer it started with.
func conversationOf(t *testing.T, h *historypb.History) string {
	t.Helper()
	var start workflows.ConversationStart
	decode(t, h.GetEvents()[0].GetWorkflowExecutionStartedEventAttributes().GetInput(), &start)
	if start.State != nil {
		start.Channel, start.CustomerID = start.State.Channel, start.State.CustomerID
	}
	return workflows.ConversationWorkflowID(start.Channel, start.CustomerID)
}

// Replaying a conversation's history gives every customer and staff
// message it recorded, once, in order, with the conversation's identity,
// and the conversation document as the run left it.
func TestReplayFindsEveryMessageTheConversationRecorded(t *testing.T) {
	for _, tc := range []struct {
		file, channel, name string
	}{
		{"conversation-webchat.json", chat.ChannelWebChat, "Replay Customer"},
		{"conversation-messenger.json", chat.ChannelMessenger, "Мария Петрова"},
		{"conversation-ai.json", chat.ChannelWebChat, "AI Replay"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			h := recorded(t, tc.file)
			id := conversationOf(t, h)
			c := rebuilt(t, id, h)
			want := messagesIn(t, h)
			if len(want) == 0 {
				t.Fatal("the history records no message")
			}
			if got := asRecorded(c.Messages); !slices.Equal(got, want) {
				t.Errorf("rebuilt messages\n%+v\nwant the recorded ones\n%+v", got, want)
			}
			for _, m := range c.Messages {
				if m.ConversationID != id || m.Channel != tc.channel || workflows.ConversationWorkflowID(m.Channel, m.CustomerID) != id || m.SentAt.IsZero() {
					t.Errorf("message %s: conversation %q channel %q customer %q sent %v, want %s's", m.ID, m.ConversationID, m.Channel, m.CustomerID, m.SentAt, id)
				}
			}
			doc := c.Document
			if doc == nil || doc.ID != id || doc.CustomerName != tc.name || doc.Channel != tc.channel || doc.UpdatedAt.IsZero() {
				t.Fatalf("document %+v, want %s of %q", doc, id, tc.name)
			}
			if last := c.Messages[len(c.Messages)-1]; !doc.LastMessageAt.Equal(last.SentAt) {
				t.Errorf("document's last message at %v, want the last message's %v", doc.LastMessageAt, last.SentAt)
			}
		})
	}
}

// A customer message is written again when its AI marker changes (the
// customer pressed "That helped"): the rebuilt message is the last write.
func TestReplayKeepsTheLatestAIMarker(t *testing.T) {
	h := recorded(t, "conversation-ai.json")
	c := rebuilt(t, conversationOf(t, h), h)
	byID := map[string]search.Message{}
	for _, m := range c.Messages {
		byID[m.ID] = m
	}
	if q := byID["ai-rec-1"]; q.AIEntryID != "delivery-price" || q.AIScore <= 0 || !q.AIHelped {
		t.Errorf("the answered question %+v, want delivery-price with a score, helped", q)
	}
	if q := byID["ai-rec-2"]; !q.AIDeclined || q.AIReason == "" || q.AIEntryID != "" {
		t.Errorf("the declined question %+v, want declined with a reason", q)
	}
}

// A run that continued from runs no longer in Temporal gives back the
// messages its state carried; the runs before it, when they are there,
// give the same messages as they wrote them.
func TestCarriedTranscriptStandsInForRunsThatAreGone(t *testing.T) {
	first, after := recorded(t, "conversation-continued-as-new.json"), recorded(t, "conversation-after-continue-as-new.json")
	id := conversationOf(t, first)
	if conversationOf(t, after) != id {
		t.Fatal("the two recorded runs are not of one conversation")
	}
	var start workflows.ConversationStart
	decode(t, after.GetEvents()[0].GetWorkflowExecutionStartedEventAttributes().GetInput(), &start)
	if start.State == nil || len(start.State.Transcript) == 0 {
		t.Fatal("the run after continue-as-new carries no transcript")
	}

	alone := reindex.NewConversation(id)
	alone.Carry(start.State)
	writes, err := reindex.Replay(after, id, "run-b")
	if err != nil {
		t.Fatal(err)
	}
	for _, req := range writes.Conversations {
		alone.Add(req)
	}
	ids := func(msgs []search.Message) []string {
		var out []string
		for _, m := range msgs {
			out = append(out, m.Sender+"/"+m.ID)
		}
		return out
	}
	carried := 0
	for _, m := range start.State.Transcript {
		if m.Sender != chat.SenderBot {
			carried++
		}
	}
	if alone.Carried != carried {
		t.Errorf("carried %d messages, want the %d customer and staff messages of the transcript", alone.Carried, carried)
	}
	for _, want := range []string{"customer/long-0", "customer/long-7", "customer/long-15", "customer/long-16"} {
		if !slices.Contains(ids(alone.Messages), want) {
			t.Errorf("rebuilt %v, want %s among them", ids(alone.Messages), want)
		}
	}
	if last := alone.Messages[len(alone.Messages)-1]; last.Text != "still here" || last.Sender != "staff" {
		t.Errorf("last message %+v, want the run's own staff message", last)
	}

	// The first run's own writes of the messages it indexed are the carried
	// ones: the same documents either way.
	both := rebuilt(t, id, first)
	for _, m := range both.Messages {
		i := slices.IndexFunc(alone.Messages, func(c search.Message) bool { return c.Key() == m.Key() })
		if i < 0 || alone.Messages[i].Text != m.Text || !alone.Messages[i].SentAt.Equal(m.SentAt) || alone.Messages[i].Author != m.Author {
			t.Errorf("the first run wrote %+v, the carried state has %+v", m, alone.Messages[max(i, 0)])
		}
	}
}

// Later writes replace earlier ones of the same message in place; an older
// document never replaces a newer one; the bot's messages are never kept.
func TestConversationKeepsTheLatestWrites(t *testing.T) {
	at := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	doc := func(updated time.Time, name string) chat.ConversationSummary {
		return chat.ConversationSummary{ID: "conversation/webchat/v1", Channel: "webchat", CustomerID: "v1", CustomerName: name, UpdatedAt: updated}
	}
	msg := func(id string, sender chat.Sender, text string) chat.Message {
		return chat.Message{ID: id, Sender: sender, Text: text, SentAt: at}
	}
	c := reindex.NewConversation("conversation/webchat/v1")
	c.Add(activities.IndexRequest{Conversation: doc(at.Add(2*time.Second), "newer"), Messages: []chat.Message{
		msg("m1", chat.SenderCustomer, "first"), msg("m1", chat.SenderStaff, "a staff message with the same ID"),
	}})
	c.Add(activities.IndexRequest{Conversation: doc(at.Add(time.Second), "older"), Messages: []chat.Message{
		msg("b1", chat.SenderBot, "the bot"), msg("m2", chat.SenderCustomer, "second"), msg("m1", chat.SenderCustomer, "first, written again"),
	}})
	var got []string
	for _, m := range c.Messages {
		got = append(got, m.Sender+"/"+m.ID+": "+m.Text)
	}
	want := []string{"customer/m1: first, written again", "staff/m1: a staff message with the same ID", "customer/m2: second"}
	if !slices.Equal(got, want) {
		t.Errorf("messages %q, want %q", got, want)
	}
	if c.Document.CustomerName != "newer" {
		t.Errorf("document %+v, want the newer one kept", c.Document)
	}
	c.Add(activities.IndexRequest{Conversation: doc(at.Add(2*time.Second), "as new")})
	if c.Document.CustomerName != "as new" {
		t.Errorf("document %+v, want one as new as the kept one to replace it (the last write wins)", c.Document)
	}
}

func TestReplayFindsTheKnowledgeEntrysWrites(t *testing.T) {
	writes, err := reindex.Replay(recorded(t, "knowledge-entry.json"), workflows.KnowledgeWorkflowID("delivery-price"), "run-a")
	if err != nil {
		t.Fatal(err)
	}
	var revisions []int64
	deleted := false
	for _, w := range writes.Knowledge {
		revisions = append(revisions, w.Revision)
		deleted = deleted || w.Entry == nil
	}
	if len(revisions) < 4 || !slices.IsSorted(revisions) || !deleted {
		t.Fatalf("writes of revisions %v (a delete among them: %v), want created, edited, deleted and created again, in order", revisions, deleted)
	}
	last := writes.Knowledge[len(writes.Knowledge)-1]
	if last.Entry == nil || last.Entry.ID != "delivery-price" || last.Doc().Deleted {
		t.Errorf("last write %+v, want the re-created entry", last)
	}
}

// A history the workflow code no longer replays is an error that says so,
// never a silently partial conversation.
func TestReplayRefusesAHistoryTheCodeDoesNotMatch(t *testing.T) {
	h := recorded(t, "knowledge-entry.json")
	changed := false
	for _, e := range h.GetEvents() {
		if a := e.GetActivityTaskScheduledEventAttributes(); a != nil {
			a.GetActivityType().Name = "SomethingElse"
			changed = true
		}
	}
	if !changed {
		t.Fatal("the history schedules no activity")
	}
	_, err := reindex.Replay(h, workflows.KnowledgeWorkflowID("delivery-price"), "run-a")
	if err == nil || !strings.Contains(err.Error(), "SomethingElse") || !strings.Contains(err.Error(), "knowledge/delivery-price") {
		t.Errorf("replay of a history the code does not match: %v, want an error naming the mismatch and the workflow", err)
	}
}
