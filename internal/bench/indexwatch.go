package bench

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// searchParallelism bounds the watcher's searches in flight.
const searchParallelism = 8

// indexWatch finds out when acknowledged messages became searchable: every
// poll interval it searches each conversation that has messages not yet
// found, through the staff search API, for the word all of the customer's
// messages carry. A message is searchable from the moment the answer that
// first lists it arrived, so the figure's resolution is the interval.
type indexWatch struct {
	api      *api
	interval time.Duration

	mu      sync.Mutex
	pending map[*customer]map[string]*message
	errors  atomic.Int64
	lastErr atomic.Value // string
}

func newIndexWatch(a *api, interval time.Duration) *indexWatch {
	return &indexWatch{api: a, interval: interval, pending: map[*customer]map[string]*message{}}
}

// add watches an acknowledged message.
func (w *indexWatch) add(m *message) {
	w.mu.Lock()
	defer w.mu.Unlock()
	byID := w.pending[m.cust]
	if byID == nil {
		byID = map[string]*message{}
		w.pending[m.cust] = byID
	}
	byID[m.id] = m
}

// run polls until ctx ends.
func (w *indexWatch) run(ctx context.Context) {
	for ctx.Err() == nil {
		began := time.Now()
		w.round(ctx)
		select {
		case <-ctx.Done():
		case <-time.After(w.interval - time.Since(began)):
		}
	}
}

func (w *indexWatch) round(ctx context.Context) {
	w.mu.Lock()
	customers := make([]*customer, 0, len(w.pending))
	for c := range w.pending {
		customers = append(customers, c)
	}
	w.mu.Unlock()
	slots := make(chan struct{}, searchParallelism)
	var wg sync.WaitGroup
	for _, c := range customers {
		slots <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-slots; wg.Done() }()
			w.poll(ctx, c)
		}()
	}
	wg.Wait()
}

func (w *indexWatch) poll(ctx context.Context, c *customer) {
	ids, err := w.api.searchCustomerMessages(ctx, c.channel, c.id, c.word)
	at := time.Now()
	if err != nil {
		if ctx.Err() == nil {
			w.errors.Add(1)
			w.lastErr.Store(err.Error())
		}
		return
	}
	w.mu.Lock()
	var found []*message
	byID := w.pending[c]
	for _, id := range ids {
		if m := byID[id]; m != nil {
			found = append(found, m)
			delete(byID, id)
		}
	}
	if len(byID) == 0 {
		delete(w.pending, c)
	}
	w.mu.Unlock()
	for _, m := range found {
		m.setIndexed(at)
	}
}

// failures is how many searches failed, and the last error.
func (w *indexWatch) failures() (int64, string) {
	last, _ := w.lastErr.Load().(string)
	return w.errors.Load(), last
}
