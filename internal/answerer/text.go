package answerer

import (
	"strings"
	"unicode"

	"github.com/handoff-chat/handoff/search/textanalysis"
)

// token is one word of a text in the forms the answerer matches it by.
type token struct {
	raw    string   // lower-cased, diacritics folded
	latin  bool     // written in Latin letters
	number bool     // only digits
	cyr    []string // Cyrillic readings: the word itself, or readings of a Latin spelling
	keys   []string // matching keys: Bulgarian stems ("b:") and English stems ("e:")
	stop   bool
}

// tokenize splits text into words and computes their readings and keys.
func tokenize(text string) []token {
	text = textanalysis.FoldDiacritics(text)
	var out []token
	for _, w := range strings.FieldsFunc(text, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '\'' && r != '’'
	}) {
		w = strings.Trim(strings.ReplaceAll(w, "’", "'"), "'")
		if w == "" {
			continue
		}
		out = append(out, makeToken(w))
	}
	return out
}

func makeToken(w string) token {
	t := token{raw: w}
	letters := 0
	for _, r := range w {
		if unicode.IsLetter(r) {
			letters++
		}
	}
	if letters == 0 {
		t.number = true
		t.keys = []string{"n:" + w}
		t.stop = true
		return t
	}
	if textanalysis.IsCyrillic(w) {
		w = homoglyphs.Replace(w)
		t.raw = w
		t.cyr = []string{w}
		t.keys = []string{bgKey(w)}
		t.stop = bgStop[w]
		return t
	}
	t.latin = true
	en := strings.TrimSuffix(strings.TrimSuffix(w, "'s"), "'")
	t.cyr = cyrillicReadings(en)
	t.keys = []string{"e:" + stemEnglish(strings.ReplaceAll(en, "'", "")), bgKey(t.cyr[0])}
	t.stop = enStop[w] || enStop[en]
	for _, c := range t.cyr {
		t.stop = t.stop || bgStop[c]
	}
	return t
}

// homoglyphs are Latin letters that look like Cyrillic ones, typed by mistake
// in a Cyrillic word ("mога").
var homoglyphs = strings.NewReplacer("a", "а", "e", "е", "o", "о", "p", "р", "c", "с", "x", "х", "y", "у", "k", "к", "m", "м", "t", "т", "h", "н", "b", "в")

// bgKey is the matching key of a Cyrillic word: its stem, with ъ and а (which
// Latin spellings do not tell apart) and й and и merged.
func bgKey(w string) string {
	s := textanalysis.StemBulgarian(w)
	s = strings.NewReplacer("ъ", "а", "й", "и", "ь", "и", "ѝ", "и").Replace(s)
	return "b:" + s
}

// latinToCyrillic are the ways Bulgarian is written in Latin letters, longest
// first: the official transliteration, the informal "chat" spellings (4 for
// ч, 6 for ш, q for я, w for в, j for ж) and common English-style digraphs.
var latinToCyrillic = []struct{ latin, cyr string }{
	{"sht", "щ"}, {"zh", "ж"}, {"ch", "ч"}, {"sh", "ш"}, {"ya", "я"}, {"yu", "ю"},
	{"iu", "ю"}, {"ts", "ц"}, {"tz", "ц"}, {"ck", "к"}, {"ph", "ф"},
	{"a", "а"}, {"b", "б"}, {"c", "ц"}, {"d", "д"}, {"e", "е"}, {"f", "ф"}, {"g", "г"},
	{"h", "х"}, {"i", "и"}, {"j", "ж"}, {"k", "к"}, {"l", "л"}, {"m", "м"}, {"n", "н"},
	{"o", "о"}, {"p", "п"}, {"q", "я"}, {"r", "р"}, {"s", "с"}, {"t", "т"}, {"u", "у"},
	{"v", "в"}, {"w", "в"}, {"x", "кс"}, {"y", "й"}, {"z", "з"}, {"4", "ч"}, {"6", "ш"},
	{"'", ""},
}

// cyrillicReadings reads a Latin-script word as Bulgarian. The first reading
// is the plain one; the others write one a or u as ъ, which Latin spellings
// use for it (varna / върна, sus / със).
func cyrillicReadings(w string) []string {
	var b strings.Builder
	var vowelsAt []int // rune offsets of a and u in the reading
	n := 0
	for i := 0; i < len(w); {
		matched := false
		for _, m := range latinToCyrillic {
			if strings.HasPrefix(w[i:], m.latin) {
				if m.latin == "a" || m.latin == "u" {
					vowelsAt = append(vowelsAt, n)
				}
				b.WriteString(m.cyr)
				n += len([]rune(m.cyr))
				i += len(m.latin)
				matched = true
				break
			}
		}
		if !matched {
			r := []rune(w[i:])[0]
			b.WriteRune(r)
			n++
			i += len(string(r))
		}
	}
	plain := b.String()
	// A final -ia is -ия (sofia, garancia).
	if strings.HasSuffix(plain, "иа") {
		plain = strings.TrimSuffix(plain, "иа") + "ия"
	}
	out := []string{plain}
	runes := []rune(plain)
	for k, at := range vowelsAt {
		if k >= 3 || at >= len(runes) || at == 0 {
			continue
		}
		alt := append([]rune(nil), runes...)
		alt[at] = 'ъ'
		out = append(out, string(alt))
	}
	return out
}

// stemEnglish is a light English stemmer: plural, -ing, -ed, -ly.
func stemEnglish(w string) string {
	if len(w) <= 3 {
		return w
	}
	for _, s := range []struct{ suf, rep string }{
		{"ies", "y"}, {"sses", "ss"}, {"ing", ""}, {"ied", "y"}, {"ed", ""}, {"ly", ""}, {"es", ""}, {"s", ""},
	} {
		if strings.HasSuffix(w, s.suf) && len(w)-len(s.suf) >= 3 {
			if s.suf == "s" && strings.HasSuffix(w, "ss") {
				return w
			}
			if s.suf == "es" && !strings.HasSuffix(w, "ches") && !strings.HasSuffix(w, "shes") && !strings.HasSuffix(w, "xes") && !strings.HasSuffix(w, "ses") {
				return strings.TrimSuffix(w, "s")
			}
			return w[:len(w)-len(s.suf)] + s.rep
		}
	}
	return w
}

// osa is the optimal-string-alignment edit distance of a and b (insertions,
// deletions, substitutions and transpositions of adjacent letters), or
// limit+1 when it exceeds limit.
func osa(a, b []rune, limit int) int {
	if d := len(a) - len(b); d > limit || -d > limit {
		return limit + 1
	}
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			v := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				v = min(v, prev2[j-2]+1)
			}
			cur[j] = v
			rowMin = min(rowMin, v)
		}
		if rowMin > limit {
			return limit + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}

// deletes1 are the strings made by removing one rune from s.
func deletes1(s string) []string {
	r := []rune(s)
	out := make([]string, 0, len(r))
	for i := range r {
		out = append(out, string(r[:i])+string(r[i+1:]))
	}
	return out
}

func setOf(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

var bgStop = setOf(strings.Fields(`
и в във на за с със от до по при към като че да не ли ще се си ми ме ви ни го я ги му й им е са съм сме сте
бъде беше бил била били а но или ако тоя този това тази тези те той тя то аз ти вие ние мой моя мое мои моят
ваш ваша ваше ваши вашия вашата какво как къде кога колко кой коя кое кои какъв каква какви защо може мога
можем можете можеш има имате имам имаш искам искаме трябва още вече също много само тук там сега ей ами
ли нещо някой някакъв би бих бихте ето ок окей през след преди без над под пак така тогава някъде
`)...)

var enStop = setOf(strings.Fields(`
a an the and or but if of to in on at by for with from as is are was were be been being am do does did
i me my mine you your yours we us our they them their it its this that these those he she his her
can could will would should shall may might must have has had not no yes so than then there here
what which who whom when where why how about into over under up out just any some all also very too
please pls hi hello hey im i'm don't dont can't cant it's its get got
`)...)
