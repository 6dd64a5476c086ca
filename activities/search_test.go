package activities_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/handoff-chat/handoff/activities"
	"github.com/handoff-chat/handoff/internal/chat"
	"github.com/handoff-chat/handoff/search"
)

// recordingIndex keeps the messages it is given.
type recordingIndex struct {
	search.Index
	msgs []search.Message
}

func (r *recordingIndex) IndexMessages(_ context.Context, msgs []search.Message) error {
	r.msgs = append(r.msgs, msgs...)
	return nil
}

func (r *recordingIndex) UpsertConversation(context.Context, chat.ConversationSummary) error {
	return nil
}

func TestIndexConversationMapsTheAIMarker(t *testing.T) {
	at := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	idx := &recordingIndex{}
	a := &activities.Search{Index: idx}
	conv := chat.ConversationSummary{ID: "conversation/webchat/v1", Channel: "webchat", CustomerID: "v1"}
	err := a.IndexConversation(context.Background(), activities.IndexRequest{Conversation: conv, Messages: []chat.Message{
		{ID: "q1", Sender: chat.SenderCustomer, Text: "How much is delivery?", SentAt: at,
			AI: &chat.AIAnswer{EntryID: "delivery-price", Score: 0.8, Helped: true, AskedForHuman: true}},
		{ID: "q2", Sender: chat.SenderCustomer, Text: "Bitcoin?", SentAt: at,
			AI: &chat.AIAnswer{Score: 0.2, Declined: true, Reason: "no_key_concept"}},
		{ID: "b1", Sender: chat.SenderBot, Text: "Delivery is free."},
		{ID: "s1", Sender: chat.SenderStaff, Text: "Hi", SentAt: at},
	}})
	if err != nil {
		t.Fatal(err)
	}
	base := search.Message{ConversationID: conv.ID, Channel: "webchat", CustomerID: "v1", SentAt: at}
	q1, q2, s1 := base, base, base
	q1.ID, q1.Sender, q1.Text = "q1", "customer", "How much is delivery?"
	q1.AIEntryID, q1.AIScore, q1.AIHelped, q1.AIAskedForHuman = "delivery-price", 0.8, true, true
	q2.ID, q2.Sender, q2.Text = "q2", "customer", "Bitcoin?"
	q2.AIScore, q2.AIDeclined, q2.AIReason = 0.2, true, "no_key_concept"
	s1.ID, s1.Sender, s1.Text = "s1", "staff", "Hi"
	if want := []search.Message{q1, q2, s1}; !reflect.DeepEqual(idx.msgs, want) {
		t.Errorf("indexed\n%+v\nwant\n%+v", idx.msgs, want)
	}
}
