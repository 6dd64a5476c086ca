// Package textanalysis holds the language processing behind handoff's
// embedded search: a light Bulgarian stemmer, diacritic folding and Bulgarian
// transliteration. It is plain Go, independent of any search engine.
package textanalysis

import (
	"strings"
	"unicode"
)

// minStem is the fewest letters a stem keeps; shorter words are left alone.
const minStem = 3

// StemBulgarian reduces a lower-cased Bulgarian word to a stem shared by its
// common forms: it strips the definite article, then one plural or
// inflectional ending, then a final vowel. It is deliberately light: it never
// cuts a word below three letters and does not undo consonant alternations
// (хладилник / хладилници keep different stems).
//
//	доставка, доставката, доставки, доставките → доставк
//	телефон, телефона, телефонът, телефони, телефоните → телефон
//	плащане, плащането, плащания → плащан
func StemBulgarian(word string) string {
	w := []rune(word)
	w = stripArticle(w)
	w = stripInflection(w)
	return string(w)
}

func hasSuffix(w []rune, suffix string) bool {
	return strings.HasSuffix(string(w), suffix)
}

// cut removes n runes when at least minStem remain.
func cut(w []rune, n int) ([]rune, bool) {
	if len(w)-n < minStem {
		return w, false
	}
	return w[:len(w)-n], true
}

func endsIn(w []rune, letters string) bool {
	return len(w) > 0 && strings.ContainsRune(letters, w[len(w)-1])
}

// stripArticle removes the definite article: -ът/-ят (full masculine), -та
// after a feminine -а/-я, -то after a neuter vowel, -те after a plural -и/-е,
// and -ият of masculine adjectives.
func stripArticle(w []rune) []rune {
	switch {
	case hasSuffix(w, "ият"):
		if r, ok := cut(w, 3); ok {
			return r
		}
	case hasSuffix(w, "ът"), hasSuffix(w, "ят"):
		if r, ok := cut(w, 2); ok {
			return r
		}
	case hasSuffix(w, "та"):
		if r, ok := cut(w, 2); ok && endsIn(r, "ая") {
			return r
		}
	case hasSuffix(w, "то"):
		if r, ok := cut(w, 2); ok && endsIn(r, "еоиу") {
			return r
		}
	case hasSuffix(w, "те"):
		if r, ok := cut(w, 2); ok && endsIn(r, "ие") {
			return r
		}
	}
	return w
}

// stripInflection removes one ending: plural -ове/-еве, -ия/-ии of nouns
// in -ия, the fleeting е of adjectives in -ен (безплатен / безплатна), or a
// final vowel.
func stripInflection(w []rune) []rune {
	for _, suffix := range []string{"ове", "еве", "ия", "ии", "ие"} {
		if hasSuffix(w, suffix) {
			if r, ok := cut(w, len([]rune(suffix))); ok {
				return r
			}
		}
	}
	if len(w) >= 7 && hasSuffix(w, "ен") && !isVowel(w[len(w)-3]) {
		return append(w[:len(w)-2:len(w)-2], 'н')
	}
	if endsIn(w, "аеиоуъяю") {
		if r, ok := cut(w, 1); ok {
			return r
		}
	}
	return w
}

func isVowel(r rune) bool { return strings.ContainsRune("аеиоуъюя", r) }

// IsCyrillic reports whether most letters of word are Cyrillic.
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
