package askhuman_test

import (
	"testing"

	"github.com/handoff-chat/handoff/internal/askhuman"
)

func TestMatch(t *testing.T) {
	p, err := askhuman.New([]string{"оператор", "жив човек", "talk to a human", "real person"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		text string
		want bool
	}{
		{"оператор", true},
		{"Искам ОПЕРАТОР!", true},
		{"Може ли да говоря с оператора?", true},
		{"операторът не отговаря", true},
		{"Искам да пиша с жив човек, моля", true},
		{"Can I talk to a human, please?", true},
		{"TALK TO A HUMAN", true},
		{"talk   to\na human", true},
		{"I want a real person.", true},
		{"I want a real, person", true}, // punctuation between the words does not matter
		{"talk to human", false},        // a word of the phrase is missing
		{"a human to talk", false},      // wrong order
		{"кооператор", false},           // a word must start with the phrase's word
		{"Where is my order?", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := p.Match(tt.text); got != tt.want {
			t.Errorf("Match(%q) = %v, want %v", tt.text, got, tt.want)
		}
	}
}

func TestNoPhrasesMatchNothing(t *testing.T) {
	var nilPhrases *askhuman.Phrases
	if nilPhrases.Match("оператор") {
		t.Error("nil Phrases matched")
	}
	empty, err := askhuman.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	if empty.Match("talk to a human") {
		t.Error("an empty list matched")
	}
}

func TestNewRejectsPhrasesWithoutWords(t *testing.T) {
	_, err := askhuman.New([]string{"оператор", " ?! "})
	if err == nil {
		t.Fatal("New accepted a phrase with no words")
	}
	if want := `phrase 2 (" ?! ") has no letters or digits`; err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
}
