package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/handoff-chat/handoff/internal/app"
	"github.com/handoff-chat/handoff/internal/config"
)

const staffToken = "e2e-token-0123456789"

// shared is one all-in-one handoff (embedded Temporal persisted under a temp
// directory, worker, HTTP API) used by the tests that need no special config.
var shared *app.App

func TestMain(m *testing.M) {
	if os.Getenv("HANDOFF_E2E_CHILD") != "" {
		os.Exit(runChild())
	}
	dir, err := os.MkdirTemp("", "handoff-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	cfg := testConfig(dir)
	shared, err = app.Start(context.Background(), cfg, app.RoleAll, testLogger())
	if err != nil {
		fmt.Fprintln(os.Stderr, "start handoff:", err)
		os.Exit(1)
	}
	code := m.Run()
	shared.Stop()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// startApp starts a handoff process for one test and stops it afterwards.
func startApp(t *testing.T, cfg *config.Config, role app.Role) *app.App {
	t.Helper()
	a, err := app.Start(context.Background(), cfg, role, testLogger())
	if err != nil {
		t.Fatalf("start %s role: %v", role, err)
	}
	t.Cleanup(a.Stop)
	return a
}

func testLogger() *slog.Logger {
	if os.Getenv("HANDOFF_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// testConfig is the built-in default configuration with everything on free
// local ports under dir.
func testConfig(dir string) *config.Config {
	prev, _ := os.Getwd()
	_ = os.Chdir(dir) // so no config.yaml of the repository is picked up
	cfg, err := config.Load("")
	_ = os.Chdir(prev)
	if err != nil {
		panic(err)
	}
	cfg.DataDir = dir
	cfg.HTTP.Addr = "127.0.0.1:0"
	cfg.Temporal.Embedded.FrontendAddr = "127.0.0.1:0"
	cfg.Temporal.UI.Addr = ""
	cfg.Auth.Tokens = []string{"alice:" + staffToken}
	return cfg
}

// api is a small HTTP client for one handoff process.
type api struct {
	t     *testing.T
	base  string
	token string
	// visitorTokens holds the token of every visitor this client created;
	// web chat calls for that visitor carry it.
	visitorTokens map[string]string
}

func newAPI(t *testing.T, a *app.App) *api {
	return &api{t: t, base: "http://" + a.HTTPAddr(), token: staffToken, visitorTokens: map[string]string{}}
}

type response struct {
	status int
	body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("response %d is not a JSON object: %s", r.status, r.body)
	}
	return v
}

func (r response) errorMessage(t *testing.T) string {
	t.Helper()
	msg, _ := r.json(t)["error"].(string)
	if msg == "" {
		t.Fatalf("error response %d has no error message: %s", r.status, r.body)
	}
	return msg
}

func (a *api) do(method, path string, body any, staff bool) response {
	a.t.Helper()
	var reader io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		reader = strings.NewReader(b)
	case []byte:
		reader = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			a.t.Fatal(err)
		}
		reader = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, a.base+path, reader)
	if err != nil {
		a.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if staff {
		req.Header.Set("Authorization", "Bearer "+a.token)
	} else if rest, ok := strings.CutPrefix(path, "/webchat/v1/visitors/"); ok {
		visitor, _, _ := strings.Cut(rest, "/")
		if token := a.visitorTokens[visitor]; token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		a.t.Fatal(err)
	}
	return response{status: resp.StatusCode, body: raw}
}

func (a *api) expect(status int, method, path string, body any, staff bool) map[string]any {
	a.t.Helper()
	r := a.do(method, path, body, staff)
	if r.status != status {
		a.t.Fatalf("%s %s: status %d, want %d; body %s", method, path, r.status, status, r.body)
	}
	return r.json(a.t)
}

func (a *api) newVisitor() string {
	a.t.Helper()
	v := a.expect(http.StatusCreated, "POST", "/webchat/v1/visitors", nil, false)
	id := v["visitor_id"].(string)
	if a.visitorTokens == nil {
		a.visitorTokens = map[string]string{}
	}
	a.visitorTokens[id] = v["token"].(string)
	return id
}

func (a *api) say(visitor string, body map[string]any) map[string]any {
	a.t.Helper()
	return a.expect(http.StatusAccepted, "POST", "/webchat/v1/visitors/"+visitor+"/messages", body, false)
}

type message struct {
	Seq    int64  `json:"seq"`
	ID     string `json:"id"`
	Sender string `json:"sender"`
	Author string `json:"author"`
	// DisplayName is the name the customer sees on a staff message.
	DisplayName string `json:"display_name"`
	Text        string `json:"text"`
	Payload     string `json:"payload"`
	Buttons     []struct {
		Title   string `json:"title"`
		Payload string `json:"payload"`
	} `json:"buttons"`
}

func (a *api) transcript(visitor string, after int64) []message {
	a.t.Helper()
	r := a.do("GET", fmt.Sprintf("/webchat/v1/visitors/%s/messages?after=%d", visitor, after), nil, false)
	if r.status != http.StatusOK {
		a.t.Fatalf("transcript: %d %s", r.status, r.body)
	}
	var out struct{ Messages []message }
	if err := json.Unmarshal(r.body, &out); err != nil {
		a.t.Fatal(err)
	}
	return out.Messages
}

// waitTranscript polls until the transcript satisfies ok; the bot answers
// asynchronously, after the customer's message was accepted.
func (a *api) waitTranscript(visitor string, ok func([]message) bool) []message {
	a.t.Helper()
	var msgs []message
	waitUntil(a.t, 20*time.Second, "the transcript of "+visitor+" to reach the expected shape", func() (bool, error) {
		msgs = a.transcript(visitor, 0)
		if ok(msgs) {
			return true, nil
		}
		return false, fmt.Errorf("the transcript is %+v", msgs)
	})
	return msgs
}

func senders(msgs []message) string {
	var s []string
	for _, m := range msgs {
		s = append(s, m.Sender)
	}
	return strings.Join(s, ",")
}

func conversationPath(visitor string) string { return "/api/v1/conversations/webchat/" + visitor }

func findConversation(t *testing.T, list map[string]any, visitor string) map[string]any {
	t.Helper()
	for _, c := range list["conversations"].([]any) {
		if row := c.(map[string]any); row["customer_id"] == visitor {
			return row
		}
	}
	return nil
}

// waitListed polls the staff list (Temporal's visibility store is updated
// asynchronously) until the visitor's row satisfies ok.
func (a *api) waitListed(path, visitor string, ok func(map[string]any) bool) map[string]any {
	a.t.Helper()
	var list map[string]any
	waitUntil(a.t, 20*time.Second, "the staff list "+path+" to show "+visitor+" as expected", func() (bool, error) {
		list = a.expect(http.StatusOK, "GET", path, nil, true)
		if row := findConversation(a.t, list, visitor); row != nil && ok(row) {
			return true, nil
		}
		return false, fmt.Errorf("the list is %v", list)
	})
	return list
}

func TestWebChatToLiveChatAndBack(t *testing.T) {
	c := newAPI(t, shared)
	visitor := c.newVisitor()

	sent := c.say(visitor, map[string]any{"id": "w1", "text": "Здравейте, кога ще дойде поръчката ми?", "name": "Иван Иванов"})
	if sent["message_id"] != "w1" {
		t.Fatalf("first message answer %v, want its message_id", sent)
	}
	msgs := c.waitTranscript(visitor, func(m []message) bool { return len(m) == 2 })
	if senders(msgs) != "customer,bot" || msgs[1].Buttons[0].Payload != "HANDOFF_TALK_TO_HUMAN" {
		t.Fatalf("transcript %+v, want the message and the bot's reply with a talk-to-a-human button", msgs)
	}

	list := c.waitListed("/api/v1/conversations", visitor, func(r map[string]any) bool { return r["customer_name"] == "Иван Иванов" })
	row := findConversation(t, list, visitor)
	if row["state"] != "bot" || row["agent_requested"] != false || row["window_closes_at"] == nil {
		t.Errorf("list row %v", row)
	}
	c.waitListed("/api/v1/conversations?name="+url.QueryEscape("иван"), visitor, func(map[string]any) bool { return true })

	// Staff reply: live chat switches on, the AI goes quiet.
	reply := c.expect(http.StatusCreated, "POST", conversationPath(visitor)+"/messages", map[string]any{"text": "Здравейте, аз съм Алиса"}, true)
	conv := reply["conversation"].(map[string]any)
	if conv["state"] != "live_chat" || conv["ai_enabled"] != false || conv["live_chat_expires_at"] == nil {
		t.Fatalf("after staff message: %v", conv)
	}
	c.say(visitor, map[string]any{"id": "w2", "text": "Благодаря!"})
	got := c.expect(http.StatusOK, "GET", conversationPath(visitor), nil, true)
	if got["open"] != true || got["state"] != "live_chat" {
		t.Fatalf("conversation %v", got)
	}
	raw, _ := json.Marshal(got["messages"])
	var all []message
	_ = json.Unmarshal(raw, &all)
	if senders(all) != "customer,bot,staff,customer" || all[2].Author != "alice" {
		t.Fatalf("messages %+v, want no bot reply while live chat is on and the staff author recorded", all)
	}

	// Switch off: 200, then 409 because it is already off.
	off := c.expect(http.StatusOK, "POST", conversationPath(visitor)+"/live-chat", map[string]any{"on": false}, true)
	if off["state"] != "bot" || off["ai_enabled"] != true {
		t.Fatalf("after live chat off: %v", off)
	}
	again := c.do("POST", conversationPath(visitor)+"/live-chat", map[string]any{"on": false}, true)
	if again.status != http.StatusConflict || !strings.Contains(again.errorMessage(t), "already off") {
		t.Fatalf("switching off twice: %d %s", again.status, again.body)
	}
	on := c.expect(http.StatusOK, "POST", conversationPath(visitor)+"/live-chat", map[string]any{"on": true}, true)
	if on["state"] != "live_chat" {
		t.Fatalf("after live chat on: %v", on)
	}
	if r := c.do("POST", conversationPath(visitor)+"/live-chat", map[string]any{"on": true}, true); r.status != http.StatusConflict {
		t.Fatalf("switching on twice: %d %s", r.status, r.body)
	}
}

func TestAgentRequestIsFlaggedAndListedFirst(t *testing.T) {
	c := newAPI(t, shared)
	calm := c.newVisitor()
	c.say(calm, map[string]any{"text": "just browsing"})
	urgent := c.newVisitor()
	c.say(urgent, map[string]any{"text": "my order is broken", "name": "Urgent Customer"})
	asked := c.expect(http.StatusAccepted, "POST", "/webchat/v1/visitors/"+urgent+"/agent-request", nil, false)
	if asked["state"] != "agent_requested" || asked["agent_requested_at"] == nil {
		t.Fatalf("agent request answer %v", asked)
	}
	msgs := c.waitTranscript(urgent, func(m []message) bool {
		return len(m) > 0 && strings.Contains(m[len(m)-1].Text, "alerted")
	})
	if msgs[0].Sender != "customer" {
		t.Fatalf("transcript %+v", msgs)
	}

	list := c.waitListed("/api/v1/conversations", urgent, func(r map[string]any) bool { return r["agent_requested"] == true })
	rows := list["conversations"].([]any)
	first := rows[0].(map[string]any)
	if first["agent_requested"] != true {
		t.Errorf("first row %v, want customers who asked for a human listed first", first)
	}
	if findConversation(t, list, calm) == nil {
		t.Errorf("list lacks the other open conversation")
	}

	// The talk-to-a-human button does the same from a fresh conversation.
	button := c.newVisitor()
	c.say(button, map[string]any{"payload": "HANDOFF_TALK_TO_HUMAN", "text": "Talk to a human"})
	if got := c.expect(http.StatusOK, "GET", conversationPath(button), nil, true); got["state"] != "agent_requested" {
		t.Errorf("after the button press the conversation is %v, want agent_requested", got["state"])
	}
}

func TestRedeliveredMessageIsProcessedOnce(t *testing.T) {
	c := newAPI(t, shared)
	visitor := c.newVisitor()
	c.say(visitor, map[string]any{"id": "same-1", "text": "hello"})
	c.say(visitor, map[string]any{"id": "same-1", "text": "hello"})
	// The bot answers in order, so a reply to the redelivery would come
	// before the reply to a later message. Whether the second message
	// arrives before or after the first reply depends on timing, so the
	// transcript may interleave either way.
	c.say(visitor, map[string]any{"id": "same-2", "text": "and another thing"})
	msgs := c.waitTranscript(visitor, func(m []message) bool { return len(m) >= 4 })
	var customerIDs []string
	replies := 0
	for _, m := range msgs {
		switch m.Sender {
		case "customer":
			customerIDs = append(customerIDs, m.ID)
		case "bot":
			replies++
		}
	}
	if got := strings.Join(customerIDs, ","); got != "same-1,same-2" || replies != 2 || len(msgs) != 4 || msgs[0].Sender != "customer" {
		t.Fatalf("transcript %+v, want each message once with one reply each", msgs)
	}
	before := senders(msgs)
	staffID := map[string]any{"id": "staff-retry-1", "text": "hi"}
	if r := c.expect(http.StatusCreated, "POST", conversationPath(visitor)+"/messages", staffID, true); r["duplicate"] != false {
		t.Errorf("first staff message reported as %v", r)
	}
	if r := c.expect(http.StatusCreated, "POST", conversationPath(visitor)+"/messages", staffID, true); r["duplicate"] != true {
		t.Errorf("retried staff message reported as %v, want duplicate", r)
	}
	if got := senders(c.transcript(visitor, 0)); got != before+",staff" {
		t.Fatalf("after a retried staff message: %s, want it recorded once", got)
	}
}

func TestTranscriptAfterCursor(t *testing.T) {
	c := newAPI(t, shared)
	visitor := c.newVisitor()
	if msgs := c.transcript(visitor, 0); len(msgs) != 0 {
		t.Fatalf("visitor without conversation has messages %+v", msgs)
	}
	c.say(visitor, map[string]any{"text": "one"})
	msgs := c.waitTranscript(visitor, func(m []message) bool { return len(m) == 2 })
	rest := c.transcript(visitor, msgs[0].Seq)
	if len(rest) != 1 || rest[0].Seq != msgs[1].Seq {
		t.Fatalf("after seq %d: %+v", msgs[0].Seq, rest)
	}
	if r := c.do("GET", "/webchat/v1/visitors/"+visitor+"/messages?after=-1", nil, false); r.status != http.StatusBadRequest {
		t.Errorf("negative cursor: %d", r.status)
	}
}

func TestBadRequestsGetClearErrors(t *testing.T) {
	c := newAPI(t, shared)
	visitor := c.newVisitor()
	c.say(visitor, map[string]any{"text": "hello"})
	big := `{"text":"` + strings.Repeat("x", 2<<20) + `"}`

	cases := []struct {
		name, method, path string
		body               any
		staff              bool
		token              string
		status             int
		mentions           string
	}{
		{"no token", "GET", "/api/v1/conversations", nil, false, "", 401, "Bearer"},
		{"wrong token", "GET", "/api/v1/conversations", nil, true, "wrong-token-0123456789", 401, "not one of the configured"},
		{"unknown conversation", "GET", "/api/v1/conversations/webchat/nobody-here-0000000000000", nil, true, "", 404, "nobody-here-0000000000000"},
		{"unknown conversation live chat", "POST", "/api/v1/conversations/webchat/nobody-here-0000000000000/live-chat", `{"on":true}`, true, "", 404, "nobody-here-0000000000000"},
		{"unknown conversation message", "POST", "/api/v1/conversations/webchat/nobody-here-0000000000000/messages", `{"text":"hi"}`, true, "", 404, "nobody-here-0000000000000"},
		{"unknown channel", "GET", "/api/v1/conversations/telegram/x", nil, true, "", 404, "unknown channel"},
		{"malformed JSON", "POST", "/webchat/v1/visitors/" + visitor + "/messages", `{"text": "hi"`, false, "", 400, "JSON"},
		{"empty body", "POST", conversationPath(visitor) + "/messages", ``, true, "", 400, "empty"},
		{"unknown field", "POST", conversationPath(visitor) + "/messages", `{"txt":"hi"}`, true, "", 400, "txt"},
		{"wrong type", "POST", conversationPath(visitor) + "/live-chat", `{"on":"yes"}`, true, "", 400, "on"},
		{"missing on", "POST", conversationPath(visitor) + "/live-chat", `{}`, true, "", 400, "on"},
		{"blank staff text", "POST", conversationPath(visitor) + "/messages", `{"text":"  "}`, true, "", 400, "text"},
		{"empty customer message", "POST", "/webchat/v1/visitors/" + visitor + "/messages", `{"text":""}`, false, "", 400, "text"},
		{"bad visitor ID", "POST", "/webchat/v1/visitors/short/messages", `{"text":"hi"}`, false, "", 400, "short"},
		{"oversized body", "POST", "/webchat/v1/visitors/" + visitor + "/messages", big, false, "", 413, "larger than"},
		{"timeout too short", "PATCH", "/api/v1/settings", `{"inactivity_timeout":"30s"}`, true, "", 400, "inactivity_timeout"},
		{"timeout too long", "PATCH", "/api/v1/settings", `{"inactivity_timeout":"25h"}`, true, "", 400, "inactivity_timeout"},
		{"timeout not a duration", "PATCH", "/api/v1/settings", `{"inactivity_timeout":"soon"}`, true, "", 400, "inactivity_timeout"},
		{"bad email", "PATCH", "/api/v1/settings", `{"notification_email":"ops at example"}`, true, "", 400, "notification_email"},
		{"cooldown too long", "PATCH", "/api/v1/settings", `{"notification_cooldown":"25h"}`, true, "", 400, "notification_cooldown must be between 0s and 24h, got 25h"},
		{"cooldown negative", "PATCH", "/api/v1/settings", `{"notification_cooldown":"-1m"}`, true, "", 400, "notification_cooldown"},
		{"cooldown not a duration", "PATCH", "/api/v1/settings", `{"notification_cooldown":"a while"}`, true, "", 400, `notification_cooldown must be a duration`},
		{"bad phone", "PATCH", "/api/v1/settings", `{"notification_phone":"0888 123"}`, true, "", 400, "notification_phone"},
		{"empty patch", "PATCH", "/api/v1/settings", `{}`, true, "", 400, "no setting"},
		{"unknown setting", "PATCH", "/api/v1/settings", `{"colour":"red"}`, true, "", 400, "colour"},
		{"unknown route", "GET", "/api/v1/nothing", nil, true, "", 404, "/api/v1/nothing"},
		{"wrong method", "DELETE", "/api/v1/settings", nil, true, "", 405, "DELETE"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			client := *c
			client.t = t
			if tc.token != "" {
				client.token = tc.token
			}
			r := client.do(tc.method, tc.path, tc.body, tc.staff)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d; body %.300s", r.status, tc.status, r.body)
			}
			if msg := r.errorMessage(t); !strings.Contains(strings.ToLower(msg), strings.ToLower(tc.mentions)) {
				t.Errorf("error %q does not mention %q", msg, tc.mentions)
			}
		})
	}
	// Nothing above changed the conversation.
	if got := c.expect(http.StatusOK, "GET", conversationPath(visitor), nil, true); got["state"] != "bot" {
		t.Errorf("conversation changed by rejected requests: %v", got)
	}
}

func TestHealthAndReadiness(t *testing.T) {
	c := newAPI(t, shared)
	if v := c.expect(http.StatusOK, "GET", "/healthz", nil, false); v["status"] != "ok" {
		t.Errorf("healthz %v", v)
	}
	if v := c.expect(http.StatusOK, "GET", "/readyz", nil, false); v["status"] != "ready" {
		t.Errorf("readyz %v", v)
	}
	r := c.do("GET", "/api/openapi.yaml", nil, false)
	if r.status != http.StatusOK || !bytes.Contains(r.body, []byte("openapi: 3")) {
		t.Errorf("openapi document: %d %.100s", r.status, r.body)
	}
}

// A second process against the same Temporal cluster sees and changes the
// same settings.
func TestSettingsAreSharedAuditedAndApplied(t *testing.T) {
	c := newAPI(t, shared)
	cfg := testConfig(t.TempDir())
	cfg.Temporal.Address = sharedFrontend(t)
	cfg.Auth.Tokens = []string{"bob:" + staffToken + "-bob"}
	second := startApp(t, cfg, app.RoleAll)
	c2 := newAPI(t, second)
	c2.token = staffToken + "-bob"

	changed := c.expect(http.StatusOK, "PATCH", "/api/v1/settings", map[string]any{
		"inactivity_timeout": "5m", "notification_email": "ops@example.com",
	}, true)
	if s := changed["settings"].(map[string]any); s["inactivity_timeout"] != "5m" || s["notification_email"] != "ops@example.com" {
		t.Fatalf("after change: %v", changed)
	}
	seen := c2.expect(http.StatusOK, "GET", "/api/v1/settings", nil, true)
	if s := seen["settings"].(map[string]any); s["inactivity_timeout"] != "5m" || s["notification_email"] != "ops@example.com" {
		t.Fatalf("the api process sees %v", seen)
	}
	if d := seen["defaults"].(map[string]any); d["notification_cooldown"] != "30m" {
		t.Errorf("default notification_cooldown %v, want 30m", d["notification_cooldown"])
	}
	phone := c2.expect(http.StatusOK, "PATCH", "/api/v1/settings", map[string]any{"notification_phone": "+359888123456", "notification_cooldown": "2h"}, true)
	if s := phone["settings"].(map[string]any); s["notification_phone"] != "+359888123456" || s["notification_cooldown"] != "2h" {
		t.Errorf("after the second change: %v", phone)
	}

	changes := c.expect(http.StatusOK, "GET", "/api/v1/settings/changes", nil, true)["changes"].([]any)
	if len(changes) < 2 {
		t.Fatalf("changes %v", changes)
	}
	last := changes[len(changes)-1].(map[string]any)
	prev := changes[len(changes)-2].(map[string]any)
	if last["author"] != "bob" || prev["author"] != "alice" || last["at"] == nil {
		t.Errorf("audit trail %v, want alice then bob with times", changes)
	}
	if ch := last["changes"].(map[string]any)["notification_phone"].(map[string]any); ch["to"] != "+359888123456" {
		t.Errorf("recorded change %v", ch)
	}

	// The new timeout applies when a countdown starts.
	visitor := c.newVisitor()
	c.say(visitor, map[string]any{"text": "hello"})
	before := time.Now()
	reply := c2.expect(http.StatusCreated, "POST", conversationPath(visitor)+"/messages", map[string]any{"text": "hi"}, true)
	expires, err := time.Parse(time.RFC3339Nano, reply["conversation"].(map[string]any)["live_chat_expires_at"].(string))
	if err != nil {
		t.Fatal(err)
	}
	if lo, hi := before.Add(5*time.Minute-time.Second), time.Now().Add(5*time.Minute+time.Second); expires.Before(lo) || expires.After(hi) {
		t.Errorf("countdown ends %s, want about 5 minutes after the message (%s..%s)", expires, lo, hi)
	}
	// Put the defaults back for the other tests.
	c.expect(http.StatusOK, "PATCH", "/api/v1/settings", map[string]any{"inactivity_timeout": "1h", "notification_cooldown": "30m"}, true)
}

func sharedFrontend(t *testing.T) string {
	t.Helper()
	if shared.FrontendAddr() == "" {
		t.Fatal("the shared process has no Temporal frontend address")
	}
	return shared.FrontendAddr()
}

// Stopping handoff (SIGTERM, as Ctrl-C or a service manager would) and
// starting it again on the same data directory resumes every conversation,
// and the timers armed before the stop still fire. Each run is a separate
// process, configured only through HANDOFF_ environment variables.
func TestRestartResumesConversationsAndTimers(t *testing.T) {
	dir := t.TempDir()
	env := []string{
		"HANDOFF_DATA_DIR=" + dir,
		"HANDOFF_TEMPORAL_EMBEDDED_FRONTEND_ADDR=127.0.0.1:0",
		"HANDOFF_CONVERSATION_WINDOW=1m",
		"HANDOFF_AUTH_TOKENS=alice:" + staffToken,
	}
	first, httpAddr, uiAddr := startChildOnFreePorts(t, dir, env)
	c := &api{t: t, base: "http://" + httpAddr, token: staffToken}
	visitor := c.newVisitor()
	c.say(visitor, map[string]any{"text": "hello", "name": "Restart Customer"})
	c.expect(http.StatusCreated, "POST", conversationPath(visitor)+"/messages", map[string]any{"text": "hi"}, true)
	before := c.expect(http.StatusOK, "GET", conversationPath(visitor), nil, true)
	if r, err := http.Get("http://" + uiAddr + "/"); err != nil || r.StatusCode != http.StatusOK {
		t.Errorf("Temporal UI at %s: %v %v", uiAddr, err, r)
	}
	first.stop(t)

	second, httpAddr, _ := startChildOnFreePorts(t, dir, env)
	defer second.stop(t)
	c.base = "http://" + httpAddr
	after := c.expect(http.StatusOK, "GET", conversationPath(visitor), nil, true)
	for _, key := range []string{"state", "customer_name", "window_closes_at", "live_chat_expires_at", "last_message_seq"} {
		if before[key] != after[key] {
			t.Errorf("%s was %v before the restart and %v after", key, before[key], after[key])
		}
	}
	// The window timer armed before the restart still closes the conversation.
	closes, err := time.Parse(time.RFC3339Nano, after["window_closes_at"].(string))
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, time.Until(closes.Add(60*time.Second)), "the window to close after the restart", func() (bool, error) {
		got := c.expect(http.StatusOK, "GET", conversationPath(visitor), nil, true)
		if got["open"] == false {
			return true, nil
		}
		return false, fmt.Errorf("the conversation is %v", got)
	})
	r := c.do("POST", conversationPath(visitor)+"/messages", map[string]any{"text": "too late"}, true)
	if r.status != http.StatusConflict || !strings.Contains(r.errorMessage(t), "window closed") {
		t.Fatalf("staff message after the window closed: %d %s", r.status, r.body)
	}
	// The customer's next message starts a new run, numbered after the last.
	lastSeq := int64(after["last_message_seq"].(float64))
	c.say(visitor, map[string]any{"text": "back again"})
	if got := c.expect(http.StatusOK, "GET", conversationPath(visitor), nil, true); got["open"] != true {
		t.Fatalf("after the customer wrote again: %v", got)
	}
	if msgs := c.transcript(visitor, lastSeq); len(msgs) == 0 || msgs[0].Text != "back again" {
		t.Fatalf("messages after the old cursor %d: %+v, want the new run's messages", lastSeq, msgs)
	}
}

// child is handoff running in a separate process: this test binary re-run
// with HANDOFF_E2E_CHILD set, which makes TestMain behave like the handoff
// command.
type child struct {
	cmd  *exec.Cmd
	done chan error
	log  *bytes.Buffer
}

// startChildOnFreePorts starts handoff with its HTTP API and Temporal UI on
// free ports. A port found free can be taken by another process before the
// child binds it (tests of other packages run alongside), so a start that
// fails for that reason is tried again on other ports.
func startChildOnFreePorts(t *testing.T, dir string, env []string) (ch *child, httpAddr, uiAddr string) {
	t.Helper()
	for attempt := 1; ; attempt++ {
		httpAddr, uiAddr = freeAddr(t), freeAddr(t)
		ch, err := tryStartChild(dir, append(env[:len(env):len(env)], "HANDOFF_HTTP_ADDR="+httpAddr, "HANDOFF_TEMPORAL_UI_ADDR="+uiAddr))
		if err == nil {
			return ch, httpAddr, uiAddr
		}
		if attempt == 3 || !strings.Contains(err.Error(), "address already in use") {
			t.Fatal(err)
		}
		t.Logf("start attempt %d: a port was taken meanwhile; trying others", attempt)
	}
}

// tryStartChild starts handoff in a child process and waits until it is
// ready. HANDOFF_E2E_CHILD=api in env runs the api role.
func tryStartChild(dir string, env []string) (*child, error) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), "HANDOFF_E2E_CHILD=1"), env...)
	ch := &child{cmd: cmd, done: make(chan error, 1), log: &bytes.Buffer{}}
	cmd.Stdout, cmd.Stderr = ch.log, ch.log
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() { ch.done <- cmd.Wait() }()
	var addr string
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "HANDOFF_HTTP_ADDR="); ok {
			addr = v
		}
	}
	var exited error
	err := pollUntil(60*time.Second, "handoff to answer /readyz at "+addr, func() (bool, error) {
		r, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			r.Body.Close()
			if r.StatusCode == http.StatusOK {
				return true, nil
			}
			err = fmt.Errorf("/readyz answered %d", r.StatusCode)
		}
		select {
		case waitErr := <-ch.done:
			exited = fmt.Errorf("handoff exited during start-up: %w\n%s", waitErr, ch.log)
			return true, nil
		default:
		}
		return false, err
	})
	if exited != nil {
		return nil, exited
	}
	if err != nil {
		_ = cmd.Process.Kill()
		<-ch.done
		return nil, fmt.Errorf("handoff did not become ready: %w\n%s", err, ch.log)
	}
	return ch, nil
}

func (ch *child) stop(t *testing.T) {
	t.Helper()
	if ch.cmd.ProcessState != nil {
		return
	}
	_ = ch.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-ch.done:
		if err != nil {
			t.Errorf("handoff did not exit cleanly on SIGTERM: %v\n%s", err, ch.log)
		}
	case <-time.After(60 * time.Second):
		_ = ch.cmd.Process.Kill()
		t.Errorf("handoff did not stop within a minute of SIGTERM:\n%s", ch.log)
	}
}

// runChild is the child process: handoff configured from the environment,
// stopped by SIGTERM; all-in-one unless HANDOFF_E2E_CHILD names the api or
// worker role, or reindex (`handoff reindex`).
func runChild() int {
	cfg, err := config.Load("")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if os.Getenv("HANDOFF_E2E_CHILD") == "reindex" {
		return reindexChild(ctx, cfg, logger)
	}
	// A window shorter than configuration allows, for a test that waits
	// for one to close.
	if w, err := time.ParseDuration(os.Getenv("HANDOFF_E2E_WINDOW")); err == nil {
		cfg.Conversation.Window = w
	}
	role := app.RoleAll
	if r := app.Role(os.Getenv("HANDOFF_E2E_CHILD")); r == app.RoleAPI || r == app.RoleWorker {
		role = r
	}
	a, err := app.Start(ctx, cfg, role, logger)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	err = a.Wait(ctx)
	a.Stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// A long conversation continues as new and keeps its state.
func TestLongConversationContinuesAsNew(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.Temporal.MaxHistoryEvents = 60
	a := startApp(t, cfg, app.RoleAll)
	c := newAPI(t, a)
	visitor := c.newVisitor()
	c.say(visitor, map[string]any{"text": "message 0", "name": "Long Talker"})
	c.waitTranscript(visitor, func(m []message) bool { return len(m) == 2 })
	firstRun := runID(t, a, visitor)
	c.expect(http.StatusCreated, "POST", conversationPath(visitor)+"/messages", map[string]any{"text": "staff here"}, true)
	// Signals that come together share workflow tasks, so how many
	// messages fill 60 history events depends on the machine's pace: the
	// customer writes until the run has continued as new, then once more.
	// Every message counts, including one signalled in the very workflow
	// task that continued the run as new.
	sent := 0
	say := func() {
		sent++
		c.say(visitor, map[string]any{"id": fmt.Sprintf("long-%d", sent), "text": fmt.Sprintf("message %d", sent)})
	}
	for runID(t, a, visitor) == firstRun {
		if sent == 60 {
			t.Fatalf("the conversation is still in its first run %s after %d messages", firstRun, sent)
		}
		say()
		time.Sleep(50 * time.Millisecond)
	}
	say()
	// A redelivery of a message from the first run is still recognised.
	c.say(visitor, map[string]any{"id": "long-1", "text": "message 1"})
	want := sent + 3
	msgs := c.waitTranscript(visitor, func(m []message) bool { return len(m) >= want })
	last := fmt.Sprintf("message %d", sent)
	if len(msgs) != want || msgs[want-1].Text != last || msgs[want-1].Seq != msgs[0].Seq+int64(want-1) {
		t.Fatalf("transcript after continue-as-new has %d messages, want %d ending with %q in sequence: %+v", len(msgs), want, last, msgs)
	}
	got := c.expect(http.StatusOK, "GET", conversationPath(visitor), nil, true)
	if got["state"] != "live_chat" || got["customer_name"] != "Long Talker" || int64(got["last_message_seq"].(float64)) != msgs[want-1].Seq {
		t.Errorf("after continue-as-new: %v", got)
	}
}

func runID(t *testing.T, a *app.App, visitor string) string {
	t.Helper()
	desc, err := a.Client().DescribeWorkflowExecution(context.Background(), "conversation/webchat/"+visitor, "")
	if err != nil {
		t.Fatal(err)
	}
	return desc.GetWorkflowExecutionInfo().GetExecution().GetRunId()
}

// Messages are searchable by keyword within their conversation, in any word
// form, and the staff list finds customers by name as staff type it.
func TestSearchMessagesAndCustomers(t *testing.T) {
	c := newAPI(t, shared)
	visitor := c.newVisitor()
	c.say(visitor, map[string]any{"id": "s1", "text": "Здравейте, доставката ми закъснява", "name": "Жана Стоянова"})
	c.expect(http.StatusCreated, "POST", conversationPath(visitor)+"/messages", map[string]any{"text": "Проверявам доставките за днес"}, true)
	c.say(visitor, map[string]any{"id": "s2", "text": "Thanks, the deliveries are usually on time"})
	other := c.newVisitor()
	c.say(other, map[string]any{"text": "доставка до Варна?"})

	path := conversationPath(visitor) + "/search?q=" + url.QueryEscape("доставка")
	var res map[string]any
	waitUntil(t, 20*time.Second, "the search for доставка to find two messages", func() (bool, error) {
		res = c.expect(http.StatusOK, "GET", path, nil, true)
		if res["total"] == float64(2) {
			return true, nil
		}
		return false, fmt.Errorf("it found %v, want the customer's and the staff message of this conversation only", res)
	})
	hits := res["hits"].([]any)
	if res["total"] != float64(2) || len(hits) != 2 {
		t.Fatalf("search for доставка: %v, want the customer's and the staff message of this conversation only", res)
	}
	newest := hits[0].(map[string]any)
	if msg := newest["message"].(map[string]any); msg["sender"] != "staff" || msg["author"] != "alice" {
		t.Errorf("newest hit %v, want the staff message first", newest)
	}
	if h := newest["highlights"].([]any); len(h) == 0 || !strings.Contains(h[0].(string), "<mark>доставките</mark>") {
		t.Errorf("highlights %v", newest["highlights"])
	}
	// The English message was sent last and may not be indexed yet.
	waitUntil(t, 20*time.Second, "the search for delivery to find the English message", func() (bool, error) {
		en := c.expect(http.StatusOK, "GET", conversationPath(visitor)+"/search?q=delivery&sort=relevance", nil, true)
		if en["total"] == float64(1) {
			return true, nil
		}
		return false, fmt.Errorf("it found %v, want the one English message about deliveries", en)
	})
	if r := c.do("GET", conversationPath(visitor)+"/search", nil, true); r.status != http.StatusBadRequest {
		t.Errorf("search without q: %d", r.status)
	}
	if r := c.do("GET", conversationPath(visitor)+"/search?q=x&sort=oldest", nil, true); r.status != http.StatusBadRequest {
		t.Errorf("search with a bad sort: %d", r.status)
	}
	if r := c.do("GET", "/api/v1/conversations/webchat/nobody-here-0000000000000/search?q=x", nil, true); r.status != http.StatusNotFound {
		t.Errorf("search in an unknown conversation: %d", r.status)
	}

	for _, typed := range []string{"жан", "Стоя", "zhana st", "ZHANA"} {
		list := c.waitListed("/api/v1/conversations?name="+url.QueryEscape(typed), visitor, func(map[string]any) bool { return true })
		if findConversation(t, list, other) != nil {
			t.Errorf("name %q also found the other customer", typed)
		}
	}
}
