package activities

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/handoff-chat/handoff/internal/chat"
	"github.com/handoff-chat/handoff/internal/flows"
)

// BotEvent is what the bot is asked to react to.
type BotEvent string

const (
	// BotEventMessage is a customer message while the AI is on.
	BotEventMessage BotEvent = "message"
	// BotEventAgentRequested is a customer's request for a human.
	BotEventAgentRequested BotEvent = "agent_requested"
)

// BotReplyRequest is the input of Bot.BotReply.
type BotReplyRequest struct {
	ConversationID string   `json:"conversation_id"`
	Channel        string   `json:"channel"`
	CustomerID     string   `json:"customer_id"`
	Event          BotEvent `json:"event"`
	// Message is the customer message the bot reacts to: the message itself
	// (BotEventMessage), or the one with which the customer asked for a human
	// (BotEventAgentRequested; empty when the request came without one).
	Message chat.Message `json:"message"`
	// Locale is the customer's language as last reported by the channel.
	Locale string `json:"locale,omitempty"`
	// Language is the customer's language as the conversation remembers it
	// (from their text, a flow button they pressed or the locale); it answers
	// when the message itself says nothing.
	Language string `json:"language,omitempty"`
	// FirstMessage says Message is the customer's first message of the
	// conversation: with flows, free text gets the start block.
	FirstMessage bool `json:"first_message,omitempty"`
}

// BotReply is what the bot says back; no messages means it stays silent.
type BotReply struct {
	Messages []chat.Content `json:"messages"`
	// AI is set when the AI answered the message, or declined to.
	AI *chat.AIAnswer `json:"ai,omitempty"`
	// OfferedHuman says the reply offers a human: a "yes" as the customer's
	// next message accepts.
	OfferedHuman bool `json:"offered_human,omitempty"`
}

// Bot decides what the bot says while the AI is on. With navigation flows, a
// button press shows the block it leads to, the customer's first message
// gets the flow's start block and anything else its fallback block; without
// flows every message gets the fixed Reply. It acknowledges a request for a
// human with AgentRequestedReply. Every text is in the customer's language.
type Bot struct {
	// Flows are the navigation flows in force; nil runs without flows.
	Flows *flows.Registry
	// Reply answers any customer message when there are no flows, by
	// language code.
	Reply map[string]string
	// AgentRequestedReply tells the customer staff were alerted and invites
	// them to describe their case, by language code.
	AgentRequestedReply map[string]string
	// Answerer answers free text from the knowledge base; nil leaves free
	// text to the flows.
	Answerer Answerer
	// AITexts are what the bot says around the AI's answers; zero uses the
	// built-in English and Bulgarian texts.
	AITexts AITexts
	// Settings, when set, are the settings in force, whose texts replace
	// Reply and AgentRequestedReply and whose ai_enabled switches the
	// Answerer off.
	Settings SettingsSource
}

// BotReply returns the bot's reply to one customer event. It has no side
// effects, so a retry simply computes the same reply again.
func (b *Bot) BotReply(ctx context.Context, req BotReplyRequest) (BotReply, error) {
	bot, err := b.inForce(ctx)
	if err != nil {
		return BotReply{}, err
	}
	return bot.reply(ctx, req)
}

// inForce is the bot as the settings in force make it.
func (b *Bot) inForce(ctx context.Context) (*Bot, error) {
	if b.Settings == nil {
		return b, nil
	}
	s, err := b.Settings.InForce(ctx)
	if err != nil {
		return nil, fmt.Errorf("bot reply: read the settings: %w", err)
	}
	bot := *b
	bot.Reply, bot.AgentRequestedReply = s.BotReply, s.AgentRequestedReply
	if !s.AIEnabled {
		bot.Answerer = nil
	}
	return &bot, nil
}

func (b *Bot) reply(ctx context.Context, req BotReplyRequest) (BotReply, error) {
	switch req.Event {
	case BotEventMessage:
		if helpedPayload(req.Message.Payload) {
			return BotReply{Messages: []chat.Content{{Text: b.aiText(b.texts().HelpedThanks, req)}}}, nil
		}
		if b.asksTheAI(req) {
			return b.answer(ctx, req)
		}
		return b.scripted(req)
	case BotEventAgentRequested:
		return BotReply{Messages: []chat.Content{{Text: b.inLanguage(b.AgentRequestedReply, req)}}}, nil
	default:
		return BotReply{}, fmt.Errorf("bot reply: unknown event %q", req.Event)
	}
}

// scripted is the reply without the AI: the flows' block, or the fixed
// reply without flows.
func (b *Bot) scripted(req BotReplyRequest) (BotReply, error) {
	if b.Flows == nil {
		return BotReply{Messages: []chat.Content{{
			Text:    b.inLanguage(b.Reply, req),
			Buttons: []chat.Button{{Title: "Talk to a human", Payload: chat.PayloadTalkToHuman}},
		}}}, nil
	}
	msg, err := b.navigate(req)
	if err != nil {
		return BotReply{}, err
	}
	return BotReply{Messages: []chat.Content{msg}}, nil
}

// navigate answers from the flows: the block a button leads to, or, in the
// customer's language, the start block for their first message and the
// fallback block for anything else.
func (b *Bot) navigate(req BotReplyRequest) (chat.Content, error) {
	f := b.Flows.Current()
	if lang, block, ok := flows.ParseNavigationPayload(req.Message.Payload); ok && f.Has(block) {
		return f.Render(block, lang)
	}
	// Free text, or a button of a block that no longer exists, which is
	// answered like free text.
	block := f.Fallback()
	if req.FirstMessage {
		block = f.Start()
	}
	msg, err := f.Render(block, f.Language(replyLanguage(req)))
	if err != nil {
		return chat.Content{}, fmt.Errorf("bot reply: %w", err)
	}
	return msg, nil
}

// inLanguage picks from texts by language code the customer's language,
// else the flows' default language, else English, else the first language
// in alphabetical order.
func (b *Bot) inLanguage(texts map[string]string, req BotReplyRequest) string {
	candidates := []string{replyLanguage(req)}
	if b.Flows != nil {
		candidates = append(candidates, b.Flows.Current().DefaultLanguage())
	}
	candidates = append(candidates, "en")
	for _, lang := range candidates {
		if text, ok := texts[lang]; ok {
			return text
		}
	}
	langs := slices.Sorted(maps.Keys(texts))
	if len(langs) == 0 {
		return ""
	}
	return texts[langs[0]]
}

// replyLanguage is the customer's language as chat.ReplyLanguage decides it
// from the message's text, the language the conversation remembers and the
// channel's locale: Cyrillic text is Bulgarian; otherwise the remembered
// language; otherwise the locale's language; otherwise text with letters is
// taken as English.
func replyLanguage(req BotReplyRequest) string {
	return chat.ReplyLanguage(req.Message.Text, req.Locale, req.Language)
}
