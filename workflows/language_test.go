package workflows_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"

	"github.com/handoff-chat/handoff/activities"
	"github.com/handoff-chat/handoff/internal/chat"
	"github.com/handoff-chat/handoff/workflows"
)

// The conversation remembers the customer's language, and the bot answers
// in it when a message says nothing about language: Latin text with no
// locale, a request for a human without text.
func TestRepliesAndAcknowledgementsUseTheRememberedLanguage(t *testing.T) {
	h := newHarness(t)
	h.customer(0, "m1", "Здравейте")
	h.customer(time.Minute, "m2", "ok")
	bg := h.viewAt(2 * time.Minute)
	h.update(3*time.Minute, workflows.UpdateRequestAgent, workflows.AgentRequest{ID: "r1"})
	// A flow button in English switches the language.
	h.update(4*time.Minute, workflows.UpdateCustomerMessage, workflows.CustomerMessage{ID: "m3", Text: "Menu", Payload: "FLOW:en:menu"})
	h.update(5*time.Minute, workflows.UpdateRequestAgent, workflows.AgentRequest{ID: "r2"})
	en := h.viewAt(6 * time.Minute)
	transcript := h.transcriptAt(6 * time.Minute)
	h.run()

	var bot []string
	for _, m := range *transcript {
		if m.Sender == chat.SenderBot {
			bot = append(bot, m.Text)
		}
	}
	want := []string{"отговор на бота", "отговор на бота", "екипът е уведомен", "bot reply", "staff alerted"}
	if len(bot) != len(want) {
		t.Fatalf("bot said %q, want %q", bot, want)
	}
	for i := range want {
		if bot[i] != want[i] {
			t.Errorf("bot said %q, want %q", bot, want)
			break
		}
	}
	if bg.Language != "bg" || en.Language != "en" {
		t.Errorf("remembered language %q after Cyrillic text, %q after an English button; want bg, en", bg.Language, en.Language)
	}
}

func TestLanguageComesFromTheLocaleWhenTheTextSaysNothing(t *testing.T) {
	h := newHarness(t)
	h.update(0, workflows.UpdateCustomerMessage, workflows.CustomerMessage{ID: "m1", Text: "12345", Locale: "bg-BG"})
	h.update(time.Minute, workflows.UpdateCustomerMessage, workflows.CustomerMessage{ID: "m2", Text: "67890"})
	view := h.viewAt(2 * time.Minute)
	transcript := h.transcriptAt(2 * time.Minute)
	h.run()
	if view.Language != "bg" {
		t.Errorf("remembered language %q, want bg from the locale", view.Language)
	}
	for _, m := range *transcript {
		if m.Sender == chat.SenderBot && m.Text != "отговор на бота" {
			t.Errorf("bot said %q, want the Bulgarian reply", m.Text)
		}
	}
}

// The bot is told which message is the customer's first of the conversation
// (so it shows the flow's start block) and the language known; that holds
// across continue-as-new.
func TestTheBotKnowsTheFirstMessageOfAConversation(t *testing.T) {
	var asked []activities.BotReplyRequest
	mockBot := func(h *harness) {
		h.env.OnActivity(botActivities.BotReply, mock.Anything, mock.Anything).Return(
			func(_ context.Context, req activities.BotReplyRequest) (activities.BotReply, error) {
				asked = append(asked, req)
				return activities.BotReply{Messages: []chat.Content{{Text: "reply"}}}, nil
			})
	}
	h := newHarness(t)
	mockBot(h)
	h.customer(0, "m1", "hello")
	h.customer(time.Minute, "m2", "are you there?")
	h.at(2*time.Minute, func() { h.env.SetContinueAsNewSuggested(true) })
	next := h.runUntilContinueAsNew(workflows.ConversationStart{Channel: h.channel, CustomerID: "visitor-1", Window: 24 * time.Hour})
	h2 := newHarness(t)
	mockBot(h2)
	h2.env.SetStartTime(h.env.Now())
	h2.customer(0, "m3", "hello again")
	h2.env.ExecuteWorkflow(workflows.ConversationWorkflowName, next)

	if len(asked) != 3 {
		t.Fatalf("bot asked %d times, want 3: %+v", len(asked), asked)
	}
	for i, want := range []bool{true, false, false} {
		if asked[i].FirstMessage != want || asked[i].Language != "en" {
			t.Errorf("request for %s: first message %v, language %q; want %v, en", asked[i].Message.ID, asked[i].FirstMessage, asked[i].Language, want)
		}
	}

	// A new run after the window closed is a new conversation.
	asked = nil
	h3 := newHarness(t)
	mockBot(h3)
	h3.customer(0, "m1", "hello")
	h3.run()
	if len(asked) != 1 || !asked[0].FirstMessage {
		t.Errorf("bot requests of a new run %+v, want one for the first message", asked)
	}
}

// A first message that asks for a human is acknowledged; the next text is
// not the first.
func TestAFirstMessageAskingForAHumanCountsAsTheFirst(t *testing.T) {
	var asked []activities.BotReplyRequest
	h := newHarness(t)
	h.env.OnActivity(botActivities.BotReply, mock.Anything, mock.Anything).Return(
		func(_ context.Context, req activities.BotReplyRequest) (activities.BotReply, error) {
			asked = append(asked, req)
			return activities.BotReply{}, nil
		})
	h.update(0, workflows.UpdateCustomerMessage, workflows.CustomerMessage{ID: "m1", Text: "Talk to a human", Payload: chat.PayloadTalkToHuman})
	h.customer(time.Minute, "m2", "my order is late")
	h.run()
	if len(asked) != 2 || asked[0].Event != activities.BotEventAgentRequested || asked[1].FirstMessage {
		t.Errorf("bot requests %+v, want the acknowledgement, then a reply that is not to the first message", asked)
	}
}
