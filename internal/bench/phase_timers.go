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
// machine by a pilot (see pilot): the conversations are opened at the pace
// it gives (their deadlines come at the same pace), and handoff is
// restarted with a window long enough for all of them to be open before
// the first closes.
func (r *runner) timers(ctx context.Context) error {
	n := r.opts.Conversations
	window := r.opts.Window
	res := &TimersResult{Conversations: n}
	pace := 0.0 // conversations opened a second; 0: as fast as they are acknowledged
	if window == 0 {
		if err := r.pilot(ctx, min(max(n/20, 50), n), res); err != nil {
			return err
		}
		pace = res.PacePerSecond
		window = FitWindow(n, pace)
		r.log.Info("timers: restarting handoff with a window fitted to this machine", "pace_per_s", pace, "window", window)
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

	closed, notClosed, err := r.closings(ctx, o.opened, lastDeadline.Add(closeGrace))
	if err != nil {
		return err
	}
	res.Lateness, res.NotClosed = stats.Summarize(lateness(closed)), notClosed
	r.report.Timers = res
	r.log.Info("timers", "conversations", len(o.opened), "lateness_p50_ms", res.Lateness.P50, "lateness_p99_ms", res.Lateness.P99,
		"lateness_max_ms", res.Lateness.Max, "not_closed", notClosed)
	return nil
}

// pilotWindow is the pilot's conversation.window: the shortest handoff
// accepts, so that the pilot's conversations close too.
const pilotWindow = minWindow

// pilot fits the timers phase to this machine with n conversations (not
// measured further). Handoff is restarted on the shortest window and they
// are opened as fast as they are acknowledged. How fast they were opened
// and answered counts until handoff is idle again: a message is
// acknowledged once Temporal has it, before the conversation ran. How fast
// they were closed counts from the first deadline to the last closing.
// The deadlines of the measured conversations come at the pace they are
// opened, so that pace is DeadlinePace of the two: a faster one would time
// the machine's backlog rather than its timers.
func (r *runner) pilot(ctx context.Context, n int, res *TimersResult) error {
	r.log.Info("timers: a pilot of conversations on the shortest window", "conversations", n, "window", pilotWindow)
	if err := r.self.restartWithWindow(ctx, pilotWindow); err != nil {
		return err
	}
	customers, err := r.pop.fresh(ctx, n, false)
	if err != nil {
		return err
	}
	o := r.open(ctx, customers, nil, 0)
	if len(o.opened) == 0 {
		return fmt.Errorf("no pilot conversation was opened: %s", o.firstErr)
	}
	handled, _ := r.quiesce(ctx)
	res.PilotOpenPerSecond = stats.PerSecond(len(o.opened), o.took+handled)
	// Every deadline is at most a window after the last message was handled.
	closed, notClosed, err := r.closings(ctx, o.opened, time.Now().Add(pilotWindow+closeGrace))
	if err != nil {
		return err
	}
	if notClosed > 0 {
		r.report.note("%d of the pilot's %d conversations were not closed %s after their deadline", notClosed, len(o.opened), closeGrace)
	}
	res.PilotClosePerSecond = closeRate(closed)
	res.PacePerSecond = DeadlinePace(res.PilotOpenPerSecond, res.PilotClosePerSecond)
	r.log.Info("timers: pilot", "opened_per_s", res.PilotOpenPerSecond, "closed_per_s", res.PilotClosePerSecond,
		"lateness_p99_ms", stats.Summarize(lateness(closed)).P99)
	return nil
}

// paceHeadroom is the share of the pilot's slower rate the deadlines come
// at: a pilot is a short burst, and the measured run lasts many minutes on
// a machine whose pace varies.
const paceHeadroom = 0.8

// DeadlinePace is how many conversations a second the timers phase opens
// (and so how many deadlines a second come), given how many a second the
// pilot opened and answered and how many it closed (0: none closed, the
// opening rate alone counts).
func DeadlinePace(opened, closed float64) float64 {
	slower := opened
	if closed > 0 && closed < slower {
		slower = closed
	}
	return stats.Round(paceHeadroom*slower, 1)
}

// closedRun is a conversation whose run ended: its window's deadline and
// when it ended, as Temporal recorded them.
type closedRun struct {
	deadline, ended time.Time
}

func lateness(runs []closedRun) []time.Duration {
	late := make([]time.Duration, len(runs))
	for i, c := range runs {
		late[i] = c.ended.Sub(c.deadline)
	}
	return late
}

// closeRate is how many runs a second ended, from the first deadline to
// the last end (0 for fewer than two runs).
func closeRate(runs []closedRun) float64 {
	if len(runs) < 2 {
		return 0
	}
	first, last := runs[0].deadline, runs[0].ended
	for _, c := range runs[1:] {
		if c.deadline.Before(first) {
			first = c.deadline
		}
		last = later(last, c.ended)
	}
	return stats.PerSecond(len(runs), last.Sub(first))
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
func (r *runner) closings(ctx context.Context, customers []*customer, giveUp time.Time) (closed []closedRun, notClosed int, err error) {
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
				run, ended, err := r.closing(gctx, c)
				if err != nil {
					return err
				}
				mu.Lock()
				defer mu.Unlock()
				if ended {
					closed = append(closed, run)
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
			return closed, len(still), nil
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

// closing reads one conversation: whether its run ended, when, and its
// window's deadline.
func (r *runner) closing(ctx context.Context, c *customer) (closedRun, bool, error) {
	id := workflows.ConversationWorkflowID(c.channel, c.id)
	desc, err := r.temporal.DescribeWorkflowExecution(ctx, id, "")
	if err != nil {
		return closedRun{}, false, fmt.Errorf("read conversation %s: %w", id, err)
	}
	info := desc.GetWorkflowExecutionInfo()
	if info.GetStatus() == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		return closedRun{}, false, nil
	}
	if info.GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED {
		return closedRun{}, false, fmt.Errorf("conversation %s ended %s, not with its window", id, info.GetStatus())
	}
	// The run's result is the conversation as it ended, with the exact
	// deadline (the search attribute is rounded to the quarter hour).
	var ended chat.Conversation
	if err := r.temporal.GetWorkflow(ctx, id, info.GetExecution().GetRunId()).Get(ctx, &ended); err != nil {
		return closedRun{}, false, fmt.Errorf("read how conversation %s ended: %w", id, err)
	}
	if ended.WindowClosesAt.IsZero() {
		return closedRun{}, false, errors.New("conversation " + id + " ended without a window deadline")
	}
	return closedRun{deadline: ended.WindowClosesAt, ended: info.GetCloseTime().AsTime()}, true, nil
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
