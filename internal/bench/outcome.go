package bench

import (
	"context"
	"time"

	"github.com/handoff-chat/handoff/internal/bench/stats"
)

// outcome sums up what became of a set of messages.
type outcome struct {
	sent, acked, failed int
	// failedRequests counts every failed request, retried or not.
	failedRequests          int
	notAnswered, notIndexed int
	complete                int
	firstErr                string
	ack, reply, searchable  stats.Summary
}

func summarize(msgs []*message) outcome {
	var o outcome
	var ack, reply, searchable []time.Duration
	for _, m := range msgs {
		s := m.status()
		if s.sent.IsZero() {
			continue
		}
		o.sent++
		o.failedRequests += s.failedAttempts
		if o.firstErr == "" && s.firstErr != nil {
			o.firstErr = s.firstErr.Error()
		}
		if s.failed != nil || s.acked.IsZero() {
			o.failed++
			continue
		}
		o.acked++
		ack = append(ack, max(s.acked.Sub(s.sent), 0))
		if m.expectReply {
			if s.replied.IsZero() {
				o.notAnswered++
			} else {
				reply = append(reply, max(s.replied.Sub(s.acked), 0))
			}
		}
		switch {
		case s.indexed.IsZero():
			o.notIndexed++
		case s.timed:
			searchable = append(searchable, max(s.indexed.Sub(s.acked), 0))
		}
		if s.complete(m.expectReply) {
			o.complete++
		}
	}
	o.ack, o.reply, o.searchable = stats.Summarize(ack), stats.Summarize(reply), stats.Summarize(searchable)
	return o
}

// settle waits until every message is done (failed, or acknowledged,
// answered and indexed), for at most timeout. Every second it has the
// search watcher look for the acknowledged messages not found yet.
func (r *runner) settle(ctx context.Context, msgs []*message, timeout time.Duration) {
	deadline := time.Now().Add(timeout)
	var lastSweep time.Time
	for {
		var unindexed []*message
		pending := 0
		for _, m := range msgs {
			s := m.status()
			if !s.done(m.expectReply) {
				pending++
			}
			if s.failed == nil && !s.acked.IsZero() && s.indexed.IsZero() {
				unindexed = append(unindexed, m)
			}
		}
		if pending == 0 || time.Now().After(deadline) {
			return
		}
		if len(unindexed) > 0 && time.Since(lastSweep) >= time.Second {
			lastSweep = time.Now()
			r.watch.sweep(ctx, unindexed)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// awaitReply waits for m's reply for at most timeout; it reports whether
// the reply came.
func awaitReply(ctx context.Context, m *message, timeout time.Duration) bool {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-m.repliedCh:
		return true
	case <-t.C:
		return false
	case <-ctx.Done():
		return false
	}
}
