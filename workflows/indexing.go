package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/handoff-chat/handoff/activities"
	"github.com/handoff-chat/handoff/internal/chat"
)

// indexTask is a customer or staff message to write to the search index,
// or, with no message, a change of the conversation document only. Every
// batch writes the document as it stands.
type indexTask struct {
	Message *chat.Message `json:"message,omitempty"`
}

// indexBatch writes the queued messages and the conversation document in
// one activity. The activity is retried until the search backend takes it,
// so an outage delays indexing and loses nothing; it fails only when the
// workflow is canceled.
func (c *conversation) indexBatch(ctx workflow.Context, tasks []indexTask) error {
	// A local activity: the write takes milliseconds, in the worker that
	// runs the conversation, so it needs no round trip through a task queue
	// and no workflow task of its own; its completion is recorded in the
	// history as a marker all the same. Retried until the backend takes it
	// (the SDK waits out long backoffs with a timer).
	ctx = workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		// A batch is written in well under a second.
		StartToCloseTimeout: 10 * time.Second,
		// No end to the retries short of a year: an outage delays indexing
		// and loses nothing.
		ScheduleToCloseTimeout: 365 * 24 * time.Hour,
		RetryPolicy:            &temporal.RetryPolicy{InitialInterval: time.Second, MaximumInterval: time.Minute},
	})
	// A message queued twice (recorded, then its AI marker changed) is
	// written once, as it was queued last, in the place it was queued first.
	var messages []chat.Message
	at := map[string]int{}
	for _, t := range tasks {
		if t.Message == nil {
			continue
		}
		key := string(t.Message.Sender) + "/" + t.Message.ID
		if i, ok := at[key]; ok {
			messages[i] = *t.Message
			continue
		}
		at[key] = len(messages)
		messages = append(messages, *t.Message)
	}
	return workflow.ExecuteLocalActivity(ctx, searchActivities.IndexConversation, activities.IndexRequest{
		Conversation: c.summary(workflow.Now(ctx)),
		Messages:     messages,
	}).Get(ctx, nil)
}

// summary is the conversation document as of now: the view, and what the
// staff list shows of the recent transcript.
func (c *conversation) summary(now time.Time) chat.ConversationSummary {
	s := c.view().Summary(c.state.LastMessageAt, now)
	s.LastSeq = c.state.NextSeq - 1
	if n := len(c.state.Transcript); n > 0 {
		s.Recent = append([]chat.Message(nil), c.state.Transcript[max(0, n-chat.RecentKept):]...)
	}
	for i := len(c.state.Transcript) - 1; i >= 0; i-- {
		m := c.state.Transcript[i]
		switch {
		case m.Sender == chat.SenderBot:
			continue
		case s.PreviewSender == "":
			s.Preview, s.PreviewSender = chat.PreviewOf(m.Text), m.Sender
		}
		if m.Sender == chat.SenderCustomer && s.LastCustomerSeq == 0 {
			s.LastCustomerSeq = m.Seq
		}
		if m.Sender == chat.SenderStaff && s.LastStaffSeq == 0 {
			s.LastStaffSeq = m.Seq
		}
		if s.LastCustomerSeq != 0 && s.LastStaffSeq != 0 {
			break
		}
	}
	return s
}
