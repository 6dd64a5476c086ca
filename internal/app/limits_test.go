package app_test

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/handoff-chat/handoff/internal/app"
	"github.com/handoff-chat/handoff/internal/config"
)

// Bad input and floods against a real handoff: bounds and IDs are refused
// with a 400 that names the field, before anything reaches Temporal; a
// Messenger batch with bad events records the good ones and answers 200; and
// the web chat limits answer 429 with Retry-After and the limit's name.
func TestBadInputAndFloods(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.WebChat.Limits = config.WebChatLimits{VisitorsPerMinute: 3, MessagesPerMinute: 6, StreamsPerVisitor: 1}
	cfg.Messenger.AppSecret = appSecret
	cfg.Messenger.VerifyToken = verifyToken
	a := startApp(t, cfg, app.RoleAll)
	c := newAPI(t, a)
	visitors := []string{c.newVisitor(), c.newVisitor(), c.newVisitor()}

	t.Run("visitor creation per address", func(t *testing.T) {
		r := c.do("POST", "/webchat/v1/visitors", nil, false)
		wantTooMany(t, r, "visitors_per_minute", 1, 20)
	})
	t.Run("bounds", func(t *testing.T) { checkBounds(t, c, visitors[0]) })
	t.Run("IDs", func(t *testing.T) { checkIDs(t, c) })
	t.Run("Messenger batch with bad events", func(t *testing.T) { checkWebhookSkips(t, c) })
	t.Run("messages per visitor", func(t *testing.T) {
		for i := range 6 {
			c.say(visitors[1], map[string]any{"id": fmt.Sprintf("flood-%d", i), "text": "hi"})
		}
		r := c.do("POST", "/webchat/v1/visitors/"+visitors[1]+"/messages", map[string]any{"text": "one too many"}, false)
		wantTooMany(t, r, "messages_per_minute", 1, 10)
		if r := c.do("POST", "/webchat/v1/visitors/"+visitors[1]+"/agent-request", nil, false); r.status != http.StatusTooManyRequests {
			t.Errorf("agent request over the limit: %d %s, want 429", r.status, r.body)
		}
	})
	t.Run("event streams per visitor", func(t *testing.T) { checkStreamLimit(t, c, visitors[2]) })
	t.Run("token in the query string", func(t *testing.T) {
		token := c.visitorTokens[visitors[2]]
		req, _ := http.NewRequest("GET", c.base+"/webchat/v1/visitors/"+visitors[2]+"/messages?token="+token, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(string(body), "Authorization: Bearer") {
			t.Errorf("transcript with ?token=: %d %s, want 401 saying to use the Authorization header", resp.StatusCode, body)
		}
	})
}

func wantTooMany(t *testing.T, r response, limit string, minWait, maxWait int) {
	t.Helper()
	if r.status != http.StatusTooManyRequests {
		t.Fatalf("status %d %s, want 429", r.status, r.body)
	}
	body := r.json(t)
	if body["limit"] != limit || !strings.Contains(r.errorMessage(t), "webchat.limits."+limit) {
		t.Errorf("body %s, want the limit %s named", r.body, limit)
	}
	if wait, _ := body["retry_after"].(float64); int(wait) < minWait || int(wait) > maxWait {
		t.Errorf("retry_after %v, want %d-%d seconds", body["retry_after"], minWait, maxWait)
	}
}

func checkBounds(t *testing.T, c *api, visitor string) {
	path := "/webchat/v1/visitors/" + visitor + "/messages"
	for _, tc := range []struct {
		name     string
		body     map[string]any
		mentions string
	}{
		{"900 KB locale", map[string]any{"text": "hi", "locale": "bg-" + strings.Repeat("BG-", 300_000)}, "locale is 900003 characters long; a language tag has at most 35"},
		{"NUL in the text", map[string]any{"text": "a\x00b"}, "text contains the control character U+0000"},
		{"zero-width text", map[string]any{"text": "\u200b\u200d"}, "text is blank"},
		{"name with a newline", map[string]any{"text": "hi", "name": "Maria\nPetrova"}, "name contains the control character"},
	} {
		r := c.do("POST", path, tc.body, false)
		if r.status != http.StatusBadRequest || !strings.Contains(r.errorMessage(t), tc.mentions) {
			t.Errorf("%s: %d %.300s, want 400 containing %q", tc.name, r.status, r.body, tc.mentions)
		}
	}
	if r := c.do("GET", "/api/v1/conversations/webchat/"+visitor, nil, true); r.status != http.StatusNotFound {
		t.Fatalf("refused messages created the conversation: %d %s", r.status, r.body)
	}
	c.say(visitor, map[string]any{"text": "hello", "locale": "bg-BG"})
	staff := conversationPath(visitor) + "/messages"
	buttons := make([]map[string]any, 14)
	for i := range buttons {
		buttons[i] = map[string]any{"title": "Go", "payload": "P"}
	}
	for _, tc := range []struct {
		name     string
		body     map[string]any
		mentions string
	}{
		{"too many buttons", map[string]any{"text": "pick", "buttons": buttons}, "buttons has 14 buttons"},
		{"long button title", map[string]any{"text": "pick", "buttons": []map[string]any{{"title": strings.Repeat("t", 81), "payload": "P"}}}, "buttons[0].title is 81 characters long"},
		{"long image URL", map[string]any{"attachments": []map[string]any{{"url": "https://x.example/" + strings.Repeat("a", 2048)}}}, "attachments[0].url is"},
		{"text with an escape", map[string]any{"text": "\x1b[31mred"}, "text contains the control character U+001B"},
	} {
		r := c.do("POST", staff, tc.body, true)
		if r.status != http.StatusBadRequest || !strings.Contains(r.errorMessage(t), tc.mentions) {
			t.Errorf("staff %s: %d %.300s, want 400 containing %q", tc.name, r.status, r.body, tc.mentions)
		}
	}
	conv := c.expect(http.StatusOK, "GET", conversationPath(visitor), nil, true)
	if conv["locale"] != "bg-BG" || len(conv["messages"].([]any)) > 2 {
		t.Errorf("conversation after refused input: locale %v, %d messages", conv["locale"], len(conv["messages"].([]any)))
	}
}

func checkIDs(t *testing.T, c *api) {
	for _, tc := range []struct {
		path, mentions string
	}{
		{"/api/v1/conversations/webchat/%00", "must be 22-64 letters"},
		{"/api/v1/conversations/webchat/%F0%9F%98%80", "must be 22-64 letters"},
		{"/api/v1/conversations/messenger/%F0%9F%98%80", "page-scoped ID of 1-32 digits"},
		{"/api/v1/conversations/messenger/12ab", "page-scoped ID of 1-32 digits"},
		{"/api/v1/conversations/messenger/12%0034/search?q=x", "page-scoped ID of 1-32 digits"},
	} {
		r := c.do("GET", tc.path, nil, true)
		msg := r.errorMessage(t)
		if r.status != http.StatusBadRequest || !strings.Contains(msg, tc.mentions) || !strings.HasPrefix(msg, "customer ID ") {
			t.Errorf("GET %s: %d %s, want 400 naming the customer ID", tc.path, r.status, r.body)
		}
		if strings.Contains(strings.ToLower(msg), "workflow") {
			t.Errorf("GET %s: Temporal's text reached the client: %s", tc.path, msg)
		}
	}
	if r := c.do("POST", "/webchat/v1/visitors/%F0%9F%98%80/messages", map[string]any{"text": "hi"}, false); r.status != http.StatusBadRequest || !strings.Contains(r.errorMessage(t), "visitor ID") {
		t.Errorf("web chat message for an emoji visitor: %d %s, want 400 naming the visitor ID", r.status, r.body)
	}
}

func checkWebhookSkips(t *testing.T, c *api) {
	const page = "1000000000000003"
	psid := fmt.Sprintf("4%015d", time.Now().UnixNano()%1e15)
	body := fmt.Sprintf(`{"object":"page","entry":[{"id":%q,"time":1,"messaging":[
  {"sender":{"id":"%%00"},"recipient":{"id":%[1]q},"timestamp":1,"message":{"mid":"m_bad_1","text":"hi"}},
  {"sender":{"id":%[2]q},"recipient":{"id":%[1]q},"timestamp":2,"message":{"mid":"m_good_%[2]s","text":"Здравейте"}},
  {"sender":{"id":"😀"},"recipient":{"id":%[1]q},"timestamp":3,"message":{"mid":"m_bad_2","text":"hi"}},
  {"sender":{"id":%[2]q},"recipient":{"id":%[1]q},"timestamp":4,"message":{"mid":"m_bad_3","text":"a\u0000b"}}
]}]}`, page, psid)
	for _, round := range []string{"delivery", "redelivery"} {
		status, got := postWebhook(t, c.base, body, sign(body))
		if status != http.StatusOK || !strings.Contains(got, `"accepted":1`) || !strings.Contains(got, `"skipped":3`) {
			t.Fatalf("%s: %d %s, want 200 with 1 accepted and 3 skipped", round, status, got)
		}
	}
	conv := c.expect(http.StatusOK, "GET", "/api/v1/conversations/messenger/"+psid, nil, true)
	var ids []string
	for _, m := range conv["messages"].([]any) {
		if msg := m.(map[string]any); msg["sender"] == "customer" {
			ids = append(ids, msg["id"].(string))
		}
	}
	if strings.Join(ids, ",") != "m_good_"+psid {
		t.Errorf("customer messages %v, want only the good one once", ids)
	}
}

func checkStreamLimit(t *testing.T, c *api, visitor string) {
	token := "token=" + c.visitorTokens[visitor]
	first, _ := openStream(t, c, visitor, token, nil)
	if first.StatusCode != http.StatusOK {
		t.Fatalf("first stream: %d", first.StatusCode)
	}
	second, _ := openStream(t, c, visitor, token, nil)
	body, _ := io.ReadAll(second.Body)
	if second.StatusCode != http.StatusTooManyRequests || !strings.Contains(string(body), `"limit":"streams_per_visitor"`) {
		t.Fatalf("second stream: %d %s, want 429 naming streams_per_visitor", second.StatusCode, body)
	}
	if wait, err := strconv.Atoi(second.Header.Get("Retry-After")); err != nil || wait < 1 {
		t.Errorf("Retry-After %q, want seconds", second.Header.Get("Retry-After"))
	}
	first.Body.Close()
	waitUntil(t, 10*time.Second, "the closed stream's slot to be free again", func() (bool, error) {
		resp, _ := openStream(t, c, visitor, token, nil)
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK, fmt.Errorf("a new stream got %d", resp.StatusCode)
	})
}
