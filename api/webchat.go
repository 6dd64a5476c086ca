package api

import (
	"crypto/rand"
	"encoding/base64"
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
// client chose none. On a bad ID it answers 400 naming field and returns false.
func idOrNew(c *gin.Context, field, id string) (string, bool) {
	if id == "" {
		return newID(), true
	}
	if !messageIDPattern.MatchString(id) {
		writeError(c, http.StatusBadRequest, field+" must be 1-128 letters, digits or . _ : -, got "+strconv.Quote(id))
		return "", false
	}
	return id, true
}

// checkTextLength answers 400 and returns false when text is too long.
func checkTextLength(c *gin.Context, text string) bool {
	if utf8.RuneCountInString(text) > maxTextRunes {
		writeError(c, http.StatusBadRequest, "text is longer than "+strconv.Itoa(maxTextRunes)+" characters")
		return false
	}
	return true
}

// newVisitor issues a web chat visitor: a random ID, which names the
// conversation, and the token that proves it (see WebChat.visitorToken).
func (s *server) newVisitor(c *gin.Context) {
	id := newID()
	c.JSON(http.StatusCreated, gin.H{"visitor_id": id, "token": s.WebChat.visitorToken(id)})
}

func visitorID(c *gin.Context) (string, bool) {
	id := c.Param("visitor")
	if !visitorIDPattern.MatchString(id) {
		writeError(c, http.StatusBadRequest, "visitor ID "+strconv.Quote(id)+" must be 22-64 letters, digits, _ or -, as issued by POST /webchat/v1/visitors")
		return "", false
	}
	return id, true
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

func (s *server) visitorMessage(c *gin.Context) {
	visitor, ok := visitorID(c)
	if !ok {
		return
	}
	var req visitorMessageRequest
	if !decodeJSON(c, &req) {
		return
	}
	req.Text = strings.TrimSpace(req.Text)
	req.Payload = strings.TrimSpace(req.Payload)
	switch {
	case req.Text == "" && req.Payload == "":
		writeError(c, http.StatusBadRequest, "a message needs text or a button payload")
		return
	case !checkTextLength(c, req.Text):
		return
	case len(req.Payload) > maxPayloadBytes:
		writeError(c, http.StatusBadRequest, "payload is longer than "+strconv.Itoa(maxPayloadBytes)+" bytes")
		return
	case utf8.RuneCountInString(req.Name) > 200:
		writeError(c, http.StatusBadRequest, "name is longer than 200 characters")
		return
	case !localePattern.MatchString(req.Locale):
		writeError(c, http.StatusBadRequest, "locale must be a language tag like bg or en-GB, got "+strconv.Quote(req.Locale))
		return
	}
	if req.ID, ok = idOrNew(c, "id", req.ID); !ok {
		return
	}
	ctx, cancel := requestContext(c)
	defer cancel()
	view, duplicate, err := s.Conversations.CustomerMessage(ctx, chat.ChannelWebChat, visitor, workflows.CustomerMessage{
		ID: req.ID, CustomerName: strings.TrimSpace(req.Name), Text: req.Text, Payload: req.Payload, Locale: req.Locale,
	})
	if err != nil {
		s.writeConversationError(c, err)
		return
	}
	s.activity.notify(visitor)
	c.JSON(http.StatusAccepted, gin.H{"message_id": req.ID, "duplicate": duplicate, "state": view.Status})
}

func (s *server) visitorTranscript(c *gin.Context) {
	visitor, ok := visitorID(c)
	if !ok {
		return
	}
	after := int64(0)
	if v := c.Query("after"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			writeError(c, http.StatusBadRequest, "after must be a non-negative message sequence number, got "+strconv.Quote(v))
			return
		}
		after = n
	}
	ctx, cancel := requestContext(c)
	defer cancel()
	messages, err := s.Conversations.Transcript(ctx, chat.ChannelWebChat, visitor, after)
	if err != nil {
		if isNotFound(err) {
			// A visitor who has not written yet simply has no messages.
			c.JSON(http.StatusOK, gin.H{"messages": []chat.Message{}})
			return
		}
		s.writeConversationError(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"messages": messages})
}

type agentRequestBody struct {
	ID string `json:"id"`
}

func (s *server) visitorAgentRequest(c *gin.Context) {
	visitor, ok := visitorID(c)
	if !ok {
		return
	}
	var req agentRequestBody
	if !decodeOptionalJSON(c, &req) {
		return
	}
	if req.ID, ok = idOrNew(c, "id", req.ID); !ok {
		return
	}
	ctx, cancel := requestContext(c)
	defer cancel()
	view, err := s.Conversations.RequestAgent(ctx, chat.ChannelWebChat, visitor, req.ID)
	if err != nil {
		s.writeConversationError(c, err)
		return
	}
	s.activity.notify(visitor)
	c.JSON(http.StatusAccepted, gin.H{"state": view.Status, "agent_requested_at": view.AgentRequestedAt})
}
