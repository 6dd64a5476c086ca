package app_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/handoff-chat/handoff/internal/app"
)

// sseEvent is one Server-Sent Event.
type sseEvent struct {
	id, event, data string
}

// openStream opens the visitor's event stream and returns its events.
func openStream(t *testing.T, c *api, visitor, query string, header http.Header) (*http.Response, <-chan sseEvent) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, "GET", c.base+"/webchat/v1/visitors/"+visitor+"/events?"+query, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	events := make(chan sseEvent, 64)
	go func() {
		defer close(events)
		scanner := bufio.NewScanner(resp.Body)
		var ev sseEvent
		for scanner.Scan() {
			line := scanner.Text()
			switch {
			case line == "":
				if ev.data != "" {
					events <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, "id: "):
				ev.id = strings.TrimPrefix(line, "id: ")
			case strings.HasPrefix(line, "event: "):
				ev.event = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				ev.data = strings.TrimPrefix(line, "data: ")
			}
		}
	}()
	return resp, events
}

func nextMessage(t *testing.T, events <-chan sseEvent) message {
	t.Helper()
	select {
	case ev, ok := <-events:
		if !ok {
			t.Fatal("the event stream ended")
		}
		var m message
		if ev.event != "message" || json.Unmarshal([]byte(ev.data), &m) != nil {
			t.Fatalf("event %+v, want a message event with a JSON message", ev)
		}
		if ev.id == "" || ev.id != jsonNumber(m.Seq) {
			t.Fatalf("event id %q, want the message's seq %d", ev.id, m.Seq)
		}
		return m
	case <-time.After(20 * time.Second):
		t.Fatal("no event within 20s")
	}
	return message{}
}

func jsonNumber(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func TestWebChatEventStreamDeliversRepliesAsTheyHappen(t *testing.T) {
	c := newAPI(t, shared)
	visitor := c.newVisitor()
	token := c.visitorTokens[visitor]
	resp, events := openStream(t, c, visitor, "token="+token, nil)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("stream answered %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}

	c.say(visitor, map[string]any{"id": "sse-1", "text": "Здравейте", "locale": "bg-BG"})
	if m := nextMessage(t, events); m.ID != "sse-1" || m.Sender != "customer" {
		t.Fatalf("first event %+v, want the visitor's own message", m)
	}
	bot := nextMessage(t, events)
	if bot.Sender != "bot" {
		t.Fatalf("second event %+v, want the bot's reply", bot)
	}
	c.expect(http.StatusCreated, "POST", conversationPath(visitor)+"/messages", map[string]any{
		"id": "sse-staff", "text": "Вижте снимката",
		"attachments": []map[string]any{{"url": "https://example.com/p.jpg"}},
		"buttons":     []map[string]any{{"title": "Магазин", "url": "https://example.com"}},
	}, true)
	staff := nextMessage(t, events)
	if staff.ID != "sse-staff" || staff.DisplayName != "Support" || staff.Author != "" {
		t.Fatalf("third event %+v, want the staff message under the display name Support, without the token's name", staff)
	}

	// A reconnect with Last-Event-ID resumes after that message only.
	_, resumed := openStream(t, c, visitor, "token="+token, http.Header{"Last-Event-ID": {jsonNumber(bot.Seq)}})
	if m := nextMessage(t, resumed); m.ID != "sse-staff" {
		t.Fatalf("resumed stream starts with %+v, want the message after Last-Event-ID", m)
	}
}

func TestWebChatNeedsTheVisitorsToken(t *testing.T) {
	c := newAPI(t, shared)
	visitor := c.newVisitor()
	other := c.newVisitor()
	path := "/webchat/v1/visitors/" + visitor + "/messages"
	stranger := &api{t: t, base: c.base, visitorTokens: map[string]string{visitor: c.visitorTokens[other]}}
	for _, tc := range []struct {
		name     string
		client   *api
		mentions string
	}{
		{"no token", &api{t: t, base: c.base}, "Authorization: Bearer"},
		{"another visitor's token", stranger, "does not belong"},
	} {
		r := tc.client.do("POST", path, map[string]any{"text": "hi"}, false)
		if r.status != http.StatusUnauthorized || !strings.Contains(r.errorMessage(t), tc.mentions) {
			t.Errorf("%s: %d %s, want 401 mentioning %q", tc.name, r.status, r.body, tc.mentions)
		}
	}
	if resp, _ := openStream(t, c, visitor, "token=wrong", nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("event stream with a wrong token: %d, want 401", resp.StatusCode)
	}
}

func TestWebChatCORS(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.WebChat.AllowedOrigins = []string{"https://shop.example.com"}
	a := startApp(t, cfg, app.RoleAll)
	base := "http://" + a.HTTPAddr()
	preflight := func(origin string) *http.Response {
		req, _ := http.NewRequest("OPTIONS", base+"/webchat/v1/visitors", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "authorization, content-type")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	for _, origin := range []string{"https://shop.example.com", base} {
		resp := preflight(origin)
		if resp.StatusCode != http.StatusNoContent || resp.Header.Get("Access-Control-Allow-Origin") != origin ||
			!strings.Contains(resp.Header.Get("Access-Control-Allow-Headers"), "Authorization") {
			t.Errorf("preflight from %s: %d %v, want 204 allowing it", origin, resp.StatusCode, resp.Header)
		}
	}
	if resp := preflight("https://evil.example"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("preflight from an unlisted origin: %d, want 403", resp.StatusCode)
	}
	req, _ := http.NewRequest("POST", base+"/webchat/v1/visitors", nil)
	req.Header.Set("Origin", "https://evil.example")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var body map[string]string
	_ = json.NewDecoder(resp.Body).Decode(&body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(body["error"], "webchat.allowed_origins") {
		t.Errorf("POST from an unlisted origin: %d %v, want 403 naming webchat.allowed_origins", resp.StatusCode, body)
	}
}
