package app_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestWidgetFollowsATranscriptNumberedAgain runs the web chat widget in the
// browser against a stand-in of the visitor API whose event stream passes on
// what a conversation's feed passes on when a workflow task is lost after
// its index write and runs again with a message that came meanwhile: the
// first attempt's numbering (the customer's message 3 and the bot's answer
// at 4 and 5), then the retried task's (the next message at 4, the answer at
// 5 and 6, the answer to the next message at 7). The widget must end up with
// the transcript's order, each message once.
func TestWidgetFollowsATranscriptNumberedAgain(t *testing.T) {
	widget, err := os.ReadFile(filepath.Join("..", "..", "api", "webchat", "widget.js"))
	if err != nil {
		t.Fatal(err)
	}
	events := make(chan string)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /webchat/widget.js", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		_, _ = w.Write(widget)
	})
	mux.HandleFunc("GET /chat", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = fmt.Fprint(w, `<!doctype html><html><body><script src="/webchat/widget.js" data-open="true" data-lang="en"></script></body></html>`)
	})
	writeJSON := func(w http.ResponseWriter, status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(v)
	}
	mux.HandleFunc("POST /webchat/v1/visitors", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusCreated, map[string]string{"visitor_id": "v1", "token": "t1"})
	})
	mux.HandleFunc("GET /webchat/v1/welcome", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"message": nil})
	})
	mux.HandleFunc("GET /webchat/v1/visitors/v1/messages", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"messages": []map[string]any{
			{"seq": 1, "id": "w-1", "sender": "customer", "text": "hello"},
			{"seq": 2, "id": "bot-2", "sender": "bot", "text": "how can we help?"},
		}})
	})
	mux.HandleFunc("GET /webchat/v1/visitors/v1/events", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		for {
			select {
			case <-r.Context().Done():
				return
			case e := <-events:
				_, _ = fmt.Fprint(w, e)
				w.(http.Flusher).Flush()
			}
		}
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	ctx := browser(t)
	texts := `Array.from(document.querySelectorAll(".hc-message[data-seq]")).map(n => n.dataset.seq + " " + n.dataset.sender + " " + n.querySelector(".hc-text").textContent).join("|")`
	run(t, ctx, "open the chat",
		chromedp.Navigate(srv.URL+"/chat"),
		waitFor(panelOpen),
		waitFor(countOf(`.hc-message[data-seq]`)+` === 2`),
	)
	send := func(seq int, id, sender, text string) {
		t.Helper()
		data, err := json.Marshal(map[string]any{"seq": seq, "id": id, "sender": sender, "text": text})
		if err != nil {
			t.Fatal(err)
		}
		select {
		case events <- fmt.Sprintf("event: message\nid: %d\ndata: %s\n\n", seq, data):
		case <-ctx.Done():
			t.Fatal("the widget's event stream is not open")
		}
	}
	// The first attempt, as its index write made the feed pass it on.
	send(3, "w-2", "customer", "where is my order?")
	send(4, "bot-4", "bot", "orders ship in two days")
	send(5, "bot-5", "bot", "anything else?")
	run(t, ctx, "the first attempt shows", waitFor(countOf(`.hc-message[data-seq]`)+` === 5`))
	// The task ran again with the customer's next message, recorded before
	// the answers; the stream passes on what changed (message 3 again too,
	// as a stream does when a message's delivery changed). At seq 5 only the
	// bot's text differs: its IDs follow the seq.
	send(3, "w-2", "customer", "where is my order?")
	send(4, "w-3", "customer", "and can I pay by card?")
	send(5, "bot-5", "bot", "orders ship in two days")
	send(6, "bot-6", "bot", "anything else?")
	send(7, "bot-7", "bot", "yes, by card")
	want := "1 customer hello|2 bot how can we help?|3 customer where is my order?|4 customer and can I pay by card?|5 bot orders ship in two days|6 bot anything else?|7 bot yes, by card"
	waitErr := chromedp.Run(ctx, waitFor(texts+` === `+jsString(want)))
	var got string
	run(t, ctx, "read the messages", chromedp.Evaluate(texts, &got))
	if waitErr != nil || got != want {
		t.Errorf("the widget shows\n%s\nwant\n%s", got, want)
	}
}
