package api

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/serviceerror"

	"github.com/handoff-chat/handoff/internal/chat"
	"github.com/handoff-chat/handoff/internal/conversations"
	"github.com/handoff-chat/handoff/internal/feed"
	"github.com/handoff-chat/handoff/internal/settings"
)

// fakeClock is a settable time for the rate limiter.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }
func newFakeClock() *fakeClock               { return &fakeClock{t: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)} }
func limiterAt(perMinute int, c *fakeClock) *rateLimiter {
	l := newRateLimiter(perMinute)
	l.now = c.now
	return l
}

func TestRateLimiterIsATokenBucket(t *testing.T) {
	clock := newFakeClock()
	l := limiterAt(3, clock)
	for i := range 3 {
		if ok, _ := l.allow("a"); !ok {
			t.Fatalf("event %d of the burst refused", i+1)
		}
	}
	ok, wait := l.allow("a")
	if ok || wait != 20*time.Second {
		t.Fatalf("fourth event: allowed %v, wait %s; want refused with 20s to wait (3 a minute)", ok, wait)
	}
	if ok, _ := l.allow("b"); !ok {
		t.Error("another key shares the bucket")
	}
	clock.advance(10 * time.Second)
	if ok, wait := l.allow("a"); ok || wait != 10*time.Second {
		t.Errorf("after 10s: allowed %v, wait %s; want refused with 10s to wait", ok, wait)
	}
	clock.advance(10 * time.Second)
	if ok, _ := l.allow("a"); !ok {
		t.Error("after 20s the bucket has no event again")
	}
	clock.advance(time.Hour)
	for i := range 3 {
		if ok, _ := l.allow("a"); !ok {
			t.Fatalf("after an hour, event %d refused; the bucket holds at most 3", i+1)
		}
	}
	if ok, _ := l.allow("a"); ok {
		t.Error("the bucket filled beyond its size while idle")
	}
}

func TestRateLimiterForgetsIdleKeys(t *testing.T) {
	clock := newFakeClock()
	l := limiterAt(5, clock)
	for i := range 1000 {
		l.allow("client-" + strconv.Itoa(i))
	}
	if n := l.size(); n != 1000 {
		t.Fatalf("size %d, want 1000", n)
	}
	clock.advance(30 * time.Second)
	l.allow("recent")
	clock.advance(45 * time.Second)
	l.allow("now")
	if n := l.size(); n != 2 {
		t.Errorf("after the idle keys refilled, size %d, want 2 (recent and now)", n)
	}
}

func TestRateLimiterOff(t *testing.T) {
	l := newRateLimiter(0)
	for range 10_000 {
		if ok, _ := l.allow("a"); !ok {
			t.Fatal("a limit of 0 refused an event")
		}
	}
	if n := l.size(); n != 0 {
		t.Errorf("a limit of 0 keeps %d keys", n)
	}
}

func TestStreamSlots(t *testing.T) {
	s := newStreamSlots(2)
	first, ok1 := s.acquire("v")
	_, ok2 := s.acquire("v")
	if _, ok := s.acquire("v"); !ok1 || !ok2 || ok {
		t.Fatalf("acquired %v %v %v, want two slots and no third", ok1, ok2, ok)
	}
	if _, ok := s.acquire("w"); !ok {
		t.Error("another visitor has no slot")
	}
	first()
	first() // a second release gives nothing back twice
	third, ok := s.acquire("v")
	if !ok {
		t.Fatal("a released slot is not free again")
	}
	if _, ok := s.acquire("v"); ok {
		t.Error("releasing one slot twice freed two")
	}
	third()
	if _, ok := newStreamSlots(0).acquire("v"); !ok {
		t.Error("a limit of 0 refused a stream")
	}
}

func TestStreamSlotsForgetVisitorsWithoutStreams(t *testing.T) {
	s := newStreamSlots(3)
	for i := range 100 {
		release, _ := s.acquire("v" + strconv.Itoa(i))
		release()
	}
	if n := len(s.open); n != 0 {
		t.Errorf("%d visitors without streams are kept", n)
	}
}

func TestClientKey(t *testing.T) {
	cases := map[string]string{
		"192.0.2.1":                   "192.0.2.1",
		"2001:db8:1:2:3:4:5:6":        "2001:db8:1:2::/64",
		"2001:db8:1:2:ffff::1":        "2001:db8:1:2::/64",
		"::ffff:192.0.2.1":            "::ffff:192.0.2.1",
		"not an address":              "not an address",
		"2001:db8:1:3:3:4:5:6":        "2001:db8:1:3::/64",
		"fe80::1ff:fe23:4567:890a":    "fe80::/64",
		"2001:0db8:0001:0002:0:0:0:1": "2001:db8:1:2::/64",
	}
	for ip, want := range cases {
		if got := clientKey(ip); got != want {
			t.Errorf("clientKey(%q) = %q, want %q", ip, got, want)
		}
	}
}

// limitedAPI is a handler with web chat limits and trusted proxies, whose
// Temporal answers every call with temporalErr.
func limitedAPI(t *testing.T, limits WebChatLimits, trusted []string, temporalErr error) (*testAPI, chan struct{}) {
	t.Helper()
	return apiWith(t, temporalErr, func(d *Deps) {
		d.WebChat.Limits = limits
		d.TrustedProxies = trusted
	})
}

// apiWith is a handler whose Temporal answers every call with temporalErr,
// with Deps changed by change. Its Closing channel is the caller's to close.
func apiWith(t *testing.T, temporalErr error, change func(*Deps)) (*testAPI, chan struct{}) {
	t.Helper()
	fake := &fakeTemporal{err: temporalErr}
	logs := &bytes.Buffer{}
	closing := make(chan struct{})
	deps := Deps{
		Conversations: conversations.NewClient(fake, conversations.Options{Window: 24 * time.Hour}),
		Settings:      settings.NewStore(fake, chat.Settings{InactivityTimeout: time.Hour}),
		Temporal:      fake,
		WebChat:       WebChat{TokenKey: []byte("test key"), AllowedOrigins: []string{"https://shop.example.com"}},
		Staff:         testDirectory(),
		Closing:       closing,
		MaxBodyBytes:  1 << 20,
		Logger:        slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	change(&deps)
	if deps.Feed == nil {
		deps.Feed = feed.New(deps.Search, deps.Conversations, feed.Options{})
	}
	return &testAPI{handler: NewHandler(deps), temporal: fake, log: logs, webChat: deps.WebChat}, closing
}

func (a *testAPI) newVisitorFrom(remoteAddr string, header ...string) testResponse {
	req := httptest.NewRequest("POST", "/webchat/v1/visitors", nil)
	req.RemoteAddr = remoteAddr
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return a.serve(req)
}

// wantTooMany checks a 429 answer for limit.
func wantTooMany(t *testing.T, r testResponse, limit string) {
	t.Helper()
	if r.status != http.StatusTooManyRequests {
		t.Fatalf("status %d %s, want 429", r.status, r.raw)
	}
	seconds, err := strconv.Atoi(r.header.Get("Retry-After"))
	if err != nil || seconds < 1 {
		t.Errorf("Retry-After %q, want whole seconds, at least 1", r.header.Get("Retry-After"))
	}
	if r.body["limit"] != limit || r.body["retry_after"] != float64(seconds) {
		t.Errorf("body %s, want limit %q and retry_after %d", r.raw, limit, seconds)
	}
	if !strings.Contains(r.errorText(), "webchat.limits."+limit) {
		t.Errorf("error %q does not name webchat.limits.%s", r.errorText(), limit)
	}
}

func TestVisitorCreationIsLimitedPerClientAddress(t *testing.T) {
	a, _ := limitedAPI(t, WebChatLimits{VisitorsPerMinute: 2}, nil, nil)
	for i := range 2 {
		if r := a.newVisitorFrom("192.0.2.1:5000"); r.status != http.StatusCreated {
			t.Fatalf("visitor %d: %d %s", i+1, r.status, r.raw)
		}
	}
	wantTooMany(t, a.newVisitorFrom("192.0.2.1:5001"), "visitors_per_minute")
	if r := a.newVisitorFrom("192.0.2.1:5002", "X-Forwarded-For", "198.51.100.7"); r.status != http.StatusTooManyRequests {
		t.Errorf("with a forged X-Forwarded-For and no trusted proxy: %d, want 429", r.status)
	}
	if r := a.newVisitorFrom("192.0.2.2:5000"); r.status != http.StatusCreated {
		t.Errorf("another address: %d %s, want 201", r.status, r.raw)
	}
	if r := a.newVisitorFrom("[2001:db8:1:2::1]:5000"); r.status != http.StatusCreated {
		t.Fatalf("IPv6 address: %d", r.status)
	}
	a.newVisitorFrom("[2001:db8:1:2::2]:5000")
	wantTooMany(t, a.newVisitorFrom("[2001:db8:1:2::3]:5000"), "visitors_per_minute")
}

func TestVisitorCreationBehindATrustedProxy(t *testing.T) {
	a, _ := limitedAPI(t, WebChatLimits{VisitorsPerMinute: 1}, []string{"10.0.0.0/8"}, nil)
	for _, client := range []string{"198.51.100.7", "198.51.100.8"} {
		if r := a.newVisitorFrom("10.1.2.3:5000", "X-Forwarded-For", client); r.status != http.StatusCreated {
			t.Errorf("client %s through the proxy: %d %s, want 201", client, r.status, r.raw)
		}
	}
	wantTooMany(t, a.newVisitorFrom("10.1.2.3:5000", "X-Forwarded-For", "198.51.100.7"), "visitors_per_minute")
	// An untrusted peer's forwarding header is ignored.
	a.newVisitorFrom("192.0.2.9:5000", "X-Forwarded-For", "203.0.113.1")
	wantTooMany(t, a.newVisitorFrom("192.0.2.9:5000", "X-Forwarded-For", "203.0.113.2"), "visitors_per_minute")
}

func (a *testAPI) visitorPost(path, body, token string) testResponse {
	req := httptest.NewRequest("POST", path, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return a.serve(req)
}

func TestVisitorMessagesAreLimitedPerVisitor(t *testing.T) {
	// Temporal is down, so each accepted attempt is a 503; the limit counts
	// attempts.
	a, _ := limitedAPI(t, WebChatLimits{MessagesPerMinute: 2}, nil, serviceerror.NewUnavailable(internalText))
	path := "/webchat/v1/visitors/" + testVisitor
	token := a.webChat.visitorToken(testVisitor)
	for range 5 {
		if r := a.visitorPost(path+"/messages", `{"text":"hi"}`, "wrong"); r.status != http.StatusUnauthorized {
			t.Fatalf("wrong token: %d, want 401", r.status)
		}
	}
	if r := a.visitorPost(path+"/messages", `{"text":"hi"}`, token); r.status != http.StatusServiceUnavailable {
		t.Fatalf("first message after refused strangers: %d %s, want it to reach Temporal (503)", r.status, r.raw)
	}
	if r := a.visitorPost(path+"/agent-request", ``, token); r.status != http.StatusServiceUnavailable {
		t.Fatalf("agent request: %d %s, want it to reach Temporal (503)", r.status, r.raw)
	}
	wantTooMany(t, a.visitorPost(path+"/messages", `{"text":"hi"}`, token), "messages_per_minute")
	wantTooMany(t, a.visitorPost(path+"/agent-request", ``, token), "messages_per_minute")
	other := "4q2-7wAAAAAKqf5kX0iLYA"
	if r := a.visitorPost("/webchat/v1/visitors/"+other+"/messages", `{"text":"hi"}`, a.webChat.visitorToken(other)); r.status != http.StatusServiceUnavailable {
		t.Errorf("another visitor: %d %s, want 503", r.status, r.raw)
	}
}

func TestEventStreamsAreLimitedPerVisitor(t *testing.T) {
	a, closing := limitedAPI(t, WebChatLimits{StreamsPerVisitor: 2}, nil, serviceerror.NewNotFound("workflow not found"))
	srv := httptest.NewServer(a.handler)
	t.Cleanup(func() { close(closing); srv.Close() })
	open := func(visitor string) (*http.Response, context.CancelFunc) {
		t.Helper()
		ctx, cancel := context.WithCancel(context.Background())
		req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/webchat/v1/visitors/"+visitor+"/events?token="+a.webChat.visitorToken(visitor), nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp, cancel
	}
	var cancels []context.CancelFunc
	for i := range 2 {
		resp, cancel := open(testVisitor)
		cancels = append(cancels, cancel)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("stream %d: %d", i+1, resp.StatusCode)
		}
	}
	resp, cancel := open(testVisitor)
	defer cancel()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "10" || !strings.Contains(string(body), `"limit":"streams_per_visitor"`) {
		t.Fatalf("third stream: %d %v %s, want 429 naming streams_per_visitor", resp.StatusCode, resp.Header, body)
	}
	other, cancelOther := open("4q2-7wAAAAAKqf5kX0iLYA")
	defer cancelOther()
	if other.StatusCode != http.StatusOK {
		t.Errorf("another visitor's stream: %d", other.StatusCode)
	}
	cancels[0]()
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, cancel := open(testVisitor)
		cancels = append(cancels, cancel)
		if resp.StatusCode == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a closed stream did not free its slot: %d", resp.StatusCode)
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, c := range cancels {
		c()
	}
}

func TestQueryTokenOnlyOnTheEventStream(t *testing.T) {
	a, closing := limitedAPI(t, WebChatLimits{}, nil, serviceerror.NewNotFound("workflow not found"))
	close(closing)
	token := a.webChat.visitorToken(testVisitor)
	base := "/webchat/v1/visitors/" + testVisitor
	for _, tc := range []struct{ method, path string }{
		{"GET", base + "/messages?token=" + token},
		{"POST", base + "/messages?token=" + token},
		{"POST", base + "/agent-request?token=" + token},
	} {
		r := a.serve(httptest.NewRequest(tc.method, tc.path, strings.NewReader(`{"text":"hi"}`)))
		if r.status != http.StatusUnauthorized || !strings.Contains(r.errorText(), "Authorization: Bearer") || !strings.Contains(r.errorText(), "event stream") {
			t.Errorf("%s %s: %d %s, want 401 saying to use the Authorization header", tc.method, tc.path, r.status, r.raw)
		}
	}
	req := httptest.NewRequest("GET", base+"/messages?token="+token, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	if r := a.serve(req); r.status != http.StatusUnauthorized {
		t.Errorf("header and query token on the transcript: %d, want 401", r.status)
	}
	if r := a.serve(httptest.NewRequest("GET", base+"/events?token="+token, nil)); r.status != http.StatusOK {
		t.Errorf("event stream with ?token=: %d %s, want 200", r.status, r.raw)
	}
	if r := a.serve(httptest.NewRequest("GET", base+"/events?token=wrong", nil)); r.status != http.StatusUnauthorized {
		t.Errorf("event stream with a wrong ?token=: %d, want 401", r.status)
	}
}

func TestCORSExposesRetryAfter(t *testing.T) {
	a, _ := limitedAPI(t, WebChatLimits{VisitorsPerMinute: 1}, nil, nil)
	a.newVisitorFrom("192.0.2.1:1", "Origin", "https://shop.example.com")
	r := a.newVisitorFrom("192.0.2.1:1", "Origin", "https://shop.example.com")
	if r.status != http.StatusTooManyRequests || !strings.Contains(r.header.Get("Access-Control-Expose-Headers"), "Retry-After") ||
		r.header.Get("Access-Control-Allow-Origin") != "https://shop.example.com" {
		t.Errorf("%d %v, want a 429 whose Retry-After the widget's origin can read", r.status, r.header)
	}
}
