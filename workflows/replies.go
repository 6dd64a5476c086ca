package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/handoff-chat/handoff/activities"
	"github.com/handoff-chat/handoff/internal/chat"
	"github.com/handoff-chat/handoff/internal/flows"
)

// botReplyAttempt bounds one attempt of the bot's reply: the flows answer in
// milliseconds, the AI in a few; with ai.generative a language model words
// the answer within its own timeout (5 s by default).
const botReplyAttempt = 10 * time.Second

// botTask is a customer event the bot reacts to, with the customer's
// language as the conversation knew it at that moment.
type botTask struct {
	Event    activities.BotEvent `json:"event"`
	Message  chat.Message        `json:"message"`
	Language string              `json:"language,omitempty"`
	// First says Message is the customer's first message of the conversation.
	First bool `json:"first,omitempty"`
}

func (c *conversation) botTask(event activities.BotEvent, m chat.Message, first bool) botTask {
	return botTask{Event: event, Message: m, Language: c.state.Language, First: first}
}

// learnLanguage remembers the customer's language from their message: the
// language of the flow button they pressed, else what chat.ReplyLanguage
// makes of their text and the channel's locale given the language known so
// far. A message that says nothing about it (no letters, no locale) keeps
// what was known.
func (c *conversation) learnLanguage(msg CustomerMessage) {
	if lang, _, ok := flows.ParseNavigationPayload(msg.Payload); ok {
		if lang = chat.PrimaryLanguage(lang); lang != "" {
			c.state.Language = lang
			return
		}
	}
	if lang := chat.ReplyLanguage(msg.Text, c.state.Locale, c.state.Language); lang != "" {
		c.state.Language = lang
	}
}

// botAnswers reports whether the bot reacts to a customer message: while the
// AI is on, and to flow button presses always.
func (c *conversation) botAnswers(m chat.Message) bool { return c.aiEnabled() || m.IsNavigation() }

// reply has the bot react to one customer event and records what it says.
// Replies are produced one at a time, in the order the events came, so they
// never overtake each other.
func (c *conversation) reply(ctx workflow.Context, t botTask) error {
	if t.Event == activities.BotEventMessage && !c.botAnswers(t.Message) {
		return nil // staff took over before the bot got to it
	}
	// A local activity: the bot answers from the flows and the knowledge
	// base in the worker's memory, in milliseconds, so the reply needs no
	// round trip through a task queue; its result (with the AI's entry and
	// score) is recorded in the history as a marker all the same.
	ctx = workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout: botReplyAttempt,
		// A reply that cannot be produced within minutes is no longer useful.
		ScheduleToCloseTimeout: 10 * time.Minute,
		RetryPolicy:            &temporal.RetryPolicy{InitialInterval: time.Second, MaximumInterval: 30 * time.Second},
	})
	var reply activities.BotReply
	err := workflow.ExecuteLocalActivity(ctx, botActivities.BotReply, activities.BotReplyRequest{
		ConversationID: c.workflowID,
		Channel:        c.state.Channel,
		CustomerID:     c.state.CustomerID,
		Event:          t.Event,
		Message:        t.Message,
		Locale:         c.state.Locale,
		Language:       t.Language,
		FirstMessage:   t.First,
	}).Get(ctx, &reply)
	if err != nil {
		workflow.GetLogger(ctx).Error("bot reply failed", "conversation", c.workflowID, "error", err)
		return nil
	}
	if t.Event == activities.BotEventMessage && !c.botAnswers(t.Message) {
		return nil // staff took over while the bot was thinking
	}
	c.noteAIReply(ctx, t, reply)
	for _, content := range reply.Messages {
		id := fmt.Sprintf("bot-%d", c.state.NextSeq)
		c.recordOutgoing(content.AsMessage(id, chat.SenderBot, "", workflow.Now(ctx)))
	}
	return nil
}
