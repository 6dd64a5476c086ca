package api

import (
	"cmp"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/handoff-chat/handoff/internal/chat"
	"github.com/handoff-chat/handoff/internal/conversations"
	"github.com/handoff-chat/handoff/workflows"
)

// Messenger configures the Facebook Messenger webhook.
type Messenger struct {
	// AppSecret signs every webhook delivery (X-Hub-Signature-256).
	AppSecret string
	// VerifyToken is what Meta echoes when the webhook is registered.
	VerifyToken string
	// AppID is handoff's own Meta app: echoes of messages it sent itself are
	// already recorded and are skipped.
	AppID string
}

// InboxAuthor is the author recorded for messages the page sent outside
// handoff (Meta's inbox, the Page app), which reach handoff as echoes.
const InboxAuthor = "Messenger inbox"

func (m Messenger) configured() bool { return m.AppSecret != "" && m.VerifyToken != "" }

// webhookBody is the envelope of Meta's webhook format. Entries and their
// events are decoded one by one, so that one malformed event spoils only
// itself, not the batch.
type webhookBody struct {
	Object string            `json:"object"`
	Entry  []json.RawMessage `json:"entry"`
}

type webhookEntry struct {
	ID        string            `json:"id"`
	Messaging []json.RawMessage `json:"messaging"`
}

// messagingEvent is the part of one of Meta's messaging events handoff reads.
type messagingEvent struct {
	Sender    struct{ ID string } `json:"sender"`
	Recipient struct{ ID string } `json:"recipient"`
	Timestamp int64               `json:"timestamp"`
	Message   *struct {
		MID        string      `json:"mid"`
		Text       string      `json:"text"`
		IsEcho     bool        `json:"is_echo"`
		AppID      json.Number `json:"app_id"`
		QuickReply *struct {
			Payload string `json:"payload"`
		} `json:"quick_reply"`
		Attachments []struct {
			Type    string `json:"type"`
			Payload struct {
				URL string `json:"url"`
			} `json:"payload"`
		} `json:"attachments"`
	} `json:"message"`
	Postback *struct {
		MID     string `json:"mid"`
		Title   string `json:"title"`
		Payload string `json:"payload"`
	} `json:"postback"`
}

// errMessengerNotConfigured answers the webhook while Messenger is not set up.
var errMessengerNotConfigured = newAPIError(http.StatusServiceUnavailable, "Messenger is not configured: set messenger.app_secret and messenger.verify_token")

// messengerVerify answers Meta's subscription check.
func (s *server) messengerVerify(c *gin.Context) error {
	if !s.Messenger.configured() {
		return errMessengerNotConfigured
	}
	token := c.Query("hub.verify_token")
	if c.Query("hub.mode") != "subscribe" ||
		subtle.ConstantTimeCompare([]byte(token), []byte(s.Messenger.VerifyToken)) != 1 {
		return forbidden("hub.mode must be subscribe and hub.verify_token must match messenger.verify_token")
	}
	c.String(http.StatusOK, c.Query("hub.challenge"))
	return nil
}

// messengerWebhook receives a batch of events. It answers 200 only after
// Temporal has durably accepted every valid customer message in the batch, so
// Meta redelivers the batch when recording failed; redelivered messages are
// recognised by their message IDs. An invalid event (a malformed ID, a field
// out of bounds, or content the conversation refuses) is logged and skipped,
// never redelivered: Meta would send it again forever.
func (s *server) messengerWebhook(c *gin.Context) error {
	if !s.Messenger.configured() {
		return errMessengerNotConfigured
	}
	body, err := s.readSignedWebhook(c)
	if err != nil {
		return err
	}
	items, err := parseWebhook(body, s.Messenger.AppID)
	if err != nil {
		return err
	}
	accepted, skipped := 0, 0
	for _, item := range items {
		recorded, err := s.recordWebhookItem(c, item)
		switch {
		case err != nil:
			return err
		case recorded:
			accepted++
		case item.skipped != nil || item.message != nil:
			skipped++
		}
	}
	c.JSON(http.StatusOK, gin.H{"accepted": accepted, "skipped": skipped})
	return nil
}

// readSignedWebhook reads a delivery and checks its signature.
func (s *server) readSignedWebhook(c *gin.Context) ([]byte, error) {
	body, err := readBody(c)
	if err != nil {
		return nil, err
	}
	if err := verifySignature(c.GetHeader("X-Hub-Signature-256"), body, s.Messenger.AppSecret); err != nil {
		return nil, unauthorized(err.Error())
	}
	return body, nil
}

// webhookItem is one event of a delivery that handoff acts on: a customer
// message or an inbox echo to record, or an invalid one to skip.
type webhookItem struct {
	// where names the event in the delivery, like "entry 0 event 2".
	where    string
	customer string
	message  *workflows.CustomerMessage
	echo     *workflows.StaffMessage
	// skipped says why the event is invalid and not recorded.
	skipped error
}

// parseWebhook reads a delivery (whose signature was checked) into the events
// to record and the invalid ones to skip. Read and delivery receipts, echoes
// of handoff's own messages (appID) and events handoff does not use are left
// out. Only a body that is not a JSON object of object "page" is an error.
func parseWebhook(body []byte, appID string) ([]webhookItem, error) {
	var env webhookBody
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, badRequest("malformed webhook JSON: " + err.Error())
	}
	if env.Object != "page" {
		return nil, badRequest("object must be \"page\", got " + chat.Quote(env.Object))
	}
	var items []webhookItem
	for i, raw := range env.Entry {
		items = append(items, parseEntry(fmt.Sprintf("entry %d", i), raw, appID)...)
	}
	return items, nil
}

func parseEntry(where string, raw json.RawMessage, appID string) []webhookItem {
	var entry webhookEntry
	if err := json.Unmarshal(raw, &entry); err != nil {
		return []webhookItem{{where: where, skipped: fmt.Errorf("malformed entry: %w", err)}}
	}
	var items []webhookItem
	for i, rawEvent := range entry.Messaging {
		if item, ok := parseEvent(fmt.Sprintf("%s event %d", where, i), entry.ID, rawEvent, appID); ok {
			items = append(items, item)
		}
	}
	return items
}

// parseEvent reads one messaging event of page pageID; ok is false for an
// event handoff does not act on.
func parseEvent(where, pageID string, raw json.RawMessage, appID string) (item webhookItem, ok bool) {
	item.where = where
	var ev messagingEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		item.skipped = fmt.Errorf("malformed event: %w", err)
		return item, true
	}
	if echo, ok := inboxEcho(ev, appID); ok {
		item.customer, item.echo = ev.Recipient.ID, &echo
		item.skipped = checkInboxEcho(ev, echo)
		return item, true
	}
	msg, ok := customerMessage(ev)
	if !ok {
		return item, false
	}
	msg.PageID = cmp.Or(ev.Recipient.ID, pageID)
	item.customer, item.message = ev.Sender.ID, &msg
	item.skipped = checkMessengerMessage(ev.Sender.ID, msg)
	return item, true
}

// checkMessengerMessage checks the IDs and every field of a customer message.
func checkMessengerMessage(customer string, m workflows.CustomerMessage) error {
	if err := chat.CheckCustomerID("sender.id", chat.ChannelMessenger, customer); err != nil {
		return err
	}
	if err := chat.CheckPageID("recipient.id", m.PageID); err != nil {
		return err
	}
	if err := chat.CheckChannelMessageID("mid", m.ID); err != nil {
		return err
	}
	return checkCustomerMessage(m)
}

// checkInboxEcho checks the IDs and the content of an echo of the page's inbox.
func checkInboxEcho(ev messagingEvent, echo workflows.StaffMessage) error {
	if err := chat.CheckCustomerID("recipient.id", chat.ChannelMessenger, ev.Recipient.ID); err != nil {
		return err
	}
	if ev.Sender.ID != "" {
		if err := chat.CheckPageID("sender.id", ev.Sender.ID); err != nil {
			return err
		}
	}
	if err := chat.CheckChannelMessageID("mid", echo.ID); err != nil {
		return err
	}
	return echo.Content.Validate()
}

// recordWebhookItem records one event; recorded reports a customer message
// Temporal accepted. An invalid event is logged and skipped; err is only what
// Meta should redeliver for.
func (s *server) recordWebhookItem(c *gin.Context, item webhookItem) (recorded bool, err error) {
	switch {
	case item.skipped != nil:
		s.logSkippedEvent(c, item, item.skipped)
		return false, nil
	case item.echo != nil:
		return false, s.recordInboxEcho(c, item.customer, *item.echo)
	}
	// Meta needs the message durable, not a verdict (every field was checked
	// above): a signal is acknowledged without waiting for the conversation.
	if err := s.Conversations.SignalCustomerMessage(c.Request.Context(), chat.ChannelMessenger, item.customer, *item.message); err != nil {
		return false, fmt.Errorf("record Messenger event from %s: %w", item.customer, err)
	}
	return true, nil
}

// refusedForGood reports whether the conversation refused a message in a way
// a redelivery cannot change: invalid content, or an ID it already has for
// another message.
func refusedForGood(err error) bool {
	var inputErr *conversations.InputError
	var reusedID *chat.ReusedIDError
	return errors.As(err, &inputErr) || errors.As(err, &reusedID)
}

func (s *server) logSkippedEvent(c *gin.Context, item webhookItem, reason error) {
	s.requestLogger(c).Warn("Messenger event skipped", "event", item.where, "customer", chat.Quote(item.customer), "reason", reason)
}

// verifySignature checks X-Hub-Signature-256: "sha256=" and the hex HMAC-SHA256
// of the raw body keyed with the app secret.
func verifySignature(header string, body []byte, secret string) error {
	hexSig, ok := strings.CutPrefix(header, "sha256=")
	if !ok {
		return errors.New("missing X-Hub-Signature-256 header (sha256=<hex HMAC of the body>)")
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil {
		return errors.New("X-Hub-Signature-256 is not hexadecimal")
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	if !hmac.Equal(got, mac.Sum(nil)) {
		return errors.New("X-Hub-Signature-256 does not match the body signed with messenger.app_secret")
	}
	return nil
}

// customerMessage turns a customer's message or postback into the workflow's
// form; other events report false.
func customerMessage(ev messagingEvent) (workflows.CustomerMessage, bool) {
	switch {
	case ev.Message != nil && !ev.Message.IsEcho:
		m := workflows.CustomerMessage{ID: ev.Message.MID, Text: ev.Message.Text}
		if ev.Message.QuickReply != nil {
			m.Payload = ev.Message.QuickReply.Payload
		}
		for _, a := range ev.Message.Attachments {
			if a.Payload.URL != "" {
				m.Attachments = append(m.Attachments, chat.Attachment{Type: a.Type, URL: a.Payload.URL})
			}
		}
		return m, m.Text != "" || m.Payload != "" || len(m.Attachments) > 0
	case ev.Postback != nil && ev.Postback.Payload != "":
		id := ev.Postback.MID
		if id == "" {
			id = fmt.Sprintf("postback-%s-%d", ev.Sender.ID, ev.Timestamp)
		}
		return workflows.CustomerMessage{ID: id, Text: ev.Postback.Title, Payload: ev.Postback.Payload}, true
	}
	return workflows.CustomerMessage{}, false
}

// inboxEcho returns the echo of a message the page sent outside handoff, not
// from handoff's own app appID.
func inboxEcho(ev messagingEvent, appID string) (workflows.StaffMessage, bool) {
	m := ev.Message
	if m == nil || !m.IsEcho || m.MID == "" || (appID != "" && m.AppID.String() == appID) {
		return workflows.StaffMessage{}, false
	}
	msg := workflows.StaffMessage{ID: m.MID, Author: InboxAuthor, Content: chat.Content{Text: m.Text}, Echo: true}
	for _, a := range m.Attachments {
		if a.Type == "image" && a.Payload.URL != "" {
			msg.Attachments = append(msg.Attachments, chat.Attachment{Type: a.Type, URL: a.Payload.URL})
		}
	}
	if msg.Text == "" && len(msg.Attachments) == 0 {
		msg.Text = "(attachment)"
	}
	return msg, true
}

// recordInboxEcho records a message staff sent from Meta's inbox as staff
// activity: it restarts the live-chat countdown like any staff message. An
// echo that cannot apply (no conversation, window closed) is acknowledged and
// dropped, so Meta does not redeliver it forever.
func (s *server) recordInboxEcho(c *gin.Context, customer string, msg workflows.StaffMessage) error {
	_, _, err := s.Conversations.StaffMessage(c.Request.Context(), chat.ChannelMessenger, customer, msg)
	var stateErr *conversations.StateError
	if errors.Is(err, conversations.ErrNotFound) || errors.As(err, &stateErr) || refusedForGood(err) {
		s.requestLogger(c).Info("Messenger inbox echo not recorded", "customer", customer, "mid", msg.ID, "reason", err)
		return nil
	}
	if err != nil {
		return fmt.Errorf("inbox echo %s: %w", msg.ID, err)
	}
	return nil
}
