// Package askhuman recognises a customer asking for a human in their own
// words ("оператор", "talk to a human"), from a configured list of phrases.
//
// Matching ignores case and punctuation and works word by word: a message
// matches a phrase when it contains the phrase's words in order, next to each
// other, where each message word starts with the phrase word. So "оператор"
// also matches "оператора" and "операторът" (Bulgarian inflects nouns), and
// "talk to a human" matches "Can I talk to a human, please?". A phrase of one
// short word matches too much ("human" matches "humanity"), so the default
// list prefers longer words and whole expressions.
package askhuman

import (
	"fmt"
	"strings"
	"unicode"
)

// Phrases is a compiled list of phrases. The zero value and nil match nothing.
type Phrases struct {
	phrases [][]string
}

// New compiles phrases. A phrase with no letters or digits is an error,
// because it could never match.
func New(phrases []string) (*Phrases, error) {
	p := &Phrases{}
	for i, phrase := range phrases {
		words := words(phrase)
		if len(words) == 0 {
			return nil, fmt.Errorf("phrase %d (%q) has no letters or digits", i+1, phrase)
		}
		p.phrases = append(p.phrases, words)
	}
	return p, nil
}

// Match reports whether text contains one of the phrases.
func (p *Phrases) Match(text string) bool {
	if p == nil || len(p.phrases) == 0 {
		return false
	}
	message := words(text)
	for _, phrase := range p.phrases {
		if containsPhrase(message, phrase) {
			return true
		}
	}
	return false
}

func containsPhrase(message, phrase []string) bool {
	for start := 0; start+len(phrase) <= len(message); start++ {
		matched := true
		for i, word := range phrase {
			if !strings.HasPrefix(message[start+i], word) {
				matched = false
				break
			}
		}
		if matched {
			return true
		}
	}
	return false
}

// words splits text into lower-case words of letters and digits.
func words(text string) []string {
	return strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
}
