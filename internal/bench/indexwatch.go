package bench

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/handoff-chat/handoff/internal/bench/handoffapi"
)

// searchParallelism bounds the watcher's searches in flight.
const searchParallelism = 8

// indexWatch finds out when acknowledged messages became searchable,
// through the staff search API. A search costs handoff CPU, so only a
// sample of the messages is timed: while one of a customer's timed
// messages is not found, it is searched for by its own words every poll
// interval, and a message is searchable from the moment the answer that
// first lists it arrived (the figure's resolution is the interval). The
// other messages are looked for once the load has stopped (sweep), by the
// word all of a customer's messages carry, so every message is still
// checked.
type indexWatch struct {
	api      *handoffapi.Client
	interval time.Duration
	sample   float64
	n        atomic.Int64

	mu      sync.Mutex
	pending map[*customer]map[string]*message
	errors  atomic.Int64
	lastErr atomic.Value // string
}

func newIndexWatch(a *handoffapi.Client, interval time.Duration, sample float64) *indexWatch {
	return &indexWatch{api: a, interval: interval, sample: sample, pending: map[*customer]map[string]*message{}}
}

// add takes an acknowledged message; every 1/sample-th is timed.
func (w *indexWatch) add(m *message) {
	n := w.n.Add(1)
	if int(float64(n)*w.sample) == int(float64(n-1)*w.sample) {
		return
	}
	m.setTimed()
	w.mu.Lock()
	defer w.mu.Unlock()
	byID := w.pending[m.cust]
	if byID == nil {
		byID = map[string]*message{}
		w.pending[m.cust] = byID
	}
	byID[m.id] = m
}

// run polls the conversations of timed messages until ctx ends.
func (w *indexWatch) run(ctx context.Context) {
	for ctx.Err() == nil {
		began := time.Now()
		w.mu.Lock()
		customers := make([]*customer, 0, len(w.pending))
		for c := range w.pending {
			customers = append(customers, c)
		}
		w.mu.Unlock()
		w.searchAll(ctx, customers, nil)
		select {
		case <-ctx.Done():
		case <-time.After(w.interval - time.Since(began)):
		}
	}
}

// sweep searches once the conversations of messages not found yet.
func (w *indexWatch) sweep(ctx context.Context, msgs []*message) {
	byCustomer := map[*customer]map[string]*message{}
	for _, m := range msgs {
		if byCustomer[m.cust] == nil {
			byCustomer[m.cust] = map[string]*message{}
		}
		byCustomer[m.cust][m.id] = m
	}
	customers := make([]*customer, 0, len(byCustomer))
	for c := range byCustomer {
		customers = append(customers, c)
	}
	w.searchAll(ctx, customers, byCustomer)
}

// searchAll searches each customer's conversation, marking the messages
// found: those of extra, and the customer's timed messages.
func (w *indexWatch) searchAll(ctx context.Context, customers []*customer, extra map[*customer]map[string]*message) {
	slots := make(chan struct{}, searchParallelism)
	var wg sync.WaitGroup
	for _, c := range customers {
		slots <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-slots; wg.Done() }()
			w.search(ctx, c, extra[c])
		}()
	}
	wg.Wait()
}

// search looks for the customer's timed messages and those of extra. A
// timed message is looked for by its own words, as staff search a
// conversation for what they remember of a message: one hit to load, so
// the watcher costs handoff little however long the conversation. For
// extra the search pages through every hit of the customer's word until
// all are found or the hits end.
func (w *indexWatch) search(ctx context.Context, c *customer, extra map[string]*message) {
	var found map[string]bool
	var err error
	if len(extra) == 0 {
		found, err = w.searchTimed(ctx, c)
	} else {
		want := map[string]bool{}
		w.mu.Lock()
		for id := range w.pending[c] {
			want[id] = true
		}
		w.mu.Unlock()
		for id := range extra {
			want[id] = true
		}
		found, err = w.api.FindCustomerMessages(ctx, c.channel, c.id, c.word, want)
	}
	at := time.Now()
	if err != nil {
		if ctx.Err() == nil {
			w.errors.Add(1)
			w.lastErr.Store(err.Error())
		}
		return
	}
	var marked []*message
	w.mu.Lock()
	timed := w.pending[c]
	for id := range found {
		if m := timed[id]; m != nil {
			marked = append(marked, m)
			delete(timed, id)
		} else if m := extra[id]; m != nil {
			marked = append(marked, m)
		}
	}
	if timed != nil && len(timed) == 0 {
		delete(w.pending, c)
	}
	w.mu.Unlock()
	for _, m := range marked {
		m.setIndexed(at)
	}
}

// timedSearchSize is the page a timed message's own words are searched
// with: it is the only hit, unless the analyzer found its number elsewhere.
const timedSearchSize = 5

// searchTimed searches for each of the customer's timed messages not found
// yet, by its own words, and returns the IDs found.
func (w *indexWatch) searchTimed(ctx context.Context, c *customer) (map[string]bool, error) {
	w.mu.Lock()
	words := make([]string, 0, len(w.pending[c]))
	for _, m := range w.pending[c] {
		words = append(words, m.words)
	}
	w.mu.Unlock()
	found := map[string]bool{}
	for _, q := range words {
		ids, _, err := w.api.SearchCustomerMessages(ctx, c.channel, c.id, q, 1, timedSearchSize)
		if err != nil {
			return found, err
		}
		for _, id := range ids {
			found[id] = true
		}
	}
	return found, nil
}

// failures is how many searches failed, and the last error.
func (w *indexWatch) failures() (int64, string) {
	last, _ := w.lastErr.Load().(string)
	return w.errors.Load(), last
}
