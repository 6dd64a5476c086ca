// Package graphapitest is a local stand-in for Meta's Graph API that speaks
// its wire format (Send API and user profile) and records what it was sent,
// for tests.
package graphapitest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// Request is one Send API call the server received.
type Request struct {
	Method      string
	Path        string
	PageID      string
	AccessToken string
	Body        map[string]any
	RawBody     []byte
}

type failure struct {
	// after is how many send calls succeed before this one fails.
	after                 int
	status, code, subcode int
	message               string
}

type profile struct{ first, last string }

// Server is the stand-in Graph API.
type Server struct {
	URL string

	tokens   map[string]string // page ID -> token
	mu       sync.Mutex
	requests []Request
	failures []failure
	profiles map[string]profile
	nextID   int
}

// NewServer starts a server that accepts the given page tokens; it is closed
// when the test ends.
func NewServer(t testing.TB, pageTokens map[string]string) *Server {
	s := &Server{tokens: pageTokens, profiles: map[string]profile{}}
	srv := httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

// Requests returns the Send API calls received so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// WaitForRequests waits until n Send API calls arrived and returns them.
func (s *Server) WaitForRequests(t testing.TB, n int, timeout time.Duration) []Request {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		got := s.Requests()
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("graph API received %d send calls within %s, want %d: %+v", len(got), timeout, n, got)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// FailNext makes the next send call fail with Meta's error format.
func (s *Server) FailNext(status, code, subcode int, message string) {
	s.FailAfter(0, status, code, subcode, message)
}

// FailAfter lets the next n send calls succeed and makes the one after
// them fail with Meta's error format.
func (s *Server) FailAfter(n, status, code, subcode int, message string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures = append(s.failures, failure{n, status, code, subcode, message})
}

// SetProfile gives a customer a name.
func (s *Server) SetProfile(psid, first, last string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.profiles[psid] = profile{first, last}
}

func writeError(w http.ResponseWriter, status, code, subcode int, typ, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	e := map[string]any{"message": message, "type": typ, "code": code, "fbtrace_id": "AbCdEf123"}
	if subcode != 0 {
		e["error_subcode"] = subcode
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"error": e})
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	token := r.URL.Query().Get("access_token")
	switch {
	case len(parts) == 3 && parts[2] == "messages" && r.Method == http.MethodPost:
		s.send(w, r, parts[1], token)
	case len(parts) == 2 && r.Method == http.MethodGet:
		s.profile(w, parts[1], token)
	default:
		writeError(w, http.StatusNotFound, 803, 0, "OAuthException", "Unknown path components: "+r.URL.Path)
	}
}

func (s *Server) validToken(token string) bool {
	for _, t := range s.tokens {
		if token != "" && t == token {
			return true
		}
	}
	return false
}

func (s *Server) send(w http.ResponseWriter, r *http.Request, pageID, token string) {
	if want, ok := s.tokens[pageID]; !ok || token != want {
		writeError(w, http.StatusBadRequest, 190, 0, "OAuthException", "Invalid OAuth access token - Cannot parse access token")
		return
	}
	raw, _ := io.ReadAll(r.Body)
	var body map[string]any
	if err := json.Unmarshal(raw, &body); err != nil {
		writeError(w, http.StatusBadRequest, 100, 0, "OAuthException", "(#100) Invalid JSON: "+err.Error())
		return
	}
	recipient, _ := body["recipient"].(map[string]any)
	psid, _ := recipient["id"].(string)
	message, _ := body["message"].(map[string]any)
	switch mt, _ := body["messaging_type"].(string); {
	case psid == "":
		writeError(w, http.StatusBadRequest, 100, 0, "OAuthException", "(#100) The parameter recipient is required")
		return
	case mt != "RESPONSE" && mt != "UPDATE" && mt != "MESSAGE_TAG":
		writeError(w, http.StatusBadRequest, 100, 0, "OAuthException", "(#100) Param messaging_type must be one of {RESPONSE, UPDATE, MESSAGE_TAG}")
		return
	case mt == "MESSAGE_TAG" && body["tag"] == nil:
		writeError(w, http.StatusBadRequest, 100, 0, "OAuthException", "(#100) Tag is required for MESSAGE_TAG messaging type")
		return
	case message["text"] == nil && message["attachment"] == nil:
		writeError(w, http.StatusBadRequest, 100, 0, "OAuthException", "(#100) Must send either message or state")
		return
	}
	s.mu.Lock()
	s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path, PageID: pageID, AccessToken: token, Body: body, RawBody: raw})
	var fail *failure
	if len(s.failures) > 0 {
		if f := &s.failures[0]; f.after > 0 {
			f.after--
		} else {
			fail = &s.failures[0]
			s.failures = s.failures[1:]
		}
	}
	s.nextID++
	id := fmt.Sprintf("m_%d", s.nextID)
	s.mu.Unlock()
	if fail != nil {
		writeError(w, fail.status, fail.code, fail.subcode, "OAuthException", fail.message)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]string{"recipient_id": psid, "message_id": id})
}

func (s *Server) profile(w http.ResponseWriter, psid, token string) {
	if !s.validToken(token) {
		writeError(w, http.StatusBadRequest, 190, 0, "OAuthException", "Invalid OAuth access token - Cannot parse access token")
		return
	}
	s.mu.Lock()
	p, ok := s.profiles[psid]
	s.mu.Unlock()
	if !ok {
		writeError(w, http.StatusBadRequest, 100, 33, "GraphMethodException",
			fmt.Sprintf("Unsupported get request. Object with ID '%s' does not exist", psid))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]string{"first_name": p.first, "last_name": p.last, "id": psid})
}
