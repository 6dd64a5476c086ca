package bench

import (
	"sync"
	"time"
)

// message is one customer message the benchmark sent, and what became of it.
type message struct {
	cust *customer
	id   string
	text string
	// words find this message alone in a search of its conversation.
	words string
	// expectReply says the bot answers it (live chat is off).
	expectReply bool

	mu                            sync.Mutex
	sent, acked, replied, indexed time.Time
	// failed is set when the message was given up; failedAttempts counts
	// the requests that failed, retried or not, and firstErr is the first's
	// error.
	failed         error
	failedAttempts int
	firstErr       error
	// timed says the search watcher times when it became searchable;
	// the others are only checked to be searchable.
	timed                bool
	repliedCh, indexedCh chan struct{}
}

// status is a message's times; a zero time has not happened (yet).
type status struct {
	sent, acked, replied, indexed time.Time
	failed                        error
	failedAttempts                int
	firstErr                      error
	timed                         bool
}

func (m *message) status() status {
	m.mu.Lock()
	defer m.mu.Unlock()
	return status{
		sent: m.sent, acked: m.acked, replied: m.replied, indexed: m.indexed,
		failed: m.failed, failedAttempts: m.failedAttempts, firstErr: m.firstErr, timed: m.timed,
	}
}

func (m *message) setTimed() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.timed = true
}

func (m *message) setSent(at time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sent = at
}

func (m *message) setAcked(at time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.acked = at
}

// attemptFailed counts a failed request for the message.
func (m *message) attemptFailed(err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.failedAttempts++
	if m.firstErr == nil {
		m.firstErr = err
	}
}

// setFailed gives the message up.
func (m *message) setFailed(err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.failed = err
}

func (m *message) setReplied(at time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.replied.IsZero() {
		m.replied = at
		close(m.repliedCh)
	}
}

func (m *message) setIndexed(at time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.indexed.IsZero() {
		m.indexed = at
		close(m.indexedCh)
	}
}

// done reports whether nothing more is to happen to the message: it failed,
// or it was acknowledged, answered (if the bot answers it) and indexed.
func (s status) done(expectReply bool) bool {
	if s.failed != nil {
		return true
	}
	return !s.acked.IsZero() && !s.indexed.IsZero() && (!expectReply || !s.replied.IsZero())
}

// complete reports whether it was acknowledged, answered and indexed.
func (s status) complete(expectReply bool) bool {
	return s.failed == nil && s.done(expectReply)
}

// staffSend is one staff message and when it reached the customer.
type staffSend struct {
	id          string
	mu          sync.Mutex
	delivered   time.Time
	deliveredCh chan struct{}
}

func (s *staffSend) setDelivered(at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.delivered.IsZero() {
		s.delivered = at
		close(s.deliveredCh)
	}
}

func (s *staffSend) deliveredAt() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.delivered
}
