package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"

	"github.com/handoff-chat/handoff/internal/chat"
	"github.com/handoff-chat/handoff/internal/conversations"
	"github.com/handoff-chat/handoff/internal/feed"
	"github.com/handoff-chat/handoff/internal/settings"
	"github.com/handoff-chat/handoff/internal/staff"
	"github.com/handoff-chat/handoff/search"
	"github.com/handoff-chat/handoff/workflows"
)

// fakeTemporal answers the calls the API makes with err (or panics with
// panicWith), recording whether each call's context had a deadline. Any other
// call panics on the nil embedded client.
type fakeTemporal struct {
	client.Client
	err       error
	panicWith string

	mu        sync.Mutex
	deadlines map[string]bool
}

func (f *fakeTemporal) call(ctx context.Context, method string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.deadlines == nil {
		f.deadlines = map[string]bool{}
	}
	_, f.deadlines[method] = ctx.Deadline()
	if f.panicWith != "" {
		panic(f.panicWith)
	}
	return f.err
}

// hadDeadline reports whether the last call of method had a deadline, and
// whether there was one.
func (f *fakeTemporal) hadDeadline(method string) (deadline, called bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	deadline, called = f.deadlines[method]
	return deadline, called
}

func (f *fakeTemporal) DescribeWorkflowExecution(ctx context.Context, _, _ string) (*workflowservice.DescribeWorkflowExecutionResponse, error) {
	return nil, f.call(ctx, "DescribeWorkflowExecution")
}

func (f *fakeTemporal) QueryWorkflow(ctx context.Context, _, _, _ string, _ ...any) (converter.EncodedValue, error) {
	return nil, f.call(ctx, "QueryWorkflow")
}

func (f *fakeTemporal) UpdateWorkflow(ctx context.Context, _ client.UpdateWorkflowOptions) (client.WorkflowUpdateHandle, error) {
	return nil, f.call(ctx, "UpdateWorkflow")
}

func (f *fakeTemporal) NewWithStartWorkflowOperation(client.StartWorkflowOptions, any, ...any) client.WithStartWorkflowOperation {
	return nil
}

func (f *fakeTemporal) SignalWithStartWorkflow(ctx context.Context, _, _ string, _ any, _ client.StartWorkflowOptions, _ any, _ ...any) (client.WorkflowRun, error) {
	return nil, f.call(ctx, "SignalWithStartWorkflow")
}

func (f *fakeTemporal) UpdateWithStartWorkflow(ctx context.Context, _ client.UpdateWithStartWorkflowOptions) (client.WorkflowUpdateHandle, error) {
	return nil, f.call(ctx, "UpdateWithStartWorkflow")
}

// fakeSearch fails every search with err.
type fakeSearch struct {
	search.Index
	err error
}

func (f fakeSearch) SearchConversations(context.Context, search.ConversationQuery) ([]chat.ConversationSummary, error) {
	return nil, f.err
}

const (
	testStaffToken = "0123456789abcdef"
	testVisitor    = "3q2-7wAAAAAKqf5kX0iLYA"
	// internalText stands for what Temporal or a backend says about itself,
	// which must never reach a client.
	internalText = "dial tcp 10.1.2.3:7233: connection refused"
)

type testAPI struct {
	handler  http.Handler
	temporal *fakeTemporal
	log      *bytes.Buffer
	webChat  WebChat
}

func newTestAPI(t *testing.T, temporalErr, searchErr error) *testAPI {
	t.Helper()
	fake := &fakeTemporal{err: temporalErr}
	logs := &bytes.Buffer{}
	closing := make(chan struct{})
	close(closing)
	webChat := WebChat{TokenKey: []byte("test key")}
	convs := conversations.NewClient(fake, conversations.Options{Window: 24 * time.Hour})
	h := NewHandler(Deps{
		Conversations: convs,
		Feed:          feed.New(fakeSearch{err: searchErr}, convs, feed.Options{}),
		Settings:      settings.NewStore(fake, chat.Settings{InactivityTimeout: time.Hour}),
		Temporal:      fake,
		Search:        fakeSearch{err: searchErr},
		WebChat:       webChat,
		Staff:         testDirectory(),
		Closing:       closing,
		MaxBodyBytes:  1 << 10,
		Logger:        slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	return &testAPI{handler: h, temporal: fake, log: logs, webChat: webChat}
}

type testResponse struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func (r testResponse) errorText() string { s, _ := r.body["error"].(string); return s }

// staff makes a staff request; body is sent as is.
func (a *testAPI) staff(method, path, body string, header ...string) testResponse {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+testStaffToken)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return a.serve(req)
}

func (a *testAPI) serve(req *http.Request) testResponse {
	rec := httptest.NewRecorder()
	a.handler.ServeHTTP(rec, req)
	r := testResponse{status: rec.Code, header: rec.Header(), raw: rec.Body.String()}
	_ = json.Unmarshal(rec.Body.Bytes(), &r.body)
	return r
}

func TestUnknownErrorIs500WithRequestIDAndNoInternalText(t *testing.T) {
	a := newTestAPI(t, errors.New(internalText), nil)
	r := a.staff("GET", "/api/v1/conversations/webchat/"+testVisitor, "")

	if r.status != http.StatusInternalServerError {
		t.Fatalf("status %d %s, want 500", r.status, r.raw)
	}
	id := r.header.Get("X-Request-ID")
	if id == "" || r.body["request_id"] != id {
		t.Errorf("request_id %v, X-Request-ID %q: want the same ID in both", r.body["request_id"], id)
	}
	if want := "internal error; request id " + id; r.errorText() != want {
		t.Errorf("error %q, want %q", r.errorText(), want)
	}
	if strings.Contains(r.raw, "10.1.2.3") || strings.Contains(r.raw, "conversation/") {
		t.Errorf("the body leaks internal text: %s", r.raw)
	}
	logged := a.log.String()
	if !strings.Contains(logged, "request_id="+id) || !strings.Contains(logged, internalText) {
		t.Errorf("the log does not tie request %s to the error:\n%s", id, logged)
	}
}

func TestPanicIs500WithRequestID(t *testing.T) {
	a := newTestAPI(t, nil, nil)
	a.temporal.panicWith = "boom: " + internalText
	r := a.staff("GET", "/api/v1/settings", "")

	id := r.header.Get("X-Request-ID")
	if r.status != http.StatusInternalServerError || r.errorText() != "internal error; request id "+id || r.body["request_id"] != id {
		t.Errorf("%d %s, want 500 with request id %s", r.status, r.raw, id)
	}
	if strings.Contains(r.raw, "boom") {
		t.Errorf("the body leaks the panic: %s", r.raw)
	}
	if !strings.Contains(a.log.String(), "boom") {
		t.Errorf("the panic is not logged:\n%s", a.log.String())
	}
}

// unavailableErrors are the ways Temporal reports that it did not complete a
// call, each with whether it means a timeout.
var unavailableErrors = []struct {
	name     string
	err      error
	timedOut bool
}{
	{"context deadline", fmt.Errorf("poll: %w", context.DeadlineExceeded), true},
	{"server deadline", serviceerror.NewDeadlineExceeded(internalText), true},
	{"update wait timed out", client.NewWorkflowUpdateServiceTimeoutOrCanceledError(serviceerror.NewDeadlineExceeded(internalText)), true},
	{"unavailable", serviceerror.NewUnavailable(internalText), false},
	{"busy", fmt.Errorf("failed workflow update: %w", serviceerror.NewResourceExhausted(0, internalText)), false},
}

func TestTemporalUnavailableIs503RetryWithSameID(t *testing.T) {
	requests := []struct{ method, path, body string }{
		{"POST", "/api/v1/conversations/webchat/" + testVisitor + "/live-chat", `{"on":true}`},
		{"POST", "/api/v1/conversations/webchat/" + testVisitor + "/messages", `{"id":"m-1","text":"hi"}`},
		{"GET", "/api/v1/conversations/webchat/" + testVisitor, ""},
	}
	for _, tc := range unavailableErrors {
		a := newTestAPI(t, tc.err, nil)
		for _, req := range requests {
			r := a.staff(req.method, req.path, req.body)
			want := retryWording(tc.timedOut, "id")
			if r.status != http.StatusServiceUnavailable || r.errorText() != want {
				t.Errorf("%s: %s %s: %d %s, want 503 %q", tc.name, req.method, req.path, r.status, r.raw, want)
			}
		}
	}
}

func TestSettingsTemporalUnavailableIs503RetryWithSameRequestID(t *testing.T) {
	requests := []struct{ method, path, body string }{
		{"PATCH", "/api/v1/settings", `{"inactivity_timeout":"30m","request_id":"r-1"}`},
		{"GET", "/api/v1/settings", ""},
		{"GET", "/api/v1/settings/changes", ""},
	}
	for _, tc := range unavailableErrors {
		a := newTestAPI(t, tc.err, nil)
		for _, req := range requests {
			r := a.staff(req.method, req.path, req.body)
			want := retryWording(tc.timedOut, "request_id")
			if r.status != http.StatusServiceUnavailable || r.errorText() != want {
				t.Errorf("%s: %s %s: %d %s, want 503 %q", tc.name, req.method, req.path, r.status, r.raw, want)
			}
		}
	}
}

func retryWording(timedOut bool, field string) string {
	if timedOut {
		return "Temporal did not answer in time, so the outcome is unknown; retrying with the same " + field + " is safe"
	}
	return "Temporal is unavailable or busy, so the outcome is unknown; retrying with the same " + field + " is safe"
}

func TestSearchUnavailableIs503WithoutInternalText(t *testing.T) {
	a := newTestAPI(t, nil, fmt.Errorf("%w: %s", search.ErrUnavailable, internalText))
	r := a.staff("GET", "/api/v1/conversations", "")
	if r.status != http.StatusServiceUnavailable || r.errorText() != "the search backend is unavailable" {
		t.Errorf("%d %s, want 503 \"the search backend is unavailable\"", r.status, r.raw)
	}
	if !strings.Contains(a.log.String(), internalText) {
		t.Errorf("the cause is not logged:\n%s", a.log.String())
	}
}

func TestTypedErrorsKeepTheirStatus(t *testing.T) {
	conv := "/api/v1/conversations/webchat/" + testVisitor
	cases := []struct {
		name         string
		temporalErr  error
		method, path string
		body         string
		status       int
		message      string
	}{
		{"no conversation", serviceerror.NewNotFound("workflow not found"), "GET", conv, "",
			http.StatusNotFound, "no conversation with customer " + testVisitor + " on channel webchat"},
		{"wrong state", temporal.NewApplicationError("live chat is already on", workflows.ErrTypeWrongState), "POST", conv + "/live-chat", `{"on":true}`,
			http.StatusConflict, "live chat is already on"},
		{"invalid input", temporal.NewApplicationError("button 1 needs a title", workflows.ErrTypeInvalidInput), "POST", conv + "/messages", `{"text":"hi"}`,
			http.StatusBadRequest, "button 1 needs a title"},
		{"invalid settings", nil, "PATCH", "/api/v1/settings", `{"inactivity_timeout":"1s"}`,
			http.StatusBadRequest, ""},
		{"unknown channel", nil, "GET", "/api/v1/conversations/sms/123", "",
			http.StatusNotFound, `unknown channel "sms"; channels are webchat and messenger`},
		{"missing field", nil, "POST", conv + "/live-chat", `{}`,
			http.StatusBadRequest, `field "on" is required: true switches live chat on, false switches it off`},
		{"unknown field", nil, "POST", conv + "/live-chat", `{"on":true,"of":1}`,
			http.StatusBadRequest, `invalid JSON body: json: unknown field "of"`},
		{"empty body", nil, "POST", conv + "/live-chat", ``,
			http.StatusBadRequest, "request body is empty; expected a JSON object"},
		{"body too large", nil, "POST", conv + "/messages", `{"text":"` + strings.Repeat("x", 2000) + `"}`,
			http.StatusRequestEntityTooLarge, "request body is larger than 1024 bytes"},
		{"bad query parameter", nil, "GET", "/api/v1/conversations?limit=0", "",
			http.StatusBadRequest, `limit must be a whole number from 1 to 1000, got "0"`},
		{"no flows", nil, "GET", "/api/v1/flows", "",
			http.StatusNotFound, "no navigation flows are configured; set bot.flows to a flows file"},
		{"no route", nil, "GET", "/api/v2/nothing", "",
			http.StatusNotFound, "no route for GET /api/v2/nothing"},
		{"no method", nil, "DELETE", "/api/v1/settings", "",
			http.StatusMethodNotAllowed, "method DELETE is not allowed on /api/v1/settings"},
		{"Messenger not configured", nil, "POST", "/webhooks/messenger", "{}",
			http.StatusServiceUnavailable, "Messenger is not configured: set messenger.app_secret and messenger.verify_token"},
	}
	for _, tc := range cases {
		a := newTestAPI(t, tc.temporalErr, nil)
		r := a.staff(tc.method, tc.path, tc.body)
		if r.status != tc.status || (tc.message != "" && r.errorText() != tc.message) || r.errorText() == "" {
			t.Errorf("%s: %d %s, want %d %q", tc.name, r.status, r.raw, tc.status, tc.message)
		}
		if _, ok := r.body["request_id"]; ok {
			t.Errorf("%s: request_id in a %d body; it belongs to 500s", tc.name, r.status)
		}
	}
}

func TestInvalidSettingsNameTheSetting(t *testing.T) {
	a := newTestAPI(t, nil, nil)
	r := a.staff("PATCH", "/api/v1/settings", `{"inactivity_timeout":"1s","notification_cooldown":"48h"}`)
	msg := r.errorText()
	if r.status != http.StatusBadRequest || !strings.Contains(msg, "inactivity_timeout") || !strings.Contains(msg, "notification_cooldown") ||
		strings.Contains(msg, "\n") || strings.HasPrefix(msg, settings.ErrInvalid.Error()) {
		t.Errorf("%d %q, want 400 naming both settings on one line", r.status, msg)
	}
}

func TestUnauthorizedKeepsItsChallenge(t *testing.T) {
	a := newTestAPI(t, nil, nil)
	r := a.serve(httptest.NewRequest("GET", "/api/v1/settings", nil))
	if r.status != http.StatusUnauthorized || r.header.Get("WWW-Authenticate") != `Bearer realm="handoff"` ||
		r.errorText() != "staff endpoints need an Authorization: Bearer <token> header or a dashboard login" {
		t.Errorf("%d %v %s, want 401 with the bearer challenge", r.status, r.header, r.raw)
	}
}

func TestVisitorErrors(t *testing.T) {
	a := newTestAPI(t, nil, nil)
	visitorRequest := func(path, token string) testResponse {
		req := httptest.NewRequest("GET", path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		return a.serve(req)
	}
	token := a.webChat.visitorToken(testVisitor)
	cases := []struct {
		name, path, token string
		status            int
	}{
		{"bad visitor ID", "/webchat/v1/visitors/short/messages", token, http.StatusBadRequest},
		{"no token", "/webchat/v1/visitors/" + testVisitor + "/messages", "", http.StatusUnauthorized},
		{"another visitor's token", "/webchat/v1/visitors/" + testVisitor + "/messages", a.webChat.visitorToken("x" + testVisitor), http.StatusUnauthorized},
		{"bad cursor", "/webchat/v1/visitors/" + testVisitor + "/messages?after=-1", token, http.StatusBadRequest},
		{"bad stream cursor", "/webchat/v1/visitors/" + testVisitor + "/events?after=x", token, http.StatusBadRequest},
	}
	for _, tc := range cases {
		if r := visitorRequest(tc.path, tc.token); r.status != tc.status || r.errorText() == "" {
			t.Errorf("%s: %d %s, want %d with an error", tc.name, r.status, r.raw, tc.status)
		}
	}
}

func TestOriginForbidden(t *testing.T) {
	a := newTestAPI(t, nil, nil)
	req := httptest.NewRequest("POST", "/webchat/v1/visitors", nil)
	req.Header.Set("Origin", "https://other.example")
	r := a.serve(req)
	want := `origin "https://other.example" may not use the web chat; add it to webchat.allowed_origins`
	if r.status != http.StatusForbidden || r.errorText() != want {
		t.Errorf("%d %s, want 403 %q", r.status, r.raw, want)
	}
}

func TestRequestIDHeader(t *testing.T) {
	a := newTestAPI(t, nil, nil)
	generated := regexp.MustCompile(`^[0-9a-f]{32}$`)
	cases := []struct {
		name, incoming string
		echoed         bool
	}{
		{"none", "", false},
		{"well-formed", "req-7f3a.01:b_C", true},
		{"too long", strings.Repeat("a", 129), false},
		{"with spaces", "abc def", false},
		{"with a quote", `abc"def`, false},
	}
	seen := map[string]bool{}
	for _, tc := range cases {
		req := httptest.NewRequest("GET", "/healthz", nil)
		if tc.incoming != "" {
			req.Header.Set("X-Request-ID", tc.incoming)
		}
		got := a.serve(req).header.Get("X-Request-ID")
		switch {
		case tc.echoed && got != tc.incoming:
			t.Errorf("%s: X-Request-ID %q, want %q echoed", tc.name, got, tc.incoming)
		case !tc.echoed && !generated.MatchString(got):
			t.Errorf("%s: X-Request-ID %q, want a new random ID", tc.name, got)
		case !tc.echoed && seen[got]:
			t.Errorf("%s: X-Request-ID %q was already used", tc.name, got)
		}
		seen[got] = true
	}
	if !strings.Contains(a.log.String(), "request_id=req-7f3a.01:b_C") {
		t.Errorf("the request log line has no request ID:\n%s", a.log.String())
	}
}

func TestErrorsCarryTheIncomingRequestID(t *testing.T) {
	a := newTestAPI(t, errors.New(internalText), nil)
	r := a.staff("GET", "/api/v1/settings", "", "X-Request-ID", "lb-1234")
	if r.status != http.StatusInternalServerError || r.body["request_id"] != "lb-1234" || r.header.Get("X-Request-ID") != "lb-1234" {
		t.Errorf("%d %v %s, want 500 with request id lb-1234", r.status, r.header, r.raw)
	}
}

// Requests get the time limit; the event stream does not.
func TestRequestTimeoutExceptForTheStream(t *testing.T) {
	a := newTestAPI(t, serviceerror.NewNotFound("workflow not found"), nil)
	if r := a.staff("GET", "/api/v1/conversations/webchat/"+testVisitor, ""); r.status != http.StatusNotFound {
		t.Fatalf("GET conversation: %d %s", r.status, r.raw)
	}
	if deadline, called := a.temporal.hadDeadline("DescribeWorkflowExecution"); !called || !deadline {
		t.Errorf("conversation read: called %v, deadline %v; want a deadline", called, deadline)
	}

	req := httptest.NewRequest("GET", "/webchat/v1/visitors/"+testVisitor+"/events", nil)
	req.Header.Set("Authorization", "Bearer "+a.webChat.visitorToken(testVisitor))
	if r := a.serve(req); r.status != http.StatusOK {
		t.Fatalf("event stream: %d %s", r.status, r.raw)
	}
	if deadline, called := a.temporal.hadDeadline("QueryWorkflow"); !called || deadline {
		t.Errorf("event stream: called %v, deadline %v; want no deadline", called, deadline)
	}
}

// testDirectory has one admin token, testStaffToken, for alice.
func testDirectory() *staff.Directory {
	d, err := staff.NewDirectory(nil, []staff.Token{{Secret: testStaffToken, Member: staff.Member{Name: "alice", DisplayName: "Support", Role: staff.Admin}}})
	if err != nil {
		panic(err)
	}
	return d
}
