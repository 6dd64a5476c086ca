package api

import (
	"math"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
)

// WebChatLimits bound what one client address or visitor may do in this
// process; 0 disables a limit.
type WebChatLimits struct {
	// VisitorsPerMinute is how many visitors one client address may create.
	VisitorsPerMinute int
	// MessagesPerMinute is how many messages and agent requests one visitor
	// may send.
	MessagesPerMinute int
	// StreamsPerVisitor is how many event streams one visitor may hold open.
	StreamsPerVisitor int
}

// streamRetryAfter is what a refused event stream is told to wait: streams
// end at unknown times, so this is a guess that keeps retries slow.
const streamRetryAfter = 10 * time.Second

// rateLimiter is a token bucket per key: up to perMinute events at once,
// refilled at perMinute a minute. A bucket that has refilled completely
// holds nothing worth keeping, so buckets idle for a minute are dropped and
// memory is bounded by the keys active in the last minute or two.
type rateLimiter struct {
	perMinute int
	now       func() time.Time

	mu        sync.Mutex
	buckets   map[string]*bucket
	lastSweep time.Time
}

type bucket struct {
	tokens float64
	at     time.Time
}

// refillTime is how long an empty bucket takes to fill up.
const refillTime = time.Minute

func newRateLimiter(perMinute int) *rateLimiter {
	return &rateLimiter{perMinute: perMinute, now: time.Now, buckets: map[string]*bucket{}}
}

// allow takes one event for key. When key has none left it reports false and
// how long until it has one.
func (l *rateLimiter) allow(key string) (bool, time.Duration) {
	if l.perMinute <= 0 {
		return true, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.sweep(now)
	b, ok := l.buckets[key]
	if !ok {
		b = &bucket{tokens: float64(l.perMinute), at: now}
		l.buckets[key] = b
	}
	perSecond := float64(l.perMinute) / refillTime.Seconds()
	b.tokens = math.Min(float64(l.perMinute), b.tokens+now.Sub(b.at).Seconds()*perSecond)
	b.at = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / perSecond * float64(time.Second))
}

// sweep drops, at most once a refill time, the buckets that are full again.
func (l *rateLimiter) sweep(now time.Time) {
	if now.Sub(l.lastSweep) < refillTime {
		return
	}
	l.lastSweep = now
	for key, b := range l.buckets {
		if now.Sub(b.at) >= refillTime {
			delete(l.buckets, key)
		}
	}
}

// size is how many keys the limiter holds.
func (l *rateLimiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}

// streamSlots counts the open event streams of each visitor.
type streamSlots struct {
	max int

	mu   sync.Mutex
	open map[string]int
}

func newStreamSlots(max int) *streamSlots {
	return &streamSlots{max: max, open: map[string]int{}}
}

// acquire takes a slot for key and returns the function that gives it back;
// ok is false when key holds every slot already.
func (s *streamSlots) acquire(key string) (release func(), ok bool) {
	if s.max <= 0 {
		return func() {}, true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.open[key] >= s.max {
		return nil, false
	}
	s.open[key]++
	return sync.OnceFunc(func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.open[key]--; s.open[key] <= 0 {
			delete(s.open, key)
		}
	}), true
}

// tooManyRequests is the 429 answer for limit (its config key under
// webchat.limits): Retry-After in whole seconds, at least 1, and the
// limit's name in the body.
func tooManyRequests(c *gin.Context, limit, message string, wait time.Duration) error {
	seconds := max(1, int(math.Ceil(wait.Seconds())))
	c.Header("Retry-After", strconv.Itoa(seconds))
	return &apiError{
		status:  http.StatusTooManyRequests,
		message: message + " (webchat.limits." + limit + "); retry in " + strconv.Itoa(seconds) + " s",
		extra:   gin.H{"limit": limit, "retry_after": seconds},
	}
}

// clientKey is who a client address counts as: the address itself, or for
// IPv6 its /64 network, which one subscriber usually holds whole.
func clientKey(ip string) string {
	addr := net.ParseIP(ip)
	if addr == nil || addr.To4() != nil {
		return ip
	}
	return addr.Mask(net.CIDRMask(64, 128)).String() + "/64"
}

// limitVisitorCreation refuses a new visitor to a client address over
// webchat.limits.visitors_per_minute.
func (s *server) limitVisitorCreation(c *gin.Context) error {
	if ok, wait := s.visitorLimit.allow(clientKey(c.ClientIP())); !ok {
		return tooManyRequests(c, "visitors_per_minute",
			"too many new visitors from this address: at most "+strconv.Itoa(s.WebChat.Limits.VisitorsPerMinute)+" a minute", wait)
	}
	return nil
}

// limitVisitorMessages refuses a visitor's message or agent request over
// webchat.limits.messages_per_minute. It runs after requireVisitor, so only
// the visitor itself uses up its allowance.
func (s *server) limitVisitorMessages(c *gin.Context) error {
	if ok, wait := s.messageLimit.allow(c.Param("visitor")); !ok {
		return tooManyRequests(c, "messages_per_minute",
			"too many messages from this visitor: at most "+strconv.Itoa(s.WebChat.Limits.MessagesPerMinute)+" a minute", wait)
	}
	return nil
}

// openStream takes one of the visitor's event stream slots
// (webchat.limits.streams_per_visitor); the caller releases it when the
// stream ends.
func (s *server) openStream(c *gin.Context, visitor string) (release func(), err error) {
	release, ok := s.streams.acquire(visitor)
	if !ok {
		return nil, tooManyRequests(c, "streams_per_visitor",
			"this visitor already has "+strconv.Itoa(s.WebChat.Limits.StreamsPerVisitor)+" event streams open; close one first", streamRetryAfter)
	}
	return release, nil
}
