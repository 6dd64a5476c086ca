package app_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/handoff-chat/handoff/internal/app"
	"github.com/handoff-chat/handoff/internal/graphapi/graphapitest"
)

const (
	appSecret   = "messenger-app-secret-for-tests"
	verifyToken = "verify-me-please"
)

func sign(body string) string {
	mac := hmac.New(sha256.New, []byte(appSecret))
	mac.Write([]byte(body))
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

func postWebhook(t *testing.T, base, body, signature string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("POST", base+"/webhooks/messenger", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if signature != "" {
		req.Header.Set("X-Hub-Signature-256", signature)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw)
}

// A batched delivery in Meta's format: two pages' entries, a text message, a
// quick reply, an image, a postback, an echo of a message staff sent from
// Meta's inbox, an echo of handoff's own message, and read and delivery
// receipts.
func batch(psid string, n int) string {
	return fmt.Sprintf(`{"object":"page","entry":[
  {"id":"1000000000000001","time":1763900000000,"messaging":[
    {"sender":{"id":"%[1]s"},"recipient":{"id":"1000000000000001"},"timestamp":1763900000001,
     "message":{"mid":"m_%[1]s_%[2]d_text","text":"Здравейте, къде е пратката ми?"}},
    {"sender":{"id":"%[1]s"},"recipient":{"id":"1000000000000001"},"timestamp":1763900000002,
     "message":{"mid":"m_%[1]s_%[2]d_qr","text":"Доставка","quick_reply":{"payload":"DELIVERY"}}},
    {"sender":{"id":"%[1]s"},"recipient":{"id":"1000000000000001"},"timestamp":1763900000003,
     "message":{"mid":"m_%[1]s_%[2]d_img","attachments":[{"type":"image","payload":{"url":"https://cdn.example/photo.jpg"}}]}},
    {"sender":{"id":"1000000000000001"},"recipient":{"id":"%[1]s"},"timestamp":1763900000004,
     "message":{"mid":"m_page_echo_%[2]d","is_echo":true,"app_id":1517776481860111,"text":"Hi from the inbox"}},
    {"sender":{"id":"1000000000000001"},"recipient":{"id":"%[1]s"},"timestamp":1763900000004,
     "message":{"mid":"m_own_echo_%[2]d","is_echo":true,"app_id":999000111,"text":"sent by handoff itself"}},
    {"sender":{"id":"%[1]s"},"recipient":{"id":"1000000000000001"},"timestamp":1763900000005,"read":{"watermark":1763900000004}},
    {"sender":{"id":"%[1]s"},"recipient":{"id":"1000000000000001"},"timestamp":1763900000006,"delivery":{"mids":["m_page_echo_%[2]d"],"watermark":1763900000004}}
  ]},
  {"id":"1000000000000002","time":1763900000000,"messaging":[
    {"sender":{"id":"%[1]s"},"recipient":{"id":"1000000000000002"},"timestamp":1763900000007,
     "postback":{"mid":"m_%[1]s_%[2]d_pb","title":"Talk to a human","payload":"HANDOFF_TALK_TO_HUMAN"}}
  ]}
]}`, psid, n)
}

func TestMessengerWebhook(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.Messenger.AppSecret = appSecret
	cfg.Messenger.VerifyToken = verifyToken
	cfg.Messenger.AppID = "999000111"
	a := startApp(t, cfg, app.RoleAll)
	c := newAPI(t, a)
	base := c.base

	// Subscription check.
	resp, err := http.Get(base + "/webhooks/messenger?hub.mode=subscribe&hub.verify_token=" + verifyToken + "&hub.challenge=1158201444")
	if err != nil {
		t.Fatal(err)
	}
	challenge, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(challenge) != "1158201444" {
		t.Errorf("verification: %d %q, want the challenge echoed", resp.StatusCode, challenge)
	}
	if resp, err := http.Get(base + "/webhooks/messenger?hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1"); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("verification with a wrong token: %v %v, want 403", err, resp)
	}

	psid := fmt.Sprintf("2%015d", time.Now().UnixNano()%1e15)
	body := batch(psid, 1)
	for _, tc := range []struct {
		name, body, signature string
		status                int
		mentions              string
	}{
		{"unsigned", body, "", 401, "X-Hub-Signature-256"},
		{"wrong signature", body, sign(body + " "), 401, "does not match"},
		{"not hex", body, "sha256=zz", 401, "hexadecimal"},
		{"malformed JSON", `{"object":"page","entry":[`, sign(`{"object":"page","entry":[`), 400, "malformed"},
		{"not a page", `{"object":"user","entry":[]}`, sign(`{"object":"user","entry":[]}`), 400, "page"},
		{"oversized", `{"object":"page","pad":"` + strings.Repeat("x", 2<<20) + `"}`, "sha256=00", 413, "larger than"},
	} {
		status, got := postWebhook(t, base, tc.body, tc.signature)
		if status != tc.status || !strings.Contains(got, tc.mentions) {
			t.Errorf("%s: %d %s, want %d mentioning %q", tc.name, status, got, tc.status, tc.mentions)
		}
	}
	// Nothing was processed by the rejected deliveries.
	if r := c.do("GET", "/api/v1/conversations/messenger/"+psid, nil, true); r.status != http.StatusNotFound {
		t.Fatalf("a rejected delivery created the conversation: %d %s", r.status, r.body)
	}

	status, got := postWebhook(t, base, body, sign(body))
	if status != http.StatusOK || !strings.Contains(got, `"accepted":4`) {
		t.Fatalf("signed batch: %d %s, want 200 with the four customer events accepted", status, got)
	}
	// Meta redelivers the same batch: 200 again, nothing processed twice.
	if status, got := postWebhook(t, base, body, sign(body)); status != http.StatusOK {
		t.Fatalf("redelivery: %d %s", status, got)
	}
	conv := c.expect(http.StatusOK, "GET", "/api/v1/conversations/messenger/"+psid, nil, true)
	// The inbox echo is staff activity: live chat is on, with a countdown.
	if conv["state"] != "live_chat" || conv["live_chat_expires_at"] == nil {
		t.Errorf("after a message from Meta's inbox: state %v, countdown %v", conv["state"], conv["live_chat_expires_at"])
	}
	var customer, staff []string
	for _, m := range conv["messages"].([]any) {
		msg := m.(map[string]any)
		switch msg["sender"] {
		case "customer":
			customer = append(customer, msg["id"].(string))
		case "staff":
			staff = append(staff, fmt.Sprint(msg["id"], " by ", msg["author"]))
		}
	}
	if want := "m_page_echo_1 by Messenger inbox"; strings.Join(staff, ",") != want {
		t.Errorf("staff messages %v, want only the inbox echo (%s), once", staff, want)
	}
	want := []string{"m_" + psid + "_1_text", "m_" + psid + "_1_qr", "m_" + psid + "_1_img", "m_" + psid + "_1_pb"}
	if strings.Join(customer, ",") != strings.Join(want, ",") {
		t.Errorf("customer messages %v, want %v once each, in order, without the echo or receipts", customer, want)
	}
}

// messengerEvent is one signed delivery with a single customer event.
func messengerEvent(page, psid, messageJSON string) string {
	return fmt.Sprintf(`{"object":"page","entry":[{"id":%q,"time":1763900000000,"messaging":[
  {"sender":{"id":%q},"recipient":{"id":%q},"timestamp":1763900000001,"message":%s}]}]}`, page, psid, page, messageJSON)
}

func deliver(t *testing.T, base, body string) {
	t.Helper()
	if status, got := postWebhook(t, base, body, sign(body)); status != http.StatusOK {
		t.Fatalf("webhook: %d %s", status, got)
	}
}

// quickReplies returns the quick replies of a Send API call's message.
func quickReplies(r graphapitest.Request) []map[string]any {
	msg, _ := r.Body["message"].(map[string]any)
	list, _ := msg["quick_replies"].([]any)
	var out []map[string]any
	for _, q := range list {
		out = append(out, q.(map[string]any))
	}
	return out
}

func messageText(r graphapitest.Request) string {
	msg, _ := r.Body["message"].(map[string]any)
	text, _ := msg["text"].(string)
	return text
}

func TestMessengerRepliesGoThroughTheSendAPI(t *testing.T) {
	const page, pageToken = "1000000001", "EAAB-test-page-token"
	graph := graphapitest.NewServer(t, map[string]string{page: pageToken})
	cfg := testConfig(t.TempDir())
	cfg.Messenger.AppSecret = appSecret
	cfg.Messenger.VerifyToken = verifyToken
	cfg.Messenger.Pages = []string{page + ":" + pageToken}
	cfg.Messenger.GraphURL = graph.URL
	cfg.Bot.Flows = shopFlows(t)
	a := startApp(t, cfg, app.RoleAll)
	c := newAPI(t, a)
	psid := fmt.Sprintf("3%015d", time.Now().UnixNano()%1e15)
	graph.SetProfile(psid, "Мария", "Петрова")

	// A new customer writes; the bot answers in Bulgarian with the flow's
	// start block: its image, then its text with the menu.
	deliver(t, c.base, messengerEvent(page, psid, `{"mid":"m_in_1","text":"Здравейте, имам въпрос"}`))
	last := waitTextSent(t, graph, 0)
	sent := graph.Requests()
	if !strings.Contains(messageText(last), "виртуалният помощник") || messageText(sent[0]) != "" {
		t.Errorf("first reply %s after %d calls, want the start block (welcome) after its image", last.RawBody, len(sent))
	}
	if last.PageID != page || last.AccessToken != pageToken || last.Body["messaging_type"] != "RESPONSE" {
		t.Fatalf("bot reply went %+v, want a response through page %s with its token", last, page)
	}
	if got := last.Body["recipient"].(map[string]any)["id"]; got != psid {
		t.Errorf("recipient %v, want %s", got, psid)
	}
	replies := quickReplies(last)
	if len(replies) == 0 || !strings.HasPrefix(replies[0]["payload"].(string), "FLOW:bg:") {
		t.Fatalf("bot reply %s, want Bulgarian quick replies leading to flow blocks", last.RawBody)
	}

	// The customer taps the first quick reply; the bot shows that block.
	choice := replies[0]
	deliver(t, c.base, messengerEvent(page, psid, fmt.Sprintf(`{"mid":"m_in_2","text":%q,"quick_reply":{"payload":%q}}`, choice["title"], choice["payload"])))
	next := waitTextSent(t, graph, len(sent))
	if text := messageText(next); text == messageText(last) {
		t.Errorf("after choosing %q the bot sent %s, want the next block", choice["title"], next.RawBody)
	}

	// The staff list names the customer from the Graph API profile.
	c.waitListed("/api/v1/conversations", psid, func(row map[string]any) bool { return row["customer_name"] == "Мария Петрова" })

	// Staff send a flow block; it goes out with its buttons.
	path := "/api/v1/conversations/messenger/" + psid
	before := len(graph.Requests())
	c.expect(http.StatusCreated, "POST", path+"/blocks", map[string]any{"id": "blk-1", "block": "welcome"}, true)
	if blockText := waitTextSent(t, graph, before); !strings.Contains(string(blockText.RawBody), "FLOW:bg:") {
		t.Errorf("block sent as %s, want its navigation buttons", blockText.RawBody)
	}
	blockMsg := waitMessage(t, c, path, "blk-1", func(m map[string]any) bool { return delivery(m)["status"] == "sent" })
	ids := delivery(blockMsg)["channel_message_ids"].([]any)
	if len(ids) == 0 || blockMsg["block"] != "welcome" {
		t.Fatalf("block message %v, want it sent with the channel's message IDs", blockMsg)
	}

	// Meta echoes the message handoff sent: it is not recorded again.
	echo := fmt.Sprintf(`{"object":"page","entry":[{"id":%q,"time":1,"messaging":[{"sender":{"id":%q},"recipient":{"id":%q},"timestamp":2,
  "message":{"mid":%q,"is_echo":true,"app_id":424242,"text":"echo"}}]}]}`, page, page, psid, ids[len(ids)-1])
	deliver(t, c.base, echo)
	conv := c.expect(http.StatusOK, "GET", path, nil, true)
	for _, m := range conv["messages"].([]any) {
		if m.(map[string]any)["author"] == "Messenger inbox" {
			t.Errorf("the echo of handoff's own message was recorded as an inbox message: %v", m)
		}
	}

	// Meta refuses the next message: staff see why.
	graph.FailNext(400, 551, 1545041, "This person isn't available right now.")
	c.expect(http.StatusCreated, "POST", path+"/messages", map[string]any{"id": "stf-1", "text": "Здравейте, Мария!"}, true)
	failed := waitMessage(t, c, path, "stf-1", func(m map[string]any) bool { return delivery(m)["status"] == "failed" })
	if reason, _ := delivery(failed)["error"].(string); !strings.Contains(reason, "can't be reached") {
		t.Errorf("delivery error %q, want Meta's reason for staff", reason)
	}

	// A transient error (Meta's 500) is retried until it goes through.
	graph.FailNext(500, 2, 0, "Service temporarily unavailable")
	c.expect(http.StatusCreated, "POST", path+"/messages", map[string]any{"id": "stf-2", "text": "Пробваме пак"}, true)
	waitMessage(t, c, path, "stf-2", func(m map[string]any) bool { return delivery(m)["status"] == "sent" })
}

// waitTextSent waits for the first Send API call after the first skip calls
// that carries text (images of a block go first, each on its own).
func waitTextSent(t *testing.T, graph *graphapitest.Server, skip int) graphapitest.Request {
	t.Helper()
	var sent graphapitest.Request
	waitUntil(t, 20*time.Second, fmt.Sprintf("a text message sent after call %d", skip), func() (bool, error) {
		reqs := graph.Requests()[skip:]
		for _, r := range reqs {
			if messageText(r) != "" {
				sent = r
				return true, nil
			}
		}
		return false, fmt.Errorf("the calls since are %+v", reqs)
	})
	return sent
}

func delivery(m map[string]any) map[string]any {
	d, _ := m["delivery"].(map[string]any)
	return d
}

// waitMessage polls the staff view of a conversation until message id
// satisfies ok.
func waitMessage(t *testing.T, c *api, path, id string, ok func(map[string]any) bool) map[string]any {
	t.Helper()
	var found map[string]any
	waitUntil(t, 30*time.Second, "message "+id+" to reach the expected state", func() (bool, error) {
		conv := c.expect(http.StatusOK, "GET", path, nil, true)
		for _, m := range conv["messages"].([]any) {
			if msg := m.(map[string]any); msg["id"] == id && ok(msg) {
				found = msg
				return true, nil
			}
		}
		return false, fmt.Errorf("the messages are %v", conv["messages"])
	})
	return found
}

// shopFlows is the repository's example flow file.
func shopFlows(t *testing.T) string {
	t.Helper()
	path, err := filepath.Abs(filepath.Join("..", "..", "flows", "shop.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return path
}
