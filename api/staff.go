package api

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/handoff-chat/handoff/internal/chat"
	"github.com/handoff-chat/handoff/internal/conversations"
	"github.com/handoff-chat/handoff/internal/templates"
	"github.com/handoff-chat/handoff/search"
	"github.com/handoff-chat/handoff/workflows"
)

func isNotFound(err error) bool { return errors.Is(err, conversations.ErrNotFound) }

var knownChannels = map[string]bool{chat.ChannelWebChat: true, chat.ChannelMessenger: true}

// conversationKey reads and checks the :channel and :customer path parameters.
func conversationKey(c *gin.Context) (channel, customer string, err error) {
	channel, customer = c.Param("channel"), c.Param("customer")
	if !knownChannels[channel] {
		return "", "", notFound("unknown channel " + chat.Quote(channel) + "; channels are webchat and messenger")
	}
	if err := chat.CheckCustomerID("customer ID", channel, customer); err != nil {
		return "", "", badRequest(err.Error())
	}
	return channel, customer, nil
}

// conversationRow is one row of the staff list.
type conversationRow struct {
	chat.ConversationSummary
	AgentRequested bool `json:"agent_requested"`
}

func rowOf(conv chat.ConversationSummary) conversationRow {
	return conversationRow{ConversationSummary: conv.WithoutRecent(), AgentRequested: conv.AgentRequestedAt != nil}
}

// listConversations lists customers whose messaging window is open, from the
// search index: those who asked for a human first, then by last message.
func (s *server) listConversations(c *gin.Context) error {
	limit, err := intParam(c, "limit", 200, 1, 1000)
	if err != nil {
		return err
	}
	name, err := searchWords(c, "name", chat.MaxNameRunes)
	if err != nil {
		return err
	}
	list, err := s.Search.SearchConversations(c.Request.Context(), search.ConversationQuery{
		Name: name, OpenAt: time.Now(), Size: limit,
	})
	if err != nil {
		return fmt.Errorf("list conversations: %w", err)
	}
	rows := make([]conversationRow, 0, len(list))
	for _, conv := range list {
		rows = append(rows, rowOf(conv))
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
	query.ConversationID = workflows.ConversationWorkflowID(channel, customer)
	res, err := s.Search.SearchMessages(ctx, query)
	if err != nil {
		return fmt.Errorf("search %s: %w", query.ConversationID, err)
	}
	// Hits show the conversation exists; only an empty answer asks
	// Temporal whether there is such a conversation (404) or nothing
	// matched, so a search costs Temporal nothing when it finds something.
	if res.Total == 0 {
		if err := s.Conversations.Exists(ctx, channel, customer); err != nil {
			return fmt.Errorf("search a conversation: %w", err)
		}
	}
	c.JSON(http.StatusOK, gin.H{"total": res.Total, "page": query.Page, "size": query.Size, "hits": res.Hits})
	return nil
}

// messageQuery reads the q, sort, page and size query parameters.
func messageQuery(c *gin.Context) (search.MessageQuery, error) {
	q, err := searchWords(c, "q", chat.MaxSearchRunes)
	if err != nil {
		return search.MessageQuery{}, err
	}
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

// searchWords reads the words of a search from query parameter name: at most
// limit characters of one line, trimmed.
func searchWords(c *gin.Context, name string, limit int) (string, error) {
	v := strings.TrimSpace(c.Query(name))
	switch {
	case !utf8.ValidString(v):
		return "", badRequest(name + " is not valid UTF-8")
	case utf8.RuneCountInString(v) > limit:
		return "", badRequest(fmt.Sprintf("%s is longer than %d characters", name, limit))
	case strings.ContainsFunc(v, unicode.IsControl):
		return "", badRequest(name + " must not contain control characters")
	}
	return v, nil
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
	// TemplateID names the library template the message was made from;
	// the template's send counter counts it.
	TemplateID string `json:"template_id"`
}

// content trims the message, fills in defaults and checks it whole (see
// chat.Content.Validate); the error names the field.
func (req *staffMessageRequest) content() (chat.Content, error) {
	content := chat.Content{Text: cleanText(req.Text), Attachments: req.Attachments, Buttons: req.Buttons, TemplateID: req.TemplateID}
	if content.Text == "" && len(content.Attachments) == 0 {
		return content, badRequest(`field "text" (or an image in "attachments") is required and must not be blank`)
	}
	for i := range content.Attachments {
		if content.Attachments[i].Type == "" {
			content.Attachments[i].Type = "image"
		}
	}
	if err := content.Validate(); err != nil {
		return content, badRequest(err.Error())
	}
	var err error
	req.ID, err = idOrNew("id", req.ID)
	return content, err
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
	content, err := req.content()
	if err != nil {
		return err
	}
	if err := s.checkTemplateID(c, content.TemplateID); err != nil {
		return err
	}
	return s.sendStaffMessage(c, channel, customer, workflows.StaffMessage{ID: req.ID, Author: staffName(c), DisplayName: s.displayName(c), Content: content})
}

// checkTemplateID refuses a template_id the library does not hold, so
// every send counted names a template.
func (s *server) checkTemplateID(c *gin.Context, id string) error {
	if id == "" || s.Templates == nil {
		return nil
	}
	if _, err := s.Templates.Get(c.Request.Context(), id); err != nil {
		if errors.Is(err, templates.ErrNotFound) {
			return badRequest("template_id " + chat.Quote(id) + " names no template in the library; GET /api/v1/templates lists them")
		}
		return fmt.Errorf("check template %s: %w", id, err)
	}
	return nil
}

// sendStaffMessage records a staff message and answers 201 with the
// conversation; the workflow checks the content and the window.
func (s *server) sendStaffMessage(c *gin.Context, channel, customer string, msg workflows.StaffMessage) error {
	view, duplicate, err := s.Conversations.StaffMessage(c.Request.Context(), channel, customer, msg)
	if err != nil {
		return fmt.Errorf("staff message: %w", err)
	}
	s.Feed.Touch(workflows.ConversationWorkflowID(channel, customer))
	c.JSON(http.StatusCreated, gin.H{"message_id": msg.ID, "duplicate": duplicate, "conversation": view})
	return nil
}
