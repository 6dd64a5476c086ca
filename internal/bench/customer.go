package bench

import (
	"context"
	"fmt"
	"regexp"
	"sync"
	"sync/atomic"
	"time"

	"github.com/handoff-chat/handoff/internal/bench/handoffapi"
)

// Channels, as handoff names them.
const (
	webChat   = "webchat"
	messenger = "messenger"
)

// customer is one simulated customer: a web chat visitor or a Messenger
// user. It writes one message at a time in the benchmark's loops; the bot's
// replies reach it through the web chat event stream or the Graph API
// stand-in and are matched to its messages in order.
type customer struct {
	api     *handoffapi.Client
	channel string
	// id is the visitor ID or the PSID; token the visitor's token.
	id, token string
	// word is in every message it writes, so a search for it finds them.
	word string
	// tag makes its message IDs unique.
	tag string
	n   atomic.Int64

	mu sync.Mutex
	// waiting are its messages the bot has not answered yet, oldest first.
	waiting []*message
	staff   map[string]*staffSend
	// unexpected counts replies no message was waiting for.
	unexpected int
	// lastSeq is the event stream's cursor (web chat).
	lastSeq int64
}

// newMessage prepares the customer's next message.
func (c *customer) newMessage(expectReply bool) *message {
	n := c.n.Add(1)
	return &message{
		cust:        c,
		id:          fmt.Sprintf("%s-%d", c.tag, n),
		text:        fmt.Sprintf("Hello, a question about my order %s, message %d", c.word, n),
		words:       fmt.Sprintf("%s %d", c.word, n),
		expectReply: expectReply,
		repliedCh:   make(chan struct{}),
		indexedCh:   make(chan struct{}),
	}
}

// A customer waits retryPause before sending a failed message again,
// doubling the pause after each failure up to maxRetryPause, so an
// overloaded handoff is not flooded with retries.
const (
	retryPause    = 100 * time.Millisecond
	maxRetryPause = 2 * time.Second
)

// send sends m until it is acknowledged. A failure that leaves the outcome
// unknown (a 5xx answer or a broken connection) is retried with the same
// ID, as the widget and Meta retry (handoff records the message once), for
// up to retryFor after the first attempt; every failed request is counted
// on the message. A message the bot answers waits for its reply from
// before it is sent, so a reply that overtakes the acknowledgement is not
// lost; a message given up waits no longer.
func (c *customer) send(ctx context.Context, m *message, retryFor time.Duration) error {
	if m.expectReply {
		c.expect(m)
	}
	first := time.Now()
	m.setSent(first)
	pause := retryPause
	for {
		err := c.post(ctx, m)
		if err == nil {
			m.setAcked(time.Now())
			return nil
		}
		m.attemptFailed(err)
		if !handoffapi.Retryable(err) || time.Since(first) >= retryFor || ctx.Err() != nil {
			m.setFailed(err)
			c.forget(m)
			return err
		}
		select {
		case <-ctx.Done():
		case <-time.After(pause):
		}
		pause = min(2*pause, maxRetryPause)
	}
}

// post makes one attempt.
func (c *customer) post(ctx context.Context, m *message) error {
	var err error
	switch c.channel {
	case webChat:
		err = c.api.VisitorMessage(ctx, c.id, c.token, m.id, m.text)
	default:
		err = c.api.MessengerMessage(ctx, c.id, m.id, m.text)
	}
	if err != nil {
		return fmt.Errorf("%s customer %s, message %s: %w", c.channel, c.id, m.id, err)
	}
	return nil
}

func (c *customer) expect(m *message) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.waiting = append(c.waiting, m)
}

// forget drops a message that will get no reply from the waiting list.
func (c *customer) forget(m *message) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, w := range c.waiting {
		if w == m {
			c.waiting = append(c.waiting[:i], c.waiting[i+1:]...)
			return
		}
	}
}

// botReplied matches a reply of the bot to the oldest message waiting.
func (c *customer) botReplied(at time.Time) {
	c.mu.Lock()
	if len(c.waiting) == 0 {
		c.unexpected++
		c.mu.Unlock()
		return
	}
	m := c.waiting[0]
	c.waiting = c.waiting[1:]
	c.mu.Unlock()
	m.setReplied(at)
}

// expectStaff prepares a staff message to this customer.
func (c *customer) expectStaff(id string) *staffSend {
	s := &staffSend{id: id, deliveredCh: make(chan struct{})}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.staff == nil {
		c.staff = map[string]*staffSend{}
	}
	c.staff[id] = s
	return s
}

func (c *customer) staffDelivered(id string, at time.Time) {
	c.mu.Lock()
	s := c.staff[id]
	delete(c.staff, id)
	c.mu.Unlock()
	if s != nil {
		s.setDelivered(at)
	}
}

// staffText is a staff message's text; staffRef finds the ID in it again
// when the message arrives through the Send API.
func staffText(id string) string { return "Support here, looking into it (ref " + id + ")" }

var staffRef = regexp.MustCompile(`\(ref ([A-Za-z0-9._:-]+)\)$`)

// delivered takes a message handoff sent to the customer: a staff message
// by its reference, anything else is the bot's.
func (c *customer) delivered(text string, at time.Time) {
	if m := staffRef.FindStringSubmatch(text); m != nil {
		c.staffDelivered(m[1], at)
		return
	}
	c.botReplied(at)
}

// waitingReplies is how many of its messages wait for the bot's reply.
func (c *customer) waitingReplies() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.waiting)
}

func (c *customer) unexpectedReplies() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.unexpected
}
