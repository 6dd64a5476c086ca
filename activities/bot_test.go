package activities_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/handoff-chat/handoff/activities"
	"github.com/handoff-chat/handoff/internal/chat"
	"github.com/handoff-chat/handoff/internal/flows"
)

// testFlows loads a flow in bg and en with a fallback block and the given
// default language.
func testFlows(t *testing.T, defaultLanguage string) *flows.Registry {
	t.Helper()
	path := filepath.Join(t.TempDir(), "flows.yaml")
	yaml := `languages: [bg, en]
default_language: ` + defaultLanguage + `
start: menu
fallback: help
blocks:
  - id: menu
    text: {bg: "Меню", en: "Menu"}
    buttons:
      - title: {bg: "Доставка", en: "Delivery"}
        goto: delivery
  - id: delivery
    text: {bg: "Доставка до 2 дни.", en: "Delivery within 2 days."}
  - id: help
    text: {bg: "Не разбрах.", en: "I did not understand."}
`
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	reg, err := flows.NewRegistry(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

func TestBotReplyLanguage(t *testing.T) {
	help := map[string]string{"bg": "Не разбрах.", "en": "I did not understand."}
	for _, tc := range []struct {
		name            string
		defaultLanguage string
		msg             chat.Message
		locale          string
		want            string // text of the reply
	}{
		{"Cyrillic text over the locale", "en", chat.Message{Text: "Къде е пратката ми?"}, "en-GB", help["bg"]},
		{"mixed text with Cyrillic", "en", chat.Message{Text: "Hello, където е поръчката?"}, "", help["bg"]},
		{"locale with a hyphen", "en", chat.Message{Text: "Where is my parcel?"}, "bg-BG", help["bg"]},
		{"locale with an underscore", "en", chat.Message{Text: "Where is my parcel?"}, "bg_BG", help["bg"]},
		{"upper-case locale", "en", chat.Message{Text: "Where is my parcel?"}, "BG", help["bg"]},
		{"Latin text without a locale", "bg", chat.Message{Text: "Where is my parcel?"}, "", help["en"]},
		{"letters of another script count as Latin", "bg", chat.Message{Text: "Γεια σας"}, "", help["en"]},
		{"unlisted locale over Latin text", "bg", chat.Message{Text: "Wo ist mein Paket?"}, "de-DE", help["bg"]},
		{"no letters, no locale", "bg", chat.Message{Text: "12345 !?"}, "", help["bg"]},
		{"nothing at all", "en", chat.Message{}, "", help["en"]},
		{"button press", "en", chat.Message{Text: "Доставка", Payload: "FLOW:bg:delivery"}, "en-GB", "Доставка до 2 дни."},
		{"button press in an unlisted language", "bg", chat.Message{Text: "Lieferung", Payload: "FLOW:de:delivery"}, "en", "Доставка до 2 дни."},
		{"button of a removed block, locale first", "en", chat.Message{Text: "Returns", Payload: "FLOW:en:returns"}, "bg-BG", help["bg"]},
		{"button of a removed block without letters or locale", "bg", chat.Message{Text: "1", Payload: "FLOW:en:returns"}, "", help["bg"]},
		{"button of a removed block without text or locale", "bg", chat.Message{Payload: "FLOW:en:returns"}, "", help["bg"]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bot := &activities.Bot{Flows: testFlows(t, tc.defaultLanguage)}
			reply, err := bot.BotReply(context.Background(), activities.BotReplyRequest{
				Event: activities.BotEventMessage, Message: tc.msg, Locale: tc.locale,
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(reply.Messages) != 1 || reply.Messages[0].Text != tc.want {
				t.Errorf("reply %+v, want %q", reply.Messages, tc.want)
			}
		})
	}
}

func TestBotAcknowledgementLanguage(t *testing.T) {
	enBG := map[string]string{"en": "staff alerted", "bg": "екипът е уведомен"}
	for _, tc := range []struct {
		name    string
		flows   string // default language of the flows; "" runs without flows
		replies map[string]string
		msg     chat.Message
		locale  string
		want    string
	}{
		{"Cyrillic text", "", enBG, chat.Message{Text: "Искам оператор"}, "en-US", "екипът е уведомен"},
		{"locale", "", enBG, chat.Message{Text: "operator please"}, "bg_BG", "екипът е уведомен"},
		{"upper-case locale", "", enBG, chat.Message{Payload: chat.PayloadTalkToHuman}, "BG", "екипът е уведомен"},
		{"Latin text over the flows' default", "bg", enBG, chat.Message{Text: "operator please"}, "", "staff alerted"},
		{"no message: the flows' default", "bg", enBG, chat.Message{}, "", "екипът е уведомен"},
		{"no message, no flows: English", "", enBG, chat.Message{}, "", "staff alerted"},
		{"locale without a reply: the flows' default", "bg", enBG, chat.Message{Text: "Operator bitte"}, "de-DE", "екипът е уведомен"},
		{"locale without a reply, no flows: English", "", enBG, chat.Message{Text: "Operator bitte"}, "de-DE", "staff alerted"},
		{"neither: first in alphabetical order", "", map[string]string{"fr": "équipe alertée", "de": "Team benachrichtigt"}, chat.Message{}, "", "Team benachrichtigt"},
		{"no replies", "", nil, chat.Message{}, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bot := &activities.Bot{AgentRequestedReply: tc.replies}
			if tc.flows != "" {
				bot.Flows = testFlows(t, tc.flows)
			}
			reply, err := bot.BotReply(context.Background(), activities.BotReplyRequest{
				Event: activities.BotEventAgentRequested, Message: tc.msg, Locale: tc.locale,
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(reply.Messages) != 1 || reply.Messages[0].Text != tc.want {
				t.Errorf("reply %+v, want %q", reply.Messages, tc.want)
			}
		})
	}
}

func TestBotUsesTheRememberedLanguage(t *testing.T) {
	texts := map[string]string{"en": "in English", "bg": "на български"}
	for _, tc := range []struct {
		name     string
		flows    string // default language of the flows; "" runs without flows
		event    activities.BotEvent
		msg      chat.Message
		locale   string
		language string
		want     string
	}{
		{"Latin text, remembered Bulgarian", "en", activities.BotEventMessage, chat.Message{Text: "ok"}, "", "bg", "Не разбрах."},
		{"remembered language over the locale", "bg", activities.BotEventMessage, chat.Message{Text: "ok"}, "bg-BG", "en", "I did not understand."},
		{"Cyrillic text over the remembered language", "en", activities.BotEventMessage, chat.Message{Text: "добре"}, "", "en", "Не разбрах."},
		{"remembered language not in the flows: their default", "bg", activities.BotEventMessage, chat.Message{Text: "ok"}, "", "de", "Не разбрах."},
		{"acknowledgement without a message", "en", activities.BotEventAgentRequested, chat.Message{}, "", "bg", "на български"},
		{"acknowledgement without flows", "", activities.BotEventAgentRequested, chat.Message{}, "", "bg", "на български"},
		{"reply without flows", "", activities.BotEventMessage, chat.Message{Text: "ok"}, "", "bg", "на български"},
		{"reply without flows, nothing known: English", "", activities.BotEventMessage, chat.Message{Text: "12"}, "", "", "in English"},
		{"reply without flows, Cyrillic text", "", activities.BotEventMessage, chat.Message{Text: "здравейте"}, "en", "en", "на български"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bot := &activities.Bot{Reply: texts, AgentRequestedReply: texts}
			if tc.flows != "" {
				bot.Flows = testFlows(t, tc.flows)
			}
			reply, err := bot.BotReply(context.Background(), activities.BotReplyRequest{
				Event: tc.event, Message: tc.msg, Locale: tc.locale, Language: tc.language,
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(reply.Messages) != 1 || reply.Messages[0].Text != tc.want {
				t.Errorf("reply %+v, want %q", reply.Messages, tc.want)
			}
		})
	}
}

func TestFirstMessageGetsTheStartBlock(t *testing.T) {
	for _, tc := range []struct {
		name  string
		first bool
		msg   chat.Message
		want  string
		block string
	}{
		{"first message in English", true, chat.Message{Text: "hello"}, "Menu", "menu"},
		{"first message in Bulgarian", true, chat.Message{Text: "здравейте"}, "Меню", "menu"},
		{"first message is a button press", true, chat.Message{Text: "Delivery", Payload: "FLOW:en:delivery"}, "Delivery within 2 days.", "delivery"},
		{"a later message", false, chat.Message{Text: "hello"}, "I did not understand.", "help"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bot := &activities.Bot{Flows: testFlows(t, "en")}
			reply, err := bot.BotReply(context.Background(), activities.BotReplyRequest{
				Event: activities.BotEventMessage, Message: tc.msg, FirstMessage: tc.first,
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(reply.Messages) != 1 || reply.Messages[0].Text != tc.want || reply.Messages[0].Block != tc.block {
				t.Errorf("reply %+v, want block %s: %q", reply.Messages, tc.block, tc.want)
			}
		})
	}
}
