package flows_test

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/handoff-chat/handoff/internal/chat"
	"github.com/handoff-chat/handoff/internal/flows"
)

func loadValid(t *testing.T) *flows.Flow {
	t.Helper()
	f, err := flows.Load(filepath.Join("testdata", "valid.yaml"))
	if err != nil {
		t.Fatalf("load testdata/valid.yaml: %v", err)
	}
	return f
}

func TestParseValidFlow(t *testing.T) {
	f := loadValid(t)
	if got := f.Languages(); !reflect.DeepEqual(got, []string{"bg", "en"}) {
		t.Errorf("Languages() = %v, want [bg en]", got)
	}
	if f.DefaultLanguage() != "en" || f.Start() != "menu" || f.Fallback() != "help" {
		t.Errorf("default %q, start %q, fallback %q; want en, menu, help", f.DefaultLanguage(), f.Start(), f.Fallback())
	}
	if !f.Has("photo") || f.Has("nope") || f.Has("") {
		t.Error("Has does not match the file's blocks")
	}

	want := []flows.BlockSummary{
		{
			ID:      "menu",
			Text:    map[string]string{"bg": "Здравейте! С какво да помогна?", "en": "Hello! How can I help?"},
			Preview: map[string]string{"bg": "Здравейте! С какво да помогна?", "en": "Hello! How can I help?"},
			Image:   "https://example.com/images/menu.jpg",
			Line:    7,
		},
		{
			ID:      "delivery",
			Text:    map[string]string{"bg": "Доставяме до 2 работни дни в цялата страна.", "en": "We deliver within 2 working days across the country."},
			Preview: map[string]string{"bg": "Доставяме до 2 работни дни в цялата страна.", "en": "We deliver within 2 working days across the country."},
			Line:    21,
		},
		{
			ID:      "help",
			Text:    map[string]string{"bg": "Не разбрах.", "en": "I did not understand."},
			Preview: map[string]string{"bg": "Не разбрах.", "en": "I did not understand."},
			Line:    35,
		},
		{ID: "photo", Image: "https://example.com/images/parcel.jpg", Line: 41},
	}
	if got := f.Blocks(); !reflect.DeepEqual(got, want) {
		t.Errorf("Blocks():\n got  %+v\n want %+v", got, want)
	}

	// What the accessors return cannot change the flow.
	f.Languages()[0] = "xx"
	f.Blocks()[0].Text["en"] = "changed"
	if m, _ := f.Render("menu", "en"); m.Text != "Hello! How can I help?" || f.Languages()[0] != "bg" {
		t.Error("changing returned values changed the flow")
	}
}

func TestRender(t *testing.T) {
	f := loadValid(t)
	tests := []struct {
		block, lang string
		want        chat.Content
	}{
		{"menu", "bg-BG", chat.Content{
			Text:        "Здравейте! С какво да помогна?",
			Attachments: []chat.Attachment{{Type: "image", URL: "https://example.com/images/menu.jpg"}},
			Buttons: []chat.Button{
				{Title: "Доставка", Payload: "FLOW:bg:delivery"},
				{Title: "Говори с човек", Payload: chat.PayloadTalkToHuman},
				{Title: "Магазин", URL: "https://example.com/shop"},
			},
			Block: "menu",
		}},
		{"menu", "en", chat.Content{
			Text:        "Hello! How can I help?",
			Attachments: []chat.Attachment{{Type: "image", URL: "https://example.com/images/menu.jpg"}},
			Buttons: []chat.Button{
				{Title: "Delivery", Payload: "FLOW:en:delivery"},
				{Title: "Talk to a human", Payload: chat.PayloadTalkToHuman},
				{Title: "Shop", URL: "https://example.com/shop"},
			},
			Block: "menu",
		}},
		// An unknown language gets the default language, in the payloads too.
		{"delivery", "fr", chat.Content{
			Text: "We deliver within 2 working days across the country.",
			Buttons: []chat.Button{
				{Title: "Menu", Payload: "FLOW:en:menu"},
				{Title: "Photo", Payload: "FLOW:en:photo"},
			},
			Block: "delivery",
		}},
		{"photo", "BG", chat.Content{
			Attachments: []chat.Attachment{{Type: "image", URL: "https://example.com/images/parcel.jpg"}},
			Block:       "photo",
		}},
	}
	for _, tt := range tests {
		got, err := f.Render(tt.block, tt.lang)
		if err != nil {
			t.Errorf("Render(%q, %q): %v", tt.block, tt.lang, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Render(%q, %q):\n got  %+v\n want %+v", tt.block, tt.lang, got, tt.want)
		}
	}

	if _, err := f.Render("nope", "bg"); err == nil || !strings.Contains(err.Error(), `no block "nope"`) {
		t.Errorf("Render of an unknown block: error %v, want one naming the block", err)
	}
}

func TestAliasesAreResolved(t *testing.T) {
	const data = `languages: [en]
start: a
blocks:
  - id: a
    text: {en: "A"}
    buttons:
      - &human {title: {en: "Human"}, action: talk_to_human}
      - {title: {en: "To B"}, goto: b}
  - id: b
    text: {en: "B"}
    buttons:
      - *human
`
	f, err := flows.Parse("alias.yaml", []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	m, err := f.Render("b", "en")
	if err != nil {
		t.Fatal(err)
	}
	if want := []chat.Button{{Title: "Human", Payload: chat.PayloadTalkToHuman}}; !reflect.DeepEqual(m.Buttons, want) {
		t.Errorf("buttons of b = %+v, want %+v", m.Buttons, want)
	}
}

func TestNavigationPayload(t *testing.T) {
	p := flows.NavigationPayload("bg", "delivery_abroad")
	if p != "FLOW:bg:delivery_abroad" {
		t.Errorf("NavigationPayload = %q", p)
	}
	if !strings.HasPrefix(p, chat.PayloadNavigationPrefix) {
		t.Errorf("payload %q does not start with %q", p, chat.PayloadNavigationPrefix)
	}
	lang, block, ok := flows.ParseNavigationPayload(p)
	if !ok || lang != "bg" || block != "delivery_abroad" {
		t.Errorf("ParseNavigationPayload(%q) = %q, %q, %v", p, lang, block, ok)
	}
	for _, p := range []string{"", "DELIVERY", "FLOW:", "FLOW:bg", "FLOW:bg:", "flow:bg:menu", chat.PayloadTalkToHuman} {
		if lang, block, ok := flows.ParseNavigationPayload(p); ok || lang != "" || block != "" {
			t.Errorf("ParseNavigationPayload(%q) = %q, %q, %v; want no navigation", p, lang, block, ok)
		}
	}
}

func TestLanguage(t *testing.T) {
	f := loadValid(t) // languages bg, en; default en
	for hint, want := range map[string]string{
		"bg": "bg", "bg-BG": "bg", "bg_BG": "bg", "BG": "bg", " bg ": "bg",
		"en-GB": "en", "EN": "en",
		"":   "en", // unknown: the default
		"de": "en", "bgx": "en", "b": "en", "-bg": "en",
	} {
		if got := f.Language(hint); got != want {
			t.Errorf("Language(%q) = %q, want %q", hint, got, want)
		}
	}
}

// The repository's example flow loads, and every block renders in both
// languages within Messenger's limits.
func TestShopFlow(t *testing.T) {
	f, err := flows.Load(filepath.Join("..", "..", "flows", "shop.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(f.Languages(), []string{"bg", "en"}) {
		t.Errorf("shop.yaml languages %v, want [bg en]", f.Languages())
	}
	if !f.Has(f.Start()) || !f.Has(f.Fallback()) || f.Start() == f.Fallback() {
		t.Errorf("start %q and fallback %q must be two blocks", f.Start(), f.Fallback())
	}
	for _, b := range f.Blocks() {
		for _, lang := range f.Languages() {
			m, err := f.Render(b.ID, lang)
			if err != nil {
				t.Errorf("render %s in %s: %v", b.ID, lang, err)
				continue
			}
			if m.Text == "" || m.Block != b.ID {
				t.Errorf("block %s in %s renders as %+v", b.ID, lang, m)
			}
			links, human := 0, false
			for _, btn := range m.Buttons {
				if btn.Title == "" || utf8.RuneCountInString(btn.Title) > 20 {
					t.Errorf("block %s in %s has button title %q", b.ID, lang, btn.Title)
				}
				if btn.URL != "" {
					links++
				}
				human = human || btn.Payload == chat.PayloadTalkToHuman
				if l, target, ok := flows.ParseNavigationPayload(btn.Payload); ok && (l != lang || !f.Has(target)) {
					t.Errorf("block %s in %s: button %q leads to %s in %s", b.ID, lang, btn.Title, target, l)
				}
			}
			if links > 0 && len(m.Buttons) > 3 {
				t.Errorf("block %s has %d buttons with links; a button template takes 3", b.ID, len(m.Buttons))
			}
			if !human {
				t.Errorf("block %s in %s has no talk-to-a-human button", b.ID, lang)
			}
		}
	}
	// The fallback answers free text: its buttons are quick replies, led by a topic.
	m, _ := f.Render(f.Fallback(), "bg")
	if len(m.Buttons) == 0 || m.Buttons[0].URL != "" || !strings.HasPrefix(m.Buttons[0].Payload, "FLOW:bg:") {
		t.Errorf("fallback %s renders buttons %+v, want navigation quick replies first", f.Fallback(), m.Buttons)
	}
}
