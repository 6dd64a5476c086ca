package workflows

import "go.temporal.io/sdk/workflow"

// queue is work a conversation hands to activities in order, with at most
// one item in flight. Its pending items live in the conversation's carried
// state, so whatever is still waiting when the run continues as new is
// picked up by the next run.
type queue[T any] struct {
	pending *[]T
	// batch hands every pending item to one call; otherwise one at a time.
	batch    bool
	inFlight bool
	// paused is the conversation's shared flag that lets no new item start
	// while it prepares to continue as new.
	paused *bool
	// hold, when set, keeps the next item from starting while it is true.
	hold func() bool
}

func newQueue[T any](pending *[]T, paused *bool) *queue[T] {
	return &queue[T]{pending: pending, paused: paused}
}

func (q *queue[T]) push(items ...T) { *q.pending = append(*q.pending, items...) }

// ensurePending queues item unless something is queued already.
func (q *queue[T]) ensurePending(item T) {
	if len(*q.pending) == 0 {
		q.push(item)
	}
}

// busy reports whether an item is in flight.
func (q *queue[T]) busy() bool { return q.inFlight }

// idle reports whether nothing is in flight or waiting.
func (q *queue[T]) idle() bool { return !q.inFlight && len(*q.pending) == 0 }

// run hands items to handle, in order, until the workflow is canceled. An
// error from handle puts its items back at the front and stops the queue;
// handlers return one only when they were canceled.
func (q *queue[T]) run(ctx workflow.Context, handle func(workflow.Context, []T) error) {
	for {
		if err := workflow.Await(ctx, func() bool {
			return len(*q.pending) > 0 && !*q.paused && (q.hold == nil || !q.hold())
		}); err != nil {
			return
		}
		n := 1
		if q.batch {
			n = len(*q.pending)
		}
		items := append([]T(nil), (*q.pending)[:n]...)
		*q.pending = (*q.pending)[n:]
		q.inFlight = true
		err := handle(ctx, items)
		q.inFlight = false
		if err != nil {
			*q.pending = append(items, *q.pending...)
			return
		}
	}
}

// eachOne adapts a handler of one item to a queue that is not batched.
func eachOne[T any](handle func(workflow.Context, T) error) func(workflow.Context, []T) error {
	return func(ctx workflow.Context, items []T) error {
		for _, item := range items {
			if err := handle(ctx, item); err != nil {
				return err
			}
		}
		return nil
	}
}

// queueState is what the conversation asks of every queue.
type queueState interface {
	busy() bool
	idle() bool
}
