package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/handoff-chat/handoff/internal/chat"
	"github.com/handoff-chat/handoff/workflows"
)

// The event streams (Server-Sent Events) of the web chat and the
// dashboard. A browser keeps one connection open and never polls. Behind
// it, the process's one change feed (internal/feed) says when the
// conversation changed and reads its new messages once for every stream
// of the process; a stream reads the transcript itself only when it
// connects, from the client's Last-Event-ID, so a reconnect misses nothing.
const (
	// streamKeepAlive is the longest silence on the wire; proxies close idle
	// connections.
	streamKeepAlive = 15 * time.Second
	// streamMaxAge ends a stream so the browser reconnects (with
	// Last-Event-ID) and load balancers can move it.
	streamMaxAge = 10 * time.Minute
)

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
	return s.streamConversation(c, chat.ChannelWebChat, visitor, after, func(m chat.Message) any {
		return forVisitor(m)
	}, nil)
}

// streamed is what one event stream passed on: the newest seq the client
// has, and the recent messages it was sent, by seq.
type streamed struct {
	after int64
	sent  map[int64]chat.Message
}

// streamRenumberWindow is how far back from the newest seq a stream
// remembers what it sent, to pass on a message numbered again: as far as
// the conversation document's recent messages reach, and more.
const streamRenumberWindow = 4 * chat.RecentKept

func newStreamed(after int64) *streamed {
	return &streamed{after: after, sent: map[int64]chat.Message{}}
}

// take reports whether m is to be passed on, and counts it as sent: a
// message after the newest the client has; one the client has whose
// delivery or AI marker may have changed; and one at a seq this stream
// sent another message at (a workflow task run again,
// chat.Message.SameContent).
func (s *streamed) take(m chat.Message) bool {
	if m.Seq <= s.after && m.Delivery == nil && m.AI == nil {
		if was, ok := s.sent[m.Seq]; !ok || was.SameContent(m) {
			return false // the client has it, and nothing about it changes later
		}
	}
	s.sent[m.Seq] = m
	s.after = max(s.after, m.Seq)
	return true
}

// forgetOld drops what was sent more than streamRenumberWindow seqs ago.
func (s *streamed) forgetOld() {
	for seq := range s.sent {
		if seq <= s.after-streamRenumberWindow {
			delete(s.sent, seq)
		}
	}
}

// streamConversation streams a conversation's messages after a sequence
// number as "message" events (as show makes them; nil skips one), and, when
// onSummary is set, its document's changes as "conversation" events.
func (s *server) streamConversation(c *gin.Context, channel, customer string, after int64, show func(chat.Message) any, onSummary func(chat.ConversationSummary) any) error {
	if s.Feed == nil {
		return newAPIError(http.StatusServiceUnavailable, "event streams are not available in this process")
	}
	watch := s.Feed.Watch(workflows.ConversationWorkflowID(channel, customer), channel, customer)
	defer watch.Close()
	beginStream(c)
	ctx := c.Request.Context()
	messages, err := s.Conversations.Transcript(ctx, channel, customer, after)
	switch {
	case err == nil, isNotFound(err): // not found: the customer has not written yet
	case ctx.Err() != nil:
		return nil
	default:
		// Not fatal: the conversation's room reads the whole kept
		// transcript at its first change, and this stream passes on
		// whatever it has not sent.
		s.requestLogger(c).Debug("event stream: transcript not read at the start", "conversation", workflows.ConversationWorkflowID(channel, customer), "error", err)
	}
	sent := newStreamed(after)
	send := func(msgs []chat.Message) error {
		for _, m := range msgs {
			if !sent.take(m) {
				continue
			}
			if v := show(m); v != nil {
				if err := writeSSE(c, sent.after, "message", v); err != nil {
					return err
				}
			}
		}
		sent.forgetOld()
		return nil
	}
	if err := send(messages); err != nil {
		return nil
	}
	s.follow(c, watch.Changed, func() bool {
		msgs, summary := watch.Take()
		if summary != nil && onSummary != nil {
			if writeSSE(c, sent.after, "conversation", onSummary(*summary)) != nil {
				return false
			}
		}
		return send(msgs) == nil
	})
	return nil
}

// follow keeps an event stream open until the client leaves, the server
// shuts down or streamMaxAge passes, with a keep-alive comment after
// streamKeepAlive of silence. Each time changed fires it calls onChange,
// which writes what changed and returns false to end the stream.
func (s *server) follow(c *gin.Context, changed func() <-chan struct{}, onChange func() bool) {
	ctx := c.Request.Context()
	began, lastWrite := time.Now(), time.Now()
	for time.Since(began) < streamMaxAge {
		extendWriteDeadline(c)
		keepAlive := time.NewTimer(streamKeepAlive - time.Since(lastWrite))
		select {
		case <-ctx.Done():
			keepAlive.Stop()
			return
		case <-s.Closing:
			keepAlive.Stop()
			return
		case <-keepAlive.C:
			fmt.Fprint(c.Writer, ": keep-alive\n\n")
			c.Writer.Flush()
		case <-changed():
			keepAlive.Stop()
			if !onChange() {
				return
			}
		}
		lastWrite = time.Now()
	}
}

// beginStream answers 200 with the headers of an event stream.
func beginStream(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	c.Status(http.StatusOK)
	extendWriteDeadline(c)
	fmt.Fprint(c.Writer, "retry: 2000\n\n")
	c.Writer.Flush()
}

// writeSSE writes one event; id 0 writes none.
func writeSSE(c *gin.Context, id int64, event string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s event: %w", event, err)
	}
	if id > 0 {
		_, err = fmt.Fprintf(c.Writer, "id: %d\nevent: %s\ndata: %s\n\n", id, event, data)
	} else {
		_, err = fmt.Fprintf(c.Writer, "event: %s\ndata: %s\n\n", event, data)
	}
	if err != nil {
		return err
	}
	c.Writer.Flush()
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

// extendWriteDeadline keeps a long-lived stream clear of the server's write
// timeout, one keep-alive period at a time.
func extendWriteDeadline(c *gin.Context) {
	_ = http.NewResponseController(c.Writer).SetWriteDeadline(time.Now().Add(2 * streamKeepAlive))
}
