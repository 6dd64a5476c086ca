package api

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/handoff-chat/handoff/internal/chat"
	"github.com/handoff-chat/handoff/workflows"
)

// Length limits of one chat message. Messenger's own limits are 2000
// characters of text and 1000 bytes of payload.
const (
	maxTextRunes    = 4000
	maxPayloadBytes = 1000
)

var (
	visitorIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{22,64}$`)
	messageIDPattern = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)
	localePattern    = regexp.MustCompile(`^([A-Za-z]{2,3}([_-][A-Za-z0-9]{2,8})*)?$`)
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
	if !messageIDPattern.MatchString(id) {
		return "", badRequest(field + " must be 1-128 letters, digits or . _ : -, got " + strconv.Quote(id))
	}
	return id, nil
}

// checkTextLength returns a 400 error when text is too long.
func checkTextLength(text string) error {
	if utf8.RuneCountInString(text) > maxTextRunes {
		return badRequest("text is longer than " + strconv.Itoa(maxTextRunes) + " characters")
	}
	return nil
}

// newVisitor issues a web chat visitor: a random ID, which names the
// conversation, and the token that proves it (see WebChat.visitorToken).
func (s *server) newVisitor(c *gin.Context) {
	id := newID()
	c.JSON(http.StatusCreated, gin.H{"visitor_id": id, "token": s.WebChat.visitorToken(id)})
}

func visitorID(c *gin.Context) (string, error) {
	id := c.Param("visitor")
	if !visitorIDPattern.MatchString(id) {
		return "", badRequest("visitor ID " + strconv.Quote(id) + " must be 22-64 letters, digits, _ or -, as issued by POST /webchat/v1/visitors")
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

// check trims the message and says what is wrong with it, if anything.
func (req *visitorMessageRequest) check() error {
	req.Text = strings.TrimSpace(req.Text)
	req.Payload = strings.TrimSpace(req.Payload)
	if req.Text == "" && req.Payload == "" {
		return badRequest("a message needs text or a button payload")
	}
	if err := checkTextLength(req.Text); err != nil {
		return err
	}
	switch {
	case len(req.Payload) > maxPayloadBytes:
		return badRequest("payload is longer than " + strconv.Itoa(maxPayloadBytes) + " bytes")
	case utf8.RuneCountInString(req.Name) > 200:
		return badRequest("name is longer than 200 characters")
	case !localePattern.MatchString(req.Locale):
		return badRequest("locale must be a language tag like bg or en-GB, got " + strconv.Quote(req.Locale))
	}
	return nil
}

func (s *server) visitorMessage(c *gin.Context) error {
	visitor := c.Param("visitor")
	var req visitorMessageRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if err := req.check(); err != nil {
		return err
	}
	id, err := idOrNew("id", req.ID)
	if err != nil {
		return err
	}
	view, duplicate, err := s.Conversations.CustomerMessage(c.Request.Context(), chat.ChannelWebChat, visitor, workflows.CustomerMessage{
		ID: id, CustomerName: strings.TrimSpace(req.Name), Text: req.Text, Payload: req.Payload, Locale: req.Locale,
	})
	if err != nil {
		return fmt.Errorf("web chat message: %w", err)
	}
	s.activity.notify(visitor)
	c.JSON(http.StatusAccepted, gin.H{"message_id": id, "duplicate": duplicate, "state": view.Status})
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
	c.JSON(http.StatusOK, gin.H{"messages": messages})
	return nil
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
	s.activity.notify(visitor)
	c.JSON(http.StatusAccepted, gin.H{"state": view.Status, "agent_requested_at": view.AgentRequestedAt})
	return nil
}
