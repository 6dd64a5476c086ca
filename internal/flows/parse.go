package flows

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/handoff-chat/handoff/internal/chat"
	"go.yaml.in/yaml/v3"
)

// Messenger's limits, checked at load so a flow that loads also sends.
const (
	maxTextRunes         = 2000
	maxTemplateTextRunes = 640 // text of a button template (a block with links)
	maxTitleRunes        = 20
	maxButtons           = 13 // quick replies
	maxTemplateButtons   = 3  // links and buttons of a button template together
)

var (
	idPattern       = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
	languagePattern = regexp.MustCompile(`^[a-z]{2,3}$`)
	yamlLinePattern = regexp.MustCompile(`^yaml: line ([0-9]+): (.*)$`)
)

var (
	topKeys    = []string{"languages", "default_language", "start", "fallback", "blocks"}
	blockKeys  = []string{"id", "text", "image", "links", "buttons"}
	linkKeys   = []string{"title", "url"}
	buttonKeys = []string{"title", "goto", "action"}
)

// Parse reads the content of a flows file and validates it as a whole. name
// (usually the file's path) starts every error message, as "name:line: ...";
// all problems are returned, joined with errors.Join, in line order.
func Parse(name string, data []byte) (*Flow, error) {
	root, err := decode(name, data)
	if err != nil {
		return nil, err
	}
	p := &parser{name: name, declared: map[string]bool{}}
	f := p.flow(root)
	if err := p.err(); err != nil {
		return nil, err
	}
	return f, nil
}

// decode reads the file's single YAML document.
func decode(name string, data []byte) (*yaml.Node, error) {
	empty := fmt.Errorf("%s:1: the file is empty; expected the keys %s", name, strings.Join(topKeys, ", "))
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, empty
		}
		return nil, syntaxError(name, data, err)
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case err == nil:
		return nil, fmt.Errorf("%s:%d: a second YAML document starts here; a flows file is one document, remove the --- line", name, next.Line)
	case !errors.Is(err, io.EOF):
		return nil, syntaxError(name, data, err)
	}
	if len(doc.Content) == 0 {
		return nil, empty
	}
	root := doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return nil, empty
	}
	return root, nil
}

// syntaxError turns a YAML syntax error into "name:line: message". The YAML
// library leaves the line out of some messages; then it is the first line
// with which the file's beginning fails the same way.
func syntaxError(name string, data []byte, err error) error {
	if m := yamlLinePattern.FindStringSubmatch(err.Error()); m != nil {
		return fmt.Errorf("%s:%s: invalid YAML: %s", name, m[1], m[2])
	}
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	lines := bytes.SplitAfter(data, []byte("\n"))
	for n := 1; n <= len(lines); n++ {
		var doc yaml.Node
		prefix := bytes.Join(lines[:n], nil)
		if e := yaml.Unmarshal(prefix, &doc); e != nil && e.Error() == err.Error() {
			return fmt.Errorf("%s:%d: invalid YAML: %s", name, n, msg)
		}
	}
	return fmt.Errorf("%s: invalid YAML: %s", name, msg)
}

// parser collects every problem of one file with its line.
type parser struct {
	name     string
	problems []problem

	// languages are the valid entries of languages; languagesOK is false
	// when languages has a problem, so translations are not also reported
	// for languages the file meant to list.
	languages   []string
	languagesOK bool
	// blocksOK is false when blocks could not be read, so references to
	// blocks are not checked.
	blocksOK bool
	// declared holds every block ID written in the file, valid or not, so a
	// reference to a block with a bad ID is not reported a second time.
	declared map[string]bool
	gotos    []blockRef
}

type problem struct {
	line int
	msg  string
}

// blockRef is a goto to check once all blocks are known.
type blockRef struct {
	node *yaml.Node
	what string
}

// entry is a key of a mapping and its value.
type entry struct {
	key, value *yaml.Node
}

func (p *parser) report(n *yaml.Node, format string, args ...any) {
	p.problems = append(p.problems, problem{line: n.Line, msg: fmt.Sprintf(format, args...)})
}

// err joins the problems in line order, each reported once (a node shared
// through a YAML alias is checked wherever it is used).
func (p *parser) err() error {
	slices.SortStableFunc(p.problems, func(a, b problem) int { return cmp.Compare(a.line, b.line) })
	p.problems = slices.Compact(p.problems)
	errs := make([]error, 0, len(p.problems))
	for _, pr := range p.problems {
		errs = append(errs, fmt.Errorf("%s:%d: %s", p.name, pr.line, pr.msg))
	}
	return errors.Join(errs...)
}

func (p *parser) flow(root *yaml.Node) *Flow {
	top, ok := p.mapping(root, "the flows file", topKeys)
	if !ok {
		return nil
	}
	f := &Flow{blocks: map[string]*block{}}
	p.readLanguages(root, top["languages"])
	f.languages = p.languages
	f.defaultLanguage = p.readDefaultLanguage(top["default_language"])
	p.readBlocks(root, top["blocks"], f)
	f.start = p.readBlockRef(root, top["start"], "start", f)
	f.fallback = p.readBlockRef(root, top["fallback"], "fallback", f)
	if f.fallback == "" {
		f.fallback = f.start
	}
	if p.blocksOK {
		for _, g := range p.gotos {
			if id := g.node.Value; !f.Has(id) && !p.declared[id] {
				p.report(g.node, "%s: goto names block %q, which does not exist%s", g.what, id, suggest(id, blockIDs(f)))
			}
		}
	}
	return f
}

func (p *parser) readLanguages(root *yaml.Node, e entry) {
	if e.value == nil {
		p.report(root, "languages is missing: list the languages every text is written in, e.g. languages: [bg, en]")
		return
	}
	items, ok := p.sequence(e, "languages", "of language codes, e.g. [bg, en]")
	if !ok {
		return
	}
	if len(items) == 0 {
		p.report(e.value, "languages is empty; list at least one language code, e.g. [bg, en]")
		return
	}
	p.languagesOK = true
	for _, item := range items {
		lang, ok := p.scalar(item, "a language")
		switch {
		case !ok:
			p.languagesOK = false
		case !languagePattern.MatchString(lang):
			p.report(item, "language %q is not a lowercase two- or three-letter code such as bg or en", lang)
			p.languagesOK = false
		case slices.Contains(p.languages, lang):
			p.report(item, "language %q is listed twice", lang)
		default:
			p.languages = append(p.languages, lang)
		}
	}
}

func (p *parser) readDefaultLanguage(e entry) string {
	if e.value == nil {
		if len(p.languages) > 0 {
			return p.languages[0]
		}
		return ""
	}
	lang, ok := p.scalar(e.value, "default_language")
	switch {
	case !ok:
	case lang == "":
		p.report(e.value, "default_language is empty; name one of languages %s, or remove the line to use the first", p.languageList())
	case p.languagesOK && !slices.Contains(p.languages, lang):
		p.report(e.value, "default_language %q is not one of languages %s", lang, p.languageList())
	}
	return lang
}

func (p *parser) readBlocks(root *yaml.Node, e entry, f *Flow) {
	if e.value == nil {
		p.report(root, "blocks is missing: list the blocks, each starting with - id: <block id>")
		return
	}
	items, ok := p.sequence(e, "blocks", "of blocks, each starting with - id: <block id>")
	if !ok {
		return
	}
	if len(items) == 0 {
		p.report(e.value, "blocks is empty; add at least one block")
		return
	}
	p.blocksOK = true
	firstLine := map[string]int{}
	for i, item := range items {
		b, idNode := p.readBlock(item, i+1)
		if b == nil {
			continue
		}
		if line, dup := firstLine[b.id]; dup {
			p.report(idNode, "duplicate block id %q: first defined on line %d; every block needs its own id", b.id, line)
			continue
		}
		firstLine[b.id] = idNode.Line
		f.blocks[b.id] = b
		f.order = append(f.order, b)
	}
}

// readBlock reads one block; it returns nil when the block has no valid ID
// (its content is checked all the same).
func (p *parser) readBlock(n *yaml.Node, index int) (*block, *yaml.Node) {
	name := fmt.Sprintf("block %d", index)
	if id := peekID(n); id != "" {
		name = fmt.Sprintf("block %q", id)
	}
	fields, ok := p.mapping(n, name, blockKeys)
	if !ok {
		return nil, nil
	}
	id, valid := p.readBlockID(n, fields["id"], index)
	b := &block{id: id, line: n.Line}

	links, _ := p.sequence(fields["links"], "links of "+name, "of links, each with title and url")
	for i, item := range links {
		if l, ok := p.readLink(item, fmt.Sprintf("link %d of %s", i+1, name)); ok {
			b.links = append(b.links, l)
		}
	}
	buttons, _ := p.sequence(fields["buttons"], "buttons of "+name, "of buttons, each with title and goto or action")
	for i, item := range buttons {
		if btn, ok := p.readButton(item, fmt.Sprintf("button %d of %s", i+1, name)); ok {
			b.buttons = append(b.buttons, btn)
		}
	}

	textLimit, why := maxTextRunes, ""
	if len(links) > 0 {
		textLimit, why = maxTemplateTextRunes, " in a block with links (it is sent as a Messenger button template)"
	}
	if e := fields["text"]; e.value != nil {
		b.text = p.translations(e, "text of "+name, textLimit, why, chat.CheckText)
	}
	if e := fields["image"]; e.value != nil {
		b.image = p.readURL(e.value, "image of "+name, "https://example.com/images/welcome.jpg")
	}

	switch {
	case fields["text"].value == nil && fields["image"].value == nil:
		p.report(n, "%s has neither text nor image; give it at least one", name)
	case fields["text"].value == nil && len(links)+len(buttons) > 0:
		p.report(n, "%s has buttons or links but no text; Messenger shows buttons only with a text", name)
	}
	if len(buttons) > maxButtons {
		p.report(fields["buttons"].key, "%s has %d buttons; Messenger allows at most %d quick replies", name, len(buttons), maxButtons)
	}
	if len(links) > 0 && len(links)+len(buttons) > maxTemplateButtons {
		p.report(fields["links"].key, "%s has %d links and %d buttons; a block with links is sent as a Messenger button template, which holds at most %d links and buttons together",
			name, len(links), len(buttons), maxTemplateButtons)
	}
	if !valid {
		return nil, nil
	}
	return b, fields["id"].value
}

// peekID returns the id a block mapping gives, to name the block in messages
// before it is read; "" when there is none.
func peekID(n *yaml.Node) string {
	if n.Kind != yaml.MappingNode {
		return ""
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if value := resolve(n.Content[i+1]); n.Content[i].Value == "id" && value.Kind == yaml.ScalarNode && value.Tag != "!!null" {
			return value.Value
		}
	}
	return ""
}

// readBlockID returns the block's ID and whether it is valid.
func (p *parser) readBlockID(n *yaml.Node, e entry, index int) (string, bool) {
	if e.value == nil {
		p.report(n, "block %d has no id; start it with - id: <block id> (letters, digits, _ or -)", index)
		return "", false
	}
	id, ok := p.scalar(e.value, fmt.Sprintf("id of block %d", index))
	if !ok {
		return "", false
	}
	p.declared[id] = true
	switch {
	case id == "":
		p.report(e.value, "id of block %d is empty; give it letters, digits, _ or -", index)
		return "", false
	case !idPattern.MatchString(id):
		p.report(e.value, "block id %q is invalid: use only letters, digits, _ and -", id)
		return id, false
	}
	return id, true
}

func (p *parser) readLink(n *yaml.Node, what string) (link, bool) {
	fields, ok := p.mapping(n, what, linkKeys)
	if !ok {
		return link{}, false
	}
	var l link
	if e := fields["title"]; e.value == nil {
		p.report(n, "%s has no title; add title: {%s}", what, p.languageExample())
	} else {
		l.title = p.translations(e, "title of "+what, maxTitleRunes, "", chat.CheckTitle)
	}
	if e := fields["url"]; e.value == nil {
		p.report(n, "%s has no url; add url: https://...", what)
	} else {
		l.url = p.readURL(e.value, "url of "+what, "https://example.com/orders")
	}
	return l, true
}

func (p *parser) readButton(n *yaml.Node, what string) (button, bool) {
	fields, ok := p.mapping(n, what, buttonKeys)
	if !ok {
		return button{}, false
	}
	var btn button
	if e := fields["title"]; e.value == nil {
		p.report(n, "%s has no title; add title: {%s}", what, p.languageExample())
	} else {
		btn.title = p.translations(e, "title of "+what, maxTitleRunes, "", chat.CheckTitle)
	}
	goTo, action := fields["goto"], fields["action"]
	switch {
	case goTo.value == nil && action.value == nil:
		p.report(n, "%s has neither goto nor action; give it goto: <block id> or action: %s", what, ActionTalkToHuman)
	case goTo.value != nil && action.value != nil:
		p.report(n, "%s has both goto and action; keep only one", what)
	case goTo.value != nil:
		id, ok := p.scalar(goTo.value, "goto of "+what)
		switch {
		case !ok:
		case id == "":
			p.report(goTo.value, "goto of %s is empty; name the block the button leads to", what)
		default:
			btn.goTo = id
			p.gotos = append(p.gotos, blockRef{node: goTo.value, what: what})
		}
	default:
		act, ok := p.scalar(action.value, "action of "+what)
		if ok && act != ActionTalkToHuman {
			p.report(action.value, "unknown action %q in %s; the only action is %s", act, what, ActionTalkToHuman)
		}
		btn.action = act
	}
	return btn, true
}

// readBlockRef reads start or fallback, which name a block.
func (p *parser) readBlockRef(root *yaml.Node, e entry, key string, f *Flow) string {
	if e.value == nil {
		if key == "start" {
			p.report(root, "start is missing: name the block new customers see and the menu shows, e.g. start: welcome")
		}
		return ""
	}
	id, ok := p.scalar(e.value, key)
	switch {
	case !ok:
	case id == "":
		p.report(e.value, "%s is empty; name a block, e.g. %s: welcome", key, key)
	case p.blocksOK && !f.Has(id) && !p.declared[id]:
		p.report(e.value, "%s names block %q, which does not exist%s", key, id, suggest(id, blockIDs(f)))
	}
	return id
}

// translations reads a mapping of language to text, which must have every
// language of the flow and no other, each text at most limit characters.
func (p *parser) translations(e entry, what string, limit int, why string, check func(field, s string) error) map[string]string {
	n := e.value
	if n.Kind != yaml.MappingNode {
		p.report(n, "%s must give the text in each language, e.g. {%s}, not %s", what, p.languageExample(), describe(n))
		return nil
	}
	out := map[string]string{}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, value := n.Content[i], resolve(n.Content[i+1])
		lang := key.Value
		if line, dup := seen[lang]; dup {
			p.report(key, "%s has a second %s translation (first on line %d)", what, lang, line)
			continue
		}
		seen[lang] = key.Line
		if p.languagesOK && !slices.Contains(p.languages, lang) {
			p.report(key, "%s has a translation for %q, which is not one of languages %s%s", what, lang, p.languageList(), suggest(lang, p.languages))
			continue
		}
		text, ok := p.scalar(value, fmt.Sprintf("%s in %s", what, lang))
		if !ok {
			continue
		}
		text = strings.TrimSpace(text)
		if text == "" {
			p.report(value, "%s in %s is empty", what, lang)
			continue
		}
		if c := utf8.RuneCountInString(text); c > limit {
			p.report(value, "%s in %s is %d characters long; Messenger allows at most %d%s", what, lang, c, limit, why)
		} else if err := check(what, text); err != nil {
			p.report(value, "%s in %s %s", what, lang, checkProblem(err))
		}
		out[lang] = text
	}
	for _, lang := range p.languages {
		if _, ok := seen[lang]; !ok {
			p.report(e.key, "%s has no %s translation; every text needs all of languages %s", what, lang, p.languageList())
		}
	}
	return out
}

// readURL reads an absolute http(s) URL.
func (p *parser) readURL(n *yaml.Node, what, example string) string {
	raw, ok := p.scalar(n, what)
	if !ok {
		return ""
	}
	raw = strings.TrimSpace(raw)
	if raw == "" {
		p.report(n, "%s is empty; expected an absolute http(s) URL, e.g. %s", what, example)
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		p.report(n, "%s %q is not an absolute http(s) URL; expected e.g. %s", what, raw, example)
	} else if err := chat.CheckURL(what, raw); err != nil {
		p.report(n, "%s %s", what, checkProblem(err))
	}
	return raw
}

// checkProblem is what a chat check found wrong, without the field it names.
func checkProblem(err error) string {
	var fe *chat.FieldError
	if errors.As(err, &fe) {
		return fe.Problem
	}
	return err.Error()
}

// mapping returns the entries of a mapping by key, reporting keys not in
// known, repeated keys, and a node that is no mapping (then ok is false).
func (p *parser) mapping(n *yaml.Node, what string, known []string) (map[string]entry, bool) {
	if n.Kind != yaml.MappingNode {
		p.report(n, "%s must be a mapping with the keys %s, not %s", what, strings.Join(known, ", "), describe(n))
		return nil, false
	}
	out := map[string]entry{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, value := n.Content[i], resolve(n.Content[i+1])
		if !slices.Contains(known, key.Value) {
			p.report(key, "unknown key %q in %s%s; expected one of: %s", key.Value, what, suggest(key.Value, known), strings.Join(known, ", "))
			continue
		}
		if first, dup := out[key.Value]; dup {
			p.report(key, "key %q appears twice in %s (first on line %d)", key.Value, what, first.key.Line)
			continue
		}
		out[key.Value] = entry{key: key, value: value}
	}
	return out, true
}

// sequence returns the items of an optional list; ok is false when the entry
// is absent or no list (which is reported).
func (p *parser) sequence(e entry, what, expected string) ([]*yaml.Node, bool) {
	if e.value == nil {
		return nil, false
	}
	if e.value.Kind != yaml.SequenceNode {
		p.report(e.value, "%s must be a list %s, not %s", what, expected, describe(e.value))
		return nil, false
	}
	items := make([]*yaml.Node, len(e.value.Content))
	for i, item := range e.value.Content {
		items[i] = resolve(item)
	}
	return items, true
}

// scalar returns a single value ("" for an empty one); ok is false (and the
// problem reported) for a list or mapping.
func (p *parser) scalar(n *yaml.Node, what string) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		p.report(n, "%s must be a single value, not %s", what, describe(n))
		return "", false
	}
	if n.Tag == "!!null" {
		return "", true
	}
	return n.Value, true
}

func (p *parser) languageList() string {
	return "[" + strings.Join(p.languages, ", ") + "]"
}

func (p *parser) languageExample() string {
	langs := p.languages
	if len(langs) == 0 {
		langs = []string{"bg", "en"}
	}
	parts := make([]string, len(langs))
	for i, lang := range langs {
		parts[i] = lang + ": ..."
	}
	return strings.Join(parts, ", ")
}

// resolve follows YAML aliases (*name) to the node they stand for.
func resolve(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// describe names what a node is, for "must be ..., not ..." messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "an empty value"
		}
		return "the value " + strconv.Quote(n.Value)
	default:
		return "this"
	}
}

func blockIDs(f *Flow) []string {
	ids := make([]string, len(f.order))
	for i, b := range f.order {
		ids[i] = b.id
	}
	return ids
}

// suggest returns ` (did you mean "x"?)` for the candidate nearest to word,
// when it is near enough to be a likely typo, and "" otherwise.
func suggest(word string, candidates []string) string {
	best, bestDist := "", 3
	for _, c := range candidates {
		if d := distance(strings.ToLower(word), strings.ToLower(c)); d < bestDist && d < utf8.RuneCountInString(c) {
			best, bestDist = c, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// distance is the Levenshtein distance between a and b, in runes.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
