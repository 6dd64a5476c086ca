package activities

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"go.temporal.io/sdk/temporal"

	"github.com/handoff-chat/handoff/internal/chat"
	"github.com/handoff-chat/handoff/internal/graphapi"
	"github.com/handoff-chat/handoff/internal/graphapi/graphapitest"
)

func TestProfileNamesAreBounded(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"plain", "Мария Петрова", "Мария Петрова"},
		{"control characters", "Maria\x00\nPetrova", "Maria  Petrova"},
		{"only zero-width", "\u200b\u200b", ""},
		{"invalid UTF-8", "Ivan\xff", "Ivan"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := boundedName(c.in); got != c.want {
				t.Errorf("boundedName(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
	long := boundedName(strings.Repeat("я", 5000))
	if n := utf8.RuneCountInString(long); n != chat.MaxNameRunes || chat.CheckName("name", long) != nil {
		t.Errorf("a 5000-character name became %d characters", n)
	}
}

// testPage is the page the Graph API stand-in of these tests knows.
const testPage = "1000200030004000"

// newMessenger is a Messenger sending to a Graph API stand-in that knows
// testPage.
func newMessenger(t *testing.T) (*Messenger, *graphapitest.Server) {
	t.Helper()
	const token = "page-token"
	graph := graphapitest.NewServer(t, map[string]string{testPage: token})
	client, err := graphapi.New(graphapi.Options{BaseURL: graph.URL, PageTokens: map[string]string{testPage: token}})
	if err != nil {
		t.Fatal(err)
	}
	return &Messenger{Graph: client}, graph
}

// An attempt that fails after sending some parts says which went out, and
// the next attempt sends only the rest; a refusal for good is an error.
func TestDeliveryGoesOnAfterThePartsSent(t *testing.T) {
	m, graph := newMessenger(t)
	req := DeliveryRequest{Channel: chat.ChannelMessenger, PageID: testPage, CustomerID: "6024512345678901", Message: chat.Message{
		ID: "s1", Text: "Our catalogue", Attachments: []chat.Attachment{{Type: "image", URL: "https://example.com/cat.jpg"}},
	}}

	// The image goes out, the text meets a temporary failure.
	graph.FailAfter(1, http.StatusInternalServerError, 2, 0, "An unexpected error has occurred. Please retry your request later.")
	first, err := m.DeliverMessage(context.Background(), req)
	if err != nil || len(first.ChannelMessageIDs) != 1 || !strings.Contains(first.Unfinished, "part 2 of 2") {
		t.Fatalf("first attempt %+v, %v: want the image sent and the text unfinished", first, err)
	}
	req.Sent = first.ChannelMessageIDs
	second, err := m.DeliverMessage(context.Background(), req)
	if err != nil || second.Unfinished != "" || len(second.ChannelMessageIDs) != 2 || second.ChannelMessageIDs[0] != first.ChannelMessageIDs[0] {
		t.Fatalf("second attempt %+v, %v: want the text sent after the image", second, err)
	}
	var images, texts int
	for _, r := range graph.Requests() {
		msg, _ := r.Body["message"].(map[string]any)
		switch {
		case msg["attachment"] != nil:
			images++
		case msg["text"] != nil:
			texts++
		}
	}
	if images != 1 || texts != 2 {
		t.Errorf("Send API calls: %d with the image, %d with the text; want the image once and the text tried twice", images, texts)
	}

	graph.FailNext(http.StatusBadRequest, 551, 1545041, "This person isn't available right now.")
	refused, err := m.DeliverMessage(context.Background(), DeliveryRequest{Channel: chat.ChannelMessenger, PageID: testPage, CustomerID: "6024512345678901",
		Message: chat.Message{ID: "s2", Text: "hello"}})
	if !temporal.IsApplicationError(err) || refused.Unfinished != "" {
		t.Errorf("refused delivery: %+v, %v; want an error of type %s", refused, err, ErrTypeDeliveryRefused)
	}
}

// A workflow task that sent a message but was not completed runs its local
// activities again; on the same worker the message is not sent again, and
// the retry returns the IDs of the parts sent the first time.
func TestDeliveryRunAgainOnTheSameWorkerSendsNothingTwice(t *testing.T) {
	m, graph := newMessenger(t)
	req := DeliveryRequest{ConversationID: "conversation/messenger/6024512345678901", Channel: chat.ChannelMessenger,
		PageID: testPage, CustomerID: "6024512345678901", Message: chat.Message{Seq: 7, ID: "bot-7", Text: "Thanks for your message!"}}
	first, err := m.DeliverMessage(context.Background(), req)
	if err != nil || len(first.ChannelMessageIDs) != 1 {
		t.Fatalf("first run %+v, %v", first, err)
	}
	again, err := m.DeliverMessage(context.Background(), req)
	if err != nil || len(again.ChannelMessageIDs) != 1 || again.ChannelMessageIDs[0] != first.ChannelMessageIDs[0] {
		t.Fatalf("run again %+v, %v; want the first run's IDs %v", again, err, first.ChannelMessageIDs)
	}
	if n := len(graph.Requests()); n != 1 {
		t.Fatalf("%d Send API calls for one message run twice, want 1", n)
	}

	// Another message, even with the same text, goes out.
	next := req
	next.Message.Seq, next.Message.ID = 8, "bot-8"
	if _, err := m.DeliverMessage(context.Background(), next); err != nil {
		t.Fatal(err)
	}
	if n := len(graph.Requests()); n != 2 {
		t.Errorf("%d Send API calls after a second message, want 2", n)
	}
}

// The worker remembers a bounded number of messages, forgetting the oldest.
func TestSentPartsAreBounded(t *testing.T) {
	var s sentParts
	req := func(seq int64) DeliveryRequest {
		return DeliveryRequest{ConversationID: "conversation/messenger/1", Message: chat.Message{Seq: seq, ID: "m"}}
	}
	for seq := range int64(maxRememberedDeliveries + 10) {
		s.remember(req(seq), []string{"mid"})
	}
	if len(s.parts) != maxRememberedDeliveries || len(s.order) != maxRememberedDeliveries {
		t.Fatalf("%d messages remembered (%d in order), want %d", len(s.parts), len(s.order), maxRememberedDeliveries)
	}
	if got := s.sent(req(0)); len(got) != 0 {
		t.Errorf("the oldest message is still remembered: %v", got)
	}
	if got := s.sent(req(maxRememberedDeliveries + 9)); len(got) != 1 {
		t.Errorf("the newest message is forgotten: %v", got)
	}
}
