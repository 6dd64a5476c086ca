package graphsink

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/handoff-chat/handoff/internal/chat"
	"github.com/handoff-chat/handoff/internal/graphapi"
)

// handoff's own Graph API client talks to the stand-in: every message it
// sends is reported with its recipient and text, and profiles answer.
func TestHandoffsClientSendsThroughTheSink(t *testing.T) {
	const page, token = "1000000000000001", "bench-page-token"
	var mu sync.Mutex
	var got []Delivery
	sink, err := Start("127.0.0.1:0", map[string]string{page: token}, func(d Delivery) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, d)
	}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := sink.Close(); err != nil {
			t.Error(err)
		}
	}()
	client, err := graphapi.New(graphapi.Options{BaseURL: sink.URL, Version: "v21.0", PageTokens: map[string]string{page: token}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	before := time.Now()
	quick := chat.Content{Text: "Thanks!", Buttons: []chat.Button{{Title: "Talk to a human", Payload: chat.PayloadTalkToHuman}}}
	linked := chat.Content{Text: "See our shop", Buttons: []chat.Button{{Title: "Shop", URL: "https://shop.example"}}}
	for _, c := range []chat.Content{quick, linked} {
		if ids, err := client.Send(ctx, page, "2000000000000042", c, ""); err != nil || len(ids) != 1 || ids[0] == "" {
			t.Fatalf("send %q: ids %v, error %v", c.Text, ids, err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 2 || sink.Sends() != 2 {
		t.Fatalf("deliveries %+v (Sends %d), want the two messages", got, sink.Sends())
	}
	for i, want := range []string{"Thanks!", "See our shop"} {
		d := got[i]
		if d.Text != want || d.Recipient != "2000000000000042" || d.PageID != page || d.At.Before(before) {
			t.Errorf("delivery %d: %+v, want %q to the customer through the page, timed", i, d, want)
		}
	}

	p, err := client.Profile(ctx, page, "2000000000000042")
	if err != nil || p.Name != "Bench Customer 0042" {
		t.Errorf("profile %+v, %v", p, err)
	}
	wrong, err := graphapi.New(graphapi.Options{BaseURL: sink.URL, Version: "v21.0", PageTokens: map[string]string{page: "not-the-token"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := wrong.Send(ctx, page, "2000000000000042", quick, ""); err == nil {
		t.Error("a send with the wrong page token was accepted")
	}
}
