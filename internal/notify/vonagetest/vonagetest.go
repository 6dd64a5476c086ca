// Package vonagetest runs an HTTP server that speaks the wire format of
// Vonage's SMS API (POST /sms/json) for tests. It records every request and
// answers like Vonage does, or with failures queued by the test.
//
//	srv := vonagetest.NewServer(t)
//	// configure the client with BaseURL srv.URL(), key "test-key", secret "test-secret"
//	reqs := srv.WaitForRequests(t, 1)
package vonagetest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

// Default credentials accepted by a new server.
const (
	DefaultAPIKey    = "test-key"
	DefaultAPISecret = "test-secret"
)

// waitTimeout is how long WaitForRequests waits.
const waitTimeout = 20 * time.Second

// Request is one request the server received.
type Request struct {
	APIKey, APISecret, From, To, Text, Type, ClientRef string
}

// failure is one queued answer.
type failure struct {
	httpCode          int    // non-zero: answer with this HTTP status
	status, errorText string // else: answer 200 with this Vonage status
}

// Server is a running fake Vonage SMS API.
type Server struct {
	hs *httptest.Server

	mu        sync.Mutex
	apiKey    string
	apiSecret string
	requests  []Request
	failures  []failure
	changed   chan struct{}
}

// NewServer starts a server on 127.0.0.1. It checks api_key and api_secret
// against SetCredentials (by default "test-key" and "test-secret"; wrong
// ones get status 4 "Bad Credentials"). It is closed when the test ends.
func NewServer(t testing.TB) *Server {
	t.Helper()
	s := &Server{
		apiKey:    DefaultAPIKey,
		apiSecret: DefaultAPISecret,
		changed:   make(chan struct{}),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/sms/json", s.handleSMS)
	s.hs = httptest.NewServer(mux)
	t.Cleanup(s.hs.Close)
	return s
}

// URL returns the server's base URL ("http://127.0.0.1:port"), to be used
// as the Vonage base URL; the SMS endpoint is URL()+"/sms/json".
func (s *Server) URL() string { return s.hs.URL }

// SetCredentials sets the API key and secret the server accepts.
func (s *Server) SetCredentials(key, secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.apiKey, s.apiSecret = key, secret
}

// Requests returns a copy of every request received so far, in order,
// including the ones that were answered with a failure.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// WaitForRequests waits up to 20 seconds until at least n requests have
// arrived and returns them all; otherwise it fails the test, saying how many
// arrived. Call it from the test's goroutine.
func (s *Server) WaitForRequests(t testing.TB, n int) []Request {
	t.Helper()
	timer := time.NewTimer(waitTimeout)
	defer timer.Stop()
	for {
		s.mu.Lock()
		if len(s.requests) >= n {
			out := append([]Request(nil), s.requests...)
			s.mu.Unlock()
			return out
		}
		changed := s.changed
		s.mu.Unlock()

		select {
		case <-changed:
		case <-timer.C:
			t.Fatalf("vonagetest: waited %s for %d request(s) on %s, but %d arrived",
				waitTimeout, n, s.hs.URL, len(s.Requests()))
			return nil
		}
	}
}

// FailNext makes the next request (after those already queued) get an
// HTTP 200 answer with the given Vonage status and error-text, e.g.
// FailNext("29", "Non-Whitelisted Destination").
func (s *Server) FailNext(status, errorText string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures = append(s.failures, failure{status: status, errorText: errorText})
}

// FailNextHTTP makes the next request (after those already queued) get the
// given HTTP status code, e.g. 500 or 429.
func (s *Server) FailNextHTTP(code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures = append(s.failures, failure{httpCode: code})
}

type message struct {
	To               string `json:"to,omitempty"`
	MessageID        string `json:"message-id,omitempty"`
	Status           string `json:"status"`
	ErrorText        string `json:"error-text,omitempty"`
	RemainingBalance string `json:"remaining-balance,omitempty"`
	MessagePrice     string `json:"message-price,omitempty"`
	Network          string `json:"network,omitempty"`
	ClientRef        string `json:"client-ref,omitempty"`
}

type response struct {
	MessageCount string    `json:"message-count"`
	Messages     []message `json:"messages"`
}

func (s *Server) handleSMS(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "only POST is allowed", http.StatusMethodNotAllowed)
		return
	}
	req, err := readRequest(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}

	s.mu.Lock()
	s.requests = append(s.requests, req)
	close(s.changed)
	s.changed = make(chan struct{})
	var fail *failure
	if len(s.failures) > 0 {
		f := s.failures[0]
		s.failures = s.failures[1:]
		fail = &f
	}
	key, secret := s.apiKey, s.apiSecret
	s.mu.Unlock()

	if fail != nil && fail.httpCode != 0 {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(fail.httpCode)
		_, _ = fmt.Fprintf(w, `{"type":"https://developer.vonage.com/api-errors","title":%q}`, http.StatusText(fail.httpCode))
		return
	}
	if fail != nil {
		writeJSON(w, response{MessageCount: "1", Messages: []message{{Status: fail.status, ErrorText: fail.errorText}}})
		return
	}

	for _, p := range []struct{ name, value string }{
		{"api_key", req.APIKey}, {"api_secret", req.APISecret}, {"from", req.From}, {"to", req.To}, {"text", req.Text},
	} {
		if p.value == "" {
			writeJSON(w, response{MessageCount: "1", Messages: []message{{Status: "2", ErrorText: "Missing " + p.name + " param"}}})
			return
		}
	}
	if req.APIKey != key || req.APISecret != secret {
		writeJSON(w, response{MessageCount: "1", Messages: []message{{Status: "4", ErrorText: "Bad Credentials"}}})
		return
	}
	if req.Type != "" && req.Type != "text" && req.Type != "unicode" {
		writeJSON(w, response{MessageCount: "1", Messages: []message{{Status: "3", ErrorText: "Invalid type param"}}})
		return
	}

	parts := partCount(req.Text, req.Type)
	resp := response{MessageCount: fmt.Sprint(parts)}
	for range parts {
		resp.Messages = append(resp.Messages, message{
			To:               req.To,
			MessageID:        messageID(),
			Status:           "0",
			RemainingBalance: "3.14159265",
			MessagePrice:     "0.03330000",
			Network:          "28401",
			ClientRef:        req.ClientRef,
		})
	}
	writeJSON(w, resp)
}

// readRequest reads a form-encoded (what the SDK sends; query parameters
// count too, as with Vonage) or JSON body.
func readRequest(r *http.Request) (Request, error) {
	mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mediaType == "application/json" {
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			return Request{}, fmt.Errorf("invalid JSON body: %v", err)
		}
		get := func(k string) string {
			switch v := body[k].(type) {
			case nil:
				return ""
			case string:
				return v
			default:
				return fmt.Sprint(v)
			}
		}
		return Request{
			APIKey: get("api_key"), APISecret: get("api_secret"), From: get("from"), To: get("to"),
			Text: get("text"), Type: get("type"), ClientRef: get("client-ref"),
		}, nil
	}
	if err := r.ParseForm(); err != nil {
		return Request{}, fmt.Errorf("invalid form body: %v", err)
	}
	return Request{
		APIKey: r.Form.Get("api_key"), APISecret: r.Form.Get("api_secret"), From: r.Form.Get("from"),
		To: r.Form.Get("to"), Text: r.Form.Get("text"), Type: r.Form.Get("type"), ClientRef: r.Form.Get("client-ref"),
	}, nil
}

// partCount is how many SMS parts Vonage would split text into.
func partCount(text, typ string) int {
	single, multi := 160, 153
	if typ == "unicode" {
		single, multi = 70, 67
	}
	n := utf8.RuneCountInString(text)
	if n <= single {
		return 1
	}
	return (n + multi - 1) / multi
}

// messageID returns an ID shaped like Vonage's (16 upper-case hex digits).
func messageID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return strings.ToUpper(hex.EncodeToString(b))
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
