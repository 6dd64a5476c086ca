package graphapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/handoff-chat/handoff/internal/chat"
	"github.com/handoff-chat/handoff/internal/graphapi"
	"github.com/handoff-chat/handoff/internal/graphapi/graphapitest"
)

const (
	page  = "1111"
	token = "EAAB-page-token"
	psid  = "2222"
)

func newClient(t *testing.T) (*graphapi.Client, *graphapitest.Server) {
	t.Helper()
	srv := graphapitest.NewServer(t, map[string]string{page: token, "3333": "EAAB-other"})
	c, err := graphapi.New(graphapi.Options{BaseURL: srv.URL, Version: "v21.0", PageTokens: map[string]string{page: token, "3333": "EAAB-other"}})
	if err != nil {
		t.Fatal(err)
	}
	return c, srv
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestSendMapsContentToMessengerMessages(t *testing.T) {
	image := chat.Attachment{Type: "image", URL: "https://example.com/a.jpg"}
	tests := []struct {
		name    string
		content chat.Content
		tag     graphapi.Tag
		want    []string // message objects, one per call
		wantTag string
	}{
		{
			name:    "text",
			content: chat.Content{Text: "Здравейте"},
			want:    []string{`{"text":"Здравейте"}`},
		},
		{
			name: "quick replies",
			content: chat.Content{Text: "Choose", Buttons: []chat.Button{
				{Title: "Delivery", Payload: "FLOW:en:delivery"}, {Title: "Human", Payload: chat.PayloadTalkToHuman},
			}},
			want: []string{`{"quick_replies":[{"content_type":"text","payload":"FLOW:en:delivery","title":"Delivery"},{"content_type":"text","payload":"HANDOFF_TALK_TO_HUMAN","title":"Human"}],"text":"Choose"}`},
		},
		{
			name: "image then link as a button template",
			content: chat.Content{Text: "Our shop", Attachments: []chat.Attachment{image}, Buttons: []chat.Button{
				{Title: "Open", URL: "https://example.com"}, {Title: "Menu", Payload: "FLOW:en:welcome"},
			}},
			want: []string{
				`{"attachment":{"payload":{"is_reusable":true,"url":"https://example.com/a.jpg"},"type":"image"}}`,
				`{"attachment":{"payload":{"buttons":[{"title":"Open","type":"web_url","url":"https://example.com"},{"payload":"FLOW:en:welcome","title":"Menu","type":"postback"}],"template_type":"button","text":"Our shop"},"type":"template"}}`,
			},
		},
		{
			name:    "human agent tag",
			content: chat.Content{Text: "Sorry for the delay"},
			tag:     graphapi.TagHumanAgent,
			want:    []string{`{"text":"Sorry for the delay"}`},
			wantTag: "HUMAN_AGENT",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, srv := newClient(t)
			ids, err := c.Send(context.Background(), page, psid, tt.content, tt.tag)
			if err != nil {
				t.Fatal(err)
			}
			reqs := srv.Requests()
			if len(ids) != len(tt.want) || len(reqs) != len(tt.want) {
				t.Fatalf("%d IDs and %d calls, want %d", len(ids), len(reqs), len(tt.want))
			}
			for i, r := range reqs {
				if r.Path != "/v21.0/"+page+"/messages" || r.AccessToken != token {
					t.Errorf("call %d to %s with token %q", i, r.Path, r.AccessToken)
				}
				if got := jsonOf(t, r.Body["message"]); got != tt.want[i] {
					t.Errorf("call %d message\n got  %s\n want %s", i, got, tt.want[i])
				}
				if got := jsonOf(t, r.Body["recipient"]); got != `{"id":"`+psid+`"}` {
					t.Errorf("recipient %s", got)
				}
				wantType := "RESPONSE"
				if tt.wantTag != "" {
					wantType = "MESSAGE_TAG"
				}
				if r.Body["messaging_type"] != wantType || (tt.wantTag != "" && r.Body["tag"] != tt.wantTag) || (tt.wantTag == "" && r.Body["tag"] != nil) {
					t.Errorf("messaging_type %v tag %v, want %s %q", r.Body["messaging_type"], r.Body["tag"], wantType, tt.wantTag)
				}
			}
		})
	}
}

func TestPartsRefusesWhatMessengerCannotCarry(t *testing.T) {
	link := chat.Button{Title: "Open", URL: "https://example.com"}
	tests := []struct {
		name    string
		content chat.Content
		want    string
	}{
		{"empty", chat.Content{}, "neither text nor an image"},
		{"long text", chat.Content{Text: strings.Repeat("a", 2001)}, "2000"},
		{"long template text", chat.Content{Text: strings.Repeat("a", 641), Buttons: []chat.Button{link}}, "640"},
		{"four buttons with a link", chat.Content{Text: "x", Buttons: []chat.Button{link, link, link, link}}, "at most 3"},
		{"long title", chat.Content{Text: "x", Buttons: []chat.Button{{Title: strings.Repeat("b", 21), Payload: "P"}}}, "20"},
		{"file", chat.Content{Attachments: []chat.Attachment{{Type: "file", URL: "https://x"}}}, "images only"},
		{"buttons alone", chat.Content{Buttons: []chat.Button{{Title: "A", Payload: "P"}}}, "need text"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := graphapi.Parts(tt.content); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parts error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestErrorsAreClassifiedWithReasonsForStaff(t *testing.T) {
	tests := []struct {
		name             string
		status, code, sc int
		temporary        bool
		reason           string
	}{
		{"customer unavailable", 400, 551, 1545041, false, "can't be reached"},
		{"outside window", 400, 10, 2018278, false, "outside the window"},
		{"bad token", 400, 190, 0, false, "messenger.pages"},
		{"invalid parameter", 400, 100, 0, false, "refused the message"},
		{"rate limit", 400, 613, 0, true, "rate-limiting"},
		{"server error", 500, 2, 0, true, "unavailable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, srv := newClient(t)
			srv.FailNext(tt.status, tt.code, tt.sc, "meta says no")
			_, err := c.Send(context.Background(), page, psid, chat.Content{Text: "hi"}, "")
			var graphErr *graphapi.Error
			if !errors.As(err, &graphErr) {
				t.Fatalf("error %v (%T), want *graphapi.Error", err, err)
			}
			if graphErr.Code != tt.code || graphErr.Subcode != tt.sc || graphErr.FBTraceID == "" {
				t.Errorf("parsed %+v", graphErr)
			}
			if graphapi.IsTemporary(err) != tt.temporary {
				t.Errorf("IsTemporary = %v, want %v", !tt.temporary, tt.temporary)
			}
			if !strings.Contains(graphErr.Reason(), tt.reason) {
				t.Errorf("reason %q does not contain %q", graphErr.Reason(), tt.reason)
			}
		})
	}
}

func TestMissingPageTokenIsPermanent(t *testing.T) {
	c, srv := newClient(t)
	_, err := c.Send(context.Background(), "9999", psid, chat.Content{Text: "hi"}, "")
	if err == nil || graphapi.IsTemporary(err) || !strings.Contains(err.Error(), "messenger.pages") {
		t.Fatalf("error %v, want a permanent one naming messenger.pages", err)
	}
	if len(srv.Requests()) != 0 {
		t.Error("a call was made without a token")
	}
}

func TestNetworkAndNonJSONErrors(t *testing.T) {
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	c, err := graphapi.New(graphapi.Options{BaseURL: closed.URL, PageTokens: map[string]string{page: token}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Send(context.Background(), page, psid, chat.Content{Text: "hi"}, "")
	if err == nil || !graphapi.IsTemporary(err) {
		t.Errorf("unreachable server: %v, want a temporary error", err)
	}
	if strings.Contains(err.Error(), token) {
		t.Errorf("error %q shows the page token", err)
	}

	html := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusBadGateway)
		_, _ = w.Write([]byte("<html>bad gateway</html>"))
	}))
	defer html.Close()
	c, _ = graphapi.New(graphapi.Options{BaseURL: html.URL, PageTokens: map[string]string{page: token}})
	_, err = c.Send(context.Background(), page, psid, chat.Content{Text: "hi"}, "")
	if err == nil || !graphapi.IsTemporary(err) || !strings.Contains(err.Error(), "502") || !strings.Contains(err.Error(), "bad gateway") {
		t.Errorf("HTML 502: %v, want a temporary error with the status and an excerpt", err)
	}
}

func TestProfile(t *testing.T) {
	c, srv := newClient(t)
	srv.SetProfile(psid, "Мария", "Петрова")
	p, err := c.Profile(context.Background(), page, psid)
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "Мария Петрова" || p.FirstName != "Мария" {
		t.Errorf("profile %+v", p)
	}
	_, err = c.Profile(context.Background(), page, "unknown")
	var graphErr *graphapi.Error
	if !errors.As(err, &graphErr) || graphErr.Code != 100 || graphapi.IsTemporary(err) {
		t.Errorf("unknown customer: %v, want permanent Meta error 100", err)
	}
}

func TestOptionsAreChecked(t *testing.T) {
	for _, opts := range []graphapi.Options{
		{BaseURL: "graph.facebook.com"},
		{Version: "21"},
	} {
		if _, err := graphapi.New(opts); err == nil {
			t.Errorf("New(%+v) succeeded", opts)
		}
	}
	c, err := graphapi.New(graphapi.Options{PageTokens: map[string]string{page: token}})
	if err != nil || !c.HasPage(page) || c.HasPage("other") {
		t.Errorf("defaults: %v", err)
	}
}
