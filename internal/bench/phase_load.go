package bench

import (
	"context"
	"sync"
	"time"

	"github.com/handoff-chat/handoff/internal/bench/stats"
)

// load offers messages at a fixed rate, open-loop: arrival i is due at
// start + i/Rate whatever handoff does, and goes to customer i mod
// Customers, so each customer writes at Rate/Customers a second and may
// have several messages waiting for their replies (the bot answers in
// order, so they match in order). An arrival the benchmark itself sends
// more than 10 ms after it was due counts as late: the figure that says
// whether the benchmark kept up with the rate it offered.
func (r *runner) load(ctx context.Context) error {
	customers, err := r.pop.take(ctx, r.opts.Customers)
	if err != nil {
		return err
	}
	interval := time.Duration(float64(time.Second) / r.opts.Rate)
	n := int(r.opts.Rate * r.opts.Duration.Seconds())
	msgs := make([]*message, 0, n)
	var (
		wg       sync.WaitGroup
		late     int
		maxDelay time.Duration
	)
	cpu := r.cpuNow()
	start := time.Now()
	for i := range n {
		due := start.Add(time.Duration(i) * interval)
		if wait := time.Until(due); wait > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(wait):
			}
		}
		if behind := time.Since(due); behind > 10*time.Millisecond {
			late++
			maxDelay = max(maxDelay, behind)
		}
		c := customers[i%len(customers)]
		m := c.newMessage(true)
		msgs = append(msgs, m)
		wg.Add(1)
		go func() {
			defer wg.Done()
			if c.send(ctx, m, r.opts.ReplyTimeout) != nil {
				return
			}
			r.watch.add(m)
			awaitReply(ctx, m, r.opts.ReplyTimeout)
		}()
	}
	offered := time.Duration(n) * interval
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	r.settle(ctx, msgs, r.opts.Settle)
	o := summarize(msgs)
	r.report.Load = &LoadResult{
		CPU:              r.cpuSince(cpu, o.acked),
		OfferedPerSecond: r.opts.Rate, Seconds: stats.Round(offered.Seconds(), 1), Customers: len(customers),
		Sent: o.sent, Acked: o.acked, Failed: o.failed, FailedRequests: o.failedRequests, FirstError: o.firstErr,
		AckedPerSecond: stats.PerSecond(o.acked, offered),
		NotAnswered:    o.notAnswered, NotIndexed: o.notIndexed,
		Late: late, MaxLate: stats.ToMillis(maxDelay),
		Ack: o.ack, Reply: o.reply, Searchable: o.searchable,
	}
	r.log.Info("load", "offered_msgs_per_s", r.opts.Rate, "acked_msgs_per_s", r.report.Load.AckedPerSecond, "failed", o.failed,
		"ack_p99_ms", o.ack.P99, "reply_p99_ms", o.reply.P99, "searchable_p99_ms", o.searchable.P99, "late", late)
	return nil
}
