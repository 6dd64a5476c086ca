// Package flows holds the navigation bot's flows: blocks of text, images,
// links and buttons, read from a YAML file, validated with the file and line
// of every problem, and rendered as bot messages in the customer's language.
package flows

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/handoff-chat/handoff/workflows"
)

// ActionTalkToHuman is the button action that asks for a human.
const ActionTalkToHuman = "talk_to_human"

// Messenger's limits, checked at load so a flow that loads also sends.
const (
	maxTextRunes         = 2000
	maxTemplateTextRunes = 640
	maxTitleRunes        = 20
	maxButtons           = 13
	maxLinks             = 3
)

var idPattern = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// Flow is a parsed and validated flows file. It does not change.
type Flow struct {
	languages       []string
	defaultLanguage string
	start, fallback string
	blocks          map[string]*block
	order           []string
}

type block struct {
	id      string
	line    int
	text    map[string]string
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
	ID   string            `json:"id"`
	Text map[string]string `json:"text"`
	Line int               `json:"line"`
}

// Load reads and parses a flows file.
func Load(path string) (*Flow, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read flows: %w", err)
	}
	return Parse(path, data)
}

// Languages are the flow's languages, in file order.
func (f *Flow) Languages() []string { return append([]string(nil), f.languages...) }

// DefaultLanguage is used when the customer's language is unknown or not listed.
func (f *Flow) DefaultLanguage() string { return f.defaultLanguage }

// Start is the block for new customers.
func (f *Flow) Start() string { return f.start }

// Fallback is the block for free text that is no navigation choice.
func (f *Flow) Fallback() string { return f.fallback }

// Has reports whether the flow has the block.
func (f *Flow) Has(blockID string) bool { _, ok := f.blocks[blockID]; return ok }

// Blocks lists the blocks in file order.
func (f *Flow) Blocks() []BlockSummary {
	out := make([]BlockSummary, 0, len(f.order))
	for _, id := range f.order {
		b := f.blocks[id]
		out = append(out, BlockSummary{ID: id, Text: b.text, Line: b.line})
	}
	return out
}

// Language maps a language hint ("bg-BG", "BG", "en") to one of the flow's
// languages, or the default language.
func (f *Flow) Language(hint string) string {
	base, _, _ := strings.Cut(strings.ReplaceAll(strings.ToLower(strings.TrimSpace(hint)), "_", "-"), "-")
	for _, l := range f.languages {
		if l == base {
			return l
		}
	}
	return f.defaultLanguage
}

// Render returns the block as a bot message in the language.
func (f *Flow) Render(blockID, lang string) (workflows.BotMessage, error) {
	b, ok := f.blocks[blockID]
	if !ok {
		return workflows.BotMessage{}, fmt.Errorf("the flows have no block %q", blockID)
	}
	lang = f.Language(lang)
	msg := workflows.BotMessage{Text: b.text[lang], Block: blockID}
	if b.image != "" {
		msg.Attachments = []workflows.Attachment{{Type: "image", URL: b.image}}
	}
	for _, btn := range b.buttons {
		payload := workflows.PayloadTalkToHuman
		if btn.goTo != "" {
			payload = NavigationPayload(lang, btn.goTo)
		}
		msg.Buttons = append(msg.Buttons, workflows.Button{Title: btn.title[lang], Payload: payload})
	}
	for _, l := range b.links {
		msg.Buttons = append(msg.Buttons, workflows.Button{Title: l.title[lang], URL: l.url})
	}
	return msg, nil
}

const payloadPrefix = workflows.PayloadNavigationPrefix

// NavigationPayload is the button payload that leads to a block.
func NavigationPayload(lang, blockID string) string {
	return payloadPrefix + lang + ":" + blockID
}

// ParseNavigationPayload reads a payload made by NavigationPayload.
func ParseNavigationPayload(p string) (lang, blockID string, ok bool) {
	rest, ok := strings.CutPrefix(p, payloadPrefix)
	if !ok {
		return "", "", false
	}
	lang, blockID, ok = strings.Cut(rest, ":")
	return lang, blockID, ok && blockID != ""
}

// DetectLanguage returns "bg" for text with Cyrillic letters and "" otherwise.
func DetectLanguage(text string) string {
	for _, r := range text {
		if unicode.Is(unicode.Cyrillic, r) {
			return "bg"
		}
	}
	return ""
}

// parser collects every problem of one file with its line.
type parser struct {
	name string
	errs []error
}

func (p *parser) fail(n *yaml.Node, format string, args ...any) {
	p.errs = append(p.errs, fmt.Errorf("%s:%d: %s", p.name, n.Line, fmt.Sprintf(format, args...)))
}

// fields walks a mapping, reporting keys outside known and wrong node kinds.
func (p *parser) fields(n *yaml.Node, what string, known ...string) map[string]*yaml.Node {
	out := map[string]*yaml.Node{}
	if n.Kind != yaml.MappingNode {
		p.fail(n, "%s must be a mapping of keys (%s)", what, strings.Join(known, ", "))
		return out
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, value := n.Content[i], n.Content[i+1]
		if !contains(known, key.Value) {
			p.fail(key, "unknown key %q in %s; known keys: %s", key.Value, what, strings.Join(known, ", "))
			continue
		}
		out[key.Value] = value
	}
	return out
}

func (p *parser) scalar(n *yaml.Node, what string) string {
	if n == nil {
		return ""
	}
	if n.Kind != yaml.ScalarNode {
		p.fail(n, "%s must be a single value", what)
		return ""
	}
	return n.Value
}

func (p *parser) list(n *yaml.Node, what string) []*yaml.Node {
	if n == nil {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		p.fail(n, "%s must be a list", what)
		return nil
	}
	return n.Content
}

// Parse reads a flows file's content; name is used in error messages.
func Parse(name string, data []byte) (*Flow, error) {
	p := &parser{name: name}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(doc.Content) == 0 {
		return nil, fmt.Errorf("%s: the file is empty; expected languages, default_language, start and blocks", name)
	}
	root := doc.Content[0]
	top := p.fields(root, "the flows file", "languages", "default_language", "start", "fallback", "blocks")
	f := &Flow{blocks: map[string]*block{}}
	for _, l := range p.list(top["languages"], "languages") {
		f.languages = append(f.languages, p.scalar(l, "a language"))
	}
	if len(f.languages) == 0 {
		p.fail(nodeOr(top["languages"], root), "languages must list at least one language code, e.g. [bg, en]")
	}
	f.defaultLanguage = p.scalar(top["default_language"], "default_language")
	if f.defaultLanguage == "" && len(f.languages) > 0 {
		f.defaultLanguage = f.languages[0]
	} else if f.defaultLanguage != "" && !contains(f.languages, f.defaultLanguage) {
		p.fail(top["default_language"], "default_language %q is not one of languages %v", f.defaultLanguage, f.languages)
	}

	var gotos []*yaml.Node
	for _, n := range p.list(top["blocks"], "blocks") {
		b := p.block(f, n, &gotos)
		if b == nil {
			continue
		}
		if first, dup := f.blocks[b.id]; dup {
			p.fail(n, "block ID %q is used twice; first defined on line %d", b.id, first.line)
			continue
		}
		f.blocks[b.id] = b
		f.order = append(f.order, b.id)
	}
	if len(f.order) == 0 && top["blocks"] != nil {
		p.fail(top["blocks"], "blocks must list at least one block")
	}
	f.start = p.scalar(top["start"], "start")
	switch {
	case top["start"] == nil:
		p.fail(root, "start is missing: name the block new customers see")
	case !f.Has(f.start):
		p.fail(top["start"], "start names block %q, which does not exist", f.start)
	}
	f.fallback = p.scalar(top["fallback"], "fallback")
	if f.fallback == "" {
		f.fallback = f.start
	} else if !f.Has(f.fallback) {
		p.fail(top["fallback"], "fallback names block %q, which does not exist", f.fallback)
	}
	for _, g := range gotos {
		if !f.Has(g.Value) {
			p.fail(g, "goto names block %q, which does not exist", g.Value)
		}
	}
	if len(p.errs) > 0 {
		return nil, errors.Join(p.errs...)
	}
	return f, nil
}

func nodeOr(n, fallback *yaml.Node) *yaml.Node {
	if n != nil {
		return n
	}
	return fallback
}

func (p *parser) block(f *Flow, n *yaml.Node, gotos *[]*yaml.Node) *block {
	fields := p.fields(n, "a block", "id", "text", "image", "links", "buttons")
	b := &block{line: n.Line, id: p.scalar(fields["id"], "id")}
	if !idPattern.MatchString(b.id) {
		p.fail(n, "block id %q must be letters, digits, _ or -", b.id)
		return nil
	}
	if fields["text"] != nil {
		b.text = p.translations(f, fields["text"], "text of block "+b.id)
	}
	if fields["image"] != nil {
		b.image = p.scalar(fields["image"], "image")
		p.checkURL(fields["image"], b.image)
	}
	if b.text == nil && b.image == "" {
		p.fail(n, "block %q needs text or an image", b.id)
	}
	for _, ln := range p.list(fields["links"], "links") {
		lf := p.fields(ln, "a link", "title", "url")
		l := link{title: p.titles(f, lf["title"], ln, "link title"), url: p.scalar(lf["url"], "url")}
		if lf["url"] == nil {
			p.fail(ln, "a link needs a url")
		} else {
			p.checkURL(lf["url"], l.url)
		}
		b.links = append(b.links, l)
	}
	for _, bn := range p.list(fields["buttons"], "buttons") {
		bf := p.fields(bn, "a button", "title", "goto", "action")
		btn := button{title: p.titles(f, bf["title"], bn, "button title"), goTo: p.scalar(bf["goto"], "goto"), action: p.scalar(bf["action"], "action")}
		switch {
		case (bf["goto"] == nil) == (bf["action"] == nil):
			p.fail(bn, "a button needs either goto (a block ID) or action (%s), not both or neither", ActionTalkToHuman)
		case bf["goto"] != nil:
			*gotos = append(*gotos, bf["goto"])
		case btn.action != ActionTalkToHuman:
			p.fail(bf["action"], "unknown action %q; the only action is %s", btn.action, ActionTalkToHuman)
		}
		b.buttons = append(b.buttons, btn)
	}
	if len(b.buttons) > maxButtons {
		p.fail(fields["buttons"], "block %q has %d buttons; Messenger allows at most %d quick replies", b.id, len(b.buttons), maxButtons)
	}
	if len(b.links) > maxLinks {
		p.fail(fields["links"], "block %q has %d links; Messenger allows at most %d link buttons", b.id, len(b.links), maxLinks)
	}
	limit := maxTextRunes
	if len(b.links) > 0 {
		limit = maxTemplateTextRunes
	}
	for lang, text := range b.text {
		if n := utf8.RuneCountInString(text); n > limit {
			p.fail(fields["text"], "the %s text of block %q has %d characters; Messenger allows %d here", lang, b.id, n, limit)
		}
	}
	return b
}

// translations reads a {language: text} mapping with every language present.
func (p *parser) translations(f *Flow, n *yaml.Node, what string) map[string]string {
	out := map[string]string{}
	if n.Kind != yaml.MappingNode {
		p.fail(n, "%s must map each language to its text, e.g. {bg: ..., en: ...}", what)
		return out
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		lang, value := n.Content[i], n.Content[i+1]
		if !contains(f.languages, lang.Value) {
			p.fail(lang, "%s has a translation for %q, which is not one of languages %v", what, lang.Value, f.languages)
			continue
		}
		out[lang.Value] = strings.TrimSpace(p.scalar(value, what))
	}
	for _, lang := range f.languages {
		if out[lang] == "" {
			p.fail(n, "%s is missing its %s translation", what, lang)
		}
	}
	return out
}

func (p *parser) titles(f *Flow, n, parent *yaml.Node, what string) map[string]string {
	if n == nil {
		p.fail(parent, "%s is missing", what)
		return nil
	}
	out := p.translations(f, n, what)
	for lang, title := range out {
		if c := utf8.RuneCountInString(title); c > maxTitleRunes {
			p.fail(n, "%s %q (%s) has %d characters; Messenger allows %d", what, title, lang, c, maxTitleRunes)
		}
	}
	return out
}

func (p *parser) checkURL(n *yaml.Node, raw string) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		p.fail(n, "%q must be an absolute http:// or https:// URL", raw)
	}
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
