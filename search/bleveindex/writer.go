package bleveindex

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// errClosed answers writes that arrive after Close.
var errClosed = errors.New("bleve: index closed")

// writer is the group commit of one Bleve index. Every Bleve batch is a new
// segment, persisted before the batch returns and merged with the others
// later, so one batch per small write keeps the persister and the merger
// busy. A writer instead applies, in one batch, every write queued while
// the previous batch was being applied: a lone write goes at once, and
// under load the batches grow instead of the segments multiplying. Each
// caller waits for the batch holding its write and gets that batch's
// error.
type writer[T any] struct {
	// apply writes items, in the order they were queued, as one batch.
	apply func(items []T) error

	mu      sync.Mutex
	wake    *sync.Cond // signalled on a new write and on close
	queue   []T
	waiters []chan error // one per queued call, answered with the batch's error
	closed  bool
	stopped chan struct{}
}

func newWriter[T any](apply func([]T) error) *writer[T] {
	w := &writer[T]{apply: apply, stopped: make(chan struct{})}
	w.wake = sync.NewCond(&w.mu)
	go w.run()
	return w
}

// write queues items to be applied together in the next batch and waits
// until that batch is applied. When ctx ends first the items may still be
// written.
func (w *writer[T]) write(ctx context.Context, items ...T) error {
	done := make(chan error, 1)
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return errClosed
	}
	w.queue = append(w.queue, items...)
	w.waiters = append(w.waiters, done)
	w.wake.Signal()
	w.mu.Unlock()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("bleve: wait for the write: %w", ctx.Err())
	}
}

func (w *writer[T]) run() {
	defer close(w.stopped)
	w.mu.Lock()
	for {
		for len(w.queue) == 0 && !w.closed {
			w.wake.Wait()
		}
		if len(w.queue) == 0 { // closed, and everything queued is written
			w.mu.Unlock()
			return
		}
		items, waiters := w.queue, w.waiters
		w.queue, w.waiters = nil, nil
		w.mu.Unlock()
		err := w.apply(items)
		for _, done := range waiters {
			done <- err
		}
		w.mu.Lock()
	}
}

// close writes what is queued, refuses later writes and stops the writer.
func (w *writer[T]) close() {
	w.mu.Lock()
	w.closed = true
	w.wake.Signal()
	w.mu.Unlock()
	<-w.stopped
}
