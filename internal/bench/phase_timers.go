package bench

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"golang.org/x/sync/errgroup"

	"github.com/handoff-chat/handoff/internal/bench/stats"
	"github.com/handoff-chat/handoff/internal/chat"
	"github.com/handoff-chat/handoff/workflows"
)

const (
	// openParallelism is how many conversations are opened at once.
	openParallelism = 32
	// describeParallelism bounds the reads of the conversations' outcome.
	describeParallelism = 16
	// closeGrace is how long after its deadline a conversation is waited
	// for before it counts as not closed.
	closeGrace = time.Minute
)

// timers opens Conversations new conversations (one customer message each,
// half on each channel by default) on a short messaging window, reads
// resident memory and disk with all of them open, and waits for their
// windows to close. A conversation's lateness is when its run ended (the
// staff API shows it closed; staff can no longer write) minus its
// deadline, both as Temporal recorded them.
//
// Unless --window set it from the start, the window is fitted to this
// machine: a pilot of conversations (not measured further) times how fast
// they are opened and answered; the conversations are then opened at that
// pace (their deadlines come at the same pace), and handoff is restarted
// with a window long enough for all of them to be open before the first
// closes.
func (r *runner) timers(ctx context.Context) error {
	n := r.opts.Conversations
	window := r.opts.Window
	res := &TimersResult{Conversations: n}
	pace := 0.0 // conversations opened a second; 0: as fast as they are acknowledged
	if window == 0 {
		pilot, err := r.pop.fresh(ctx, min(max(n/20, 50), n), false)
		if err != nil {
			return err
		}
		o := r.open(ctx, pilot, nil, 0)
		if len(o.opened) == 0 {
			return fmt.Errorf("no pilot conversation was opened: %s", o.firstErr)
		}
		// A message is acknowledged once Temporal has it, before the
		// conversation has run: the rate that counts is how fast the
		// pilot's conversations were opened and answered, so that the
		// deadlines do not come while the first messages are still being
		// handled.
		handled, _ := r.quiesce(ctx)
		res.PilotPerSecond = stats.PerSecond(len(o.opened), o.took+handled)
		// The deadlines come at the rate the conversations were opened,
		// so they are opened no faster than the machine handles them.
		pace = res.PilotPerSecond
		window = FitWindow(n, pace)
		r.log.Info("timers: restarting handoff with a window fitted to this machine", "pilot_opened_per_s", res.PilotPerSecond, "window", window)
		if err := r.self.restartWithWindow(ctx, window); err != nil {
			return err
		}
		if _, quiet := r.quiesce(ctx); !quiet {
			r.report.note("handoff was still busy with the pilot conversations when the timers phase opened its own")
		}
	}
	res.WindowSeconds = window.Seconds()
	before, err := r.self.memory()
	if err != nil {
		return err
	}
	diskBefore, err := r.self.disk()
	if err != nil {
		return err
	}
	res.ResidentBeforeMiB, res.DiskBeforeMiB = mib(before.RSS), mib(diskBefore)

	r.log.Info("timers: opening conversations", "conversations", n, "window", window)
	customers, err := r.pop.fresh(ctx, n, false)
	if err != nil {
		return err
	}
	o := r.open(ctx, customers, newProgress(r.log, "timers: opened", n), pace)
	if err := ctx.Err(); err != nil {
		return err
	}
	res.OpenSeconds = stats.Round(o.took.Seconds(), 1)
	res.OpenPerSecond = stats.PerSecond(len(o.opened), o.took)
	res.Failed, res.FirstError = o.failed, o.firstErr
	res.AllOpenAtOnce = o.failed == 0 && o.lastAck.Before(o.firstAck.Add(window))
	if len(o.opened) == 0 {
		return fmt.Errorf("no conversation was opened: %s", o.firstErr)
	}

	open, err := r.self.memory()
	if err != nil {
		return err
	}
	diskOpen, err := r.self.disk()
	if err != nil {
		return err
	}
	res.ResidentOpenMiB, res.DiskOpenMiB = mib(open.RSS), mib(diskOpen)
	res.ResidentPer1000 = stats.Round((res.ResidentOpenMiB-res.ResidentBeforeMiB)/float64(len(o.opened))*1000, 1)
	res.DiskPer1000 = stats.Round((res.DiskOpenMiB-res.DiskBeforeMiB)/float64(len(o.opened))*1000, 1)
	r.log.Info("timers: all open", "conversations", len(o.opened), "took", o.took.Round(time.Second),
		"resident_mib", res.ResidentOpenMiB, "disk_mib", res.DiskOpenMiB, "first_deadline_in", time.Until(o.firstAck.Add(window)).Round(time.Second))

	// Wait for the last deadline, watching the memory.
	peak := open.RSS
	lastDeadline := o.lastAck.Add(window)
	for time.Now().Before(lastDeadline.Add(5 * time.Second)) {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
		if m, err := r.self.memory(); err == nil {
			peak = max(peak, m.RSS)
		}
	}
	res.ResidentPeakMiB = mib(peak)

	lateness, notClosed, err := r.closings(ctx, o.opened, lastDeadline.Add(closeGrace))
	if err != nil {
		return err
	}
	res.Lateness, res.NotClosed = stats.Summarize(lateness), notClosed
	r.report.Timers = res
	r.log.Info("timers", "conversations", len(o.opened), "lateness_p50_ms", res.Lateness.P50, "lateness_p99_ms", res.Lateness.P99,
		"lateness_max_ms", res.Lateness.Max, "not_closed", notClosed)
	return nil
}

// opening is what opening conversations came to.
type opening struct {
	opened            []*customer
	firstAck, lastAck time.Time
	took              time.Duration
	failed            int
	firstErr          string
}

// open has each customer write its first message, openParallelism at a
// time and, when pace is above 0, at most pace a second; progress, if not
// nil, counts them.
func (r *runner) open(ctx context.Context, customers []*customer, progress *progress, pace float64) opening {
	var (
		mu sync.Mutex
		o  opening
	)
	began := time.Now()
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(openParallelism)
	for i, c := range customers {
		if pace > 0 {
			select {
			case <-gctx.Done():
			case <-time.After(time.Until(began.Add(time.Duration(float64(i) / pace * float64(time.Second))))):
			}
		}
		g.Go(func() error {
			// Answered, but nobody waits for it; web chat replies go unseen
			// (no event stream), Messenger ones are matched.
			m := c.newMessage(c.channel == messenger)
			err := c.send(gctx, m, r.opts.ReplyTimeout)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				o.failed++
				if o.firstErr == "" {
					o.firstErr = err.Error()
				}
				return nil
			}
			acked := m.status().acked
			if o.firstAck.IsZero() || acked.Before(o.firstAck) {
				o.firstAck = acked
			}
			o.lastAck = later(o.lastAck, acked)
			o.opened = append(o.opened, c)
			if progress != nil {
				progress.add()
			}
			return nil
		})
	}
	_ = g.Wait() // the goroutines return no error
	o.took = time.Since(began)
	return o
}

// closings reads when each conversation's run ended and its deadline,
// reading the ones still running again until giveUp.
func (r *runner) closings(ctx context.Context, customers []*customer, giveUp time.Time) (lateness []time.Duration, notClosed int, err error) {
	pending := customers
	for {
		// One visibility query says which are still running, so only the
		// ones that ended are read one by one (each once): reading every
		// pending conversation on every pass would load the server the
		// deadlines are timed on.
		running, err := r.runningConversations(ctx)
		if err != nil {
			return nil, 0, err
		}
		var (
			mu    sync.Mutex
			still []*customer
		)
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(describeParallelism)
		for _, c := range pending {
			if running[workflows.ConversationWorkflowID(c.channel, c.id)] {
				still = append(still, c)
				continue
			}
			g.Go(func() error {
				late, closed, err := r.closing(gctx, c)
				if err != nil {
					return err
				}
				mu.Lock()
				defer mu.Unlock()
				if closed {
					lateness = append(lateness, late)
				} else {
					still = append(still, c)
				}
				return nil
			})
		}
		if err := g.Wait(); err != nil {
			return nil, 0, err
		}
		if len(still) == 0 || time.Now().After(giveUp) {
			return lateness, len(still), nil
		}
		pending = still
		select {
		case <-ctx.Done():
			return nil, 0, ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

// runningConversations lists the conversations the visibility store shows
// running. It may lag behind a run's end, never ahead of it: closing reads
// each one it leaves out.
func (r *runner) runningConversations(ctx context.Context) (map[string]bool, error) {
	running := map[string]bool{}
	query := fmt.Sprintf("WorkflowType = '%s' AND ExecutionStatus = 'Running'", workflows.ConversationWorkflowName)
	var token []byte
	for {
		resp, err := r.temporal.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Query: query, PageSize: 1000, NextPageToken: token,
		})
		if err != nil {
			return nil, fmt.Errorf("list the running conversations: %w", err)
		}
		for _, e := range resp.GetExecutions() {
			running[e.GetExecution().GetWorkflowId()] = true
		}
		if token = resp.GetNextPageToken(); len(token) == 0 {
			return running, nil
		}
	}
}

// closing reads one conversation: whether its run ended, and how long
// after its window's deadline.
func (r *runner) closing(ctx context.Context, c *customer) (time.Duration, bool, error) {
	id := workflows.ConversationWorkflowID(c.channel, c.id)
	desc, err := r.temporal.DescribeWorkflowExecution(ctx, id, "")
	if err != nil {
		return 0, false, fmt.Errorf("read conversation %s: %w", id, err)
	}
	info := desc.GetWorkflowExecutionInfo()
	if info.GetStatus() == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		return 0, false, nil
	}
	if info.GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED {
		return 0, false, fmt.Errorf("conversation %s ended %s, not with its window", id, info.GetStatus())
	}
	// The run's result is the conversation as it ended, with the exact
	// deadline (the search attribute is rounded to the quarter hour).
	var ended chat.Conversation
	if err := r.temporal.GetWorkflow(ctx, id, info.GetExecution().GetRunId()).Get(ctx, &ended); err != nil {
		return 0, false, fmt.Errorf("read how conversation %s ended: %w", id, err)
	}
	if ended.WindowClosesAt.IsZero() {
		return 0, false, errors.New("conversation " + id + " ended without a window deadline")
	}
	return info.GetCloseTime().AsTime().Sub(ended.WindowClosesAt), true, nil
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// progress logs every tenth of a long count.
type progress struct {
	log   interface{ Info(string, ...any) }
	what  string
	total int
	done  int
}

func newProgress(log interface{ Info(string, ...any) }, what string, total int) *progress {
	return &progress{log: log, what: what, total: total}
}

// add counts one; the caller serialises calls.
func (p *progress) add() {
	p.done++
	if step := max(p.total/10, 1); p.total >= 1000 && p.done%step == 0 {
		p.log.Info(p.what, "done", p.done, "of", p.total)
	}
}
