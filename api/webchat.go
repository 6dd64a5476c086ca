package api

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/handoff-chat/handoff/internal/chat"
	"github.com/handoff-chat/handoff/workflows"
)

// newID returns a random, URL-safe identifier of 128 bits.
func newID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// idOrNew returns a client-chosen ID after checking it, or a new one when the
// client chose none. A bad ID is a 400 error naming field.
func idOrNew(field, id string) (string, error) {
	if id == "" {
		return newID(), nil
	}
	if err := chat.CheckMessageID(field, id); err != nil {
		return "", badRequest(err.Error())
	}
	return id, nil
}

// newVisitor issues a web chat visitor: a random ID, which names the
// conversation, and the token that proves it (see WebChat.visitorToken).
func (s *server) newVisitor(c *gin.Context) {
	id := newID()
	c.JSON(http.StatusCreated, gin.H{"visitor_id": id, "token": s.WebChat.visitorToken(id)})
}

func visitorID(c *gin.Context) (string, error) {
	id := c.Param("visitor")
	if err := chat.CheckCustomerID("visitor ID", chat.ChannelWebChat, id); err != nil {
		return "", badRequest(err.Error())
	}
	return id, nil
}

type visitorMessageRequest struct {
	// ID is chosen by the widget so a retried send is recorded once.
	ID      string `json:"id"`
	Text    string `json:"text"`
	Payload string `json:"payload"`
	Name    string `json:"name"`
	// Locale is the browser's language, e.g. "bg-BG".
	Locale string `json:"locale"`
}

// readVisitorMessage decodes a visitor's message from a request body and
// checks it whole: a message every field of which is within the bounds of
// package chat, or a 400 (413) error that names the field.
func readVisitorMessage(body io.Reader) (workflows.CustomerMessage, error) {
	var req visitorMessageRequest
	if err := decodeJSONFrom(body, &req); err != nil {
		return workflows.CustomerMessage{}, err
	}
	return req.message()
}

// message trims the request into the workflow's form and checks it.
func (req visitorMessageRequest) message() (workflows.CustomerMessage, error) {
	m := workflows.CustomerMessage{
		Text: cleanText(req.Text), Payload: strings.TrimSpace(req.Payload),
		CustomerName: strings.TrimSpace(req.Name), Locale: req.Locale,
	}
	if m.Text == "" && m.Payload == "" {
		return workflows.CustomerMessage{}, badRequest("a message needs text or a button payload")
	}
	if err := checkCustomerMessage(m); err != nil {
		return workflows.CustomerMessage{}, badRequest(err.Error())
	}
	id, err := idOrNew("id", req.ID)
	if err != nil {
		return workflows.CustomerMessage{}, err
	}
	m.ID = id
	return m, nil
}

// cleanText is a message text without leading and trailing white space and
// with Windows line ends (CR LF) as plain newlines.
func cleanText(s string) string {
	return strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n"))
}

// checkCustomerMessage checks every field a customer message carries into its
// conversation against the bounds of package chat; an empty field is absent
// and passes. The message ID and page are the caller's to check.
func checkCustomerMessage(m workflows.CustomerMessage) error {
	for _, f := range []struct {
		name, value string
		check       func(field, value string) error
	}{
		{"text", m.Text, chat.CheckText},
		{"payload", m.Payload, chat.CheckPayload},
		{"name", m.CustomerName, chat.CheckName},
		{"locale", m.Locale, chat.CheckLocale},
	} {
		if f.value == "" {
			continue
		}
		if err := f.check(f.name, f.value); err != nil {
			return err
		}
	}
	if len(m.Attachments) > chat.MaxCustomerAttachments {
		return fmt.Errorf("attachments has %d files; a message carries at most %d", len(m.Attachments), chat.MaxCustomerAttachments)
	}
	for i, a := range m.Attachments {
		field := fmt.Sprintf("attachments[%d]", i)
		if err := chat.CheckAttachmentType(field+".type", a.Type); err != nil {
			return err
		}
		if err := chat.CheckURL(field+".url", a.URL); err != nil {
			return err
		}
	}
	return nil
}

func (s *server) visitorMessage(c *gin.Context) error {
	visitor := c.Param("visitor")
	msg, err := readVisitorMessage(c.Request.Body)
	if err != nil {
		return err
	}
	// The message is checked here and acknowledged once Temporal holds it
	// (signal-with-start), without waiting for the conversation to run:
	// the widget needs it kept, not a verdict, and the answer never queues
	// behind the worker. A retry with the same ID is recognised by the
	// conversation.
	if err := s.Conversations.SignalCustomerMessage(c.Request.Context(), chat.ChannelWebChat, visitor, msg); err != nil {
		return fmt.Errorf("web chat message: %w", err)
	}
	c.JSON(http.StatusAccepted, gin.H{"message_id": msg.ID})
	return nil
}

func (s *server) visitorTranscript(c *gin.Context) error {
	visitor := c.Param("visitor")
	after, err := seqParam(c.Query("after"), "after")
	if err != nil {
		return err
	}
	messages, err := s.Conversations.Transcript(c.Request.Context(), chat.ChannelWebChat, visitor, after)
	if isNotFound(err) {
		// A visitor who has not written yet simply has no messages.
		messages, err = []chat.Message{}, nil
	}
	if err != nil {
		return fmt.Errorf("web chat transcript: %w", err)
	}
	for i := range messages {
		messages[i] = forVisitor(messages[i])
	}
	c.JSON(http.StatusOK, gin.H{"messages": messages})
	return nil
}

// forVisitor is a message as the customer may see it: staff appear by
// their display name, never by the name they sign in with, and the
// channel's delivery details stay with staff.
func forVisitor(m chat.Message) chat.Message {
	m.Author = ""
	m.Delivery = nil
	m.AI = nil
	return m
}

// seqParam reads an optional message sequence number; what names it in the
// error.
func seqParam(v, what string) (int64, error) {
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, badRequest(what + " must be a non-negative message sequence number, got " + strconv.Quote(v))
	}
	return n, nil
}

type agentRequestBody struct {
	ID string `json:"id"`
}

func (s *server) visitorAgentRequest(c *gin.Context) error {
	visitor := c.Param("visitor")
	var req agentRequestBody
	if err := decodeOptionalJSON(c, &req); err != nil {
		return err
	}
	id, err := idOrNew("id", req.ID)
	if err != nil {
		return err
	}
	view, err := s.Conversations.RequestAgent(c.Request.Context(), chat.ChannelWebChat, visitor, id)
	if err != nil {
		return fmt.Errorf("web chat agent request: %w", err)
	}
	s.Feed.Touch(workflows.ConversationWorkflowID(chat.ChannelWebChat, visitor))
	c.JSON(http.StatusAccepted, gin.H{"state": view.Status, "agent_requested_at": view.AgentRequestedAt})
	return nil
}
