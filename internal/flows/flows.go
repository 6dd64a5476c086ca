// Package flows holds the navigation bot's flows: blocks of text, an image,
// link buttons and buttons leading to other blocks, written in a YAML file
// (format: flows/README.md). A file is validated as a whole when it is
// loaded, with the file and line of every problem, against the same limits
// Messenger applies, so a flow that loads can also be sent. A Flow renders its
// blocks as bot messages in the customer's language; a Registry keeps the flow
// in force and reloads it when its file changes.
package flows

import (
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/handoff-chat/handoff/internal/chat"
)

// ActionTalkToHuman is the button action with which a customer asks for a human.
const ActionTalkToHuman = "talk_to_human"

// previewRunes is how long BlockSummary.Preview is at most.
const previewRunes = 80

// Flow is a parsed and validated flows file. It never changes, so it is safe
// for concurrent use.
type Flow struct {
	languages       []string
	defaultLanguage string
	start           string
	fallback        string
	blocks          map[string]*block
	order           []*block
}

type block struct {
	id      string
	line    int
	text    map[string]string // language -> text; nil for an image-only block
	image   string
	links   []link
	buttons []button
}

type link struct {
	title map[string]string
	url   string
}

type button struct {
	title  map[string]string
	goTo   string
	action string
}

// BlockSummary describes a block for staff picking one to send.
type BlockSummary struct {
	ID string `json:"id"`
	// Text is the block's whole text in each language; empty for a block that
	// is only an image.
	Text map[string]string `json:"text,omitempty"`
	// Preview is the beginning of the text on one line, in each language.
	Preview map[string]string `json:"preview,omitempty"`
	// Image is the block's image URL, if any.
	Image string `json:"image,omitempty"`
	// Line is where the block starts in the flows file.
	Line int `json:"line"`
}

// Load reads and parses a flows file.
func Load(path string) (*Flow, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read flows file: %w", err)
	}
	return Parse(path, data)
}

// Languages are the flow's languages, in file order.
func (f *Flow) Languages() []string { return append([]string(nil), f.languages...) }

// DefaultLanguage is used when the customer's language is unknown or not one
// of the flow's languages.
func (f *Flow) DefaultLanguage() string { return f.defaultLanguage }

// Start is the block shown to a new customer and as the menu.
func (f *Flow) Start() string { return f.start }

// Fallback is the block for free text that is no navigation choice; the start
// block unless the file names another.
func (f *Flow) Fallback() string { return f.fallback }

// Has reports whether the flow has a block with the ID.
func (f *Flow) Has(blockID string) bool {
	_, ok := f.blocks[blockID]
	return ok
}

// Blocks lists the blocks in file order, for staff to pick one to send.
func (f *Flow) Blocks() []BlockSummary {
	out := make([]BlockSummary, 0, len(f.order))
	for _, b := range f.order {
		s := BlockSummary{ID: b.id, Image: b.image, Line: b.line}
		if b.text != nil {
			s.Text = maps.Clone(b.text)
			s.Preview = make(map[string]string, len(b.text))
			for lang, text := range b.text {
				s.Preview[lang] = preview(text)
			}
		}
		out = append(out, s)
	}
	return out
}

// preview is the text on one line, cut to previewRunes.
func preview(text string) string {
	line := strings.Join(strings.Fields(text), " ")
	if utf8.RuneCountInString(line) <= previewRunes {
		return line
	}
	runes := []rune(line)
	return strings.TrimSpace(string(runes[:previewRunes-1])) + "…"
}

// Language maps a language code or locale ("bg", "bg-BG", "bg_BG", "BG";
// normalised with chat.PrimaryLanguage), such as the result of
// chat.ReplyLanguage, to one of the flow's languages; one that is empty or
// names no listed language gives the default language.
func (f *Flow) Language(lang string) string {
	if lang = chat.PrimaryLanguage(lang); slices.Contains(f.languages, lang) {
		return lang
	}
	return f.defaultLanguage
}

// Render returns a block as a bot message in a language (normalised with
// Language): its text, its image as an attachment, a button with a
// navigation payload for every goto, a button with
// chat.PayloadTalkToHuman for every talk_to_human action, then its links
// as URL buttons.
func (f *Flow) Render(blockID, lang string) (chat.Content, error) {
	b, ok := f.blocks[blockID]
	if !ok {
		return chat.Content{}, fmt.Errorf("render block: the flows have no block %q", blockID)
	}
	lang = f.Language(lang)
	msg := chat.Content{Text: b.text[lang], Block: blockID}
	if b.image != "" {
		msg.Attachments = []chat.Attachment{{Type: "image", URL: b.image}}
	}
	for _, btn := range b.buttons {
		payload := chat.PayloadTalkToHuman
		if btn.goTo != "" {
			payload = NavigationPayload(lang, btn.goTo)
		}
		msg.Buttons = append(msg.Buttons, chat.Button{Title: btn.title[lang], Payload: payload})
	}
	for _, l := range b.links {
		msg.Buttons = append(msg.Buttons, chat.Button{Title: l.title[lang], URL: l.url})
	}
	return msg, nil
}

// NavigationPayload is the payload of a button leading to a block:
// "FLOW:<lang>:<block>". The language travels with the choice, so the next
// block is shown in the language of the button the customer chose.
func NavigationPayload(lang, blockID string) string {
	return chat.PayloadNavigationPrefix + lang + ":" + blockID
}

// ParseNavigationPayload splits a payload made by NavigationPayload; ok is
// false for any other payload.
func ParseNavigationPayload(p string) (lang, blockID string, ok bool) {
	rest, ok := strings.CutPrefix(p, chat.PayloadNavigationPrefix)
	if !ok {
		return "", "", false
	}
	lang, blockID, ok = strings.Cut(rest, ":")
	if !ok || blockID == "" {
		return "", "", false
	}
	return lang, blockID, true
}
