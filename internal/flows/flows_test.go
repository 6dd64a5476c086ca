package flows_test

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/handoff-chat/handoff/internal/flows"
	"github.com/handoff-chat/handoff/workflows"
)

const valid = `languages: [bg, en]
default_language: bg
start: menu
blocks:
  - id: menu
    text: {bg: "Здравейте", en: "Hello"}
    image: https://example.com/a.jpg
    links:
      - title: {bg: "Магазин", en: "Shop"}
        url: https://example.com
    buttons:
      - title: {bg: "Доставка", en: "Delivery"}
        goto: delivery
      - title: {bg: "Човек", en: "Human"}
        action: talk_to_human
  - id: delivery
    text: {bg: "До 2 дни", en: "Within 2 days"}
`

func TestRender(t *testing.T) {
	f, err := flows.Parse("valid.yaml", []byte(valid))
	if err != nil {
		t.Fatal(err)
	}
	got, err := f.Render("menu", "en-GB")
	if err != nil {
		t.Fatal(err)
	}
	want := workflows.BotMessage{
		Text:        "Hello",
		Attachments: []workflows.Attachment{{Type: "image", URL: "https://example.com/a.jpg"}},
		Buttons: []workflows.Button{
			{Title: "Delivery", Payload: "FLOW:en:delivery"},
			{Title: "Human", Payload: workflows.PayloadTalkToHuman},
			{Title: "Shop", URL: "https://example.com"},
		},
		Block: "menu",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Render:\n got  %+v\n want %+v", got, want)
	}
	if m, _ := f.Render("delivery", "fr"); m.Text != "До 2 дни" {
		t.Errorf("an unknown language renders %q, want the default language", m.Text)
	}
	if _, err := f.Render("nope", "bg"); err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("unknown block: %v", err)
	}
	if f.Fallback() != "menu" || f.Start() != "menu" || len(f.Blocks()) != 2 || f.Blocks()[1].Line != 16 {
		t.Errorf("fallback %q start %q blocks %+v", f.Fallback(), f.Start(), f.Blocks())
	}
}

func TestPayloadsAndLanguages(t *testing.T) {
	lang, block, ok := flows.ParseNavigationPayload(flows.NavigationPayload("bg", "delivery"))
	if !ok || lang != "bg" || block != "delivery" {
		t.Errorf("round trip: %q %q %v", lang, block, ok)
	}
	for _, p := range []string{"DELIVERY", "FLOW:bg:", "HANDOFF_TALK_TO_HUMAN"} {
		if _, _, ok := flows.ParseNavigationPayload(p); ok {
			t.Errorf("%q parsed as a navigation payload", p)
		}
	}
	if flows.DetectLanguage("Къде е пратката?") != "bg" || flows.DetectLanguage("where is it") != "" {
		t.Error("DetectLanguage")
	}
	f, _ := flows.Parse("valid.yaml", []byte(valid))
	for hint, want := range map[string]string{"bg-BG": "bg", "EN": "en", "en_US": "en", "": "bg", "de": "bg"} {
		if got := f.Language(hint); got != want {
			t.Errorf("Language(%q) = %q, want %q", hint, got, want)
		}
	}
}

func TestValidationErrorsNameFileAndLine(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       []string
	}{
		{"empty", "", []string{"bad.yaml", "empty"}},
		{"unknown key", "languages: [en]\nstart: a\nblokcs: []\n", []string{"bad.yaml:3:", `unknown key "blokcs"`}},
		{"unknown block reference", "languages: [en]\nstart: a\nblocks:\n  - id: a\n    text: {en: hi}\n    buttons:\n      - title: {en: Go}\n        goto: b\n",
			[]string{"bad.yaml:8:", `goto names block "b"`}},
		{"duplicate ID", "languages: [en]\nstart: a\nblocks:\n  - id: a\n    text: {en: hi}\n  - id: a\n    text: {en: again}\n",
			[]string{"bad.yaml:6:", `"a" is used twice`, "line 4"}},
		{"missing translation", "languages: [bg, en]\nstart: a\nblocks:\n  - id: a\n    text: {bg: здравей}\n",
			[]string{"bad.yaml:5:", "missing its en translation"}},
		{"unlisted language", "languages: [en]\nstart: a\nblocks:\n  - id: a\n    text: {en: hi, de: hallo}\n",
			[]string{"bad.yaml:5:", `"de"`}},
		{"start missing", "languages: [en]\nblocks:\n  - id: a\n    text: {en: hi}\n", []string{"start is missing"}},
		{"button with both", "languages: [en]\nstart: a\nblocks:\n  - id: a\n    text: {en: hi}\n    buttons:\n      - title: {en: Go}\n        goto: a\n        action: talk_to_human\n",
			[]string{"bad.yaml:7:", "either goto"}},
		{"unknown action", "languages: [en]\nstart: a\nblocks:\n  - id: a\n    text: {en: hi}\n    buttons:\n      - title: {en: Go}\n        action: dance\n",
			[]string{"bad.yaml:8:", `unknown action "dance"`}},
		{"long title", "languages: [en]\nstart: a\nblocks:\n  - id: a\n    text: {en: hi}\n    buttons:\n      - title: {en: This title is far too long}\n        goto: a\n",
			[]string{"bad.yaml:7:", "20"}},
		{"bad image URL", "languages: [en]\nstart: a\nblocks:\n  - id: a\n    image: ftp://x/y.jpg\n", []string{"bad.yaml:5:", "http"}},
		{"default language", "languages: [en]\ndefault_language: bg\nstart: a\nblocks:\n  - id: a\n    text: {en: hi}\n", []string{"bad.yaml:2:", "default_language"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := flows.Parse("bad.yaml", []byte(tt.yaml))
			if err == nil {
				t.Fatal("parsed without an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestShopFlowRendersEveryBlockInBothLanguages(t *testing.T) {
	f, err := flows.Load(filepath.Join("..", "..", "flows", "shop.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range f.Blocks() {
		for _, lang := range []string{"bg", "en"} {
			m, err := f.Render(b.ID, lang)
			if err != nil || m.Text == "" {
				t.Errorf("block %s in %s: %+v %v", b.ID, lang, m, err)
			}
		}
	}
}

func TestRegistryReloadsAndKeepsTheLastGoodFlows(t *testing.T) {
	path := filepath.Join(t.TempDir(), "flows.yaml")
	write := func(content string) {
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(valid)
	reg, err := flows.NewRegistry(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	write(strings.Replace(valid, "До 2 дни", "До 3 дни", 1))
	if err := reg.Reload(); err != nil {
		t.Fatal(err)
	}
	if m, _ := reg.Current().Render("delivery", "bg"); m.Text != "До 3 дни" {
		t.Errorf("after reload: %q", m.Text)
	}
	write(strings.Replace(valid, "goto: delivery", "goto: nowhere", 1))
	if err := reg.Reload(); err == nil || !strings.Contains(reg.Status().LastError, "nowhere") {
		t.Errorf("broken edit: err %v, status %+v", err, reg.Status())
	}
	if m, _ := reg.Current().Render("delivery", "bg"); m.Text != "До 3 дни" {
		t.Errorf("a broken edit replaced the flows: %q", m.Text)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go reg.Watch(ctx, 10*time.Millisecond)
	write(strings.Replace(valid, "До 2 дни", "До 4 дни", 1))
	deadline := time.Now().Add(10 * time.Second)
	for {
		if m, _ := reg.Current().Render("delivery", "bg"); m.Text == "До 4 дни" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("Watch did not pick up the change")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if st := reg.Status(); st.LastError != "" || st.Blocks != 2 {
		t.Errorf("status after a good reload: %+v", st)
	}
}
