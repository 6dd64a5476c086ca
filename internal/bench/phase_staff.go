package bench

import (
	"context"
	"fmt"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/handoff-chat/handoff/internal/bench/stats"
)

// staffMembers is how many staff work at once.
const staffMembers = 4

// staff has staff take over conversations: in each, the customer writes
// and is answered by the bot, staff switch live chat on and send messages
// (each timed to the API's answer and to its arrival at the customer), the
// customer writes during the live chat (relayed to staff: no bot reply,
// acknowledged and searchable), and staff switch live chat off.
func (r *runner) staff(ctx context.Context) error {
	customers, err := r.pop.take(ctx, r.opts.StaffConversations)
	if err != nil {
		return err
	}
	var (
		on, off, sent, atCustomer stats.Recorder
		mu                        sync.Mutex
		relayed                   []*message
		failed, notDelivered      int
		firstErr                  string
	)
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		failed++
		if firstErr == "" {
			firstErr = err.Error()
		}
	}
	timed := func(rec *stats.Recorder, call func() error) bool {
		began := time.Now()
		if err := call(); err != nil {
			fail(err)
			return false
		}
		rec.Add(time.Since(began))
		return true
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(staffMembers)
	for _, c := range customers {
		g.Go(func() error {
			first := c.newMessage(true)
			if err := c.send(gctx, first, r.opts.ReplyTimeout); err != nil {
				fail(err)
				return nil
			}
			r.watch.add(first)
			if !awaitReply(gctx, first, r.opts.ReplyTimeout) {
				fail(fmt.Errorf("%s customer %s: no bot reply before live chat", c.channel, c.id))
				return nil
			}
			if !timed(&on, func() error { return r.api.SetLiveChat(gctx, c.channel, c.id, true) }) {
				return nil
			}
			for k := 1; k <= r.opts.StaffMessages; k++ {
				id := fmt.Sprintf("%s-staff-%d", c.tag, c.n.Add(1))
				s := c.expectStaff(id)
				began := time.Now()
				if !timed(&sent, func() error {
					_, err := r.api.StaffMessage(gctx, c.channel, c.id, id, staffText(id))
					return err
				}) {
					continue
				}
				select {
				case <-s.deliveredCh:
					atCustomer.Add(s.deliveredAt().Sub(began))
				case <-time.After(r.opts.ReplyTimeout):
					mu.Lock()
					notDelivered++
					mu.Unlock()
				case <-gctx.Done():
					return gctx.Err()
				}
			}
			m := c.newMessage(false)
			mu.Lock()
			relayed = append(relayed, m)
			mu.Unlock()
			if c.send(gctx, m, r.opts.ReplyTimeout) == nil { // a failure is counted with the relayed messages
				r.watch.add(m)
			}
			timed(&off, func() error { return r.api.SetLiveChat(gctx, c.channel, c.id, false) })
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	r.settle(ctx, relayed, r.opts.Settle)
	o := summarize(relayed)
	r.report.Staff = &StaffResult{
		Conversations: len(customers), Failed: failed + o.failed, FirstError: firstErr,
		LiveChatOn: on.Summary(), LiveChatOff: off.Summary(), Message: sent.Summary(), AtCustomer: atCustomer.Summary(),
		RelayedAck: o.ack, RelayedSearchable: o.searchable, NotDelivered: notDelivered,
	}
	if r.report.Staff.FirstError == "" {
		r.report.Staff.FirstError = o.firstErr
	}
	r.log.Info("staff", "conversations", len(customers), "message_p99_ms", r.report.Staff.Message.P99,
		"at_customer_p99_ms", r.report.Staff.AtCustomer.P99, "failed", r.report.Staff.Failed)
	return nil
}
