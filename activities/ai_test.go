package activities_test

import (
	"context"
	"strings"
	"testing"

	"github.com/handoff-chat/handoff/activities"
	"github.com/handoff-chat/handoff/internal/chat"
)

// fakeAnswerer answers "delivery" questions with entry kb-01, says hello
// is small talk, and declines anything else.
type fakeAnswerer struct{ asked []string }

func (f *fakeAnswerer) Answer(_ context.Context, question, lang string) (activities.KnowledgeAnswer, error) {
	f.asked = append(f.asked, lang+":"+question)
	switch {
	case strings.Contains(question, "delivery"), strings.Contains(question, "доставка"):
		return activities.KnowledgeAnswer{EntryID: "kb-01", Score: 0.91, Confident: true, Text: "1-2 days in " + lang,
			Links: []chat.Button{{Title: "Tracking", URL: "https://shop.example/track"}}}, nil
	case strings.Contains(question, "hello"), strings.Contains(question, "здравейте"):
		return activities.KnowledgeAnswer{Score: 0.1, Reason: "out_of_scope:small_talk", SmallTalk: true}, nil
	default:
		return activities.KnowledgeAnswer{Score: 0.2, Reason: "low_confidence"}, nil
	}
}

func ask(t *testing.T, bot *activities.Bot, text string, first bool) activities.BotReply {
	t.Helper()
	reply, err := bot.BotReply(context.Background(), activities.BotReplyRequest{
		Event: activities.BotEventMessage, Message: chat.Message{ID: "m", Text: text}, FirstMessage: first,
	})
	if err != nil {
		t.Fatal(err)
	}
	return reply
}

func TestConfidentAnswerWithLinksAndQuickReplies(t *testing.T) {
	ai := &fakeAnswerer{}
	bot := &activities.Bot{Flows: testFlows(t, "bg"), Answerer: ai}
	reply := ask(t, bot, "how long does delivery take?", false)
	if reply.AI == nil || reply.AI.EntryID != "kb-01" || reply.AI.Score != 0.91 || reply.AI.Declined || reply.OfferedHuman {
		t.Fatalf("marker %+v offered=%v, want kb-01 at 0.91, answered", reply.AI, reply.OfferedHuman)
	}
	if len(reply.Messages) != 2 || reply.Messages[0].Text != "1-2 days in en" || reply.Messages[0].Buttons[0].URL != "https://shop.example/track" {
		t.Fatalf("messages %+v, want the English answer with its link", reply.Messages)
	}
	quick := reply.Messages[1].Buttons
	if len(quick) != 2 || quick[0].Title != "That helped" || quick[0].Payload != chat.PayloadAIHelped+":kb-01" || quick[1].Payload != chat.PayloadTalkToHuman {
		t.Errorf("quick replies %+v, want That helped (kb-01) and Talk to a human", quick)
	}
	bg := ask(t, bot, "колко време отнема доставката", false)
	if bg.Messages[0].Text != "1-2 days in bg" || bg.Messages[1].Buttons[0].Title != "Помогна ми" {
		t.Errorf("Bulgarian question got %+v, want the Bulgarian answer and quick replies", bg.Messages)
	}
}

func TestDeclineOffersAHumanAndTheMenu(t *testing.T) {
	bot := &activities.Bot{Flows: testFlows(t, "bg"), Answerer: &fakeAnswerer{}}
	reply := ask(t, bot, "can I pay with bitcoin?", false)
	if reply.AI == nil || !reply.AI.Declined || reply.AI.EntryID != "" || reply.AI.Reason != "low_confidence" || !reply.OfferedHuman {
		t.Fatalf("marker %+v offered=%v, want a decline that offers a human", reply.AI, reply.OfferedHuman)
	}
	if len(reply.Messages) != 2 || !strings.Contains(reply.Messages[0].Text, "not sure") ||
		reply.Messages[0].Buttons[0].Payload != chat.PayloadTalkToHuman || reply.Messages[1].Block != "menu" {
		t.Errorf("messages %+v, want the decline with a human button, then the menu", reply.Messages)
	}
}

func TestSmallTalkIsAnsweredByTheFlows(t *testing.T) {
	bot := &activities.Bot{Flows: testFlows(t, "bg"), Answerer: &fakeAnswerer{}}
	first := ask(t, bot, "hello there", true)
	if first.OfferedHuman || len(first.Messages) != 1 || first.Messages[0].Block != "menu" {
		t.Errorf("a first greeting got %+v, want the start block and no offer", first)
	}
	later := ask(t, bot, "hello again", false)
	if later.OfferedHuman || len(later.Messages) != 1 || later.Messages[0].Block != "help" {
		t.Errorf("a later greeting got %+v, want the fallback block", later)
	}
}

func TestButtonsAndHelpedGoNowhereNearTheAI(t *testing.T) {
	ai := &fakeAnswerer{}
	bot := &activities.Bot{Flows: testFlows(t, "bg"), Answerer: ai}
	helped, err := bot.BotReply(context.Background(), activities.BotReplyRequest{Event: activities.BotEventMessage,
		Message: chat.Message{Text: "That helped", Payload: chat.PayloadAIHelped + ":kb-01"}})
	if err != nil || len(helped.Messages) != 1 || helped.Messages[0].Text != "Glad I could help!" || helped.AI != nil {
		t.Errorf("That helped got %+v %v, want a thank-you", helped, err)
	}
	nav, err := bot.BotReply(context.Background(), activities.BotReplyRequest{Event: activities.BotEventMessage,
		Message: chat.Message{Text: "Delivery", Payload: "FLOW:en:delivery"}})
	if err != nil || nav.Messages[0].Block != "delivery" || nav.AI != nil {
		t.Errorf("a flow button got %+v %v, want its block", nav, err)
	}
	if len(ai.asked) != 0 {
		t.Errorf("the AI was asked %v", ai.asked)
	}
}

// fixedSettings is a settings source with fixed settings.
type fixedSettings chat.Settings

func (f fixedSettings) InForce(context.Context) (chat.Settings, error) { return chat.Settings(f), nil }

// With the ai_enabled setting off the AI is not asked: free text gets the
// flows' reply, and the settings' texts replace the configured ones.
func TestTheAISwitchAndTheBotTextsComeFromTheSettings(t *testing.T) {
	ai := &fakeAnswerer{}
	bot := &activities.Bot{Flows: testFlows(t, "bg"), Answerer: ai, Settings: fixedSettings{AIEnabled: false}}
	reply := ask(t, bot, "how long does delivery take?", false)
	if len(ai.asked) != 0 || reply.AI != nil || len(reply.Messages) != 1 || reply.Messages[0].Block == "" {
		t.Errorf("with the AI off: asked %v, reply %+v; want the flows' block and no AI", ai.asked, reply)
	}
	bot.Settings = fixedSettings{AIEnabled: true}
	if reply := ask(t, bot, "how long does delivery take?", false); reply.AI == nil || reply.AI.EntryID != "kb-01" {
		t.Errorf("with the AI on: %+v, want kb-01's answer", reply)
	}
	plain := &activities.Bot{Reply: map[string]string{"en": "configured"}, AgentRequestedReply: map[string]string{"en": "configured alert"},
		Settings: fixedSettings{BotReply: map[string]string{"en": "from the settings"}, AgentRequestedReply: map[string]string{"en": "alerted, per the settings"}}}
	if reply := ask(t, plain, "hi", false); reply.Messages[0].Text != "from the settings" {
		t.Errorf("the reply without flows is %q, want the bot_reply setting", reply.Messages[0].Text)
	}
	ack, err := plain.BotReply(context.Background(), activities.BotReplyRequest{Event: activities.BotEventAgentRequested})
	if err != nil || ack.Messages[0].Text != "alerted, per the settings" {
		t.Errorf("the acknowledgement is %+v, %v; want the agent_requested_reply setting", ack, err)
	}
}
