package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/handoff-chat/handoff/workflows"
)

// The bounds as the fuzz tests see them, written out again rather than taken
// from the checks under test.
var (
	digitsID     = regexp.MustCompile(`^[0-9]{1,32}$`)
	visibleASCII = regexp.MustCompile(`^[!-~]{1,256}$`)
	clientID     = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)
	typeName     = regexp.MustCompile(`^[a-z_]{1,32}$`)
	languageTag  = regexp.MustCompile(`^[A-Za-z]{2,8}([_-][A-Za-z0-9]{1,8})*$`)
)

// bounded fails t unless s is valid UTF-8 of at most maxRunes characters
// (maxBytes bytes when maxRunes is 0) without control characters other than
// those in allowed, and shows something.
func bounded(t *testing.T, field, s string, maxRunes, maxBytes int, allowed string) {
	t.Helper()
	switch {
	case !utf8.ValidString(s):
		t.Fatalf("%s %q is not UTF-8", field, s)
	case maxRunes > 0 && utf8.RuneCountInString(s) > maxRunes:
		t.Fatalf("%s has %d characters, more than %d", field, utf8.RuneCountInString(s), maxRunes)
	case maxBytes > 0 && len(s) > maxBytes:
		t.Fatalf("%s has %d bytes, more than %d", field, len(s), maxBytes)
	case strings.TrimFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || strings.ContainsRune("\u200b\u200c\u200d\u2060\ufeff", r)
	}) == "":
		t.Fatalf("%s %q shows nothing", field, s)
	}
	for _, r := range s {
		if unicode.IsControl(r) && !strings.ContainsRune(allowed, r) {
			t.Fatalf("%s %q contains the control character %U", field, s, r)
		}
	}
}

func webURL(t *testing.T, field, s string) {
	t.Helper()
	bounded(t, field, s, 0, 2048, "")
	if !strings.HasPrefix(s, "https://") && !strings.HasPrefix(s, "http://") || strings.ContainsFunc(s, unicode.IsSpace) {
		t.Fatalf("%s %q is not a web URL without spaces", field, s)
	}
}

func boundedCustomerMessage(t *testing.T, m workflows.CustomerMessage) {
	t.Helper()
	if m.Text == "" && m.Payload == "" && len(m.Attachments) == 0 {
		t.Fatalf("message %+v carries nothing", m)
	}
	if m.Text != "" {
		bounded(t, "text", m.Text, 4000, 0, "\n\t")
	}
	if m.Payload != "" {
		bounded(t, "payload", m.Payload, 0, 1000, "")
	}
	if m.CustomerName != "" {
		bounded(t, "name", m.CustomerName, 200, 0, "")
	}
	if m.Locale != "" && (len(m.Locale) > 35 || !languageTag.MatchString(m.Locale)) {
		t.Fatalf("locale %q is not a language tag of at most 35 characters", m.Locale)
	}
	if len(m.Attachments) > 30 {
		t.Fatalf("%d attachments", len(m.Attachments))
	}
	for i, a := range m.Attachments {
		if !typeName.MatchString(a.Type) {
			t.Fatalf("attachment %d has type %q", i, a.Type)
		}
		webURL(t, fmt.Sprintf("attachment %d URL", i), a.URL)
	}
}

// FuzzMessengerWebhook feeds the webhook parser arbitrary deliveries (past
// the signature check). Nothing may panic; a delivery is refused only when it
// is not a JSON object of object "page"; otherwise every event handoff acts
// on is either skipped with a reason or accepted whole: its IDs have their
// channel's form, every field is within bounds, and the text, payload and
// attachments are those of the event, not a cut or cleaned copy.
func FuzzMessengerWebhook(f *testing.F) {
	f.Add([]byte(`{"object":"page","entry":[{"id":"1","messaging":[{"sender":{"id":"2"},"recipient":{"id":"1"},"message":{"mid":"m","text":"hi"}}]}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		items, err := parseWebhook(body, "999")
		if err != nil {
			var apiErr *apiError
			if !errors.As(err, &apiErr) || apiErr.status != http.StatusBadRequest {
				t.Fatalf("error %v, want a 400", err)
			}
			return
		}
		raw := rawEvents(body)
		for _, item := range items {
			checkWebhookItem(t, item, raw[item.where])
		}
	})
}

func checkWebhookItem(t *testing.T, item webhookItem, raw json.RawMessage) {
	t.Helper()
	switch {
	case item.where == "":
		t.Fatalf("item %+v does not say where it is", item)
	case item.skipped != nil:
		return
	case (item.message == nil) == (item.echo == nil):
		t.Fatalf("item %s is neither or both a message and an echo: %+v", item.where, item)
	case !digitsID.MatchString(item.customer):
		t.Fatalf("item %s: customer %q is not a page-scoped ID", item.where, item.customer)
	case item.echo != nil:
		checkEchoItem(t, item)
	default:
		checkMessageItem(t, item, raw)
	}
}

func checkEchoItem(t *testing.T, item webhookItem) {
	t.Helper()
	e := item.echo
	if !visibleASCII.MatchString(e.ID) || e.Author != InboxAuthor || !e.Echo {
		t.Fatalf("echo %s: %+v", item.where, e)
	}
	if err := e.Content.Validate(); err != nil {
		t.Fatalf("echo %s is accepted with invalid content: %v", item.where, err)
	}
	if e.Text != "" {
		bounded(t, "echo text", e.Text, 4000, 0, "\n\t")
	}
}

func checkMessageItem(t *testing.T, item webhookItem, raw json.RawMessage) {
	t.Helper()
	m := *item.message
	if !visibleASCII.MatchString(m.ID) || !digitsID.MatchString(m.PageID) {
		t.Fatalf("message %s: ID %q or page %q out of form", item.where, m.ID, m.PageID)
	}
	boundedCustomerMessage(t, m)
	var ev messagingEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatalf("message %s accepted from an event that does not decode: %v", item.where, err)
	}
	text, payload := "", ""
	switch {
	case ev.Message != nil && !ev.Message.IsEcho:
		text = ev.Message.Text
		if ev.Message.QuickReply != nil {
			payload = ev.Message.QuickReply.Payload
		}
	case ev.Postback != nil:
		text, payload = ev.Postback.Title, ev.Postback.Payload
	}
	if m.Text != text || m.Payload != payload {
		t.Fatalf("message %s is not the event whole: text %q payload %q, the event has %q and %q", item.where, m.Text, m.Payload, text, payload)
	}
}

// rawEvents indexes the messaging events of a delivery as parseWebhook names
// them ("entry 0 event 1").
func rawEvents(body []byte) map[string]json.RawMessage {
	out := map[string]json.RawMessage{}
	var env webhookBody
	if json.Unmarshal(body, &env) != nil {
		return out
	}
	for i, rawEntry := range env.Entry {
		var entry webhookEntry
		if json.Unmarshal(rawEntry, &entry) != nil {
			continue
		}
		for j, ev := range entry.Messaging {
			out[fmt.Sprintf("entry %d event %d", i, j)] = ev
		}
	}
	return out
}

// FuzzWebChatMessage feeds a visitor's message request arbitrary bodies.
// Nothing may panic; a body is either refused with a 400 that names a
// problem, or accepted whole: every field within bounds, and each the
// request's own value, only trimmed (and CR LF as LF in the text).
func FuzzWebChatMessage(f *testing.F) {
	f.Add([]byte(`{"id":"w-1","text":"Hello!","name":"Maria","locale":"bg-BG"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		msg, err := readVisitorMessage(bytes.NewReader(body))
		if err != nil {
			var apiErr *apiError
			if !errors.As(err, &apiErr) || apiErr.status != http.StatusBadRequest || apiErr.message == "" || len(apiErr.message) > 1000 {
				t.Fatalf("error %v, want a short 400", err)
			}
			return
		}
		if !clientID.MatchString(msg.ID) {
			t.Fatalf("message ID %q", msg.ID)
		}
		if msg.Text == "" && msg.Payload == "" {
			t.Fatalf("message %+v has neither text nor payload", msg)
		}
		boundedCustomerMessage(t, msg)
		var req visitorMessageRequest
		if err := json.Unmarshal(body, &req); err != nil {
			t.Fatalf("accepted a body that does not decode: %v", err)
		}
		if msg.Text != strings.TrimSpace(strings.ReplaceAll(req.Text, "\r\n", "\n")) || msg.Payload != strings.TrimSpace(req.Payload) ||
			msg.CustomerName != strings.TrimSpace(req.Name) || msg.Locale != req.Locale || (req.ID != "" && msg.ID != req.ID) {
			t.Fatalf("message %+v is not the request %+v whole", msg, req)
		}
	})
}
