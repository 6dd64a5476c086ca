package generative

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// completions is a local server speaking the chat-completions wire format;
// answer decides what it replies to a request.
func completions(t *testing.T, answer func(r request) (int, string)) (*httptest.Server, *[]request) {
	t.Helper()
	var got []request
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/chat/completions" || r.Method != http.MethodPost || r.Header.Get("Authorization") != "Bearer sk-test" {
			http.Error(w, `{"error":{"message":"not found"}}`, http.StatusNotFound)
			return
		}
		var req request
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		got = append(got, req)
		status, content := answer(req)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]any{
			"id": "chatcmpl-1", "object": "chat.completion", "model": req.Model,
			"choices": []map[string]any{{"index": 0, "finish_reason": "stop", "message": map[string]any{"role": "assistant", "content": content}}},
		})
	}))
	t.Cleanup(srv.Close)
	return srv, &got
}

func client(t *testing.T, srv *httptest.Server, timeout time.Duration) *Client {
	t.Helper()
	c, err := New(Options{URL: srv.URL + "/v1", Model: "llama3", APIKey: "sk-test", Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var sources = []Source{{Question: "How much does delivery cost?", Answer: "Delivery is free over 50 EUR."}}

func TestPhraseSendsTheEntriesAndReturnsTheAnswer(t *testing.T) {
	srv, got := completions(t, func(request) (int, string) { return http.StatusOK, " Delivery is free for orders over 50 EUR. " })
	text, err := client(t, srv, time.Second).Phrase(context.Background(), "is shipping free?", "en", sources)
	if err != nil || text != "Delivery is free for orders over 50 EUR." {
		t.Fatalf("Phrase = %q, %v", text, err)
	}
	req := (*got)[0]
	if req.Model != "llama3" || len(req.Messages) != 2 || req.Messages[0].Role != "system" || req.Messages[1].Content != "is shipping free?" ||
		!strings.Contains(req.Messages[0].Content, "Delivery is free over 50 EUR.") || !strings.Contains(req.Messages[0].Content, "Use only the facts") {
		t.Errorf("request %+v, want the question and the entry with the instructions", req)
	}
}

func TestPhraseFailsSoTheCallerFallsBack(t *testing.T) {
	cases := map[string]func(request) (int, string){
		"no answer in the entries": func(request) (int, string) { return http.StatusOK, "NO_ANSWER" },
		"empty":                    func(request) (int, string) { return http.StatusOK, "  " },
		"server error":             func(request) (int, string) { return http.StatusInternalServerError, "" },
		"slow": func(request) (int, string) {
			time.Sleep(300 * time.Millisecond)
			return http.StatusOK, "late"
		},
	}
	for name, answer := range cases {
		t.Run(name, func(t *testing.T) {
			srv, _ := completions(t, answer)
			if text, err := client(t, srv, 100*time.Millisecond).Phrase(context.Background(), "q?", "en", sources); err == nil {
				t.Errorf("Phrase = %q, want an error", text)
			}
		})
	}
}

func TestNewChecksTheOptions(t *testing.T) {
	for _, opts := range []Options{{URL: "ftp://x", Model: "m"}, {URL: "http://localhost:11434/v1"}} {
		if _, err := New(opts); err == nil {
			t.Errorf("New(%+v) accepted", opts)
		}
	}
}
