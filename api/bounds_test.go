package api

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.temporal.io/api/serviceerror"
)

func TestVisitorMessageBounds(t *testing.T) {
	long := func(n int) string { return strings.Repeat("я", n) }
	tests := []struct {
		name, body string
		// wantErr is part of the 400 message; "" for an accepted message.
		wantErr string
	}{
		{"text", `{"id":"w-1","text":"Hello!","name":"Maria","locale":"bg-BG"}`, ""},
		{"payload only", `{"payload":"FLOW:en:delivery"}`, ""},
		{"Windows line ends", `{"text":"one\r\ntwo"}`, ""},
		{"text at the limit", `{"text":"` + long(4000) + `"}`, ""},
		{"locale of 35", `{"text":"hi","locale":"de-` + strings.Repeat("abcdefgh-", 3) + `abcde"}`, ""},
		{"nothing", `{"text":"  "}`, "a message needs text or a button payload"},
		{"text too long", `{"text":"` + long(4001) + `"}`, "text is 4001 characters long"},
		{"NUL in text", `{"text":"a\u0000b"}`, "text contains the control character U+0000"},
		{"bell in text", `{"text":"a\u0007b"}`, "text contains the control character U+0007"},
		{"only zero-width text", `{"text":"\u200b\u2060\ufeff"}`, "text is blank"},
		{"payload too long", `{"payload":"` + strings.Repeat("p", 1001) + `"}`, "payload is 1001 bytes long"},
		{"blank payload with text", `{"text":"hi","payload":"\u200b"}`, "payload is blank"},
		{"name too long", `{"text":"hi","name":"` + long(201) + `"}`, "name is 201 characters long"},
		{"name with a newline", `{"text":"hi","name":"Maria\nPetrova"}`, "name contains the control character U+000A"},
		{"name of zero-width characters", `{"text":"hi","name":"\u200d"}`, "name is blank"},
		{"locale of 900 KB", `{"text":"hi","locale":"bg-` + strings.Repeat("BG-", 300_000) + `"}`, "locale is 900003 characters long; a language tag has at most 35"},
		{"locale of 36", `{"text":"hi","locale":"de-` + strings.Repeat("abcdefgh-", 3) + `abcdef"}`, "locale is 36 characters long"},
		{"locale not a tag", `{"text":"hi","locale":"bulgarian!"}`, `locale must be a language tag like bg or en-GB, got "bulgarian!"`},
		{"bad id", `{"id":"a b","text":"hi"}`, `id must be 1-128 letters`},
		{"long id", `{"id":"` + strings.Repeat("i", 129) + `","text":"hi"}`, `id must be 1-128 letters`},
		{"unknown field", `{"text":"hi","colour":"red"}`, `colour`},
		{"wrong type", `{"text":5}`, `field "text" must be string`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg, err := readVisitorMessage(strings.NewReader(tt.body))
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("error %v, want the message accepted", err)
				}
				if msg.ID == "" || checkCustomerMessage(msg) != nil || strings.Contains(msg.Text, "\r") {
					t.Errorf("accepted message %+v is not whole", msg)
				}
				return
			}
			status, body := answerTo(err)
			if status != http.StatusBadRequest || !strings.Contains(body, tt.wantErr) {
				t.Errorf("%d %q, want 400 containing %q", status, body, tt.wantErr)
			}
			if len(body) > 400 {
				t.Errorf("the error is %d bytes long; a bad value must not be echoed whole", len(body))
			}
		})
	}
}

// answerTo is the status and error text the API answers err with.
func answerTo(err error) (int, string) {
	var apiErr *apiError
	if errors.As(err, &apiErr) {
		return apiErr.status, apiErr.message
	}
	return http.StatusInternalServerError, err.Error()
}

func TestStaffMessageBoundsAreCheckedBeforeTemporal(t *testing.T) {
	tests := []struct{ name, body, wantErr string }{
		{"text too long", `{"text":"` + strings.Repeat("x", 4001) + `"}`, "text is 4001 characters long"},
		{"NUL in text", `{"text":"hi\u0000"}`, "text contains the control character U+0000"},
		{"blank text", `{"text":"\u200b"}`, "text is blank"},
		{"too many images", `{"text":"hi","attachments":[` + strings.TrimSuffix(strings.Repeat(`{"url":"https://x.example/a.jpg"},`, 11), ",") + `]}`, "attachments has 11 images"},
		{"image URL too long", `{"attachments":[{"url":"https://x.example/` + strings.Repeat("a", 2048) + `"}]}`, "attachments[0].url is 2066 bytes long"},
		{"image URL not http", `{"attachments":[{"url":"ftp://x"}]}`, "attachments[0].url must start with http:// or https://"},
		{"button title too long", `{"text":"hi","buttons":[{"title":"` + strings.Repeat("t", 81) + `","payload":"P"}]}`, "buttons[0].title is 81 characters long"},
		{"button payload too long", `{"text":"hi","buttons":[{"title":"Go","payload":"` + strings.Repeat("p", 1001) + `"}]}`, "buttons[0].payload is 1001 bytes long"},
		{"button URL with a control character", `{"text":"hi","buttons":[{"title":"Go","url":"https://x.example/\u0001"}]}`, "buttons[0].url must not contain spaces or control characters"},
		{"button title blank", `{"text":"hi","buttons":[{"title":"\u2060","payload":"P"}]}`, "buttons[0].title is blank"},
		{"too many buttons", `{"text":"hi","buttons":[` + strings.TrimSuffix(strings.Repeat(`{"title":"Go","payload":"P"},`, 14), ",") + `]}`, "buttons has 14 buttons"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, _ := apiWith(t, serviceerror.NewUnavailable(internalText), func(*Deps) {})
			r := a.staff("POST", "/api/v1/conversations/webchat/"+testVisitor+"/messages", tt.body)
			if r.status != http.StatusBadRequest || !strings.Contains(r.errorText(), tt.wantErr) {
				t.Errorf("%d %.300s, want 400 containing %q", r.status, r.raw, tt.wantErr)
			}
			if _, called := a.temporal.hadDeadline("UpdateWorkflow"); called {
				t.Error("the message reached Temporal")
			}
		})
	}
}

func TestCustomerIDsAreCheckedPerChannel(t *testing.T) {
	tests := []struct {
		name, path string
		want       string
	}{
		{"web chat NUL", "/api/v1/conversations/webchat/%00", "customer ID \"\\x00\" must be 22-64 letters"},
		{"web chat emoji", "/api/v1/conversations/webchat/%F0%9F%98%80", "must be 22-64 letters"},
		{"web chat too short", "/api/v1/conversations/webchat/nobody", "as issued by POST /webchat/v1/visitors"},
		{"messenger letters", "/api/v1/conversations/messenger/" + testVisitor, "must be a Messenger page-scoped ID of 1-32 digits"},
		{"messenger 33 digits", "/api/v1/conversations/messenger/" + strings.Repeat("1", 33), "1-32 digits"},
		{"messenger emoji on live chat", "/api/v1/conversations/messenger/%F0%9F%98%80/live-chat", "1-32 digits"},
		{"messenger NUL on messages", "/api/v1/conversations/messenger/12%0034/messages", "1-32 digits"},
		{"search", "/api/v1/conversations/messenger/abc/search?q=x", "1-32 digits"},
		{"blocks", "/api/v1/conversations/webchat/abc/blocks", "22-64 letters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newTestAPI(t, serviceerror.NewInvalidArgument(internalText), nil)
			method, body := "GET", ""
			if strings.HasSuffix(tt.path, "live-chat") || strings.HasSuffix(tt.path, "messages") || strings.HasSuffix(tt.path, "blocks") {
				method, body = "POST", `{"on":true,"text":"hi"}`
			}
			r := a.staff(method, tt.path, body)
			if r.status != http.StatusBadRequest || !strings.Contains(r.errorText(), tt.want) {
				t.Errorf("%d %s, want 400 containing %q", r.status, r.raw, tt.want)
			}
			if strings.Contains(r.raw, internalText) {
				t.Errorf("Temporal's text reached the client: %s", r.raw)
			}
		})
	}
	visitorCases := []string{"/webchat/v1/visitors/%00/messages", "/webchat/v1/visitors/%F0%9F%98%80/messages", "/webchat/v1/visitors/" + strings.Repeat("a", 65) + "/messages"}
	for _, path := range visitorCases {
		a := newTestAPI(t, nil, nil)
		if r := a.serve(httptest.NewRequest("GET", path, nil)); r.status != http.StatusBadRequest || !strings.Contains(r.errorText(), "visitor ID") {
			t.Errorf("GET %s: %d %s, want 400 naming the visitor ID", path, r.status, r.raw)
		}
	}
}

func TestSearchWordsAreBounded(t *testing.T) {
	a := newTestAPI(t, nil, nil)
	for _, path := range []string{
		"/api/v1/conversations?name=" + strings.Repeat("n", 201),
		"/api/v1/conversations/webchat/" + testVisitor + "/search?q=" + strings.Repeat("q", 201),
		"/api/v1/conversations?name=a%00b",
	} {
		if r := a.staff("GET", path, ""); r.status != http.StatusBadRequest {
			t.Errorf("GET %.80s: %d %s, want 400", path, r.status, r.raw)
		}
	}
}

func TestNotificationEmailIsBounded(t *testing.T) {
	a := newTestAPI(t, nil, nil)
	r := a.staff("PATCH", "/api/v1/settings", `{"notification_email":"a@`+strings.Repeat("b", 300)+`.example"}`)
	if r.status != http.StatusBadRequest || !strings.Contains(r.errorText(), "notification_email") {
		t.Errorf("%d %s, want 400 naming notification_email", r.status, r.raw)
	}
}

const testAppSecret = "test-app-secret"

func messengerAPI(t *testing.T, temporalErr error) *testAPI {
	t.Helper()
	a, closing := apiWith(t, temporalErr, func(d *Deps) {
		d.Messenger = Messenger{AppSecret: testAppSecret, VerifyToken: "verify", AppID: "999"}
	})
	close(closing)
	return a
}

func signed(body string) string {
	mac := hmac.New(sha256.New, []byte(testAppSecret))
	mac.Write([]byte(body))
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

func (a *testAPI) webhook(body string) testResponse {
	req := httptest.NewRequest("POST", "/webhooks/messenger", strings.NewReader(body))
	req.Header.Set("X-Hub-Signature-256", signed(body))
	return a.serve(req)
}

// event is one messaging event from sender to recipient.
func event(sender, recipient, message string) string {
	return fmt.Sprintf(`{"sender":{"id":%q},"recipient":{"id":%q},"timestamp":1763900000001,"message":%s}`, sender, recipient, message)
}

func batchOf(page string, events ...string) string {
	return fmt.Sprintf(`{"object":"page","entry":[{"id":%q,"time":1,"messaging":[%s]}]}`, page, strings.Join(events, ","))
}

func TestWebhookSkipsInvalidEventsAndAnswers200(t *testing.T) {
	const page = "1000200030004000"
	bad := []string{
		event("%00", page, `{"mid":"m_1","text":"hi"}`),
		event("😀", page, `{"mid":"m_2","text":"hi"}`),
		event("PSID-1", page, `{"mid":"m_3","text":"hi"}`),
		event("6024512345678901", "PAGE1", `{"mid":"m_4","text":"hi"}`),
		event("6024512345678901", page, `{"mid":"m 5","text":"hi"}`),
		event("6024512345678901", page, `{"text":"no mid"}`),
		event("6024512345678901", page, `{"mid":"m_6","text":"`+strings.Repeat("x", 4001)+`"}`),
		event("6024512345678901", page, `{"mid":"m_7","text":"a\u0000b"}`),
		event("6024512345678901", page, `{"mid":"m_8","text":"hi","quick_reply":{"payload":"`+strings.Repeat("p", 1001)+`"}}`),
		event("6024512345678901", page, `{"mid":"m_9","attachments":[{"type":"image","payload":{"url":"javascript:alert(1)"}}]}`),
		event("6024512345678901", page, `{"mid":"m_10","attachments":[{"type":"IMAGE!","payload":{"url":"https://cdn.example/a.jpg"}}]}`),
		`{"sender":{"id":6024512345678901},"recipient":{"id":"` + page + `"},"message":{"mid":"m_11","text":"number as ID"}}`,
		event(page, "not-a-psid", `{"mid":"m_12","is_echo":true,"app_id":1,"text":"inbox echo to a bad customer"}`),
		event(page, "6024512345678901", `{"mid":"m_13","is_echo":true,"app_id":1,"text":"\u200b"}`),
		`{"sender":{"id":"6024512345678901"},"recipient":{"id":"` + page + `"},"postback":{"title":"Go","payload":"` + strings.Repeat("p", 1001) + `"}}`,
	}
	ignored := []string{
		`{"sender":{"id":"6024512345678901"},"recipient":{"id":"` + page + `"},"read":{"watermark":1}}`,
		event(page, "6024512345678901", `{"mid":"m_own","is_echo":true,"app_id":999,"text":"sent by handoff"}`),
	}
	a := messengerAPI(t, serviceerror.NewUnavailable(internalText))
	r := a.webhook(batchOf(page, append(bad, ignored...)...))
	if r.status != http.StatusOK || r.body["accepted"] != float64(0) || r.body["skipped"] != float64(len(bad)) {
		t.Fatalf("%d %s, want 200 with accepted 0 and skipped %d", r.status, r.raw, len(bad))
	}
	if _, called := a.temporal.hadDeadline("SignalWithStartWorkflow"); called {
		t.Error("an invalid event reached Temporal")
	}
	logged := a.log.String()
	for _, want := range []string{`event="entry 0 event 0"`, "sender.id", "recipient.id", "mid", "text is 4001 characters long", "payload is 1001 bytes long", "attachments[0].url", "malformed event"} {
		if !strings.Contains(logged, want) {
			t.Errorf("the log does not say %q:\n%s", want, logged)
		}
	}
}

func TestWebhookStillFailsWhenTemporalDoes(t *testing.T) {
	const page = "1000200030004000"
	a := messengerAPI(t, serviceerror.NewUnavailable(internalText))
	r := a.webhook(batchOf(page, event("%00", page, `{"mid":"m_1","text":"hi"}`), event("6024512345678901", page, `{"mid":"m_2","text":"hi"}`)))
	if r.status != http.StatusServiceUnavailable {
		t.Errorf("%d %s, want 503 so that Meta redelivers the valid event", r.status, r.raw)
	}
}

func TestParseWebhookKeepsValidEventsWhole(t *testing.T) {
	const page, psid = "1000200030004000", "6024512345678901"
	body := `{"object":"page","entry":[
	  {"id":"` + page + `","messaging":[
	    ` + event(psid, page, `{"mid":"m_ok","text":"Здравейте","quick_reply":{"payload":"DELIVERY"},"attachments":[{"type":"image","payload":{"url":"https://cdn.example/a.jpg"}}]}`) + `,
	    ` + event("bad", page, `{"mid":"m_bad","text":"hi"}`) + `,
	    {"sender":{"id":"` + psid + `"},"recipient":{"id":"` + page + `"},"timestamp":7,"postback":{"title":"Talk to a human","payload":"HANDOFF_TALK_TO_HUMAN"}},
	    ` + event(page, psid, `{"mid":"m_echo","is_echo":true,"app_id":1,"text":"from the inbox"}`) + `
	  ]},
	  "not an entry",
	  {"messaging":[` + event(psid, "", `{"mid":"m_entry_page","text":"no recipient"}`) + `]}
	]}`
	items, err := parseWebhook([]byte(body), "999")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, it := range items {
		switch {
		case it.skipped != nil:
			got = append(got, "skip "+it.where)
		case it.echo != nil:
			got = append(got, "echo "+it.echo.ID+" to "+it.customer)
		default:
			got = append(got, "message "+it.message.ID+" from "+it.customer+" to "+it.message.PageID)
		}
	}
	want := []string{
		"message m_ok from " + psid + " to " + page,
		"skip entry 0 event 1",
		"message postback-" + psid + "-7 from " + psid + " to " + page,
		"echo m_echo to " + psid,
		"skip entry 1",
		"skip entry 2 event 0", // no recipient and no entry id: no page
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("items:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if m := items[0].message; m.Text != "Здравейте" || m.Payload != "DELIVERY" || len(m.Attachments) != 1 {
		t.Errorf("the valid message lost a part: %+v", m)
	}
}
