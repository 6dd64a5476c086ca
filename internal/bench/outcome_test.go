package bench

import (
	"errors"
	"testing"
	"time"
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

	failed := c.newMessage(true)
	failed.setSent(at(0))
	failed.setFailed(errors.New("HTTP 503"))

	retried := c.newMessage(true) // failed once, then acknowledged
	retried.setSent(at(0))
	retried.setFailed(errors.New("connection refused"))
	retried.setAcked(at(60))

	unsent := c.newMessage(true)

	o := summarize([]*message{done, unanswered, relayed, failed, retried, untimed, unsent})
	if o.sent != 6 || o.acked != 5 || o.failed != 1 || o.firstErr != "HTTP 503" {
		t.Errorf("sent %d acked %d failed %d (%q), want 6, 5, 1 with the failure's error", o.sent, o.acked, o.failed, o.firstErr)
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
