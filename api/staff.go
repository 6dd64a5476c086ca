package api

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/handoff-chat/handoff/internal/chat"
	"github.com/handoff-chat/handoff/internal/conversations"
	"github.com/handoff-chat/handoff/search"
	"github.com/handoff-chat/handoff/workflows"
)

func isNotFound(err error) bool { return errors.Is(err, conversations.ErrNotFound) }

var knownChannels = map[string]bool{chat.ChannelWebChat: true, chat.ChannelMessenger: true}

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

// conversationRow is one row of the staff list.
type conversationRow struct {
	chat.ConversationSummary
	AgentRequested bool `json:"agent_requested"`
}

// listConversations lists customers whose messaging window is open, from the
// search index: those who asked for a human first, then by last message.
func (s *server) listConversations(c *gin.Context) {
	limit, ok := intParam(c, "limit", 200, 1, 1000)
	if !ok {
		return
	}
	ctx, cancel := requestContext(c)
	defer cancel()
	list, err := s.Search.SearchConversations(ctx, search.ConversationQuery{
		Name: strings.TrimSpace(c.Query("name")), OpenAt: time.Now(), Size: limit,
	})
	if err != nil {
		s.writeConversationError(c, err)
		return
	}
	rows := make([]conversationRow, 0, len(list))
	for _, conv := range list {
		rows = append(rows, conversationRow{ConversationSummary: conv, AgentRequested: conv.AgentRequestedAt != nil})
	}
	c.JSON(http.StatusOK, gin.H{"conversations": rows})
}

// searchConversation finds messages of one conversation by keyword.
func (s *server) searchConversation(c *gin.Context) {
	channel, customer, ok := conversationKey(c)
	if !ok {
		return
	}
	q := strings.TrimSpace(c.Query("q"))
	if q == "" {
		writeError(c, http.StatusBadRequest, `query parameter "q" is required: the words to find`)
		return
	}
	sort := search.Sort(c.DefaultQuery("sort", string(search.SortNewest)))
	if sort != search.SortNewest && sort != search.SortRelevance {
		writeError(c, http.StatusBadRequest, `sort must be "newest" or "relevance", got `+strconv.Quote(string(sort)))
		return
	}
	pageNo, ok := intParam(c, "page", 1, 1, 1000)
	if !ok {
		return
	}
	size, ok := intParam(c, "size", 20, 1, search.MaxPageSize)
	if !ok {
		return
	}
	ctx, cancel := requestContext(c)
	defer cancel()
	if err := s.Conversations.Exists(ctx, channel, customer); err != nil {
		s.writeConversationError(c, err)
		return
	}
	res, err := s.Search.SearchMessages(ctx, search.MessageQuery{
		ConversationID: workflows.ConversationWorkflowID(channel, customer),
		Text:           q, Sort: sort, Page: pageNo, Size: size,
	})
	if err != nil {
		s.writeConversationError(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"total": res.Total, "page": pageNo, "size": size, "hits": res.Hits})
}

// intParam reads an optional integer query parameter within [lo, hi].
func intParam(c *gin.Context, name string, def, lo, hi int) (int, bool) {
	v := c.Query(name)
	if v == "" {
		return def, true
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		writeError(c, http.StatusBadRequest, fmt.Sprintf("%s must be a whole number from %d to %d, got %q", name, lo, hi, v))
		return 0, false
	}
	return n, true
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
	ID          string            `json:"id"`
	Text        string            `json:"text"`
	Attachments []chat.Attachment `json:"attachments"`
	Buttons     []chat.Button     `json:"buttons"`
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
	case req.Text == "" && len(req.Attachments) == 0:
		writeError(c, http.StatusBadRequest, `field "text" (or an image in "attachments") is required and must not be blank`)
		return
	case !checkTextLength(c, req.Text):
		return
	case len(req.Attachments) > 10 || len(req.Buttons) > 13:
		writeError(c, http.StatusBadRequest, "a message carries at most 10 attachments and 13 buttons")
		return
	}
	for i := range req.Attachments {
		if req.Attachments[i].Type == "" {
			req.Attachments[i].Type = "image"
		}
	}
	if req.ID, ok = idOrNew(c, "id", req.ID); !ok {
		return
	}
	s.sendStaffMessage(c, channel, customer, workflows.StaffMessage{
		ID: req.ID, Author: staffName(c), Content: chat.Content{Text: req.Text, Attachments: req.Attachments, Buttons: req.Buttons},
	})
}

// sendStaffMessage records a staff message and answers 201 with the
// conversation; the workflow checks the content and the window.
func (s *server) sendStaffMessage(c *gin.Context, channel, customer string, msg workflows.StaffMessage) {
	ctx, cancel := requestContext(c)
	defer cancel()
	view, duplicate, err := s.Conversations.StaffMessage(ctx, channel, customer, msg)
	if err != nil {
		s.writeConversationError(c, err)
		return
	}
	if channel == chat.ChannelWebChat {
		s.activity.notify(customer)
	}
	c.JSON(http.StatusCreated, gin.H{"message_id": msg.ID, "duplicate": duplicate, "conversation": view})
}
