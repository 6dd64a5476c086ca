package bench

import (
	"context"
	"fmt"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/handoff-chat/handoff/internal/bench/handoffapi"
	"github.com/handoff-chat/handoff/internal/bench/stats"
)

// recoveryTimeout bounds the wait, after the restart, for every customer
// to be acknowledged and answered again.
const recoveryTimeout = 3 * time.Minute

// recovery kills handoff (SIGKILL) while customers write, restarts it on
// the same data and ports, and measures how long until every conversation
// takes messages again and every acknowledged message is answered. Each
// customer writes one message at a time and retries a failed send with the
// same ID, as the widget and Meta do; a conversation takes messages again
// at its first acknowledgement after the restart. Afterwards every
// acknowledged message must be in its conversation exactly once.
func (r *runner) recovery(ctx context.Context) error {
	customers, err := r.pop.take(ctx, r.opts.RecoveryCustomers)
	if err != nil {
		return err
	}
	var (
		mu   sync.Mutex
		msgs = map[*customer][]*message{}
		// ready is when the restarted handoff answered /readyz; zero before.
		ready       time.Time
		backAt      = map[*customer]time.Time{}
		writersDone sync.WaitGroup
	)
	readyAt := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return ready
	}
	wctx, stopWriters := context.WithTimeout(ctx, r.opts.RecoveryLoad+recoveryTimeout)
	defer stopWriters()
	for _, c := range customers {
		writersDone.Add(1)
		go func() {
			defer writersDone.Done()
			for wctx.Err() == nil {
				m := c.newMessage(true)
				mu.Lock()
				msgs[c] = append(msgs[c], m)
				mu.Unlock()
				if c.send(wctx, m, recoveryTimeout) != nil {
					return
				}
				r.watch.add(m)
				// The conversation takes messages again at its first
				// acknowledgement after the restart (of a retried message
				// or a new one); the customer is done once that message
				// was answered too.
				back := false
				if rd, acked := readyAt(), m.status().acked; !rd.IsZero() && acked.After(rd) {
					mu.Lock()
					if _, ok := backAt[c]; !ok {
						backAt[c] = acked
					}
					mu.Unlock()
					back = true
				}
				if !awaitReply(wctx, m, recoveryTimeout) || back {
					return
				}
			}
		}()
	}

	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(r.opts.RecoveryLoad):
	}
	r.log.Info("recovery: killing handoff", "pid", r.self.process().Pid())
	killedAt := time.Now()
	r.self.kill()
	proc, err := r.self.restart(ctx)
	if err != nil {
		return err
	}
	mu.Lock()
	ready = proc.Ready
	mu.Unlock()
	r.log.Info("recovery: handoff restarted", "pid", proc.Pid(), "ready_after", proc.Ready.Sub(proc.Started).Round(time.Millisecond))
	writersDone.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}

	res := &RecoveryResult{
		Customers:      len(customers),
		RestartToReady: stats.ToMillis(proc.Ready.Sub(proc.Started)),
	}
	var took []time.Duration
	var lastAnswer time.Time
	for _, c := range customers {
		if at, ok := backAt[c]; ok {
			took = append(took, max(at.Sub(ready), 0))
		} else {
			res.FirstError = fmt.Sprintf("%s customer %s was not answered after the restart within %s", c.channel, c.id, recoveryTimeout)
		}
		for _, m := range msgs[c] {
			s := m.status()
			res.FailedAttempts += int64(s.failedAttempts)
			if s.acked.IsZero() {
				continue
			}
			res.Acked++
			if s.acked.Before(killedAt) {
				res.AckedBeforeKill++
			}
			if s.replied.IsZero() {
				res.Unanswered++
			} else {
				lastAnswer = later(lastAnswer, s.replied)
			}
		}
	}
	res.TookMessages = stats.Summarize(took)
	res.AllAnswered = stats.ToMillis(max(lastAnswer.Sub(ready), 0))
	if err := r.checkRecorded(ctx, res, msgs); err != nil {
		return err
	}
	r.report.Recovery = res
	r.log.Info("recovery", "acked", res.Acked, "lost", res.Lost, "duplicated", res.Duplicated, "unanswered", res.Unanswered,
		"restart_to_ready_ms", res.RestartToReady, "taking_messages_max_ms", res.TookMessages.Max, "all_answered_ms", res.AllAnswered)
	return nil
}

// checkRecorded counts the acknowledged messages missing from their
// conversation (lost) or in it more than once (duplicated). The transcript
// keeps the recent messages only; a message missing from it counts as lost
// only if the search cannot find it either.
func (r *runner) checkRecorded(ctx context.Context, res *RecoveryResult, msgs map[*customer][]*message) error {
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(describeParallelism)
	for c, sent := range msgs {
		g.Go(func() error {
			var transcript []handoffapi.Message
			var err error
			if c.channel == webChat {
				transcript, err = r.api.VisitorTranscript(gctx, c.id, c.token)
			} else {
				var conv handoffapi.Conversation
				conv, err = r.api.Conversation(gctx, c.channel, c.id)
				transcript = conv.Messages
			}
			if err != nil {
				return fmt.Errorf("%s customer %s: %w", c.channel, c.id, err)
			}
			times := map[string]int{}
			for _, m := range transcript {
				if m.Sender == "customer" {
					times[m.ID]++
				}
			}
			var missing []*message
			duplicated := 0
			for _, m := range sent {
				if m.status().acked.IsZero() {
					continue
				}
				switch times[m.id] {
				case 0:
					missing = append(missing, m)
				case 1:
				default:
					duplicated++
				}
			}
			lost := 0
			if len(missing) > 0 {
				want := map[string]bool{}
				for _, m := range missing {
					want[m.id] = true
				}
				indexed, err := r.api.FindCustomerMessages(gctx, c.channel, c.id, c.word, want)
				if err != nil {
					return fmt.Errorf("%s customer %s: %w", c.channel, c.id, err)
				}
				for _, m := range missing {
					if !indexed[m.id] {
						lost++
					}
				}
			}
			mu.Lock()
			defer mu.Unlock()
			res.Lost += lost
			res.Duplicated += duplicated
			return nil
		})
	}
	return g.Wait()
}
