package bench

import (
	"context"
	"encoding/json"
	"time"

	"github.com/handoff-chat/handoff/internal/bench/handoffapi"
)

// streamRetry is how soon a broken event stream is opened again (handoff
// tells browsers 2 s; the benchmark is quicker, to time the recovery).
const streamRetry = 200 * time.Millisecond

// follow keeps the visitor's event stream open, as the widget does, until
// ctx ends: each bot message is a reply, each staff message a delivery.
// A broken stream is opened again from the last event seen.
func (c *customer) follow(ctx context.Context) {
	for ctx.Err() == nil {
		_ = c.readStream(ctx) // a broken stream is simply reopened
		select {
		case <-ctx.Done():
		case <-time.After(streamRetry):
		}
	}
}

func (c *customer) readStream(ctx context.Context) error {
	c.mu.Lock()
	after := c.lastSeq
	c.mu.Unlock()
	body, err := c.api.OpenStream(ctx, "/webchat/v1/visitors/"+c.id+"/events", c.token, after)
	if err != nil {
		return err
	}
	defer body.Close()
	return handoffapi.ReadEvents(body, func(e handoffapi.Event) {
		if e.Name == "message" {
			c.onEvent(e.Data, e.At)
		}
	})
}

// streamEvent is the data of a "message" event.
type streamEvent struct {
	Seq    int64  `json:"seq"`
	ID     string `json:"id"`
	Sender string `json:"sender"`
}

func (c *customer) onEvent(data []byte, at time.Time) {
	var e streamEvent
	if err := json.Unmarshal(data, &e); err != nil {
		return // not a message
	}
	c.mu.Lock()
	c.lastSeq = max(c.lastSeq, e.Seq)
	c.mu.Unlock()
	switch e.Sender {
	case "bot":
		c.botReplied(at)
	case "staff":
		c.staffDelivered(e.ID, at)
	}
}
