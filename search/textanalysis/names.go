package textanalysis

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// latinSpecial are Latin letters that do not decompose into a base letter and
// a mark.
var latinSpecial = map[rune]string{
	'ß': "ss", 'ł': "l", 'ø': "o", 'æ': "ae", 'œ': "oe", 'đ': "d", 'ð': "d", 'þ': "th", 'ı': "i",
}

// FoldDiacritics lower-cases s and removes diacritics from Latin letters
// (José → jose, Müller → muller). Cyrillic letters are kept as they are, so й
// stays й; ё becomes е.
func FoldDiacritics(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r == 'ё':
			b.WriteRune('е')
		case latinSpecial[r] != "":
			b.WriteString(latinSpecial[r])
		case r > unicode.MaxASCII && unicode.Is(unicode.Latin, r):
			for _, d := range norm.NFD.String(string(r)) {
				if !unicode.Is(unicode.Mn, d) {
					b.WriteRune(d)
				}
			}
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// streamlined is the official Bulgarian transliteration (2009 law).
var streamlined = map[rune]string{
	'а': "a", 'б': "b", 'в': "v", 'г': "g", 'д': "d", 'е': "e", 'ж': "zh", 'з': "z", 'и': "i",
	'й': "y", 'к': "k", 'л': "l", 'м': "m", 'н': "n", 'о': "o", 'п': "p", 'р': "r", 'с': "s",
	'т': "t", 'у': "u", 'ф': "f", 'х': "h", 'ц': "ts", 'ч': "ch", 'ш': "sh", 'щ': "sht",
	'ъ': "a", 'ь': "y", 'ю': "yu", 'я': "ya", 'ё': "yo", 'э': "e", 'ы': "y",
}

// Transliterate writes Bulgarian Cyrillic in Latin letters with the official
// streamlined system, lower-cased (Иван Петров → ivan petrov). Other
// characters are kept.
func Transliterate(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if latin, ok := streamlined[r]; ok {
			b.WriteString(latin)
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}
