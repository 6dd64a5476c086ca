package bleveindex_test

import (
	"slices"
	"testing"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/registry"
	"github.com/blevesearch/bleve/v2/search/query"

	"github.com/handoff-chat/handoff/search/bleveindex"
	"github.com/handoff-chat/handoff/search/textanalysis"
)

func analyzer(t *testing.T, name string) analysis.Analyzer {
	t.Helper()
	a, err := registry.NewCache().AnalyzerNamed(name)
	if err != nil {
		t.Fatalf("analyzer %s: %v", name, err)
	}
	return a
}

type term struct {
	Term     string
	Position int
}

func terms(a analysis.Analyzer, text string) []term {
	var out []term
	for _, tok := range a.Analyze([]byte(text)) {
		out = append(out, term{string(tok.Term), tok.Position})
	}
	return out
}

func TestTextAnalyzerTerms(t *testing.T) {
	a := analyzer(t, bleveindex.TextAnalyzer)
	for text, want := range map[string][]term{
		"Доставката закъснява": {{"доставц", 1}, {textanalysis.StemBulgarian("закъснява"), 2}},
		"ДОСТАВКИ и доставки":  {{"доставц", 1}, {"и", 2}, {"доставц", 3}},
		"Deliveries are late":  {{"deliveri", 1}, {"are", 2}, {"late", 3}},
		"Peter's order":        {{"peter", 1}, {"order", 2}},
		// No stop words: every word is kept.
		"the warranty is two years": {{"the", 1}, {"warranti", 2}, {"is", 3}, {"two", 4}, {"year", 5}},
		// Each word in its own language, in order.
		"Моят iPhone 15 не се зарежда": {
			{textanalysis.StemBulgarian("моят"), 1}, {"iphon", 2}, {"15", 3}, {"не", 4}, {"се", 5},
			{textanalysis.StemBulgarian("зарежда"), 6},
		},
	} {
		if got := terms(a, text); !slices.Equal(got, want) {
			t.Errorf("%s analyses %q to %v, want %v", bleveindex.TextAnalyzer, text, got, want)
		}
	}
}

// Cyrillic words get only the Bulgarian stemmer: an English rule such as
// cutting a final -s, -ed or -ing is never applied to them, and their stems
// are exactly StemBulgarian's.
func TestTextAnalyzerLeavesBulgarianToTheBulgarianStemmer(t *testing.T) {
	a := analyzer(t, bleveindex.TextAnalyzer)
	for _, w := range []string{"доставките", "поръчки", "телефоните", "гаранцията", "плащания", "хладилници", "часове", "работно", "време"} {
		got := terms(a, w)
		if want := []term{{textanalysis.StemBulgarian(w), 1}}; !slices.Equal(got, want) {
			t.Errorf("%q analyses to %v, want %v", w, got, want)
		}
	}
}

func TestNameAnalyzerTerms(t *testing.T) {
	a := analyzer(t, bleveindex.NameAnalyzer)
	for text, want := range map[string][]term{
		"Иван Петров":   {{"иван", 1}, {"ivan", 1}, {"петров", 2}, {"petrov", 2}},
		"Мария":         {{"мария", 1}, {"mariya", 1}, {"maria", 1}},
		"José Pérez":    {{"jose", 1}, {"perez", 2}},
		"ЙОРДАН Щерев":  {{"йордан", 1}, {"yordan", 1}, {"щерев", 2}, {"shterev", 2}},
		"Łukasz Müller": {{"lukasz", 1}, {"muller", 2}},
		// Names are not stemmed.
		"Доставките Деливърис": {{"доставките", 1}, {"dostavkite", 1}, {"деливърис", 2}, {"delivaris", 2}},
	} {
		if got := terms(a, text); !slices.Equal(got, want) {
			t.Errorf("%s analyses %q to %v, want %v", bleveindex.NameAnalyzer, text, got, want)
		}
	}
}

func TestAnalyzeName(t *testing.T) {
	for in, want := range map[string][]string{
		"Иван П":              {"иван", "п"},
		"  PETR  ":            {"petr"},
		"José PÉ":             {"jose", "pe"},
		"Ана-Мария Ана":       {"ана", "мария"},
		"ЙОРДАН":              {"йордан"},
		"O'Brien, Seán":       {"o'brien", "sean"},
		"":                    nil,
		" - , ":               nil,
		"Jose\u0301 Pe\u0301": {"jose", "pe"},
	} {
		if got := bleveindex.AnalyzeName(in); !slices.Equal(got, want) {
			t.Errorf("AnalyzeName(%q) = %q, want %q", in, got, want)
		}
	}
}

type doc struct {
	Text string `json:"text"`
	Name string `json:"name"`
}

// memIndex is an in-memory index whose text field uses TextAnalyzer and name
// field NameAnalyzer, holding a few Bulgarian and English documents.
func memIndex(t *testing.T) bleve.Index {
	t.Helper()
	m := bleve.NewIndexMapping()
	d := bleve.NewDocumentStaticMapping()
	text := bleve.NewTextFieldMapping()
	text.Analyzer = bleveindex.TextAnalyzer
	d.AddFieldMappingsAt("text", text)
	name := bleve.NewTextFieldMapping()
	name.Analyzer = bleveindex.NameAnalyzer
	d.AddFieldMappingsAt("name", name)
	m.DefaultMapping = d
	m.DefaultAnalyzer = bleveindex.TextAnalyzer
	idx, err := bleve.NewMemOnly(m)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = idx.Close() })
	for id, d := range map[string]doc{
		"bg-delivery": {"Доставката закъснява", "Иван Петров"},
		"bg-link":     {"Нямам връзка с куриера", "Мария Иванова"},
		"bg-return":   {"Искам връщане на продукта", "Ана-Мария Русева"},
		"bg-fridge":   {"Хладилниците в магазина са с безплатна доставка", "Йордан Щерев"},
		"en-delivery": {"Deliveries are late", "José Pérez"},
		"en-refund":   {"Peter's order was refunded", "Peter Smith"},
	} {
		if err := idx.Index(id, d); err != nil {
			t.Fatal(err)
		}
	}
	return idx
}

func ids(t *testing.T, idx bleve.Index, q query.Query) []string {
	t.Helper()
	res, err := idx.Search(bleve.NewSearchRequestOptions(q, 100, 0, false))
	if err != nil {
		t.Fatal(err)
	}
	out := []string{}
	for _, h := range res.Hits {
		out = append(out, h.ID)
	}
	slices.Sort(out)
	return out
}

func TestTextSearchFindsWordForms(t *testing.T) {
	idx := memIndex(t)
	for text, want := range map[string][]string{
		"доставка":           {"bg-delivery", "bg-fridge"},
		"доставки":           {"bg-delivery", "bg-fridge"},
		"ДОСТАВКИТЕ":         {"bg-delivery", "bg-fridge"},
		"доставката":         {"bg-delivery", "bg-fridge"},
		"delivery":           {"en-delivery"},
		"deliveries":         {"en-delivery"},
		"връщане":            {"bg-return"},
		"връзка":             {"bg-link"},
		"куриер":             {"bg-link"},
		"куриерите":          {"bg-link"},
		"хладилник":          {"bg-fridge"},
		"магазин":            {"bg-fridge"},
		"безплатен":          {"bg-fridge"},
		"безплатно":          {"bg-fridge"},
		"продукти":           {"bg-return"},
		"refund":             {"en-refund"},
		"refunds":            {"en-refund"},
		"peter":              {"en-refund"},
		"orders":             {"en-refund"},
		"безплатна доставка": {"bg-fridge"},
		// Unrelated words do not meet.
		"достъп":              {},
		"връзване":            {},
		"deliver late refund": {},
		// A Latin word is not looked up in Cyrillic text, nor the reverse.
		"dostavka":  {},
		"делийвъри": {},
	} {
		q := bleve.NewMatchQuery(text)
		q.SetField("text")
		q.Analyzer = bleveindex.TextAnalyzer
		q.SetOperator(query.MatchQueryOperatorAnd)
		if got := ids(t, idx, q); !slices.Equal(got, want) {
			t.Errorf("text %q found %v, want %v", text, got, want)
		}
	}
}

func TestNamePrefixSearch(t *testing.T) {
	idx := memIndex(t)
	for name, want := range map[string][]string{
		"iva":     {"bg-delivery", "bg-link"}, // Иван, Иванова
		"ив":      {"bg-delivery", "bg-link"},
		"Иван П":  {"bg-delivery"},
		"PETR":    {"bg-delivery"},
		"петров":  {"bg-delivery"},
		"pet":     {"bg-delivery", "en-refund"}, // Petrov, Peter
		"jose":    {"en-delivery"},
		"josé pé": {"en-delivery"},
		"Хосе":    {},
		"maria":   {"bg-link", "bg-return"},
		"mariya":  {"bg-link", "bg-return"},
		"ана мар": {"bg-return"},
		"yordan":  {"bg-fridge"},
		"shterev": {"bg-fridge"},
		"щ":       {"bg-fridge"},
		"sht":     {"bg-fridge"},
		"nobody":  {},
	} {
		var must []query.Query
		for _, w := range bleveindex.AnalyzeName(name) {
			p := bleve.NewPrefixQuery(w)
			p.SetField("name")
			must = append(must, p)
		}
		if got := ids(t, idx, bleve.NewConjunctionQuery(must...)); !slices.Equal(got, want) {
			t.Errorf("name %q found %v, want %v", name, got, want)
		}
	}
}
