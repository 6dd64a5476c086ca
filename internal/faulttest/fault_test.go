package faulttest

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"golang.org/x/sync/errgroup"

	"github.com/handoff-chat/handoff/internal/bench/child"
	"github.com/handoff-chat/handoff/internal/bench/graphsink"
	"github.com/handoff-chat/handoff/internal/bench/handoffapi"
	"github.com/handoff-chat/handoff/workflows"
)

// namespace is the Temporal namespace the test sets up for handoff.
const namespace = "handoff-fault"

// The size of the run: customers per channel, and the conversation window
// and inactivity timeout (the shortest handoff accepts is a minute; the
// window is two, so that a fault's stall never closes a conversation in
// the middle of its script).
const (
	customersPerChannel = 8
	window              = 2 * time.Minute
	inactivity          = time.Minute
)

// quietLogger drops the SDK's log lines in the test process.
type quietLogger struct{}

func (quietLogger) Debug(string, ...any) {}
func (quietLogger) Info(string, ...any)  {}
func (quietLogger) Warn(string, ...any)  {}
func (quietLogger) Error(string, ...any) {}

// TestFaults runs handoff as a deployment of separate processes on a real
// Temporal server and PostgreSQL, drives customers and staff through the
// HTTP API while it kills a worker, restarts an api process and the
// Temporal server, and checks that nothing was lost or done twice.
func TestFaults(t *testing.T) {
	if os.Getenv("HANDOFF_FAULT_TEST") == "" {
		t.Skip("the fault test runs with HANDOFF_FAULT_TEST=1 (scripts/fault-test)")
	}
	r := newRecorder(t)
	root, err := os.MkdirTemp("", "handoff-fault-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("logs and data kept in %s", root)
			return
		}
		_ = os.RemoveAll(root)
	})

	handoffBin, ts, tc := startStack(t, r, root)
	d := deploy(t, r, root, handoffBin, ts, tc)
	d.run(t)
}

// startStack builds handoff into root and the pinned Temporal server (once
// per version), and starts PostgreSQL with the server's schemas and the
// server on it, with handoff's namespace: everything handoff runs on.
func startStack(t *testing.T, r *recorder, root string) (handoffBin string, ts *temporalServer, tc client.Client) {
	mod := pinnedTemporal(t)
	bins := buildTemporal(t, r, mod)
	handoffBin = buildHandoff(t, r, root)
	pg := startPostgres(t, r)
	setUpSchema(t, r, pg, bins.sqlTool, mod)
	ts = startTemporal(t, r, root, pg, bins)
	return handoffBin, ts, setUpNamespace(t, r, ts.frontend, namespace)
}

// deployment is everything the test runs and drives.
type deployment struct {
	r                *recorder
	stats            *counter
	temporal         *temporalServer
	tc               client.Client
	sink             *graphsink.Sink
	processes        []*process
	workerA, workerB *process
	api1, api2       *process
	apis             apis
	lists            []*listStream
	mu               sync.Mutex
	customers        []*customer
	byPSID           map[string]*customer
}

func deploy(t *testing.T, r *recorder, root, bin string, ts *temporalServer, tc client.Client) *deployment {
	d := &deployment{r: r, stats: &counter{r: r}, temporal: ts, tc: tc, byPSID: map[string]*customer{}}
	e := handoffEnv{
		frontend: ts.frontend, namespace: namespace,
		staffToken: randomHex(16), shareToken: randomHex(16),
		appSecret: randomHex(16), page: "1000000000000042", pageToken: "fault-page-token-" + randomHex(8),
	}
	sink, err := graphsink.Start("127.0.0.1:0", map[string]string{e.page: e.pageToken}, d.onSend, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sink.Close() })
	d.sink, e.graphURL = sink, sink.URL
	if e.shareAddr, err = child.FreeAddr(); err != nil {
		t.Fatal(err)
	}
	for _, p := range []struct{ name, role string }{
		{"worker-a", "worker"}, {"worker-b", "worker"}, {"api-1", "api"}, {"api-2", "api"},
	} {
		proc, err := newProcess(root, p.name, p.role, e, bin, tc)
		if err != nil {
			t.Fatal(err)
		}
		d.processes = append(d.processes, proc)
	}
	d.workerA, d.workerB, d.api1, d.api2 = d.processes[0], d.processes[1], d.processes[2], d.processes[3]
	t.Cleanup(func() { d.stopAll(t) })
	for _, p := range d.processes {
		if err := p.start(context.Background()); err != nil {
			t.Fatal(err)
		}
		proc := p.current()
		r.say("%s started (pid %d) in %s", p.name, proc.Pid(), proc.Ready.Sub(proc.Started).Round(100*time.Millisecond))
	}
	d.apis = apis{
		handoffapi.New("http://"+d.api1.httpAddr, e.staffToken, e.appSecret, e.page),
		handoffapi.New("http://"+d.api2.httpAddr, e.staffToken, e.appSecret, e.page),
	}
	return d
}

// stopAll stops every handoff process (SIGTERM), each of which must exit
// cleanly.
func (d *deployment) stopAll(t *testing.T) {
	for i := len(d.processes) - 1; i >= 0; i-- {
		p := d.processes[i]
		if proc := p.current(); proc != nil {
			if err := proc.Stop(time.Minute); err != nil {
				t.Errorf("%s: %v\n%s", p.name, err, child.Tail(p.spec.LogFile))
			}
		}
	}
}

// onSend takes what the Graph API stand-in received for a customer.
func (d *deployment) onSend(s graphsink.Delivery) {
	d.mu.Lock()
	c := d.byPSID[s.Recipient]
	d.mu.Unlock()
	if c == nil {
		d.stats.add("Send API calls to no customer of the test", 1)
		return
	}
	c.delivered(s.Text, s.MessageID, d.r.elapsed())
}

func (d *deployment) run(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r, stats := d.r, d.stats
	if err := retry(ctx, d.apis, 0, stats, "settings changes", func(a *handoffapi.Client) (bool, error) {
		return false, a.ChangeSettings(ctx, "fault-test-inactivity", map[string]any{"inactivity_timeout": inactivity.String()})
	}); err != nil {
		t.Fatal(err)
	}
	for i, a := range d.apis {
		l := newListStream(a, fmt.Sprintf("api-%d", i+1))
		d.lists = append(d.lists, l)
		go l.follow(ctx, stats)
	}
	for i := range customersPerChannel {
		id, token, err := d.apis[i%2].NewVisitor(ctx)
		if err != nil {
			t.Fatal(err)
		}
		c := newCustomer(i, webChat, id, token, i%2)
		d.customers = append(d.customers, c)
		go c.follow(ctx, d.apis, stats)
	}
	for i := range customersPerChannel {
		c := newCustomer(i, messenger, fmt.Sprintf("9%015d", 4200+i), "", i%2)
		d.mu.Lock()
		d.byPSID[c.id] = c
		d.mu.Unlock()
		d.customers = append(d.customers, c)
	}
	r.say("driving %d web chat visitors and %d Messenger customers (window %s, inactivity timeout %s)", customersPerChannel, customersPerChannel, window, inactivity)

	// The customers start over 20 seconds, so the faults find them at
	// every step of their scripts.
	scripts, sctx := errgroup.WithContext(ctx)
	loadStart := time.Now()
	faultsOver := make(chan struct{})
	for i, c := range d.customers {
		scripts.Go(func() error {
			if err := sleep(sctx, time.Duration(i)*20*time.Second/time.Duration(len(d.customers))); err != nil {
				return err
			}
			return c.script(sctx, d.apis, stats, faultsOver, func(ctx context.Context) (string, error) {
				v, err := d.apis[c.home].Conversation(ctx, c.channel, c.id)
				return v.State, err
			}, func(ctx context.Context, id string) (bool, error) {
				v, err := d.apis[c.home].Conversation(ctx, c.channel, c.id)
				for _, m := range v.Messages {
					if m.ID == id {
						return true, err
					}
				}
				return false, err
			})
		})
	}
	faultsDone := make(chan error, 1)
	go func() {
		err := d.faults(sctx, loadStart)
		close(faultsOver)
		faultsDone <- err
	}()
	if err := scripts.Wait(); err != nil {
		t.Fatalf("a customer's script failed: %v\n%s", err, r.summary())
	}
	if err := <-faultsDone; err != nil {
		t.Fatalf("faults: %v", err)
	}
	r.say("every script done %s after the load began", time.Since(loadStart).Round(time.Second))

	d.checkWindows(t, ctx)
	d.checkTranscripts(ctx)
	d.checkReceived()
	d.checkSearch(ctx)
	d.checkFeed()
	t.Logf("summary\n%s", r.summary())
}

// awaiting is how many acknowledged customer messages wait for the bot's
// reply, and how many staff messages for their delivery.
func (d *deployment) awaiting() (replies, staff int) {
	for _, c := range d.customers {
		replies += max(c.expectedReplies()-c.botReplies(), 0)
		c.mu.Lock()
		for _, id := range c.staffSent {
			if c.staffGot[id] == 0 {
				staff++
			}
		}
		c.mu.Unlock()
	}
	return replies, staff
}

// faults kills and restarts processes while the customers write: worker B
// (SIGKILL), api-2 (SIGTERM and start), worker A, the owner of the index
// (SIGKILL), and the Temporal server (SIGTERM and start). A killed worker
// is started again after 3 seconds, as a supervisor would.
func (d *deployment) faults(ctx context.Context, began time.Time) error {
	at := func(offset time.Duration) error { return sleep(ctx, time.Until(began.Add(offset))) }
	// A fault waits (up to 15 s) for work in flight: messages waiting for
	// the bot or for delivery.
	inFlight := func() (replies, staff int, err error) {
		for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); {
			if replies, staff := d.awaiting(); replies+staff > 0 {
				break
			}
			if err := sleep(ctx, 50*time.Millisecond); err != nil {
				return 0, 0, err
			}
		}
		replies, staff = d.awaiting()
		return replies, staff, nil
	}
	kill := func(p *process) error {
		replies, staff, err := inFlight()
		if err != nil {
			return err
		}
		proc := p.current()
		proc.Kill()
		d.r.fault("SIGKILL %s (pid %d); in flight: %d customer messages waiting for the bot's reply, %d staff messages for delivery", p.name, proc.Pid(), replies, staff)
		d.stats.add("workers killed (SIGKILL)", 1)
		d.stats.add("messages waiting at a worker kill", replies+staff)
		if err := sleep(ctx, 3*time.Second); err != nil {
			return err
		}
		if err := p.start(ctx); err != nil {
			return err
		}
		next := p.current()
		d.r.fault("%s started again (pid %d), ready in %s", p.name, next.Pid(), next.Ready.Sub(next.Started).Round(100*time.Millisecond))
		return nil
	}
	if err := at(25 * time.Second); err != nil {
		return err
	}
	if err := kill(d.workerB); err != nil {
		return err
	}
	if err := at(45 * time.Second); err != nil {
		return err
	}
	proc := d.api2.current()
	stopped := time.Now()
	if err := proc.Stop(time.Minute); err != nil {
		return err
	}
	d.r.fault("SIGTERM api-2 (pid %d): exited in %s", proc.Pid(), time.Since(stopped).Round(100*time.Millisecond))
	if err := d.api2.start(ctx); err != nil {
		return err
	}
	next := d.api2.current()
	d.r.fault("api-2 started again (pid %d), ready in %s", next.Pid(), next.Ready.Sub(next.Started).Round(100*time.Millisecond))
	d.stats.add("api processes restarted (SIGTERM)", 1)
	if err := at(65 * time.Second); err != nil {
		return err
	}
	if err := kill(d.workerA); err != nil {
		return err
	}
	if err := at(90 * time.Second); err != nil {
		return err
	}
	replies, staff, err := inFlight()
	if err != nil {
		return err
	}
	d.r.fault("SIGTERM the Temporal server (pid %d); in flight: %d customer messages waiting for the bot's reply, %d staff messages for delivery", d.temporal.proc.Pid(), replies, staff)
	stoppedIn, readyIn, err := d.temporal.restart(ctx)
	if err != nil {
		return err
	}
	d.r.fault("Temporal server exited in %s, started again (pid %d), ready in %s", stoppedIn.Round(100*time.Millisecond), d.temporal.proc.Pid(), readyIn.Round(100*time.Millisecond))
	d.stats.add("Temporal server restarts", 1)
	return nil
}

// checkWindows waits for every conversation's window to close: its
// workflow run completes at the window's end, and the staff view says it is
// closed. How late each closed is reported, not asserted.
func (d *deployment) checkWindows(t *testing.T, ctx context.Context) {
	var latest time.Duration
	for _, c := range d.customers {
		c.mu.Lock()
		tried, last := c.lastTried, c.lastSent
		c.mu.Unlock()
		id := workflows.ConversationWorkflowID(c.channel, c.id)
		deadline := last.Add(window + 3*time.Minute)
		for {
			desc, err := d.tc.DescribeWorkflowExecution(ctx, id, "")
			if err == nil && desc.GetWorkflowExecutionInfo().GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
				info := desc.GetWorkflowExecutionInfo()
				if info.GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED {
					d.r.fail("%s: its run ended %s, want completed at the window's end", c.name(), info.GetStatus())
				}
				closed := info.GetCloseTime().AsTime()
				latest = max(latest, closed.Sub(last.Add(window)))
				if early := tried.Add(window).Sub(closed); early > 2*time.Second {
					d.r.fail("%s: window closed %s before a window after its last message was first tried", c.name(), early)
				}
				d.stats.add("window timers that closed their conversation", 1)
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: the conversation was still open %s after its last message (%v)", c.name(), window+3*time.Minute, err)
			}
			if err := sleep(ctx, time.Second); err != nil {
				t.Fatal(err)
			}
		}
		view, err := d.apis[0].Conversation(ctx, c.channel, c.id)
		if err != nil || view.Open {
			d.r.fail("%s: the staff view says open=%t after the window (%v)", c.name(), view.Open, err)
		}
	}
	d.r.say("every window closed its conversation; the latest closed %s after its deadline", latest.Round(100*time.Millisecond))
}

// checkTranscripts reads every transcript through the staff API: each
// acknowledged customer message once, each staff message once, and one bot
// reply for each customer message the bot answers, no more.
func (d *deployment) checkTranscripts(ctx context.Context) {
	for _, c := range d.customers {
		view, err := d.apis[1].Conversation(ctx, c.channel, c.id)
		if err != nil {
			d.r.fail("%s: %v", c.name(), err)
			continue
		}
		times := map[string]int{}
		bots := 0
		for _, m := range view.Messages {
			switch m.Sender {
			case "bot":
				bots++
			default:
				times[m.ID]++
			}
		}
		c.mu.Lock()
		if c.channel == messenger {
			d.checkDeliveries(c, view.Messages)
		}
		if c.channel == webChat {
			for _, m := range view.Messages {
				if !c.seqs[m.Seq] {
					d.r.fail("%s: its event stream never delivered message %d (%s, %s)", c.name(), m.Seq, m.Sender, m.ID)
				}
			}
			d.stats.add("web chat messages delivered by the event streams", len(view.Messages))
		}
		for _, m := range c.sent {
			if times[m.id] != 1 {
				d.r.fail("%s: customer message %s is in the transcript %d times, want once", c.name(), m.id, times[m.id])
			}
		}
		for _, id := range c.staffSent {
			if times[id] != 1 {
				d.r.fail("%s: staff message %s is in the transcript %d times, want once", c.name(), id, times[id])
			}
		}
		if want := len(c.sent) + len(c.staffSent); len(times) != want {
			d.r.fail("%s: %d customer and staff messages in the transcript, want %d", c.name(), len(times), want)
		}
		c.mu.Unlock()
		if want := c.expectedReplies(); bots != want {
			d.r.fail("%s: %d bot messages in the transcript, want %d (one per message the bot answers)", c.name(), bots, want)
		}
		d.stats.add("transcripts checked", 1)
		d.stats.add("customer messages in transcripts", len(view.Messages)-bots-len(c.staffSent))
		d.stats.add("bot replies in transcripts", bots)
	}
}

// checkDeliveries checks, with c locked, that the transcript says every
// bot and staff message was sent to the Messenger customer, with message IDs
// the Send API stand-in gave out to this customer, and keeps those IDs.
func (d *deployment) checkDeliveries(c *customer, msgs []handoffapi.Message) {
	c.recorded = map[string]bool{}
	for _, m := range msgs {
		if m.Sender == "customer" {
			continue
		}
		if m.Delivery == nil || m.Delivery.Status != "sent" || len(m.Delivery.ChannelMessageIDs) == 0 {
			d.r.fail("%s: %s message %s is not recorded as sent: %+v", c.name(), m.Sender, m.ID, m.Delivery)
			continue
		}
		for _, mid := range m.Delivery.ChannelMessageIDs {
			if _, ok := c.sendLog[mid]; !ok {
				d.r.fail("%s: %s message %s is recorded as sent as %s, which the Send API never gave this customer", c.name(), m.Sender, m.ID, mid)
			}
			c.recorded[mid] = true
		}
	}
}

// checkReceived compares what reached each customer with what was sent:
// through the web chat event stream (every message of the transcript, by
// its sequence number, across reconnects) or the Send API stand-in (one
// call per bot reply and per staff message).
//
// Messenger delivery is at least once: a Send API call that went through
// just before a fault stopped the workflow task that made it (a worker
// killed, the Temporal server restarted) is made again when the task is
// retried on another worker, as the Send API has no idempotency key. The
// transcript records the call that the workflow saw (checkDeliveries); a
// call it does not record was made again. A Messenger customer may receive
// one message twice, and the run at most as many repeats as it had such
// faults; each is reported. The web chat, which reads the transcript, gets
// everything exactly once.
func (d *deployment) checkReceived() {
	repeats := 0
	for _, c := range d.customers {
		want := c.expectedReplies()
		c.mu.Lock()
		var again []string
		for mid, call := range c.sendLog {
			if !c.recorded[mid] {
				again = append(again, call+" ("+mid+")")
			}
		}
		slices.Sort(again)
		if got := c.botRepliesLocked(); got < want || (c.channel == webChat && got != want) {
			d.r.fail("%s received %d bot replies, want %d", c.name(), got, want)
		}
		for _, id := range c.staffSent {
			if n := c.staffGot[id]; n == 0 || (c.channel == webChat && n != 1) {
				d.r.fail("%s received staff message %s %d times, want once", c.name(), id, n)
			}
		}
		switch {
		case len(again) > 1:
			d.r.fail("%s received %d messages again, want at most one: %s", c.name(), len(again), strings.Join(again, "; "))
		case len(again) == 1:
			d.r.say("%s received a message again (at least once): %s", c.name(), again[0])
		}
		repeats += len(again)
		c.mu.Unlock()
		d.stats.add("bot replies received by customers ("+c.channel+")", want)
		d.stats.add("staff messages received by customers ("+c.channel+")", len(c.staffSent))
	}
	d.stats.add("Send API calls made again after a fault (at least once)", repeats)
	if faults := d.r.counted("workers killed (SIGKILL)") + d.r.counted("Temporal server restarts"); repeats > faults {
		d.r.fail("%d messages reached Messenger customers again, more than the %d faults that stopped workflow tasks", repeats, faults)
	}
}

// checkSearch finds every customer message with the staff search.
func (d *deployment) checkSearch(ctx context.Context) {
	for _, c := range d.customers {
		want := map[string]bool{}
		c.mu.Lock()
		for _, m := range c.sent {
			want[m.id] = true
		}
		c.mu.Unlock()
		found, err := d.apis[0].FindCustomerMessages(ctx, c.channel, c.id, c.word, want)
		if err != nil {
			d.r.fail("%s: search: %v", c.name(), err)
			continue
		}
		for id := range want {
			if !found[id] {
				d.r.fail("%s: the search for %q does not find message %s", c.name(), c.word, id)
			}
		}
		d.stats.add("customer messages found by the search", len(found))
	}
	d.stats.add("searches", int(d.apis[0].Searches.Load()))
}

// checkFeed checks that each dashboard list, one on each api process, kept
// through the api restart, shows every conversation's final document: its
// last message and its state.
func (d *deployment) checkFeed() {
	for _, l := range d.lists {
		for _, c := range d.customers {
			id := workflows.ConversationWorkflowID(c.channel, c.id)
			view, err := d.apis[0].Conversation(context.Background(), c.channel, c.id)
			if err != nil {
				d.r.fail("%s: %v", c.name(), err)
				continue
			}
			final := int64(0)
			for _, m := range view.Messages {
				final = max(final, m.Seq)
			}
			row, states := l.row(id)
			if row.LastSeq != final || row.State != view.State {
				d.r.fail("the list on %s shows %s at message %d, state %q; its final document is at %d, %q (states seen %v)",
					l.who, c.name(), row.LastSeq, row.State, final, view.State, states)
				continue
			}
			if strings.Contains(strings.Join(states, ","), "live_chat") {
				d.stats.add("list streams that showed a live chat begin and end", 1)
			}
			d.stats.add("final conversation states on list streams", 1)
		}
		snapshots, events := l.counts()
		d.stats.add("list stream snapshots ("+l.who+")", snapshots)
		d.stats.add("list stream conversation events ("+l.who+")", events)
	}
}
