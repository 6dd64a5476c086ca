package elasticsearch

import (
	"strings"
	"unicode"
)

// bgLatin is the Bulgarian streamlined system (the official transliteration
// of the 2009 Transliteration Act), plus a few letters of other Cyrillic
// alphabets so that Russian or Ukrainian names are not left untouched.
var bgLatin = map[rune]string{
	'а': "a", 'б': "b", 'в': "v", 'г': "g", 'д': "d", 'е': "e", 'ж': "zh",
	'з': "z", 'и': "i", 'й': "y", 'к': "k", 'л': "l", 'м': "m", 'н': "n",
	'о': "o", 'п': "p", 'р': "r", 'с': "s", 'т': "t", 'у': "u", 'ф': "f",
	'х': "h", 'ц': "ts", 'ч': "ch", 'ш': "sh", 'щ': "sht", 'ъ': "a", 'ь': "y",
	'ю': "yu", 'я': "ya",
	// Not Bulgarian.
	'ы': "y", 'э': "e", 'ё': "yo", 'і': "i", 'ї': "yi", 'є': "ye", 'ґ': "g",
}

// transliterate writes Cyrillic letters of s in Latin letters by the
// Bulgarian streamlined system; everything else is kept. Case is kept: an
// upper-case letter becomes "Zh", or "ZH" inside an upper-case word.
func transliterate(s string) string {
	return translit(s, false)
}

// latinForms returns the Latin spellings a Cyrillic name is found by: the
// letter-by-letter transliteration and, where it differs, the official
// spelling that writes a word-final "ия" as "ia" (Мария → Mariya, Maria).
func latinForms(s string) []string {
	plain := translit(s, false)
	official := translit(s, true)
	if official == plain {
		return []string{plain}
	}
	return []string{plain, official}
}

func translit(s string, finalIA bool) string {
	runes := []rune(s)
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(runes); i++ {
		r := runes[i]
		lower := unicode.ToLower(r)
		lat, ok := bgLatin[lower]
		if !ok {
			b.WriteRune(r)
			continue
		}
		if finalIA && lower == 'и' && i+1 < len(runes) && unicode.ToLower(runes[i+1]) == 'я' &&
			(i+2 == len(runes) || !unicode.IsLetter(runes[i+2])) {
			b.WriteString(withCase("i", runes, i))
			b.WriteString(withCase("a", runes, i+1))
			i++
			continue
		}
		b.WriteString(withCase(lat, runes, i))
	}
	return b.String()
}

// withCase gives lat the case of runes[i].
func withCase(lat string, runes []rune, i int) string {
	r := runes[i]
	if !unicode.IsUpper(r) {
		return lat
	}
	if len(lat) == 1 || upperWord(runes, i) {
		return strings.ToUpper(lat)
	}
	return strings.ToUpper(lat[:1]) + lat[1:]
}

// upperWord reports whether the upper-case letter at i stands in an
// upper-case word: its next letter, or failing one its previous letter, is
// upper-case too.
func upperWord(runes []rune, i int) bool {
	if i+1 < len(runes) && unicode.IsLetter(runes[i+1]) {
		return unicode.IsUpper(runes[i+1])
	}
	return i > 0 && unicode.IsUpper(runes[i-1])
}
