package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/handoff-chat/handoff/internal/chat"
)

// The web chat event stream (Server-Sent Events). The browser keeps one
// connection open and never polls. Behind it, the API reads the conversation's
// transcript from the workflow by query: at once when this process recorded
// something for the visitor, quickly while a bot reply is likely on its way,
// and then less and less often while the conversation is quiet.
const (
	streamFastInterval = 300 * time.Millisecond
	streamSlowInterval = 5 * time.Second
	// streamFastFor is how long after activity the stream checks quickly.
	streamFastFor = 20 * time.Second
	// streamKeepAlive is the longest silence on the wire; proxies close idle
	// connections.
	streamKeepAlive = 15 * time.Second
	// streamMaxAge ends a stream so the browser reconnects (with
	// Last-Event-ID) and load balancers can move it.
	streamMaxAge = 10 * time.Minute
)

// activity wakes the event streams of a conversation when this process
// recorded something for it.
type activity struct {
	mu      sync.Mutex
	waiters map[string]chan struct{}
}

// wait returns a channel closed at the next activity of key.
func (a *activity) wait(key string) <-chan struct{} {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.waiters == nil {
		a.waiters = map[string]chan struct{}{}
	}
	ch, ok := a.waiters[key]
	if !ok {
		ch = make(chan struct{})
		a.waiters[key] = ch
	}
	return ch
}

// notify wakes every stream waiting on key.
func (a *activity) notify(key string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if ch, ok := a.waiters[key]; ok {
		close(ch)
		delete(a.waiters, key)
	}
}

// visitorEvents streams new messages of the visitor's conversation as
// "message" events whose ID is the message's sequence number.
func (s *server) visitorEvents(c *gin.Context) error {
	visitor := c.Param("visitor")
	after, err := streamCursor(c)
	if err != nil {
		return err
	}
	release, err := s.openStream(c, visitor)
	if err != nil {
		return err
	}
	defer release()
	h := c.Writer.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	c.Status(http.StatusOK)
	extendWriteDeadline(c)
	fmt.Fprint(c.Writer, "retry: 2000\n\n")
	c.Writer.Flush()

	ctx := c.Request.Context()
	began := time.Now()
	lastActivity, lastWrite := began, began
	for time.Since(began) < streamMaxAge {
		extendWriteDeadline(c)
		woken := s.activity.wait(visitor)
		messages, err := s.Conversations.Transcript(ctx, chat.ChannelWebChat, visitor, after)
		switch {
		case err == nil:
			for _, m := range messages {
				if err := writeEvent(c, m); err != nil {
					return nil
				}
				after = m.Seq
			}
			if len(messages) > 0 {
				lastActivity, lastWrite = time.Now(), time.Now()
			}
		case isNotFound(err):
			// The visitor has not written yet.
		default:
			if ctx.Err() != nil {
				return nil
			}
			s.requestLogger(c).Warn("web chat stream: transcript not read", "visitor", visitor, "error", err)
		}
		if time.Since(lastWrite) >= streamKeepAlive {
			fmt.Fprint(c.Writer, ": keep-alive\n\n")
			c.Writer.Flush()
			lastWrite = time.Now()
		}
		interval := streamSlowInterval
		if time.Since(lastActivity) < streamFastFor {
			interval = streamFastInterval
		}
		timer := time.NewTimer(interval)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil
		case <-s.Closing:
			timer.Stop()
			return nil
		case <-woken:
			lastActivity = time.Now()
		case <-timer.C:
		}
		timer.Stop()
	}
	return nil
}

// streamCursor is the last sequence number the client has: Last-Event-ID on
// a reconnect, else the after query parameter, else 0.
func streamCursor(c *gin.Context) (int64, error) {
	v := c.GetHeader("Last-Event-ID")
	if v == "" {
		v = c.Query("after")
	}
	return seqParam(v, "after (or Last-Event-ID)")
}

func writeEvent(c *gin.Context, m chat.Message) error {
	data, err := json.Marshal(forVisitor(m))
	if err != nil {
		return fmt.Errorf("encode message %s: %w", m.ID, err)
	}
	if _, err := fmt.Fprintf(c.Writer, "id: %d\nevent: message\ndata: %s\n\n", m.Seq, data); err != nil {
		return err
	}
	c.Writer.Flush()
	return nil
}

// extendWriteDeadline keeps a long-lived stream clear of the server's write
// timeout, one keep-alive period at a time.
func extendWriteDeadline(c *gin.Context) {
	_ = http.NewResponseController(c.Writer).SetWriteDeadline(time.Now().Add(2 * streamKeepAlive))
}
