package textanalysis

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// latinSpecial are letters that do not decompose into a base letter and
// combining marks, written the way ASCII folding usually writes them.
var latinSpecial = map[rune]string{
	'ß': "ss", 'ł': "l", 'ø': "o", 'æ': "ae", 'œ': "oe", 'đ': "d", 'ð': "d", 'þ': "th",
	'ı': "i", 'ħ': "h", 'ŧ': "t", 'ŀ': "l", 'ŋ': "n", 'ĸ': "k", 'ſ': "s", 'ƒ': "f",
	'ɨ': "i", 'ʉ': "u", 'ǥ': "g", 'ɍ': "r", 'ƀ': "b", 'ȼ': "c", 'ɇ': "e", 'ɉ': "j",
}

// breve is the combining mark of й (и + breve) and ў, the one Cyrillic mark
// that makes a different letter rather than an accent.
const breve = '\u0306'

// FoldDiacritics lower-cases s and removes diacritics: Latin letters become
// their ASCII base (José → jose, Müller → muller, Ștefan → stefan, Łódź →
// lodz, Straße → strasse), compatibility forms are unfolded (ﬁ → fi,
// full-width letters → ASCII). Cyrillic letters stay Cyrillic: й stays й,
// while accents on Cyrillic vowels go (ё → е, ѝ → и, stress marks).
func FoldDiacritics(s string) string {
	decomposed := norm.NFKD.String(strings.ToLower(s))
	var b strings.Builder
	b.Grow(len(decomposed))
	cyrillicBase := false
	for _, r := range decomposed {
		if unicode.Is(unicode.Mn, r) {
			if r == breve && cyrillicBase {
				b.WriteRune(r)
			}
			continue
		}
		cyrillicBase = unicode.Is(unicode.Cyrillic, r)
		if latin, ok := latinSpecial[r]; ok {
			b.WriteString(latin)
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	// Recompose what was kept (и + breve → й).
	return norm.NFC.String(b.String())
}

// streamlined is the Bulgarian streamlined system, the official
// transliteration of the 2009 Transliteration Act, plus a few letters of
// other Cyrillic alphabets so that Russian or Ukrainian names are not left
// in Cyrillic.
var streamlined = map[rune]string{
	'а': "a", 'б': "b", 'в': "v", 'г': "g", 'д': "d", 'е': "e", 'ж': "zh", 'з': "z", 'и': "i",
	'й': "y", 'к': "k", 'л': "l", 'м': "m", 'н': "n", 'о': "o", 'п': "p", 'р': "r", 'с': "s",
	'т': "t", 'у': "u", 'ф': "f", 'х': "h", 'ц': "ts", 'ч': "ch", 'ш': "sh", 'щ': "sht",
	'ъ': "a", 'ь': "y", 'ю': "yu", 'я': "ya",
	// Not Bulgarian letters, or accented forms of them.
	'ѝ': "i", 'ѐ': "e", 'ё': "yo", 'э': "e", 'ы': "y", 'і': "i", 'ї': "yi", 'є': "ye",
	'ґ': "g", 'ў': "u", 'ј': "j", 'љ': "lj", 'њ': "nj", 'ћ': "c", 'ђ': "dj", 'џ': "dz",
	'ѓ': "gj", 'ќ': "kj", 'ѕ': "dz",
}

// Transliterate writes s in Latin letters by the Bulgarian streamlined
// system, letter by letter, lower-cased: Иван Петров → ivan petrov, Щерев →
// shterev, Юлия → yuliya. Characters that are not Cyrillic are only
// lower-cased.
func Transliterate(s string) string {
	return transliterate(s, false)
}

// LatinSpellings returns the Latin spellings a Cyrillic word or name is
// found by: the letter-by-letter Transliterate and, where it differs, the
// spelling of the law that writes a word-final -ия as -ia (Мария → mariya,
// maria; София → sofiya, sofia).
func LatinSpellings(s string) []string {
	plain := transliterate(s, false)
	official := transliterate(s, true)
	if official == plain {
		return []string{plain}
	}
	return []string{plain, official}
}

func transliterate(s string, finalIA bool) string {
	runes := []rune(norm.NFC.String(strings.ToLower(s)))
	var b strings.Builder
	b.Grow(2 * len(runes))
	for i := 0; i < len(runes); i++ {
		r := runes[i]
		if finalIA && r == 'и' && i+1 < len(runes) && runes[i+1] == 'я' &&
			(i+2 == len(runes) || !unicode.IsLetter(runes[i+2])) {
			b.WriteString("ia")
			i++
			continue
		}
		if latin, ok := streamlined[r]; ok {
			b.WriteString(latin)
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}
