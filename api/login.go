package api

import (
	"fmt"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/handoff-chat/handoff/internal/staff"
)

// Failed logins slow down further attempts, per account and per client
// address: after loginFreeFailures failures within loginFailureMemory, the
// next attempt must wait loginFirstDelay, doubling with every further
// failure up to loginMaxDelay. A success clears the account's count. The
// counts live in each api process.
const (
	loginFreeFailures  = 5
	loginFirstDelay    = time.Second
	loginMaxDelay      = 5 * time.Minute
	loginFailureMemory = 15 * time.Minute
	// loginMaxTracked bounds the counts kept; the oldest are dropped.
	loginMaxTracked = 100000
)

type loginFailures struct {
	count int
	last  time.Time
}

// loginThrottle counts failed logins by key ("user:<name>", "addr:<ip>").
type loginThrottle struct {
	mu     sync.Mutex
	failed map[string]loginFailures
}

func newLoginThrottle() *loginThrottle {
	return &loginThrottle{failed: map[string]loginFailures{}}
}

// wait is how long key must still wait before its next attempt.
func (t *loginThrottle) wait(key string, now time.Time) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	f, ok := t.failed[key]
	if !ok || now.Sub(f.last) > loginFailureMemory {
		return 0
	}
	if f.count < loginFreeFailures {
		return 0
	}
	delay := time.Duration(float64(loginFirstDelay) * math.Pow(2, float64(f.count-loginFreeFailures)))
	delay = min(delay, loginMaxDelay)
	return max(0, f.last.Add(delay).Sub(now))
}

func (t *loginThrottle) fail(key string, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.failed) >= loginMaxTracked {
		for k, f := range t.failed {
			if now.Sub(f.last) > loginFailureMemory || len(t.failed) >= loginMaxTracked {
				delete(t.failed, k)
			}
		}
	}
	f := t.failed[key]
	if now.Sub(f.last) > loginFailureMemory {
		f.count = 0
	}
	f.count++
	f.last = now
	t.failed[key] = f
}

func (t *loginThrottle) clear(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.failed, key)
}

// errLoginThrottled says how long to wait.
type errLoginThrottled struct{ wait time.Duration }

func (e errLoginThrottled) Error() string {
	return fmt.Sprintf("too many failed logins; try again in %d s", e.seconds())
}

// seconds is the wait in whole seconds, rounded up.
func (e errLoginThrottled) seconds() int { return int(math.Ceil(e.wait.Seconds())) }

// login checks a name and password against the directory, throttled per
// account and per client address.
func (s *server) login(c *gin.Context, name, password string) (staff.Member, error) {
	now := time.Now()
	keys := []string{"user:" + strings.ToLower(strings.TrimSpace(name)), "addr:" + c.ClientIP()}
	for _, key := range keys {
		if wait := s.logins.wait(key, now); wait > 0 {
			return staff.Member{}, errLoginThrottled{wait: wait}
		}
	}
	member, err := s.Staff.Login(name, password)
	if err != nil {
		for _, key := range keys {
			s.logins.fail(key, now)
		}
		return staff.Member{}, err
	}
	s.logins.clear(keys[0])
	return member, nil
}
