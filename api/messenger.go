package api

import (
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

// webhookEvent is the part of Meta's webhook format handoff reads.
type webhookEvent struct {
	Object string `json:"object"`
	Entry  []struct {
		ID        string           `json:"id"`
		Messaging []messagingEvent `json:"messaging"`
	} `json:"entry"`
}

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
// Temporal has durably accepted every customer message in the batch, so Meta
// redelivers the batch when anything failed; redelivered messages are
// recognised by their message IDs.
func (s *server) messengerWebhook(c *gin.Context) error {
	if !s.Messenger.configured() {
		return errMessengerNotConfigured
	}
	event, err := s.readWebhook(c)
	if err != nil {
		return err
	}
	accepted := 0
	for _, entry := range event.Entry {
		for _, ev := range entry.Messaging {
			recorded, err := s.recordEvent(c, entry.ID, ev)
			if err != nil {
				return fmt.Errorf("record Messenger event from %s: %w", ev.Sender.ID, err)
			}
			if recorded {
				accepted++
			}
		}
	}
	c.JSON(http.StatusOK, gin.H{"accepted": accepted})
	return nil
}

// readWebhook reads a delivery and checks its signature.
func (s *server) readWebhook(c *gin.Context) (webhookEvent, error) {
	var event webhookEvent
	body, err := readBody(c)
	if err != nil {
		return event, err
	}
	if err := verifySignature(c.GetHeader("X-Hub-Signature-256"), body, s.Messenger.AppSecret); err != nil {
		return event, unauthorized(err.Error())
	}
	if err := json.Unmarshal(body, &event); err != nil {
		return event, badRequest("malformed webhook JSON: " + err.Error())
	}
	if event.Object != "page" {
		return event, badRequest(fmt.Sprintf("object must be \"page\", got %q", event.Object))
	}
	return event, nil
}

// recordEvent records one event of page pageID: an echo of the page's inbox
// as a staff message, a customer message or postback as the customer's. It
// reports whether a customer message was recorded; other events are skipped.
func (s *server) recordEvent(c *gin.Context, pageID string, ev messagingEvent) (bool, error) {
	if echo, ok := s.inboxEcho(ev); ok {
		return false, s.recordInboxEcho(c, ev.Recipient.ID, echo)
	}
	msg, ok := customerMessage(ev)
	if !ok {
		return false, nil // read and delivery receipts, echoes of handoff's own messages
	}
	msg.PageID = ev.Recipient.ID
	if msg.PageID == "" {
		msg.PageID = pageID
	}
	if _, _, err := s.Conversations.CustomerMessage(c.Request.Context(), chat.ChannelMessenger, ev.Sender.ID, msg); err != nil {
		return false, err
	}
	return true, nil
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
	case ev.Message != nil && !ev.Message.IsEcho && ev.Message.MID != "":
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

// inboxEcho returns the echo of a message the page sent outside handoff.
func (s *server) inboxEcho(ev messagingEvent) (workflows.StaffMessage, bool) {
	m := ev.Message
	if m == nil || !m.IsEcho || m.MID == "" || (s.Messenger.AppID != "" && m.AppID.String() == s.Messenger.AppID) {
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
	var inputErr *conversations.InputError
	if errors.Is(err, conversations.ErrNotFound) || errors.As(err, &stateErr) || errors.As(err, &inputErr) {
		s.requestLogger(c).Info("Messenger inbox echo not recorded", "customer", customer, "mid", msg.ID, "reason", err)
		return nil
	}
	if err != nil {
		return fmt.Errorf("inbox echo %s: %w", msg.ID, err)
	}
	return nil
}
