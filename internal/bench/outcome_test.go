package bench

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/handoff-chat/handoff/internal/bench/handoffapi"
)

func TestSummarizeCountsEveryFate(t *testing.T) {
	c := &customer{tag: "t", word: "w"}
	t0 := time.Now()
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	done := c.newMessage(true)
	done.setSent(at(0))
	done.setAcked(at(20))
	done.setReplied(at(320))
	done.setIndexed(at(520))
	done.setTimed()

	unanswered := c.newMessage(true)
	unanswered.setSent(at(0))
	unanswered.setAcked(at(40))
	unanswered.setIndexed(at(140))
	unanswered.setTimed()

	relayed := c.newMessage(false) // live chat: no reply expected
	relayed.setSent(at(0))
	relayed.setAcked(at(10))
	relayed.setIndexed(at(1010))
	relayed.setTimed()

	untimed := c.newMessage(true) // found by a sweep: searchable, not timed
	untimed.setSent(at(0))
	untimed.setAcked(at(30))
	untimed.setReplied(at(130))
	untimed.setIndexed(at(5000))

	failed := c.newMessage(true) // given up after two failed requests
	failed.setSent(at(0))
	failed.attemptFailed(errors.New("HTTP 503"))
	failed.attemptFailed(errors.New("HTTP 503 again"))
	failed.setFailed(errors.New("HTTP 503 again"))

	retried := c.newMessage(true) // failed once, then acknowledged
	retried.setSent(at(0))
	retried.attemptFailed(errors.New("connection refused"))
	retried.setAcked(at(60))

	unsent := c.newMessage(true)

	o := summarize([]*message{done, unanswered, relayed, failed, retried, untimed, unsent})
	if o.sent != 6 || o.acked != 5 || o.failed != 1 || o.failedRequests != 3 {
		t.Errorf("sent %d acked %d failed %d (requests %d), want 6, 5, 1 given up and 3 failed requests", o.sent, o.acked, o.failed, o.failedRequests)
	}
	if o.firstErr != "HTTP 503" && o.firstErr != "connection refused" {
		t.Errorf("first error %q, want one of the first failures", o.firstErr)
	}
	if o.notAnswered != 2 || o.notIndexed != 1 || o.complete != 3 {
		t.Errorf("not answered %d, not indexed %d, complete %d; want 2, 1, 3", o.notAnswered, o.notIndexed, o.complete)
	}
	if o.ack.Count != 5 || o.ack.Max != 60 || o.reply.Count != 2 || o.reply.P50 != 100 || o.reply.Max != 300 {
		t.Errorf("ack %+v reply %+v", o.ack, o.reply)
	}
	if o.searchable.Count != 3 || o.searchable.P50 != 500 || o.searchable.Max != 1000 {
		t.Errorf("searchable %+v, want the timed messages' 100, 500 and 1000 ms only", o.searchable)
	}
	if !done.status().done(true) || !relayed.status().done(false) || unanswered.status().done(true) || !failed.status().done(true) {
		t.Error("done() disagrees with the fates above")
	}
}

// A send that fails with the outcome unknown is retried with the same ID
// until it goes through; a refusal is not retried.
func TestSendRetriesUnknownOutcomes(t *testing.T) {
	var (
		mu    sync.Mutex
		calls []string
	)
	answers := []int{http.StatusServiceUnavailable, http.StatusBadGateway, http.StatusAccepted}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct{ ID string }
		_ = json.NewDecoder(r.Body).Decode(&body)
		mu.Lock()
		defer mu.Unlock()
		calls = append(calls, body.ID)
		status := http.StatusBadRequest
		if len(answers) > 0 {
			status, answers = answers[0], answers[1:]
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	c := &customer{api: handoffapi.New(srv.URL, "", "", ""), channel: webChat, id: "v", token: "t", tag: "t", word: "w"}
	ctx := context.Background()
	m := c.newMessage(true)
	if err := c.send(ctx, m, time.Minute); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	s := m.status()
	if len(calls) != 3 || calls[0] != m.id || calls[2] != m.id || s.failedAttempts != 2 || s.acked.IsZero() || s.failed != nil {
		t.Errorf("calls %v, status %+v: want three attempts with the same ID, two failed, then acknowledged", calls, s)
	}
	mu.Unlock()
	refused := c.newMessage(true)
	err := c.send(ctx, refused, time.Minute)
	mu.Lock()
	if err == nil || !strings.Contains(err.Error(), "400") {
		t.Errorf("a 400: %v", err)
	}
	if s := refused.status(); s.failedAttempts != 1 || s.failed == nil || len(calls) != 4 {
		t.Errorf("refused message %+v after %d calls, want one attempt and given up", s, len(calls))
	}
	c.botReplied(time.Now()) // the first message's reply
	c.botReplied(time.Now()) // nothing waits: the refused message was forgotten
	if c.unexpectedReplies() != 1 {
		t.Errorf("%d unexpected replies, want the second", c.unexpectedReplies())
	}
}
