package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
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
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.api.base+"/webchat/v1/visitors/"+c.id+"/events", nil)
	if err != nil {
		return fmt.Errorf("open the event stream: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "text/event-stream")
	c.mu.Lock()
	if c.lastSeq > 0 {
		req.Header.Set("Last-Event-ID", strconv.FormatInt(c.lastSeq, 10))
	}
	c.mu.Unlock()
	resp, err := c.api.streams.Do(req)
	if err != nil {
		return fmt.Errorf("open the event stream: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<10))
		return fmt.Errorf("open the event stream: HTTP %d: %s", resp.StatusCode, body)
	}
	return readEvents(resp.Body, c.onEvent)
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

// readEvents parses Server-Sent Events and calls onMessage with the data
// of each "message" event and the moment it was read, until r ends.
func readEvents(r io.Reader, onMessage func(data []byte, at time.Time)) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	event, data := "", []string(nil)
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			if (event == "" || event == "message") && data != nil {
				onMessage([]byte(strings.Join(data, "\n")), time.Now())
			}
			event, data = "", nil
			continue
		}
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch field {
		case "event":
			event = value
		case "data":
			data = append(data, value)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read the event stream: %w", err)
	}
	return nil
}
