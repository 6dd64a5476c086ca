package activities

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/handoff-chat/handoff/internal/chat"
)

// ErrNoKnowledgeBase is what an Answerer reports while the knowledge base has
// no entries: the bot then answers from its flows.
var ErrNoKnowledgeBase = errors.New("the knowledge base has no entries")

// Answerer answers a customer's question from the knowledge base.
type Answerer interface {
	Answer(ctx context.Context, question, lang string) (KnowledgeAnswer, error)
}

// KnowledgeAnswer is what the answerer made of a question: the entry that
// answers it and its answer in the customer's language, or a decline.
type KnowledgeAnswer struct {
	EntryID string
	Score   float64
	// Confident says the entry answers the question; otherwise the bot
	// declines.
	Confident bool
	// Reason says why the answerer declined.
	Reason string
	// SmallTalk says the text is a greeting or thanks rather than a
	// question: the bot answers it from the flows, without offering a human.
	SmallTalk bool
	// Text and Links are the entry's answer in the customer's language.
	Text  string
	Links []chat.Button
}

// The AI's fixed texts by language, used unless Bot.AITexts gives others.
var defaultAITexts = AITexts{
	Helped:       map[string]string{"en": "That helped", "bg": "Помогна ми"},
	TalkToHuman:  map[string]string{"en": "Talk to a human", "bg": "Искам човек"},
	DidItHelp:    map[string]string{"en": "Did that answer your question?", "bg": "Отговорих ли на въпроса ви?"},
	Decline:      map[string]string{"en": "I'm not sure I can answer that. Would you like to talk to someone from our team? You can also pick a topic below.", "bg": "Не съм сигурен, че мога да отговоря на това. Искате ли да пишете с колега от екипа? Можете и да изберете тема по-долу."},
	HelpedThanks: map[string]string{"en": "Glad I could help!", "bg": "Радвам се, че помогнах!"},
}

// AITexts are what the bot says around the AI's answers, by language code.
type AITexts struct {
	Helped, TalkToHuman, DidItHelp, Decline, HelpedThanks map[string]string
}

// asksTheAI reports whether a customer message goes to the answerer: free
// text that is no button press.
func (b *Bot) asksTheAI(req BotReplyRequest) bool {
	return b.Answerer != nil && req.Message.Payload == "" && strings.TrimSpace(req.Message.Text) != ""
}

// answer has the AI answer free text: the entry's answer with its links,
// then "Did that answer your question?" with "That helped" and "Talk to a
// human"; or, when it is not confident, a decline that offers a human and
// the flows' menu. Greetings and thanks get the flows' reply.
func (b *Bot) answer(ctx context.Context, req BotReplyRequest) (BotReply, error) {
	lang := replyLanguage(req)
	ans, err := b.Answerer.Answer(ctx, req.Message.Text, lang)
	if errors.Is(err, ErrNoKnowledgeBase) {
		return b.scripted(req)
	}
	if err != nil {
		return BotReply{}, fmt.Errorf("answer the question: %w", err)
	}
	marker := &chat.AIAnswer{EntryID: ans.EntryID, Score: ans.Score, Reason: ans.Reason}
	if ans.Confident && ans.EntryID != "" {
		return BotReply{AI: marker, Messages: []chat.Content{
			{Text: ans.Text, Buttons: ans.Links},
			{Text: b.aiText(b.texts().DidItHelp, req), Buttons: []chat.Button{
				{Title: b.aiText(b.texts().Helped, req), Payload: chat.PayloadAIHelped + ":" + ans.EntryID},
				{Title: b.aiText(b.texts().TalkToHuman, req), Payload: chat.PayloadTalkToHuman},
			}},
		}}, nil
	}
	marker.EntryID = ""
	marker.Declined = true
	if ans.SmallTalk {
		reply, err := b.scripted(req)
		reply.AI = marker
		return reply, err
	}
	msgs := []chat.Content{{Text: b.aiText(b.texts().Decline, req), Buttons: []chat.Button{
		{Title: b.aiText(b.texts().TalkToHuman, req), Payload: chat.PayloadTalkToHuman},
	}}}
	if b.Flows != nil {
		f := b.Flows.Current()
		menu, err := f.Render(f.Start(), f.Language(lang))
		if err != nil {
			return BotReply{}, fmt.Errorf("bot reply: %w", err)
		}
		msgs = append(msgs, menu)
	}
	return BotReply{AI: marker, OfferedHuman: true, Messages: msgs}, nil
}

func (b *Bot) texts() AITexts {
	if b.AITexts.Decline != nil {
		return b.AITexts
	}
	return defaultAITexts
}

func (b *Bot) aiText(texts map[string]string, req BotReplyRequest) string {
	return b.inLanguage(texts, req)
}

// helpedPayload reports whether a payload is a "That helped" press.
func helpedPayload(payload string) bool {
	return payload == chat.PayloadAIHelped || strings.HasPrefix(payload, chat.PayloadAIHelped+":")
}
