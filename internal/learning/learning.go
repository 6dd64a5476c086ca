// Package learning groups the questions the AI declined to answer by how
// alike they are, so staff see which questions customers ask most that the
// knowledge base does not answer.
package learning

import (
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/handoff-chat/handoff/search/textanalysis"
)

// Defaults.
const (
	// DefaultThreshold is the Jaccard similarity of two questions' words at
	// or above which they are one group.
	DefaultThreshold = 0.5
	// MaxExamples is how many questions each group shows.
	MaxExamples = 5
	// prefixLen is how many letters of a stemmed, transliterated word are
	// compared, so that word forms the stemmer leaves apart (Latin-script
	// Bulgarian, English plurals) still meet.
	prefixLen = 5
)

// Question is one declined customer question.
type Question struct {
	Text           string
	At             time.Time
	ConversationID string
}

// Example is one question of a group.
type Example struct {
	Text           string    `json:"text"`
	At             time.Time `json:"at"`
	ConversationID string    `json:"conversation_id"`
}

// Group is questions alike enough to be one. Question is the group's most
// recent wording; Examples are up to MaxExamples of them, newest first.
type Group struct {
	Question    string    `json:"question"`
	Count       int       `json:"count"`
	LastAskedAt time.Time `json:"last_asked_at"`
	Examples    []Example `json:"examples"`
	words       map[string]bool
}

// stopWords are words too common to say what a question is about.
var stopWords = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`
		the and for you your are can how what when where which who why does did have has with this that there from not but
		would could should will shall may might about into our any some just also please hello thanks thank
		как кога къде какво каква какви кой коя кое кои колко защо има имате може можете мога ако или при към след
		във със тук там това този тази тези моля здравейте благодаря още само вие ние той тя
		kak koga kade kolko kakvo kakva imate mozhe mojete moga ili tova tozi tazi molya mola zdraveite blagodarya`) {
		stopWords[w] = true
	}
}

// Words are the normalized words of a text: lower case, diacritics folded,
// Cyrillic words stemmed (textanalysis.StemBulgarian) and written in Latin
// letters (textanalysis.Transliterate), a plural s taken off Latin words, every word cut to its first five
// letters; words of fewer than three letters and common function words are
// left out.
func Words(text string) map[string]bool {
	out := map[string]bool{}
	fields := strings.FieldsFunc(textanalysis.FoldDiacritics(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
	for _, w := range fields {
		if len([]rune(w)) < 3 {
			continue
		}
		cyrillic := textanalysis.IsCyrillic(w)
		if stopWords[w] || (cyrillic && stopWords[textanalysis.Transliterate(w)]) {
			continue
		}
		if cyrillic {
			w = textanalysis.Transliterate(textanalysis.StemBulgarian(w))
		} else if len(w) > 3 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") {
			w = strings.TrimSuffix(w, "s")
		}
		if r := []rune(w); len(r) > prefixLen {
			w = string(r[:prefixLen])
		}
		out[w] = true
	}
	return out
}

// Similarity is the Jaccard similarity of two sets of words: 1 for two
// empty sets.
func Similarity(a, b map[string]bool) float64 {
	if len(a) == 0 && len(b) == 0 {
		return 1
	}
	common := 0
	for w := range a {
		if b[w] {
			common++
		}
	}
	return float64(common) / float64(len(a)+len(b)-common)
}

// GroupQuestions groups questions whose words are at least threshold alike
// (DefaultThreshold when threshold <= 0): each question, newest first, joins
// the group whose first (newest) question it is most alike, or starts one.
// Questions with no words to compare group by their folded text. Groups
// come most asked first, then most recently asked.
func GroupQuestions(questions []Question, threshold float64) []Group {
	if threshold <= 0 {
		threshold = DefaultThreshold
	}
	qs := slices.Clone(questions)
	slices.SortStableFunc(qs, func(a, b Question) int { return b.At.Compare(a.At) })
	var groups []*Group
	byText := map[string]*Group{}
	for _, q := range qs {
		words := Words(q.Text)
		var best *Group
		if len(words) == 0 {
			best = byText[foldedText(q.Text)]
		} else {
			bestScore := 0.0
			for _, g := range groups {
				if len(g.words) == 0 {
					continue
				}
				if s := Similarity(words, g.words); s >= threshold && s > bestScore {
					best, bestScore = g, s
				}
			}
		}
		if best == nil {
			best = &Group{Question: q.Text, LastAskedAt: q.At, words: words}
			groups = append(groups, best)
			if len(words) == 0 {
				byText[foldedText(q.Text)] = best
			}
		}
		best.Count++
		if len(best.Examples) < MaxExamples {
			best.Examples = append(best.Examples, Example(q))
		}
	}
	out := make([]Group, 0, len(groups))
	for _, g := range groups {
		out = append(out, *g)
	}
	slices.SortStableFunc(out, func(a, b Group) int {
		if a.Count != b.Count {
			return b.Count - a.Count
		}
		return b.LastAskedAt.Compare(a.LastAskedAt)
	})
	return out
}

func foldedText(s string) string {
	return strings.Join(strings.Fields(textanalysis.FoldDiacritics(s)), " ")
}
