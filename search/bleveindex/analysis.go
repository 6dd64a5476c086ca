package bleveindex

import (
	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	unicodetokenizer "github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"
	"github.com/blevesearch/bleve/v2/registry"

	"github.com/handoff-chat/handoff/search/textanalysis"
)

// Analyzers and token filters this package registers with Bleve. The names
// are stored in index mappings: renaming one makes existing indexes
// unopenable.
const (
	// TextAnalyzer is for message text: unicode words, English possessive 's
	// removed, lower case, then StemFilter. No stop words are removed.
	TextAnalyzer = "handoff_text"
	// NameAnalyzer is for customer names: unicode words, lower case,
	// FoldFilter, then LatinFilter. No stemming.
	NameAnalyzer = "handoff_name"

	// StemFilter stems Cyrillic tokens with textanalysis.StemBulgarian and
	// all others with Bleve's English Snowball stemmer.
	StemFilter = "handoff_stem_bg_en"
	// FoldFilter lower-cases tokens and removes diacritics
	// (textanalysis.FoldDiacritics).
	FoldFilter = "handoff_fold"
	// LatinFilter adds, after each Cyrillic token and at its position, the
	// token's Latin spellings (textanalysis.LatinSpellings), so that Иван is
	// found by "ivan" and Мария by "mariya" and "maria".
	LatinFilter = "handoff_latin"
)

func init() {
	must(registry.RegisterTokenFilter(StemFilter, newStemFilter))
	must(registry.RegisterTokenFilter(FoldFilter, func(map[string]any, *registry.Cache) (analysis.TokenFilter, error) {
		return foldFilter{}, nil
	}))
	must(registry.RegisterTokenFilter(LatinFilter, func(map[string]any, *registry.Cache) (analysis.TokenFilter, error) {
		return latinFilter{}, nil
	}))
	must(registry.RegisterAnalyzer(TextAnalyzer, func(_ map[string]any, cache *registry.Cache) (analysis.Analyzer, error) {
		return buildAnalyzer(cache, en.PossessiveName, lowercase.Name, StemFilter)
	}))
	must(registry.RegisterAnalyzer(NameAnalyzer, func(_ map[string]any, cache *registry.Cache) (analysis.Analyzer, error) {
		return buildAnalyzer(cache, lowercase.Name, FoldFilter, LatinFilter)
	}))
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}

// buildAnalyzer chains the unicode tokenizer and the named token filters.
func buildAnalyzer(cache *registry.Cache, filters ...string) (analysis.Analyzer, error) {
	tokenizer, err := cache.TokenizerNamed(unicodetokenizer.Name)
	if err != nil {
		return nil, err
	}
	a := &analysis.DefaultAnalyzer{Tokenizer: tokenizer}
	for _, name := range filters {
		f, err := cache.TokenFilterNamed(name)
		if err != nil {
			return nil, err
		}
		a.TokenFilters = append(a.TokenFilters, f)
	}
	return a, nil
}

// stemFilter stems each token in its own language.
type stemFilter struct {
	english analysis.TokenFilter
}

func newStemFilter(_ map[string]any, cache *registry.Cache) (analysis.TokenFilter, error) {
	english, err := cache.TokenFilterNamed(en.SnowballStemmerName)
	if err != nil {
		return nil, err
	}
	return stemFilter{english: english}, nil
}

func (f stemFilter) Filter(input analysis.TokenStream) analysis.TokenStream {
	var other analysis.TokenStream
	for _, tok := range input {
		term := string(tok.Term)
		if textanalysis.IsCyrillic(term) {
			tok.Term = []byte(textanalysis.StemBulgarian(term))
		} else {
			other = append(other, tok)
		}
	}
	if len(other) > 0 {
		// The Snowball filter rewrites the terms of the tokens it is given.
		f.english.Filter(other)
	}
	return input
}

// foldFilter folds case and diacritics.
type foldFilter struct{}

func (foldFilter) Filter(input analysis.TokenStream) analysis.TokenStream {
	out := input[:0]
	for _, tok := range input {
		folded := textanalysis.FoldDiacritics(string(tok.Term))
		if folded == "" {
			continue
		}
		tok.Term = []byte(folded)
		out = append(out, tok)
	}
	return out
}

// latinFilter adds the Latin spellings of Cyrillic tokens.
type latinFilter struct{}

func (latinFilter) Filter(input analysis.TokenStream) analysis.TokenStream {
	out := make(analysis.TokenStream, 0, 2*len(input))
	for _, tok := range input {
		out = append(out, tok)
		term := string(tok.Term)
		if !textanalysis.IsCyrillic(term) {
			continue
		}
		for _, latin := range textanalysis.LatinSpellings(term) {
			if latin == term {
				continue
			}
			out = append(out, &analysis.Token{
				Start: tok.Start, End: tok.End, Term: []byte(latin),
				Position: tok.Position, Type: tok.Type, KeyWord: tok.KeyWord,
			})
		}
	}
	return out
}

// nameQueryAnalyzer is NameAnalyzer without the transliteration: both
// scripts are indexed, so a query word is looked up as typed.
var nameQueryAnalyzer = &analysis.DefaultAnalyzer{
	Tokenizer:    unicodetokenizer.NewUnicodeTokenizer(),
	TokenFilters: []analysis.TokenFilter{lowercase.NewLowerCaseFilter(), foldFilter{}},
}

// AnalyzeName splits a name query into the normalised words (lower case, no
// diacritics, split as NameAnalyzer splits names) that a name must contain
// as word prefixes: "Иван П" → [иван п], "José PÉ" → [jose pe]. Repeated
// words are given once; an empty or punctuation-only query gives none.
func AnalyzeName(s string) []string {
	var words []string
	seen := map[string]bool{}
	for _, tok := range nameQueryAnalyzer.Analyze([]byte(s)) {
		w := string(tok.Term)
		if w == "" || seen[w] {
			continue
		}
		seen[w] = true
		words = append(words, w)
	}
	return words
}
