package answerer

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/handoff-chat/handoff/internal/knowledge"
)

// generatedKB is a knowledge base of n entries in both languages built from
// the vocabulary of a shop: topics, products and places combined.
func generatedKB(n int) []knowledge.Entry {
	bg := []string{"доставка", "цена", "връщане", "замяна", "гаранция", "ремонт", "работно време", "адрес", "карта", "изплащане", "фактура", "ваучер", "промо код", "монтаж", "парола", "резервни части"}
	en := []string{"delivery", "price", "return", "exchange", "warranty", "repair", "opening hours", "address", "card", "installments", "invoice", "voucher", "promo code", "installation", "password", "spare parts"}
	productsBG := []string{"хладилник", "пералня", "телевизор", "лаптоп", "телефон", "прахосмукачка", "миксер", "климатик", "печка", "слушалки"}
	productsEN := []string{"fridge", "washing machine", "TV", "laptop", "phone", "vacuum cleaner", "blender", "air conditioner", "cooker", "headphones"}
	places := []string{"София", "Пловдив", "Варна", "Бургас", "Русе"}
	rng := rand.New(rand.NewPCG(1, 2))
	entries := make([]knowledge.Entry, n)
	for i := range entries {
		t, p := rng.IntN(len(bg)), rng.IntN(len(productsBG))
		id := fmt.Sprintf("gen-%04d", i)
		if i%4 == 3 {
			entries[i] = knowledge.Entry{ID: id, Lang: "en",
				Question:   fmt.Sprintf("What about %s for a %s, model %d?", en[t], productsEN[p], i),
				Alternates: []string{fmt.Sprintf("How does %s work for %s %d?", en[t], productsEN[p], i)},
				Answer:     fmt.Sprintf("The %s of a %s is described on the product page %d.", en[t], productsEN[p], i)}
			continue
		}
		entries[i] = knowledge.Entry{ID: id, Lang: "bg",
			Question:   fmt.Sprintf("Как става %s на %s в %s, серия %d?", bg[t], productsBG[p], places[rng.IntN(len(places))], i),
			Alternates: []string{fmt.Sprintf("Какво е %s за %s модел %d?", bg[t], productsBG[p], i), fmt.Sprintf("Въпрос за %s и %s номер %d", bg[t], productsBG[p], i)},
			Answer:     fmt.Sprintf("%s на %s: вижте страницата на продукта %d в магазина.", bg[t], productsBG[p], i)}
	}
	return entries
}

var benchQuestions = []string{
	"колко струва доставката на хладилник до Варна",
	"kolko struva dostavkata na peralnq",
	"how long is the warranty on a laptop?",
	"искам да върна телевизора, как става",
	"mojem li da kupim telefon na izplashtane",
	"where do I enter a promo code for headphones",
	"пералнята се развали, къде е сервизът",
	"работно време на магазина в Пловдив в неделя",
	"can I pay by card in the store?",
	"здравейте, поръчка 123456 още не е пристигнала",
	"гаранцйята на прахосмукачката колко е",
	"do you install air conditioners in Burgas?",
}

// BenchmarkAnswer measures answer latency with a generated knowledge base of
// 1,000 entries and reports the 50th and 99th percentiles of single calls.
func BenchmarkAnswer(b *testing.B) {
	a := New(generatedKB(1000), Options{})
	durations := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		start := time.Now()
		a.Answer(benchQuestions[i%len(benchQuestions)], "")
		durations = append(durations, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(durations)
	pct := func(p float64) float64 {
		return float64(durations[int(p*float64(len(durations)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}

func TestGeneratedKBIsValid(t *testing.T) {
	for _, e := range generatedKB(1000) {
		if err := e.Validate(); err != nil {
			t.Fatalf("%s: %v", e.ID, err)
		}
	}
	a := New(generatedKB(1000), Options{})
	for _, q := range benchQuestions {
		if r := a.Answer(q, ""); r.Score < 0 || r.Score > 1 {
			t.Errorf("%q: score %v", q, r.Score)
		}
	}
}
