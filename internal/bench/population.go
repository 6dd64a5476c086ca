package bench

import (
	"context"
	"crypto/rand"
	"fmt"
	"math/big"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/handoff-chat/handoff/internal/bench/handoffapi"
)

// creationParallelism bounds customers being created at once.
const creationParallelism = 16

// population is every simulated customer of a run. The pool is shared by
// the phases (a phase takes its first n, creating what is missing);
// customers made with fresh stay out of it.
type population struct {
	api          *handoffapi.Client
	watch        *indexWatch
	runTag       string
	webChatShare float64
	messenger    bool
	replyTimeout time.Duration
	// streams is the context of the web chat event streams.
	streams context.Context
	follow  sync.WaitGroup

	mu      sync.Mutex
	pool    []*customer
	every   []*customer
	byPSID  map[string]*customer
	created int
}

func newPopulation(streams context.Context, a *handoffapi.Client, watch *indexWatch, opts Options, messengerOn bool) *population {
	share := opts.WebChatShare
	if !messengerOn {
		share = 1
	}
	return &population{
		api: a, watch: watch, runTag: randomLetters(6), webChatShare: share, messenger: messengerOn,
		replyTimeout: opts.ReplyTimeout, streams: streams, byPSID: map[string]*customer{},
	}
}

// onDelivery routes a Send API call of the Graph API stand-in to its
// customer. A message with images goes out as one call per image, then one
// with the text: only the text counts, so a reply is one delivery.
func (p *population) onDelivery(recipient, text string, at time.Time) {
	if text == "" {
		return
	}
	p.mu.Lock()
	c := p.byPSID[recipient]
	p.mu.Unlock()
	if c != nil {
		c.delivered(text, at)
	}
}

// channelOf spreads the channels evenly: customer i is on the web chat
// when the share of web chat customers among the first i+1 goes up.
func (p *population) channelOf(i int) string {
	if int(float64(i+1)*p.webChatShare) > int(float64(i)*p.webChatShare) {
		return webChat
	}
	return messenger
}

// take returns the pool's first n customers, creating the missing ones;
// each new one has written and been answered once, so its conversation
// exists before it is measured.
func (p *population) take(ctx context.Context, n int) ([]*customer, error) {
	p.mu.Lock()
	missing := n - len(p.pool)
	p.mu.Unlock()
	if missing > 0 {
		fresh, err := p.fresh(ctx, missing, true)
		if err != nil {
			return nil, err
		}
		if err := p.warm(ctx, fresh); err != nil {
			return nil, err
		}
		p.mu.Lock()
		p.pool = append(p.pool, fresh...)
		p.mu.Unlock()
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]*customer(nil), p.pool[:n]...), nil
}

// fresh creates n customers that have not written yet; web chat ones
// follow their event stream when stream is set.
func (p *population) fresh(ctx context.Context, n int, stream bool) ([]*customer, error) {
	out := make([]*customer, n)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(creationParallelism)
	for i := range out {
		p.mu.Lock()
		seq := p.created
		p.created++
		p.mu.Unlock()
		g.Go(func() error {
			c, err := p.newCustomer(gctx, seq, stream)
			out[i] = c
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return out, nil
}

func (p *population) newCustomer(ctx context.Context, seq int, stream bool) (*customer, error) {
	c := &customer{
		api:     p.api,
		channel: p.channelOf(seq),
		word:    "bq" + p.runTag + letters(seq),
		tag:     fmt.Sprintf("b%s-%d", p.runTag, seq),
	}
	switch c.channel {
	case webChat:
		id, token, err := p.api.NewVisitor(ctx)
		if err != nil {
			return nil, err
		}
		c.id, c.token = id, token
		if stream {
			p.follow.Add(1)
			go func() {
				defer p.follow.Done()
				c.follow(p.streams)
			}()
		}
	default:
		c.id = fmt.Sprintf("9%s%09d", p.runDigits(), seq)
		p.mu.Lock()
		p.byPSID[c.id] = c
		p.mu.Unlock()
	}
	p.mu.Lock()
	p.every = append(p.every, c)
	p.mu.Unlock()
	return c, nil
}

// all returns every customer created so far.
func (p *population) all() []*customer {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]*customer(nil), p.every...)
}

// runDigits turns the run's tag into six digits for PSIDs.
func (p *population) runDigits() string {
	n := 0
	for _, r := range p.runTag {
		n = n*26 + int(r-'a')
	}
	return fmt.Sprintf("%06d", n%1000000)
}

// warm has each customer write once and waits for the answers.
func (p *population) warm(ctx context.Context, customers []*customer) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(creationParallelism)
	for _, c := range customers {
		g.Go(func() error {
			m := c.newMessage(true)
			if err := c.send(gctx, m, p.replyTimeout); err != nil {
				return fmt.Errorf("first message: %w", err)
			}
			p.watch.add(m)
			select {
			case <-m.repliedCh:
				return nil
			case <-time.After(p.replyTimeout):
				return fmt.Errorf("%s customer %s: no reply to the first message within %s", c.channel, c.id, p.replyTimeout)
			case <-gctx.Done():
				return gctx.Err()
			}
		})
	}
	if err := g.Wait(); err != nil {
		return fmt.Errorf("start the customers' conversations: %w", err)
	}
	return nil
}

// wait waits for the event streams to end (after their context ended).
func (p *population) wait() { p.follow.Wait() }

// letters writes n in base 26 with the letters a-z, so it is one word for
// the search.
func letters(n int) string {
	s := ""
	for {
		s = string(rune('a'+n%26)) + s
		n /= 26
		if n == 0 {
			return s
		}
	}
}

// randomLetters returns n random lower-case letters.
func randomLetters(n int) string {
	b := make([]byte, n)
	for i := range b {
		v, err := rand.Int(rand.Reader, big.NewInt(26))
		if err != nil {
			panic(fmt.Sprintf("crypto/rand: %v", err)) // the system's random source failed
		}
		b[i] = byte('a' + v.Int64())
	}
	return string(b)
}
