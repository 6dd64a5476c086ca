package api

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/handoff-chat/handoff/internal/conversations"
	"github.com/handoff-chat/handoff/workflows"
)

func isNotFound(err error) bool { return errors.Is(err, conversations.ErrNotFound) }

var knownChannels = map[string]bool{workflows.ChannelWebChat: true, workflows.ChannelMessenger: true}

// conversationKey reads and checks the :channel and :customer path parameters.
func conversationKey(c *gin.Context) (channel, customer string, ok bool) {
	channel, customer = c.Param("channel"), c.Param("customer")
	if !knownChannels[channel] {
		writeError(c, http.StatusNotFound, "unknown channel "+strconv.Quote(channel)+"; channels are webchat and messenger")
		return "", "", false
	}
	if customer == "" || utf8.RuneCountInString(customer) > 128 {
		writeError(c, http.StatusBadRequest, "customer ID must be 1-128 characters")
		return "", "", false
	}
	return channel, customer, true
}

func (s *server) listConversations(c *gin.Context) {
	ctx, cancel := requestContext(c)
	defer cancel()
	list, err := s.Conversations.ListOpen(ctx, strings.TrimSpace(c.Query("name")))
	if err != nil {
		s.writeConversationError(c, err)
		return
	}
	if list == nil {
		list = []conversations.Summary{}
	}
	c.JSON(http.StatusOK, gin.H{"conversations": list})
}

func (s *server) getConversation(c *gin.Context) {
	channel, customer, ok := conversationKey(c)
	if !ok {
		return
	}
	ctx, cancel := requestContext(c)
	defer cancel()
	conv, err := s.Conversations.Get(ctx, channel, customer)
	if err != nil {
		s.writeConversationError(c, err)
		return
	}
	c.JSON(http.StatusOK, conv)
}

type liveChatRequest struct {
	On *bool `json:"on"`
}

func (s *server) setLiveChat(c *gin.Context) {
	channel, customer, ok := conversationKey(c)
	if !ok {
		return
	}
	var req liveChatRequest
	if !decodeJSON(c, &req) {
		return
	}
	if req.On == nil {
		writeError(c, http.StatusBadRequest, `field "on" is required: true switches live chat on, false switches it off`)
		return
	}
	ctx, cancel := requestContext(c)
	defer cancel()
	view, err := s.Conversations.SetLiveChat(ctx, channel, customer, *req.On, staffName(c))
	if err != nil {
		s.writeConversationError(c, err)
		return
	}
	c.JSON(http.StatusOK, view)
}

type staffMessageRequest struct {
	// ID is optional; a client that sets it can retry without sending twice.
	ID   string `json:"id"`
	Text string `json:"text"`
}

func (s *server) staffMessage(c *gin.Context) {
	channel, customer, ok := conversationKey(c)
	if !ok {
		return
	}
	var req staffMessageRequest
	if !decodeJSON(c, &req) {
		return
	}
	req.Text = strings.TrimSpace(req.Text)
	switch {
	case req.Text == "":
		writeError(c, http.StatusBadRequest, `field "text" is required and must not be blank`)
		return
	case !checkTextLength(c, req.Text):
		return
	}
	if req.ID, ok = idOrNew(c, "id", req.ID); !ok {
		return
	}
	ctx, cancel := requestContext(c)
	defer cancel()
	view, duplicate, err := s.Conversations.StaffMessage(ctx, channel, customer, workflows.StaffMessage{
		ID: req.ID, Author: staffName(c), Text: req.Text,
	})
	if err != nil {
		s.writeConversationError(c, err)
		return
	}
	c.JSON(http.StatusCreated, gin.H{"message_id": req.ID, "duplicate": duplicate, "conversation": view})
}
