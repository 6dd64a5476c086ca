package bleveindex

import (
	"strings"
	"unicode"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	unicodetokenizer "github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"
	"github.com/blevesearch/bleve/v2/registry"

	"github.com/handoff-chat/handoff/search/textanalysis"
)

// Analyzers registered with Bleve by this package.
const (
	// TextAnalyzer splits message text into words, lower-cases them and stems
	// Cyrillic words with the Bulgarian stemmer and Latin ones with the English
	// Snowball stemmer, so word forms in either language find each other.
	TextAnalyzer = "handoff_text"
	// NameAnalyzer prepares customer names for search as you type: lower case,
	// no diacritics, and every Cyrillic word also in Latin transliteration.
	NameAnalyzer = "handoff_name"
)

func init() {
	for name, build := range map[string]func() analysis.Analyzer{
		TextAnalyzer: func() analysis.Analyzer {
			return &analysis.DefaultAnalyzer{
				Tokenizer: unicodetokenizer.NewUnicodeTokenizer(),
				TokenFilters: []analysis.TokenFilter{
					en.NewPossessiveFilter(), lowercase.NewLowerCaseFilter(), bilingualStemmer{english: en.NewEnglishStemmerFilter()},
				},
			}
		},
		NameAnalyzer: func() analysis.Analyzer {
			return &analysis.DefaultAnalyzer{
				Tokenizer:    unicodetokenizer.NewUnicodeTokenizer(),
				TokenFilters: []analysis.TokenFilter{nameFilter{}},
			}
		},
	} {
		if err := registry.RegisterAnalyzer(name, func(map[string]any, *registry.Cache) (analysis.Analyzer, error) {
			return build(), nil
		}); err != nil {
			panic(err)
		}
	}
}

// bilingualStemmer stems each token in its own language.
type bilingualStemmer struct {
	english analysis.TokenFilter
}

func (s bilingualStemmer) Filter(input analysis.TokenStream) analysis.TokenStream {
	for _, tok := range input {
		term := string(tok.Term)
		if textanalysis.IsCyrillic(term) {
			tok.Term = []byte(textanalysis.StemBulgarian(term))
		} else {
			s.english.Filter(analysis.TokenStream{tok})
		}
	}
	return input
}

// nameFilter folds each name word and adds, at the same position, its Latin
// transliteration when it is Cyrillic.
type nameFilter struct{}

func (nameFilter) Filter(input analysis.TokenStream) analysis.TokenStream {
	out := make(analysis.TokenStream, 0, 2*len(input))
	for _, tok := range input {
		folded := textanalysis.FoldDiacritics(string(tok.Term))
		tok.Term = []byte(folded)
		out = append(out, tok)
		if textanalysis.IsCyrillic(folded) {
			latin := *tok
			latin.Term = []byte(textanalysis.Transliterate(folded))
			out = append(out, &latin)
		}
	}
	return out
}

// AnalyzeName splits a name query into the folded words to match by prefix.
func AnalyzeName(query string) []string {
	return strings.FieldsFunc(textanalysis.FoldDiacritics(query), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
}
