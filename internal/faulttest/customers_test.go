package faulttest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/handoff-chat/handoff/internal/bench/handoffapi"
)

// Channels, as handoff names them.
const (
	webChat   = "webchat"
	messenger = "messenger"
)

// retryFor bounds the retries of one request, and replyWait a wait for
// what handoff sends a customer: both are far above what a fault costs.
const (
	retryFor  = 3 * time.Minute
	replyWait = 3 * time.Minute
)

// apis are the api processes; a request that fails is sent again to the
// next, as a load balancer would after taking a failed process out.
type apis []*handoffapi.Client

// customerMessage is one message a customer sent and what became of it.
type customerMessage struct {
	id, text    string
	expectReply bool
	acked       time.Time
	attempts    int
}

// customer is a web chat visitor or a Messenger user, and what it sent and
// received.
type customer struct {
	n             int
	channel, id   string
	token         string // the visitor's token
	word          string // in every message it writes, for the search
	home          int    // the api process it uses first
	inactivityRun bool   // its live chat ends by the inactivity countdown

	mu   sync.Mutex
	sent []*customerMessage
	// staffSent are the IDs of the staff messages acknowledged to it.
	staffSent []string
	// botIDs are the bot messages it received (web chat, by ID); botSends
	// the Send API calls of bot messages (Messenger).
	botIDs   map[string]bool
	botSends int
	// sendLog lists its Send API calls with the time since the test began
	// (Messenger), by the message_id the stand-in gave each.
	sendLog map[string]string
	// recorded are the message IDs its transcript says were sent.
	recorded map[string]bool
	// staffGot counts each staff message as it arrived: by ID from the
	// web chat stream, by the reference in its text from the Send API.
	staffGot map[string]int
	// seqs are the transcript positions its event stream delivered.
	seqs    map[int64]bool
	lastSeq int64
	changed chan struct{}
	// lastTried and lastSent are when its last message was first tried and
	// when it was acknowledged: its window runs from some moment between
	// the two (when a handoff process first recorded it, which a retry
	// after a lost answer does not move).
	lastTried, lastSent time.Time
	// doneAt is when its script ended (its last message answered).
	doneAt time.Time
}

func newCustomer(n int, channel, id, token string, home int) *customer {
	return &customer{
		n: n, channel: channel, id: id, token: token, home: home,
		word:          fmt.Sprintf("faultword%s%c%c", channel[:3], 'a'+n/26%26, 'a'+n%26),
		inactivityRun: n%2 == 1,
		botIDs:        map[string]bool{}, staffGot: map[string]int{}, seqs: map[int64]bool{}, sendLog: map[string]string{},
		changed: make(chan struct{}, 1),
	}
}

func (c *customer) name() string { return c.channel + " customer " + c.id }

func (c *customer) notify() {
	select {
	case c.changed <- struct{}{}:
	default:
	}
}

// botReplies is how many bot messages reached the customer.
func (c *customer) botReplies() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.botRepliesLocked()
}

func (c *customer) botRepliesLocked() int {
	if c.channel == webChat {
		return len(c.botIDs)
	}
	return c.botSends
}

func (c *customer) expectedReplies() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, m := range c.sent {
		if m.expectReply {
			n++
		}
	}
	return n
}

// waitFor waits until cond holds, checking at every change of what the
// customer received.
func (c *customer) waitFor(ctx context.Context, what string, cond func() bool) error {
	deadline := time.After(replyWait)
	for !cond() {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-deadline:
			return fmt.Errorf("%s: %s not within %s", c.name(), what, replyWait)
		case <-c.changed:
		case <-time.After(time.Second):
		}
	}
	return nil
}

// staffRef finds a staff message's ID in its text as the Send API carries it.
var staffRef = regexp.MustCompile(`\(ref ([A-Za-z0-9._:-]+)\)$`)

func staffText(id string) string { return "Support here, looking into it (ref " + id + ")" }

// delivered takes a Send API call to this Messenger customer, made at
// elapsed since the test began and answered with message ID mid.
func (c *customer) delivered(text, mid, elapsed string) {
	at := " at " + strings.TrimSpace(elapsed)
	c.mu.Lock()
	if m := staffRef.FindStringSubmatch(text); m != nil {
		c.staffGot[m[1]]++
		c.sendLog[mid] = "staff message " + m[1] + at
	} else {
		c.botSends++
		c.sendLog[mid] = "bot message" + at
	}
	c.mu.Unlock()
	c.notify()
}

// onStreamEvent takes a web chat stream event. A message can come again
// while its delivery can still change: each is counted once, by ID.
func (c *customer) onStreamEvent(e handoffapi.Event) {
	if e.Name != "message" {
		return
	}
	var m handoffapi.Message
	if json.Unmarshal(e.Data, &m) != nil {
		return
	}
	c.mu.Lock()
	c.seqs[m.Seq] = true
	c.lastSeq = max(c.lastSeq, m.Seq)
	switch m.Sender {
	case "bot":
		c.botIDs[m.ID] = true
	case "staff":
		if _, ok := c.staffGot[m.ID]; !ok {
			c.staffGot[m.ID] = 1
		}
	}
	c.mu.Unlock()
	c.notify()
}

// follow keeps the visitor's event stream open as the widget does: a broken
// stream is opened again from the last event seen (Last-Event-ID), through
// the next api process when the one it had is gone.
func (c *customer) follow(ctx context.Context, all apis, stats *counter) {
	at := c.home
	for ctx.Err() == nil {
		c.mu.Lock()
		after := c.lastSeq
		c.mu.Unlock()
		body, err := all[at].OpenStream(ctx, "/webchat/v1/visitors/"+c.id+"/events", c.token, after)
		if err == nil {
			stats.add("web chat streams opened", 1)
			_ = handoffapi.ReadEvents(body, c.onStreamEvent)
			body.Close()
		}
		if ctx.Err() != nil {
			return
		}
		stats.add("web chat streams broken and reopened", 1)
		at = (at + 1) % len(all)
		select {
		case <-ctx.Done():
		case <-time.After(300 * time.Millisecond):
		}
	}
}

// counter is the test's counts, shared by the customers.
type counter struct {
	r *recorder
}

func (s *counter) add(name string, n int) { s.r.count(name, n) }

// send sends a customer message until it is acknowledged: a request that
// was refused (5xx, 429) or whose outcome is unknown (a broken connection)
// is sent again with the same ID through the next api process, as the
// widget and Meta retry.
func (c *customer) send(ctx context.Context, all apis, stats *counter, expectReply bool) error {
	c.mu.Lock()
	n := len(c.sent) + 1
	m := &customerMessage{
		id:          fmt.Sprintf("%s-%s-m%d", c.channel, c.id[len(c.id)-6:], n),
		text:        fmt.Sprintf("Hello, a question about my order %s, message %d", c.word, n),
		expectReply: expectReply,
	}
	c.sent = append(c.sent, m)
	c.mu.Unlock()
	tried := time.Now()
	err := retry(ctx, all, c.home, stats, "customer messages", func(a *handoffapi.Client) (bool, error) {
		m.attempts++
		if c.channel == webChat {
			return false, a.VisitorMessage(ctx, c.id, c.token, m.id, m.text)
		}
		return false, a.MessengerMessage(ctx, c.id, m.id, m.text)
	})
	if err != nil {
		return fmt.Errorf("%s, message %s: %w", c.name(), m.id, err)
	}
	c.mu.Lock()
	m.acked = time.Now()
	c.lastTried, c.lastSent = tried, m.acked
	c.mu.Unlock()
	return nil
}

// retry makes a request until it succeeds, counting under kind what each
// attempt met; duplicate says an attempt found an earlier one recorded.
func retry(ctx context.Context, all apis, first int, stats *counter, kind string, call func(*handoffapi.Client) (duplicate bool, err error)) error {
	began, pause := time.Now(), 200*time.Millisecond
	stats.add(kind+": sent", 1)
	for attempt, at := 1, first; ; attempt, at = attempt+1, (at+1)%len(all) {
		duplicate, err := call(all[at])
		if err == nil {
			switch {
			case attempt == 1:
				stats.add(kind+": acknowledged at once", 1)
			case duplicate:
				stats.add(kind+": acknowledged on retry, the earlier attempt had gone through", 1)
			default:
				stats.add(kind+": acknowledged on retry", 1)
			}
			return nil
		}
		var se *handoffapi.StatusError
		switch {
		case errors.As(err, &se) && handoffapi.Retryable(err):
			stats.add(fmt.Sprintf("%s: attempts refused with %d", kind, se.Status), 1)
		case handoffapi.Retryable(err):
			stats.add(kind+": attempts with unknown outcome (connection failed)", 1)
		}
		if !handoffapi.Retryable(err) || time.Since(began) > retryFor {
			stats.add(kind+": given up", 1)
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(pause):
		}
		pause = min(2*pause, 2*time.Second)
	}
}

// staffMessage sends a staff message to the customer until acknowledged.
func (c *customer) staffMessage(ctx context.Context, all apis, stats *counter, k int) error {
	id := fmt.Sprintf("staff-%s-%s-%d", c.channel, c.id[len(c.id)-6:], k)
	err := retry(ctx, all, (c.home+1)%len(all), stats, "staff messages", func(a *handoffapi.Client) (bool, error) {
		return a.StaffMessage(ctx, c.channel, c.id, id, staffText(id))
	})
	if err != nil {
		return fmt.Errorf("%s, staff message %s: %w", c.name(), id, err)
	}
	c.mu.Lock()
	c.staffSent = append(c.staffSent, id)
	c.mu.Unlock()
	return c.waitFor(ctx, "staff message "+id+" delivered", func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.staffGot[id] > 0
	})
}

// liveChat switches live chat as staff. A retry that finds it already
// switched (409) means the earlier attempt went through.
func (c *customer) liveChat(ctx context.Context, all apis, stats *counter, on bool) error {
	tries := 0
	err := retry(ctx, all, (c.home+1)%len(all), stats, "live-chat switches", func(a *handoffapi.Client) (bool, error) {
		tries++
		err := a.SetLiveChat(ctx, c.channel, c.id, on)
		var se *handoffapi.StatusError
		if tries > 1 && errors.As(err, &se) && se.Status == http.StatusConflict {
			return true, nil
		}
		return false, err
	})
	if err != nil {
		return fmt.Errorf("%s, live chat on=%t: %w", c.name(), on, err)
	}
	return nil
}

// script is what the customer and staff do: two messages the bot answers,
// live chat on and a staff message, a message during live chat (no bot
// reply); then either staff switch live chat off and the bot answers again,
// or (inactivityRun) a second staff message, a customer message during live
// chat, the inactivity countdown switching live chat off, and a message the
// bot answers. Besides, the customer chats with the bot until the faults
// are over (before the script, or after it for inactivityRun), so that
// every fault finds work in flight. Its window then closes after its last
// message.
func (c *customer) script(ctx context.Context, all apis, stats *counter, faultsOver <-chan struct{},
	state func(context.Context) (string, error), recorded func(context.Context, string) (bool, error)) error {
	waitReplies := func() error {
		return c.waitFor(ctx, "the bot's replies", func() bool { return c.botReplies() >= c.expectedReplies() })
	}
	chat := func() error {
		for {
			select {
			case <-faultsOver:
				return nil
			default:
			}
			if err := c.send(ctx, all, stats, true); err != nil {
				return err
			}
			if err := waitReplies(); err != nil {
				return err
			}
			if err := sleep(ctx, 4*time.Second); err != nil {
				return err
			}
		}
	}
	steps := []func() error{
		func() error { return c.send(ctx, all, stats, true) },
		waitReplies,
		func() error { return c.send(ctx, all, stats, true) },
		waitReplies,
	}
	if !c.inactivityRun {
		steps = append(steps, chat)
	}
	steps = append(steps,
		func() error { return c.liveChat(ctx, all, stats, true) },
		func() error { return c.staffMessage(ctx, all, stats, 1) },
		func() error { return c.send(ctx, all, stats, false) },
		// Staff act on what they see: the message during live chat is in
		// the conversation before they switch it off. (A Messenger message
		// is acknowledged once Temporal holds it, before the workflow
		// applies it.)
		func() error { return c.waitRecorded(ctx, recorded) },
	)
	if !c.inactivityRun {
		steps = append(steps,
			func() error { return c.liveChat(ctx, all, stats, false) },
			func() error { return c.send(ctx, all, stats, true) },
			waitReplies)
	} else {
		steps = append(steps,
			func() error { return c.staffMessage(ctx, all, stats, 2) },
			// The customer writes during live chat (which keeps the window
			// open past the countdown), then waits for the countdown.
			func() error { return sleep(ctx, 10*time.Second) },
			func() error { return c.send(ctx, all, stats, false) },
			func() error {
				began := time.Now()
				err := c.waitFor(ctx, "live chat switched off by the inactivity countdown", func() bool {
					s, err := state(ctx)
					return err == nil && s == "bot"
				})
				if err == nil {
					stats.add("inactivity countdowns that switched live chat off", 1)
					stats.r.say("%s: live chat switched off by its countdown (waited %s)", c.name(), time.Since(began).Round(time.Second))
				}
				return err
			},
			func() error { return c.send(ctx, all, stats, true) },
			waitReplies,
			chat)
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	c.mu.Lock()
	c.doneAt = time.Now()
	c.mu.Unlock()
	return nil
}

// waitRecorded waits until the staff view shows the customer's latest
// message.
func (c *customer) waitRecorded(ctx context.Context, recorded func(context.Context, string) (bool, error)) error {
	c.mu.Lock()
	id := c.sent[len(c.sent)-1].id
	c.mu.Unlock()
	return c.waitFor(ctx, "message "+id+" in the conversation", func() bool {
		ok, err := recorded(ctx, id)
		return err == nil && ok
	})
}

func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}
