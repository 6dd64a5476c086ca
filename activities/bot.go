package activities

import (
	"context"
	"fmt"

	"github.com/handoff-chat/handoff/workflows"
)

// Bot decides what the bot says while the AI is on. It answers every customer
// message with a fixed text and acknowledges a request for a human; the
// navigation flows and the AI answerer plug in here.
type Bot struct {
	// Reply answers any customer message.
	Reply string
	// AgentRequestedReply tells the customer staff were alerted.
	AgentRequestedReply string
}

// BotReply returns the bot's reply to one customer event. It has no side
// effects, so a retry simply computes the same reply again.
func (b *Bot) BotReply(_ context.Context, req workflows.BotReplyRequest) (workflows.BotReply, error) {
	switch req.Event {
	case workflows.BotEventMessage:
		return workflows.BotReply{Messages: []workflows.BotMessage{{
			Text:    b.Reply,
			Buttons: []workflows.Button{{Title: "Talk to a human", Payload: workflows.PayloadTalkToHuman}},
		}}}, nil
	case workflows.BotEventAgentRequested:
		return workflows.BotReply{Messages: []workflows.BotMessage{{Text: b.AgentRequestedReply}}}, nil
	default:
		return workflows.BotReply{}, fmt.Errorf("bot reply: unknown event %q", req.Event)
	}
}
