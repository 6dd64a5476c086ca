// Package textanalysis holds the language processing behind handoff's
// embedded search: a light Bulgarian stemmer, diacritic folding and Bulgarian
// transliteration. It is plain Go, independent of any search engine.
package textanalysis

import (
	"strings"
	"unicode"
)

// minStem is the fewest letters a stem keeps; a word is never cut shorter,
// and a stem must keep a vowel.
const minStem = 3

// StemBulgarian reduces a lower-cased Bulgarian word to a stem shared by its
// common forms. It is a light stemmer in the spirit of suffix-stripping
// stemmers for Bulgarian: it removes the longest known ending (definite
// article, plural, adjective or noun inflection, possibly combined), then
// evens out the few alternations that make forms of one word differ:
//
//   - the stem-final -ат is dropped, so -ата is read the same way whether it
//     is an article (доставк-ата) or part of the word (резултат-а, заплат-а);
//   - the plural -ища is dropped (пътища → път);
//   - я becomes е before a final н (замяна / замени);
//   - a fleeting е or ъ before a final н, л, р or ц is dropped
//     (безплатен / безплатна, месец / месеци, център / центрове);
//   - a final к becomes ц (хладилник / хладилници, знак / знаци);
//   - a final -лоз becomes -лог (каталог / каталози).
//
// Stems are search keys, not words:
//
//	доставка, доставката, доставки, доставките → доставц
//	телефон, телефона, телефонът, телефони, телефоните → телефон
//	плащане, плащането, плащания → плащан
//	безплатен, безплатна, безплатно, безплатни → безплатн
//
// Words of up to three letters, and words that are not Cyrillic, are
// returned unchanged.
func StemBulgarian(word string) string {
	w := []rune(word)
	if len(w) <= minStem {
		return word
	}
	w = stripEnding(w)
	w = normalize(w)
	return string(w)
}

// ending is one inflectional ending; when is an extra condition on the stem
// left after removing it.
type ending struct {
	suffix []rune
	when   func(stem []rune) bool
}

// endings are tried longest first; the first one whose removal leaves a
// valid stem is removed.
var endings = func() []ending {
	list := []struct {
		suffix string
		when   func([]rune) bool
	}{
		// Plural with article.
		{"овете", nil}, {"евете", nil},
		// -ия nouns (гаранция) and -ие nouns (решение) with article or in
		// the plural; adjectives in -ия(т).
		{"ията", nil}, {"иите", nil}, {"ието", nil},
		// Plural -ове / -еве (часове, крале́ве).
		{"ове", nil}, {"еве", nil},
		// Article after the ending: -а+та, -я+та, -о+то, -е+то, -и+те, and
		// the full masculine article of adjectives -ия+т.
		{"ата", nil}, {"ята", nil}, {"ото", nil}, {"ето", nil}, {"ите", nil}, {"ият", nil},
		// Neuter nouns in -ю (меню, менюто, менюта).
		{"юто", nil}, {"юта", nil},
		// Full masculine article (телефонът, учителят).
		{"ът", nil}, {"ят", nil},
		// Article -та of feminine nouns ending in a consonant: частта,
		// възможността, помощта (the stem ends in т or щ, so пакета and
		// кредита, which end in -а, are not cut here).
		{"та", func(stem []rune) bool { return endsIn(stem, "тщ") }},
		// -ия / -ии / -ие nouns, -ия adjectives (безплатния).
		{"ия", nil}, {"ии", nil}, {"ие", nil},
		// A final vowel: feminine -а/-я, the short masculine article -а/-я,
		// neuter -о/-е, plural -и, меню; and -й of нов случай.
		{"а", nil}, {"я", nil}, {"о", nil}, {"е", nil}, {"и", nil}, {"ю", nil},
		{"й", func(stem []rune) bool { return isVowel(stem[len(stem)-1]) }},
	}
	out := make([]ending, len(list))
	for i, e := range list {
		out[i] = ending{suffix: []rune(e.suffix), when: e.when}
	}
	return out
}()

func stripEnding(w []rune) []rune {
	for _, e := range endings {
		if !hasSuffix(w, e.suffix) {
			continue
		}
		stem := w[:len(w)-len(e.suffix)]
		if validStem(stem) && (e.when == nil || e.when(stem)) {
			return stem
		}
	}
	return w
}

// normalize evens out alternations at the end of a stem; see StemBulgarian.
func normalize(w []rune) []rune {
	n := len(w)
	// пътищ → път, училищ → учил.
	if n > 2 && hasSuffix(w, []rune("ищ")) && validStem(w[:n-2]) {
		w, n = w[:n-2], n-2
	}
	// резултат → резулт, заплат → запл: -ата is ambiguous between an
	// article and a stem in -ат, so -ат is never part of a stem.
	if n > 2 && hasSuffix(w, []rune("ат")) && validStem(w[:n-2]) {
		w, n = w[:n-2], n-2
	}
	// замян → замен (замяна / замени, смяна / смени).
	if n >= 4 && w[n-2] == 'я' && w[n-1] == 'н' && !isVowel(w[n-3]) {
		w = append(w[:n-2:n-2], 'е', 'н')
	}
	// Fleeting vowel: безплатен → безплатн, месец → месц, център → центр.
	if n >= 4 && (w[n-2] == 'е' || w[n-2] == 'ъ') && strings.ContainsRune("нлрц", w[n-1]) &&
		!isVowel(w[n-3]) && hasVowel(w[:n-2]) {
		w = append(w[:n-2:n-2], w[n-1])
		n--
	}
	// Palatalisation of the masculine plural: хладилник / хладилници.
	if n >= 4 && w[n-1] == 'к' {
		w = append(w[:n-1:n-1], 'ц')
	}
	// каталози → каталог.
	if n >= 5 && hasSuffix(w, []rune("лоз")) {
		w = append(w[:n-1:n-1], 'г')
	}
	return w
}

func validStem(stem []rune) bool { return len(stem) >= minStem && hasVowel(stem) }

func hasSuffix(w, suffix []rune) bool {
	if len(suffix) > len(w) {
		return false
	}
	tail := w[len(w)-len(suffix):]
	for i, r := range suffix {
		if tail[i] != r {
			return false
		}
	}
	return true
}

func endsIn(w []rune, letters string) bool {
	return len(w) > 0 && strings.ContainsRune(letters, w[len(w)-1])
}

// isVowel reports Bulgarian vowels (and the vowels of neighbouring Cyrillic
// alphabets, so that Russian words do not look vowel-less).
func isVowel(r rune) bool { return strings.ContainsRune("аеиоуъюяѝыэёіїє", r) }

func hasVowel(w []rune) bool {
	for _, r := range w {
		if isVowel(r) {
			return true
		}
	}
	return false
}

// IsCyrillic reports whether most letters of word are Cyrillic (at least as
// many as all other letters together, and at least one).
func IsCyrillic(word string) bool {
	cyr, other := 0, 0
	for _, r := range word {
		switch {
		case unicode.Is(unicode.Cyrillic, r):
			cyr++
		case unicode.IsLetter(r):
			other++
		}
	}
	return cyr > 0 && cyr >= other
}
