package vonagetest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

type answer struct {
	MessageCount string `json:"message-count"`
	Messages     []struct {
		To        string `json:"to"`
		MessageID string `json:"message-id"`
		Status    string `json:"status"`
		ErrorText string `json:"error-text"`
	} `json:"messages"`
}

func post(t *testing.T, s *Server, contentType, body string) (int, answer) {
	t.Helper()
	resp, err := http.Post(s.URL()+"/sms/json", contentType, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	var a answer
	if resp.StatusCode == http.StatusOK {
		if err := json.NewDecoder(resp.Body).Decode(&a); err != nil {
			t.Fatal(err)
		}
	}
	return resp.StatusCode, a
}

func TestServer(t *testing.T) {
	t.Parallel()
	s := NewServer(t)
	form := url.Values{"api_key": {"test-key"}, "api_secret": {"test-secret"}, "from": {"Shop"},
		"to": {"359888123456"}, "text": {"hi"}, "type": {"text"}, "client-ref": {"r1"}}

	code, a := post(t, s, "application/x-www-form-urlencoded", form.Encode())
	if code != 200 || a.MessageCount != "1" || len(a.Messages) != 1 || a.Messages[0].Status != "0" ||
		a.Messages[0].MessageID == "" || a.Messages[0].To != "359888123456" {
		t.Fatalf("form request: HTTP %d, %+v", code, a)
	}

	code, a = post(t, s, "application/json",
		`{"api_key":"test-key","api_secret":"test-secret","from":"Shop","to":"359888123456","text":"json","client-ref":"r2"}`)
	if code != 200 || a.Messages[0].Status != "0" {
		t.Fatalf("JSON request: HTTP %d, %+v", code, a)
	}

	s.FailNext("29", "Non-Whitelisted Destination")
	s.FailNextHTTP(503)
	if _, a = post(t, s, "application/x-www-form-urlencoded", form.Encode()); a.Messages[0].Status != "29" || a.Messages[0].ErrorText != "Non-Whitelisted Destination" {
		t.Errorf("queued status: %+v", a)
	}
	if code, _ = post(t, s, "application/x-www-form-urlencoded", form.Encode()); code != 503 {
		t.Errorf("queued HTTP failure: HTTP %d", code)
	}

	s.SetCredentials("other-ke", "other")
	if _, a = post(t, s, "application/x-www-form-urlencoded", form.Encode()); a.Messages[0].Status != "4" || a.Messages[0].ErrorText != "Bad Credentials" {
		t.Errorf("wrong credentials: %+v", a)
	}
	form.Del("to")
	if _, a = post(t, s, "application/x-www-form-urlencoded", form.Encode()); a.Messages[0].Status != "2" {
		t.Errorf("missing to: %+v", a)
	}

	reqs := s.WaitForRequests(t, 6)
	if len(reqs) != 6 {
		t.Fatalf("got %d requests, want 6", len(reqs))
	}
	want := Request{APIKey: "test-key", APISecret: "test-secret", From: "Shop", To: "359888123456", Text: "hi", Type: "text", ClientRef: "r1"}
	if reqs[0] != want {
		t.Errorf("first request = %+v, want %+v", reqs[0], want)
	}
	if reqs[1].Text != "json" || reqs[1].ClientRef != "r2" {
		t.Errorf("JSON request recorded as %+v", reqs[1])
	}
}
