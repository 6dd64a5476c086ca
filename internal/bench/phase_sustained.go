package bench

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/handoff-chat/handoff/internal/bench/stats"
)

// improvement is how much better a step must do than the best so far to
// count as still scaling.
const improvement = 1.05

// sustained ramps closed-loop customers (each writes, waits for the
// acknowledgement and the bot's reply, and writes again) from
// StartConcurrency, doubling each step, until a step is not sustained, two
// steps in a row do not improve on the best, or MaxConcurrency is reached.
// When the first step is not sustained, the ramp goes down instead,
// halving to one customer, until a step is.
// A step is sustained when every message sent in it was acknowledged,
// answered and searchable by the end of the settle time, and its ack p99
// and ack → reply p99 were within MaxP99; its throughput counts those
// messages over the step's duration.
func (r *runner) sustained(ctx context.Context) error {
	res := &SustainedResult{Best: -1}
	r.report.Sustained = res
	flat := 0
	for conc := r.opts.StartConcurrency; ; conc = min(conc*2, r.opts.MaxConcurrency) {
		step, err := r.step(ctx, conc)
		if err != nil {
			return err
		}
		res.Steps = append(res.Steps, step)
		if !step.Sustained {
			if len(res.Steps) == 1 {
				return r.rampDown(ctx, res, conc)
			}
			break
		}
		best := res.BestStep()
		if best == nil || step.PerSecond > best.PerSecond*improvement {
			flat = 0
		} else {
			flat++
		}
		if best == nil || step.PerSecond > best.PerSecond {
			res.Best, res.MaxPerSecond = len(res.Steps)-1, step.PerSecond
		}
		if flat == 2 || conc >= r.opts.MaxConcurrency {
			break
		}
	}
	return nil
}

// rampDown halves the customers from conc until a step is sustained.
func (r *runner) rampDown(ctx context.Context, res *SustainedResult, conc int) error {
	for conc > 1 {
		conc /= 2
		step, err := r.step(ctx, conc)
		if err != nil {
			return err
		}
		res.Steps = append(res.Steps, step)
		if step.Sustained {
			res.Best, res.MaxPerSecond = len(res.Steps)-1, step.PerSecond
			return nil
		}
	}
	return nil
}

// step runs one step and logs it.
func (r *runner) step(ctx context.Context, conc int) (SustainedStep, error) {
	step, err := r.sustainedStep(ctx, conc)
	if err != nil {
		return SustainedStep{}, err
	}
	r.log.Info("sustained step", "concurrency", conc, "msgs_per_s", step.PerSecond, "sustained", step.Sustained,
		"ack_p99_ms", step.Ack.P99, "reply_p99_ms", step.Reply.P99, "searchable_p99_ms", step.Searchable.P99, "why_not", step.Why)
	return step, nil
}

func (r *runner) sustainedStep(ctx context.Context, conc int) (SustainedStep, error) {
	customers, err := r.pop.take(ctx, conc)
	if err != nil {
		return SustainedStep{}, err
	}
	var (
		mu   sync.Mutex
		msgs []*message
		wg   sync.WaitGroup
	)
	cpu := r.cpuNow()
	end := time.Now().Add(r.opts.Step)
	for _, c := range customers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil && time.Now().Before(end) {
				m := c.newMessage(true)
				mu.Lock()
				msgs = append(msgs, m)
				mu.Unlock()
				if c.send(ctx, m, r.opts.ReplyTimeout) != nil {
					return // given up after retries: the step is not sustained
				}
				r.watch.add(m)
				if !awaitReply(ctx, m, r.opts.ReplyTimeout) {
					return // no use writing on: the step is not sustained
				}
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return SustainedStep{}, err
	}
	r.settle(ctx, msgs, r.opts.Settle)
	o := summarize(msgs)
	used := r.cpuSince(cpu, o.complete)
	step := SustainedStep{
		CPU:         used,
		Concurrency: conc, Sent: o.sent, Completed: o.complete, Failed: o.failedRequests,
		PerSecond: stats.PerSecond(o.complete, r.opts.Step),
		Ack:       o.ack, Reply: o.reply, Searchable: o.searchable,
	}
	step.Why = whyNot(o, r.opts.Settle, r.opts.MaxP99)
	step.Sustained = step.Why == ""
	return step, nil
}

// shorten cuts s to at most n characters, marking the cut.
func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// whyNot says what kept a step from being sustained, or "".
func whyNot(o outcome, settle, maxP99 time.Duration) string {
	var parts []string
	if o.sent == 0 {
		return "nothing was sent"
	}
	bound := stats.ToMillis(maxP99)
	if o.ack.P99 > bound {
		parts = append(parts, fmt.Sprintf("ack p99 %.0f ms over %.0f ms", o.ack.P99, bound))
	}
	if o.reply.P99 > bound {
		parts = append(parts, fmt.Sprintf("ack → reply p99 %.0f ms over %.0f ms", o.reply.P99, bound))
	}
	if o.failedRequests > 0 {
		parts = append(parts, fmt.Sprintf("%d requests failed (%s)", o.failedRequests, shorten(o.firstErr, 120)))
	}
	if o.notAnswered > 0 {
		parts = append(parts, fmt.Sprintf("%d not answered", o.notAnswered))
	}
	if o.notIndexed > 0 {
		parts = append(parts, fmt.Sprintf("%d not searchable %s after the step", o.notIndexed, settle))
	}
	return strings.Join(parts, ", ")
}
