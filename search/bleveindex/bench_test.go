package bleveindex_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/handoff-chat/handoff/internal/chat"
	"github.com/handoff-chat/handoff/search"
	"github.com/handoff-chat/handoff/search/bleveindex"
)

// BenchmarkBleve indexes realistic customer-support messages into an on-disk
// Bleve index and measures the indexing rate and the latency of the two
// searches staff run: keywords in one conversation, and customers by name.
//
//	go test ./search/bleveindex -run '^$' -bench BenchmarkBleve -benchtime 1x -timeout 3h
//
// HANDOFF_BENCH_SIZES picks the corpus sizes (default 100000,1000000).
func BenchmarkBleve(b *testing.B) {
	sizes := []int{100_000, 1_000_000}
	if env := os.Getenv("HANDOFF_BENCH_SIZES"); env != "" {
		sizes = nil
		for _, f := range strings.Split(env, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil {
				b.Fatalf("HANDOFF_BENCH_SIZES: %v", err)
			}
			sizes = append(sizes, n)
		}
	}
	for _, n := range sizes {
		b.Run(fmt.Sprintf("messages=%d", n), func(b *testing.B) {
			for range b.N {
				benchmarkCorpus(b, n)
			}
		})
	}
}

const messagesPerConversation = 20

func benchmarkCorpus(b *testing.B, n int) {
	ctx := context.Background()
	idx, err := bleveindex.Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer idx.Close()
	gen := newCorpus(1)

	began := time.Now()
	const batch = 1000
	msgs := make([]search.Message, 0, batch)
	for i := range n {
		msgs = append(msgs, gen.message(i))
		if len(msgs) == batch || i == n-1 {
			if err := idx.IndexMessages(ctx, msgs); err != nil {
				b.Fatal(err)
			}
			msgs = msgs[:0]
		}
	}
	conversations := (n + messagesPerConversation - 1) / messagesPerConversation
	for c := range conversations {
		if err := idx.UpsertConversation(ctx, gen.conversation(c)); err != nil {
			b.Fatal(err)
		}
	}
	elapsed := time.Since(began)
	b.ReportMetric(float64(n)/elapsed.Seconds(), "msgs/s")

	const queries = 500
	keyword := make([]time.Duration, 0, queries)
	name := make([]time.Duration, 0, queries)
	for q := range queries {
		conv := gen.rng.IntN(conversations)
		t0 := time.Now()
		if _, err := idx.SearchMessages(ctx, search.MessageQuery{
			ConversationID: conversationID(conv), Text: gen.queryWord(), Sort: search.SortNewest, Size: 20,
		}); err != nil {
			b.Fatal(err)
		}
		keyword = append(keyword, time.Since(t0))
		t0 = time.Now()
		if _, err := idx.SearchConversations(ctx, search.ConversationQuery{Name: gen.namePrefix(q), Size: 50}); err != nil {
			b.Fatal(err)
		}
		name = append(name, time.Since(t0))
	}
	report(b, "keyword", keyword)
	report(b, "name", name)
}

func report(b *testing.B, what string, d []time.Duration) {
	slices.Sort(d)
	b.ReportMetric(float64(d[len(d)/2].Microseconds())/1000, what+"-p50-ms")
	b.ReportMetric(float64(d[len(d)*99/100].Microseconds())/1000, what+"-p99-ms")
}

func conversationID(c int) string { return fmt.Sprintf("conversation/messenger/%d", 1_000_000+c) }

// corpus generates messages that look like a Bulgarian online shop's support
// traffic: mostly Bulgarian (some in Latin script), some English.
type corpus struct {
	rng *rand.Rand
}

func newCorpus(seed uint64) *corpus { return &corpus{rng: rand.New(rand.NewPCG(seed, seed))} }

var (
	bgSentences = []string{
		"Здравейте, кога ще пристигне поръчката ми",
		"Доставката закъснява вече три дни",
		"Искам да върна продукта, не работи",
		"Може ли плащане с карта при доставка",
		"Колко струва доставката до офис на Еконт",
		"Пералнята тече отдолу след първото пране",
		"Имате ли хладилници в наличност в магазина в Пловдив",
		"Благодаря за бързия отговор",
		"Гаранцията покрива ли счупен дисплей",
		"Какво е работното време на магазина в София",
		"Куриерът не ми се обади преди доставката",
		"Поръчах два пъти по грешка, моля откажете едната поръчка",
		"Проверявам статуса на пратката ви",
		"Ще ви се обадим до един час",
		"Изпратихме ви нов код за проследяване",
	}
	latinBG = []string{
		"zdraveite koga shte dojde porachkata",
		"iskam da varna stokata",
		"dostavkata oshte ya nyama",
	}
	enSentences = []string{
		"Hello, where is my parcel",
		"The delivery is late again",
		"Can I pay by card on delivery",
		"My refrigerator stopped cooling after two weeks",
		"Is the warranty valid for accidental damage",
		"We have shipped your replacement today",
		"Thank you for your patience",
	}
	queryWords = []string{"доставка", "поръчка", "гаранция", "магазин", "куриер", "delivery", "parcel", "warranty", "пералня", "плащане"}
	firstNames = []string{"Иван", "Мария", "Георги", "Елена", "Димитър", "Николай", "Петя", "Стефан", "Анна", "John", "Emma", "José", "Zoë", "Ивелина", "Калоян"}
	lastNames  = []string{"Петров", "Иванова", "Георгиев", "Димитрова", "Николов", "Стоянов", "Smith", "Pérez", "Müller", "Христова", "Тодоров"}
)

func (g *corpus) message(i int) search.Message {
	conv := i / messagesPerConversation
	var text string
	switch r := g.rng.IntN(10); {
	case r < 6:
		text = bgSentences[g.rng.IntN(len(bgSentences))] + ". " + bgSentences[g.rng.IntN(len(bgSentences))]
	case r < 7:
		text = latinBG[g.rng.IntN(len(latinBG))]
	default:
		text = enSentences[g.rng.IntN(len(enSentences))] + ". " + enSentences[g.rng.IntN(len(enSentences))]
	}
	sender := "customer"
	if i%3 == 2 {
		sender = "staff"
	}
	return search.Message{
		ID: fmt.Sprintf("mid.%d", i), ConversationID: conversationID(conv), Channel: "messenger",
		CustomerID: strconv.Itoa(1_000_000 + conv), Sender: sender, Text: text,
		SentAt: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Second),
	}
}

func (g *corpus) conversation(c int) chat.ConversationSummary {
	at := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(c*messagesPerConversation) * time.Second)
	conv := chat.ConversationSummary{
		ID: conversationID(c), Channel: "messenger", CustomerID: strconv.Itoa(1_000_000 + c),
		CustomerName: firstNames[g.rng.IntN(len(firstNames))] + " " + lastNames[g.rng.IntN(len(lastNames))],
		State:        "bot", LastMessageAt: at, WindowClosesAt: at.Add(24 * time.Hour), UpdatedAt: at,
	}
	if c%10 == 0 {
		conv.State = "agent_requested"
		conv.AgentRequestedAt = &at
	}
	return conv
}

func (g *corpus) queryWord() string { return queryWords[g.rng.IntN(len(queryWords))] }

// namePrefix is what staff have typed so far: 2-5 letters of a name, in
// either script.
func (g *corpus) namePrefix(q int) string {
	names := append(slices.Clone(firstNames), "ivan", "mari", "georg", "petr")
	name := []rune(strings.ToLower(names[q%len(names)]))
	return string(name[:min(len(name), 2+g.rng.IntN(4))])
}

// BenchmarkConcurrentWrites models live traffic: many conversations at once,
// each writing as the Search.IndexConversation activity does after every
// message (one message, then the conversation document), one write at a
// time per conversation, into an on-disk index. One op is one message;
// cpu-ms/msg is the process's CPU time per message, Bleve's background
// merging and persisting included.
//
//	go test ./search/bleveindex -run '^$' -bench BenchmarkConcurrentWrites -benchtime 3000x
func BenchmarkConcurrentWrites(b *testing.B) {
	for _, conversations := range []int{1, 16, 64} {
		b.Run(fmt.Sprintf("conversations=%d", conversations), func(b *testing.B) {
			benchmarkConcurrentWrites(b, conversations)
		})
	}
}

// alreadyIndexed is how many messages the index of BenchmarkConcurrentWrites
// holds before the writes begin.
const alreadyIndexed = 50_000

func benchmarkConcurrentWrites(b *testing.B, conversations int) {
	ctx := context.Background()
	idx, err := bleveindex.Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer idx.Close()
	// Start from an index that already holds other conversations' messages:
	// how much merging a write causes depends on what is there.
	bulk := newCorpus(99)
	msgs := make([]search.Message, 0, 1000)
	for i := range alreadyIndexed {
		msgs = append(msgs, bulk.message(1_000_000+i)) // conversations the writers do not use
		if len(msgs) == cap(msgs) || i == alreadyIndexed-1 {
			if err := idx.IndexMessages(ctx, msgs); err != nil {
				b.Fatal(err)
			}
			msgs = msgs[:0]
		}
	}
	time.Sleep(5 * time.Second) // let Bleve merge what the bulk load wrote, so it is not counted

	var next atomic.Int64 // the next message number to write, over all conversations
	latencies := make([][]time.Duration, conversations)
	errs := make(chan error, conversations)
	b.ResetTimer()
	began := time.Now()
	cpuBefore, cpuMeasured := processCPU()
	var wg sync.WaitGroup
	for c := range conversations {
		wg.Go(func() {
			gen := newCorpus(uint64(c + 1))
			summary := gen.conversation(c)
			for {
				i := int(next.Add(1)) - 1
				if i >= b.N {
					return
				}
				m := gen.message(c * messagesPerConversation)
				m.ID = fmt.Sprintf("mid.%d", i)
				summary.LastMessageAt = m.SentAt.Add(time.Duration(i) * time.Millisecond)
				summary.UpdatedAt = summary.LastMessageAt
				t0 := time.Now()
				if err := idx.IndexMessages(ctx, []search.Message{m}); err != nil {
					errs <- err
					return
				}
				if err := idx.UpsertConversation(ctx, summary); err != nil {
					errs <- err
					return
				}
				latencies[c] = append(latencies[c], time.Since(t0))
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(began)
	cpuAfter, _ := processCPU()
	b.StopTimer()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msgs/s")
	if cpuMeasured {
		// Bleve's merger and persister work in the background; the
		// process's CPU time counts them.
		b.ReportMetric(float64((cpuAfter-cpuBefore).Microseconds())/1000/float64(b.N), "cpu-ms/msg")
	}
	report(b, "write", slices.Concat(latencies...))
}
