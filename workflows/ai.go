package workflows

import (
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/handoff-chat/handoff/activities"
	"github.com/handoff-chat/handoff/internal/chat"
)

// aiFollowUp is how long after an AI answer a request for a human counts as
// a sign that the answer did not help.
const aiFollowUp = 10 * time.Minute

// answered is the customer message the AI last answered.
type answered struct {
	MessageID string    `json:"message_id"`
	EntryID   string    `json:"entry_id"`
	At        time.Time `json:"at"`
}

// noteAIReply records on the customer's message what the AI made of it and
// remembers an offer of a human, which the customer's next "yes" accepts.
func (c *conversation) noteAIReply(ctx workflow.Context, t botTask, reply activities.BotReply) {
	if reply.AI == nil || t.Event != activities.BotEventMessage {
		return
	}
	marker := *reply.AI
	c.markAI(t.Message.ID, func(a *chat.AIAnswer) { *a = marker })
	if !marker.Declined && marker.EntryID != "" {
		c.state.LastAnswer = &answered{MessageID: t.Message.ID, EntryID: marker.EntryID, At: workflow.Now(ctx)}
	}
	c.state.HumanOffered = reply.OfferedHuman
}

// acceptsHumanOffer reports whether a customer message says yes to the
// bot's offer of a human, made in the bot's last reply.
func (c *conversation) acceptsHumanOffer(offered bool, msg CustomerMessage) bool {
	return offered && msg.Payload == "" && chat.AcceptsOffer(msg.Text)
}

// noteHelped marks the last AI answer as helpful when the customer pressed
// its "That helped".
func (c *conversation) noteHelped(payload string) {
	entry, ok := strings.CutPrefix(payload, chat.PayloadAIHelped+":")
	if !ok || c.state.LastAnswer == nil || c.state.LastAnswer.EntryID != entry {
		return
	}
	c.markAI(c.state.LastAnswer.MessageID, func(a *chat.AIAnswer) { a.Helped = true })
}

// noteAskedForHuman marks the last AI answer when the customer asks for a
// human within aiFollowUp of it.
func (c *conversation) noteAskedForHuman(now time.Time) {
	last := c.state.LastAnswer
	if last == nil || now.Sub(last.At) > aiFollowUp {
		return
	}
	c.markAI(last.MessageID, func(a *chat.AIAnswer) { a.AskedForHuman = true })
}

// markAI changes the AI marker of a customer message in the transcript and
// queues the message for the search index again, with its marker (indexing
// replaces the message by its key).
func (c *conversation) markAI(messageID string, change func(*chat.AIAnswer)) {
	for i := len(c.state.Transcript) - 1; i >= 0; i-- {
		m := &c.state.Transcript[i]
		if m.ID == messageID && m.Sender == chat.SenderCustomer {
			ai := chat.AIAnswer{}
			if m.AI != nil {
				ai = *m.AI
			}
			change(&ai)
			m.AI = &ai
			updated := *m
			c.index.push(indexTask{Message: &updated})
			return
		}
	}
}
