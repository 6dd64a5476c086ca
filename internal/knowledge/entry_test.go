package knowledge

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDecodeTheSharedExample(t *testing.T) {
	f, err := os.Open(filepath.Join("..", "..", "..", "shared", "faq", "kb.json"))
	if err != nil {
		t.Skip("the shared FAQ data is not beside the repository:", err)
	}
	defer f.Close()
	entries, err := Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) == 0 || entries[0].ID == "" || entries[0].Answer == "" {
		t.Fatalf("decoded %d entries: %+v", len(entries), entries)
	}
}

func TestDecodeNamesTheProblem(t *testing.T) {
	cases := []struct{ name, json, want string }{
		{"not an array", `{"id": "a"}`, "not a JSON array"},
		{"unknown field", `[{"id":"a","lang":"en","question":"q?","answer":"a","colour":"red"}]`, "colour"},
		{"bad id", `[{"id":"a b","lang":"en","question":"q?","answer":"a"}]`, "id"},
		{"no answer", `[{"id":"a","lang":"en","question":"q?","answer":""}]`, "answer"},
		{"duplicate id", `[{"id":"a","lang":"en","question":"q?","answer":"x"},{"id":"a","lang":"en","question":"r?","answer":"y"}]`, "entry 2: id"},
		{"bad language", `[{"id":"a","lang":"English","question":"q?","answer":"x"}]`, "lang"},
		{"bad link", `[{"id":"a","lang":"en","question":"q?","answer":"x","links":[{"title":"Shop","url":"ftp://x"}]}]`, "links[0].url"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Decode(strings.NewReader(c.json))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Decode error %v, want one naming %q", err, c.want)
			}
		})
	}
}

func TestAnswerIn(t *testing.T) {
	e := Entry{ID: "a", Lang: "bg", Answer: "Да", Translations: map[string]Translation{"en": {Question: "Q?", Answer: "Yes"}}}
	if a, l := e.AnswerIn("en"); a != "Yes" || l != "en" {
		t.Errorf("AnswerIn(en) = %q %q", a, l)
	}
	if a, l := e.AnswerIn("de"); a != "Да" || l != "bg" {
		t.Errorf("AnswerIn(de) = %q %q", a, l)
	}
}
