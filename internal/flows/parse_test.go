package flows_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/handoff-chat/handoff/internal/flows"
)

// head is a valid flow of one block, five lines long; cases add to it.
const head = `languages: [en]
start: a
blocks:
  - id: a
    text: {en: hi}
`

// buttons returns n button lines leading to block a.
func buttons(n int) string {
	var b strings.Builder
	b.WriteString("    buttons:\n")
	for i := range n {
		fmt.Fprintf(&b, "      - title: {en: \"Go %d\"}\n        goto: a\n", i+1)
	}
	return b.String()
}

// links returns n link lines.
func links(n int) string {
	var b strings.Builder
	b.WriteString("    links:\n")
	for i := range n {
		fmt.Fprintf(&b, "      - title: {en: \"Link %d\"}\n        url: https://example.com/%d\n", i+1, i+1)
	}
	return b.String()
}

// problems splits a Parse error into its messages.
func problems(err error) []string {
	var joined interface{ Unwrap() []error }
	if !errors.As(err, &joined) {
		return []string{err.Error()}
	}
	var out []string
	for _, e := range joined.Unwrap() {
		out = append(out, e.Error())
	}
	return out
}

func TestValidationErrors(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		line int
		// want are parts of the message on that line.
		want []string
		// count is how many problems the file has; 0 means 1.
		count int
	}{
		// The file as a whole.
		{"empty file", "", 1, []string{"the file is empty", "languages", "blocks"}, 0},
		{"control character in a text", "languages: [en]\nstart: a\nblocks:\n  - id: a\n    text: {en: \"hi\\a\"}\n", 5,
			[]string{`text of block "a" in en`, "control character"}, 0},
		{"zero-width text", "languages: [en]\nstart: a\nblocks:\n  - id: a\n    text: {en: \"\\u200b\"}\n", 5,
			[]string{`text of block "a" in en`, "blank"}, 0},
		{"line break in a title", head + "    buttons:\n      - title: {en: \"Go\\non\"}\n        goto: a\n", 7,
			[]string{"title of", "in en"}, 0},
		{"space in an image URL", head + "    image: https://x.example/a b.jpg\n", 6, []string{`image of block "a"`, "spaces"}, 0},
		{"only comments", "# flows come later\n", 1, []string{"the file is empty"}, 0},
		{"empty document", "---\n", 1, []string{"the file is empty"}, 0},
		{"tab indentation", "languages: [en]\nstart: a\nblocks:\n\t- id: a\n", 4, []string{"invalid YAML", "cannot start any token"}, 0},
		{"syntax error the library gives no line for", "languages: [en]\nstart: a: b\nblocks: []\n", 2, []string{"invalid YAML", "mapping values are not allowed"}, 0},
		{"second document", head + "---\nlanguages: [bg]\n", 6, []string{"second YAML document", "---"}, 0},
		{"not a mapping", "- languages\n- blocks\n", 1, []string{"the flows file must be a mapping", "not a list"}, 0},

		// Unknown and repeated keys.
		{"unknown top-level key", "languages: [en]\nstart: a\nblokcs:\n  - id: a\n    text: {en: hi}\n", 3,
			[]string{`unknown key "blokcs" in the flows file`, `did you mean "blocks"?`, "expected one of: languages, default_language, start, fallback, blocks"}, 2},
		{"unknown block key", head + "    imag: https://example.com/a.jpg\n", 6,
			[]string{`unknown key "imag" in block "a"`, `did you mean "image"?`}, 0},
		{"unknown button key", head + "    buttons:\n      - title: {en: Go}\n        goto: a\n        colour: red\n", 9,
			[]string{`unknown key "colour" in button 1 of block "a"`, "title, goto, action"}, 0},
		{"unknown link key", head + "    links:\n      - title: {en: Shop}\n        ulr: https://example.com\n", 8,
			[]string{`unknown key "ulr" in link 1 of block "a"`, `did you mean "url"?`}, 2},
		{"repeated key", "languages: [en]\nstart: a\nstart: b\nblocks:\n  - id: a\n    text: {en: hi}\n", 3,
			[]string{`key "start" appears twice in the flows file`, "first on line 2"}, 0},
		{"repeated translation", "languages: [en]\nstart: a\nblocks:\n  - id: a\n    text:\n      en: hi\n      en: hello\n", 7,
			[]string{`text of block "a" has a second en translation`, "first on line 6"}, 0},

		// Wrong YAML types.
		{"blocks as a mapping", "languages: [en]\nstart: a\nblocks:\n  a:\n    text: {en: hi}\n", 4,
			[]string{"blocks must be a list", "not a mapping"}, 0},
		{"text as a plain string", "languages: [en]\nstart: a\nblocks:\n  - id: a\n    text: hi\n", 5,
			[]string{`text of block "a" must give the text in each language`, "{en: ...}", `not the value "hi"`}, 0},
		{"languages as a string", "languages: en\nstart: a\nblocks:\n  - id: a\n    text: {en: hi}\n", 1,
			[]string{"languages must be a list", `not the value "en"`}, 0},
		{"button as a string", head + "    buttons:\n      - delivery\n", 7,
			[]string{`button 1 of block "a" must be a mapping with the keys title, goto, action`, `not the value "delivery"`}, 0},
		{"id as a list", "languages: [en]\nstart: b\nblocks:\n  - id: a\n    text: {en: hi}\n  - id: [b]\n    text: {en: hi}\n", 6,
			[]string{"id of block 2 must be a single value", "not a list"}, 2},

		// Block IDs.
		{"duplicate block id", head + "  - id: a\n    text: {en: again}\n", 6,
			[]string{`duplicate block id "a"`, "first defined on line 4"}, 0},
		{"block without id", head + "  - text: {en: no id}\n", 6, []string{"block 2 has no id"}, 0},
		{"empty block id", head + "  - id: \"\"\n    text: {en: hi}\n", 6, []string{"id of block 2 is empty"}, 0},
		{"invalid block id", head + "  - id: my block\n    text: {en: hi}\n", 6,
			[]string{`block id "my block" is invalid`, "letters, digits, _ and -"}, 0},

		// References to blocks.
		{"goto of an unknown block", "languages: [en]\nstart: delivery\nblocks:\n  - id: delivery\n    text: {en: hi}\n    buttons:\n      - title: {en: Go}\n        goto: delivry\n", 8,
			[]string{`button 1 of block "delivery": goto names block "delivry", which does not exist`, `did you mean "delivery"?`}, 0},
		{"start names an unknown block", "languages: [en]\nstart: b\nblocks:\n  - id: a\n    text: {en: hi}\n", 2,
			[]string{`start names block "b", which does not exist`}, 0},
		{"fallback names an unknown block", "languages: [en]\nstart: a\nfallback: sorry\nblocks:\n  - id: a\n    text: {en: hi}\n", 3,
			[]string{`fallback names block "sorry", which does not exist`}, 0},
		{"start missing", "languages: [en]\nblocks:\n  - id: a\n    text: {en: hi}\n", 1, []string{"start is missing", "start: welcome"}, 0},
		{"start empty", "languages: [en]\nstart:\nblocks:\n  - id: a\n    text: {en: hi}\n", 2, []string{"start is empty"}, 0},
		{"blocks missing", "languages: [en]\nstart: a\n", 1, []string{"blocks is missing"}, 0},
		{"blocks empty", "languages: [en]\nstart: a\nblocks: []\n", 3, []string{"blocks is empty"}, 0},

		// Buttons.
		{"button with neither goto nor action", head + "    buttons:\n      - title: {en: Go}\n", 7,
			[]string{`button 1 of block "a" has neither goto nor action`, "goto: <block id> or action: talk_to_human"}, 0},
		{"button with both goto and action", head + "    buttons:\n      - title: {en: Go}\n        goto: a\n        action: talk_to_human\n", 7,
			[]string{`button 1 of block "a" has both goto and action`}, 0},
		{"unknown action", head + "    buttons:\n      - title: {en: Go}\n        action: call_me\n", 8,
			[]string{`unknown action "call_me" in button 1 of block "a"`, "the only action is talk_to_human"}, 0},
		{"button without title", head + "    buttons:\n      - goto: a\n", 7, []string{`button 1 of block "a" has no title`}, 0},

		// Languages and translations.
		{"missing translation", "languages: [bg, en]\nstart: a\nblocks:\n  - id: a\n    text:\n      bg: здравей\n", 5,
			[]string{`text of block "a" has no en translation`, "languages [bg, en]"}, 0},
		{"missing title translation", "languages: [bg, en]\nstart: a\nblocks:\n  - id: a\n    text: {bg: здравей, en: hi}\n    buttons:\n      - title: {en: Again}\n        goto: a\n", 7,
			[]string{`title of button 1 of block "a" has no bg translation`}, 0},
		{"empty translation", "languages: [bg, en]\nstart: a\nblocks:\n  - id: a\n    text:\n      bg: здравей\n      en: \"  \"\n", 7,
			[]string{`text of block "a" in en is empty`}, 0},
		{"translation for an unlisted language", "languages: [en]\nstart: a\nblocks:\n  - id: a\n    text:\n      en: hi\n      de: hallo\n", 7,
			[]string{`text of block "a" has a translation for "de", which is not one of languages [en]`}, 0},
		{"misspelt language", "languages: [bg, en]\nstart: a\nblocks:\n  - id: a\n    text: {bg: здравей, en: hi}\n    links:\n      - title: {bg: Магазин, eng: Shop}\n        url: https://example.com\n", 7,
			[]string{`title of link 1 of block "a" has a translation for "eng"`, `did you mean "en"?`}, 2},
		{"languages empty", "languages: []\nstart: a\nblocks:\n  - id: a\n    text: {en: hi}\n", 1, []string{"languages is empty"}, 0},
		{"languages missing", "start: a\nblocks:\n  - id: a\n    text: {en: hi}\n", 1, []string{"languages is missing", "languages: [bg, en]"}, 0},
		{"language not a code", "languages: [BG, en]\nstart: a\nblocks:\n  - id: a\n    text: {en: hi}\n", 1,
			[]string{`language "BG" is not a lowercase two- or three-letter code`}, 0},
		{"language listed twice", "languages: [en, en]\nstart: a\nblocks:\n  - id: a\n    text: {en: hi}\n", 1,
			[]string{`language "en" is listed twice`}, 0},
		{"default language not listed", "languages: [en]\ndefault_language: bg\nstart: a\nblocks:\n  - id: a\n    text: {en: hi}\n", 2,
			[]string{`default_language "bg" is not one of languages [en]`}, 0},

		// Block content.
		{"neither text nor image", head + "  - id: b\n", 6, []string{`block "b" has neither text nor image`}, 0},
		{"buttons without text", head + "  - id: b\n    image: https://example.com/b.jpg\n    buttons:\n      - title: {en: Go}\n        goto: a\n", 6,
			[]string{`block "b" has buttons or links but no text`}, 0},
		{"image not http", head + "    image: ftp://example.com/a.jpg\n", 6,
			[]string{`image of block "a" "ftp://example.com/a.jpg" is not an absolute http(s) URL`}, 0},
		{"image without host", head + "    image: https:///a.jpg\n", 6, []string{"is not an absolute http(s) URL"}, 0},
		{"relative link URL", head + "    links:\n      - title: {en: Shop}\n        url: /shop\n", 8,
			[]string{`url of link 1 of block "a" "/shop" is not an absolute http(s) URL`}, 0},
		{"link without url", head + "    links:\n      - title: {en: Shop}\n", 7, []string{`link 1 of block "a" has no url`}, 0},

		// Messenger's limits.
		{"text too long", "languages: [en]\nstart: a\nblocks:\n  - id: a\n    text: {en: " + strings.Repeat("x", 2001) + "}\n", 5,
			[]string{`text of block "a" in en is 2001 characters long`, "at most 2000"}, 0},
		{"text too long for a block with links", "languages: [en]\nstart: a\nblocks:\n  - id: a\n    text: {en: " + strings.Repeat("ж", 641) + "}\n" + links(1), 5,
			[]string{"641 characters long", "at most 640 in a block with links"}, 0},
		{"button title too long", head + "    buttons:\n      - title: {en: Talk to a real human now}\n        action: talk_to_human\n", 7,
			[]string{`title of button 1 of block "a" in en is 24 characters long`, "at most 20"}, 0},
		{"link title too long", head + "    links:\n      - title: {en: Our whole catalogue online}\n        url: https://example.com\n", 7,
			[]string{`title of link 1 of block "a" in en is 26 characters long`, "at most 20"}, 0},
		{"too many buttons", head + buttons(14), 6, []string{`block "a" has 14 buttons`, "at most 13 quick replies"}, 0},
		{"too many links", head + links(4), 6, []string{`block "a" has 4 links and 0 buttons`, "at most 3 links and buttons together"}, 0},
		{"links and buttons over a template's three", head + links(1) + buttons(3), 6, []string{`block "a" has 1 links and 3 buttons`, "button template"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := flows.Parse("bad.yaml", []byte(tt.yaml))
			if err == nil {
				t.Fatal("parsed without an error")
			}
			if f != nil {
				t.Error("a flow came back with the error")
			}
			got := problems(err)
			if want := max(tt.count, 1); len(got) != want {
				t.Errorf("%d problems, want %d:\n%s", len(got), want, err)
			}
			prefix := fmt.Sprintf("bad.yaml:%d: ", tt.line)
			for _, p := range got {
				if !strings.HasPrefix(p, prefix) {
					continue
				}
				for _, w := range tt.want {
					if !strings.Contains(p, w) {
						t.Errorf("problem %q does not say %q", p, w)
					}
				}
				return
			}
			t.Errorf("no problem on line %d (want %q); got:\n%s", tt.line, tt.want, err)
		})
	}
}

func TestAllProblemsAreReportedInLineOrder(t *testing.T) {
	const data = `languages: [bg, en]
default_language: de
start: welcome
blocks:
  - id: welcome
    text: {bg: Здравейте}
    buttons:
      - title: {bg: Доставка, en: Delivery}
        goto: delivery
      - title: {bg: Човек, en: Human}
        action: human
`
	_, err := flows.Parse("shop.yaml", []byte(data))
	want := []string{
		`shop.yaml:2: default_language "de" is not one of languages [bg, en]`,
		`shop.yaml:6: text of block "welcome" has no en translation; every text needs all of languages [bg, en]`,
		`shop.yaml:9: button 1 of block "welcome": goto names block "delivery", which does not exist`,
		`shop.yaml:11: unknown action "human" in button 2 of block "welcome"; the only action is talk_to_human`,
	}
	if err == nil || strings.Join(problems(err), "\n") != strings.Join(want, "\n") {
		t.Errorf("errors:\n%v\nwant:\n%s", err, strings.Join(want, "\n"))
	}
}

// Values right at Messenger's limits load; characters are counted, not bytes.
func TestLimitsAreInclusive(t *testing.T) {
	title := strings.Repeat("б", 20)
	cases := map[string]string{
		"2000 characters":           "languages: [bg]\nstart: a\nblocks:\n  - id: a\n    text: {bg: " + strings.Repeat("ж", 2000) + "}\n",
		"640 characters with links": "languages: [bg]\nstart: a\nblocks:\n  - id: a\n    text: {bg: " + strings.Repeat("ж", 640) + "}\n" + strings.ReplaceAll(links(1), "en:", "bg:"),
		"20-character titles": "languages: [bg]\nstart: a\nblocks:\n  - id: a\n    text: {bg: здравей}\n" +
			"    links:\n      - title: {bg: " + title + "}\n        url: https://example.com\n" +
			"    buttons:\n      - title: {bg: " + title + "}\n        action: talk_to_human\n",
		"13 buttons": head + buttons(13),
		"3 links":    head + links(3),
	}
	for name, data := range cases {
		if _, err := flows.Parse("ok.yaml", []byte(data)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := flows.Load("testdata/no-such-file.yaml")
	if err == nil || !strings.Contains(err.Error(), "no-such-file.yaml") {
		t.Errorf("Load of a missing file: %v, want an error naming it", err)
	}
}
