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
func conversationKey(c *gin.Context) (channel, customer string, err error) {
	channel, customer = c.Param("channel"), c.Param("customer")
	if !knownChannels[channel] {
		return "", "", notFound("unknown channel " + strconv.Quote(channel) + "; channels are webchat and messenger")
	}
	if customer == "" || utf8.RuneCountInString(customer) > 128 {
		return "", "", badRequest("customer ID must be 1-128 characters")
	}
	return channel, customer, nil
}

// conversationRow is one row of the staff list.
type conversationRow struct {
	chat.ConversationSummary
	AgentRequested bool `json:"agent_requested"`
}

// listConversations lists customers whose messaging window is open, from the
// search index: those who asked for a human first, then by last message.
func (s *server) listConversations(c *gin.Context) error {
	limit, err := intParam(c, "limit", 200, 1, 1000)
	if err != nil {
		return err
	}
	list, err := s.Search.SearchConversations(c.Request.Context(), search.ConversationQuery{
		Name: strings.TrimSpace(c.Query("name")), OpenAt: time.Now(), Size: limit,
	})
	if err != nil {
		return fmt.Errorf("list conversations: %w", err)
	}
	rows := make([]conversationRow, 0, len(list))
	for _, conv := range list {
		rows = append(rows, conversationRow{ConversationSummary: conv, AgentRequested: conv.AgentRequestedAt != nil})
	}
	c.JSON(http.StatusOK, gin.H{"conversations": rows})
	return nil
}

// searchConversation finds messages of one conversation by keyword.
func (s *server) searchConversation(c *gin.Context) error {
	channel, customer, err := conversationKey(c)
	if err != nil {
		return err
	}
	query, err := messageQuery(c)
	if err != nil {
		return err
	}
	ctx := c.Request.Context()
	if err := s.Conversations.Exists(ctx, channel, customer); err != nil {
		return fmt.Errorf("search a conversation: %w", err)
	}
	query.ConversationID = workflows.ConversationWorkflowID(channel, customer)
	res, err := s.Search.SearchMessages(ctx, query)
	if err != nil {
		return fmt.Errorf("search %s: %w", query.ConversationID, err)
	}
	c.JSON(http.StatusOK, gin.H{"total": res.Total, "page": query.Page, "size": query.Size, "hits": res.Hits})
	return nil
}

// messageQuery reads the q, sort, page and size query parameters.
func messageQuery(c *gin.Context) (search.MessageQuery, error) {
	q := strings.TrimSpace(c.Query("q"))
	if q == "" {
		return search.MessageQuery{}, badRequest(`query parameter "q" is required: the words to find`)
	}
	sort := search.Sort(c.DefaultQuery("sort", string(search.SortNewest)))
	if sort != search.SortNewest && sort != search.SortRelevance {
		return search.MessageQuery{}, badRequest(`sort must be "newest" or "relevance", got ` + strconv.Quote(string(sort)))
	}
	pageNo, err := intParam(c, "page", 1, 1, 1000)
	if err != nil {
		return search.MessageQuery{}, err
	}
	size, err := intParam(c, "size", 20, 1, search.MaxPageSize)
	if err != nil {
		return search.MessageQuery{}, err
	}
	return search.MessageQuery{Text: q, Sort: sort, Page: pageNo, Size: size}, nil
}

// intParam reads an optional integer query parameter within [lo, hi].
func intParam(c *gin.Context, name string, def, lo, hi int) (int, error) {
	v := c.Query(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, badRequest(fmt.Sprintf("%s must be a whole number from %d to %d, got %q", name, lo, hi, v))
	}
	return n, nil
}

func (s *server) getConversation(c *gin.Context) error {
	channel, customer, err := conversationKey(c)
	if err != nil {
		return err
	}
	conv, err := s.Conversations.Get(c.Request.Context(), channel, customer)
	if err != nil {
		return fmt.Errorf("read conversation: %w", err)
	}
	c.JSON(http.StatusOK, conv)
	return nil
}

type liveChatRequest struct {
	On *bool `json:"on"`
}

func (s *server) setLiveChat(c *gin.Context) error {
	channel, customer, err := conversationKey(c)
	if err != nil {
		return err
	}
	var req liveChatRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if req.On == nil {
		return badRequest(`field "on" is required: true switches live chat on, false switches it off`)
	}
	view, err := s.Conversations.SetLiveChat(c.Request.Context(), channel, customer, *req.On, staffName(c))
	if err != nil {
		return fmt.Errorf("switch live chat: %w", err)
	}
	c.JSON(http.StatusOK, view)
	return nil
}

type staffMessageRequest struct {
	// ID is optional; a client that sets it can retry without sending twice.
	ID          string            `json:"id"`
	Text        string            `json:"text"`
	Attachments []chat.Attachment `json:"attachments"`
	Buttons     []chat.Button     `json:"buttons"`
}

// check trims the message, says what is wrong with it, if anything, and
// fills in defaults.
func (req *staffMessageRequest) check() error {
	req.Text = strings.TrimSpace(req.Text)
	if req.Text == "" && len(req.Attachments) == 0 {
		return badRequest(`field "text" (or an image in "attachments") is required and must not be blank`)
	}
	if err := checkTextLength(req.Text); err != nil {
		return err
	}
	if len(req.Attachments) > 10 || len(req.Buttons) > 13 {
		return badRequest("a message carries at most 10 attachments and 13 buttons")
	}
	for i := range req.Attachments {
		if req.Attachments[i].Type == "" {
			req.Attachments[i].Type = "image"
		}
	}
	var err error
	req.ID, err = idOrNew("id", req.ID)
	return err
}

func (s *server) staffMessage(c *gin.Context) error {
	channel, customer, err := conversationKey(c)
	if err != nil {
		return err
	}
	var req staffMessageRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if err := req.check(); err != nil {
		return err
	}
	return s.sendStaffMessage(c, channel, customer, workflows.StaffMessage{
		ID: req.ID, Author: staffName(c), Content: chat.Content{Text: req.Text, Attachments: req.Attachments, Buttons: req.Buttons},
	})
}

// sendStaffMessage records a staff message and answers 201 with the
// conversation; the workflow checks the content and the window.
func (s *server) sendStaffMessage(c *gin.Context, channel, customer string, msg workflows.StaffMessage) error {
	view, duplicate, err := s.Conversations.StaffMessage(c.Request.Context(), channel, customer, msg)
	if err != nil {
		return fmt.Errorf("staff message: %w", err)
	}
	if channel == chat.ChannelWebChat {
		s.activity.notify(customer)
	}
	c.JSON(http.StatusCreated, gin.H{"message_id": msg.ID, "duplicate": duplicate, "conversation": view})
	return nil
}
