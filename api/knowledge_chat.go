package api

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/handoff-chat/handoff/internal/chat"
	"github.com/handoff-chat/handoff/internal/knowledge"
	"github.com/handoff-chat/handoff/workflows"
)

// entryFromChatRequest turns a customer's question and a staff reply of one
// conversation into a knowledge-base entry.
type entryFromChatRequest struct {
	// QuestionID is the customer's message; AnswerID the staff message that
	// answered it.
	QuestionID string `json:"question_id"`
	AnswerID   string `json:"answer_id"`
	// ID is the new entry's ID; left out, one is made from the conversation
	// and the question, so a retry puts the same entry.
	ID        string `json:"id"`
	RequestID string `json:"request_id"`
}

// saveEntryFromChat makes a knowledge-base entry of a customer's question
// and a staff member's reply in one action, so the AI answers the next
// customer who asks.
func (s *server) saveEntryFromChat(c *gin.Context) error {
	kb, err := s.knowledgeBase()
	if err != nil {
		return err
	}
	channel, customer, err := conversationKey(c)
	if err != nil {
		return err
	}
	var req entryFromChatRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if req.QuestionID == "" || req.AnswerID == "" {
		return badRequest(`fields "question_id" (the customer's message) and "answer_id" (the staff reply) are required`)
	}
	conv, err := s.Conversations.Get(c.Request.Context(), channel, customer)
	if err != nil {
		return fmt.Errorf("read the conversation: %w", err)
	}
	question, err := transcriptMessage(conv.Messages, req.QuestionID, chat.SenderCustomer, "question_id")
	if err != nil {
		return err
	}
	answer, err := transcriptMessage(conv.Messages, req.AnswerID, chat.SenderStaff, "answer_id")
	if err != nil {
		return err
	}
	entry := knowledge.Entry{
		ID:       req.ID,
		Lang:     chat.ReplyLanguage(question.Text, conv.Locale, conv.Language),
		Question: strings.TrimSpace(question.Text),
		Answer:   strings.TrimSpace(answer.Text),
	}
	if entry.ID == "" {
		entry.ID = chatEntryID(workflows.ConversationWorkflowID(channel, customer), question.ID)
	}
	if entry.Lang == "" {
		entry.Lang = "en"
	}
	for _, b := range answer.Buttons {
		if b.URL != "" && len(entry.Links) < knowledge.MaxLinks {
			entry.Links = append(entry.Links, knowledge.Link{Title: b.Title, URL: b.URL})
		}
	}
	if err := entry.Validate(); err != nil {
		return badRequest("the question and reply do not make an entry: " + strings.ReplaceAll(err.Error(), "\n", "; "))
	}
	requestID := req.RequestID
	if requestID == "" {
		requestID = "from-chat-" + entry.ID
	}
	if requestID, err = idOrNew("request_id", requestID); err != nil {
		return err
	}
	res, err := kb.Put(c.Request.Context(), staffName(c), requestID, entry, 0)
	if err != nil {
		return fmt.Errorf("put knowledge entry %s from a conversation: %w", entry.ID, err)
	}
	c.JSON(putStatus(res), gin.H{"entry": entry, "outcome": res.Outcome})
	return nil
}

// transcriptMessage finds a message by sender among the conversation's kept
// messages.
func transcriptMessage(msgs []chat.Message, id string, sender chat.Sender, field string) (chat.Message, error) {
	for _, m := range msgs {
		if m.ID == id && m.Sender == sender {
			if strings.TrimSpace(m.Text) == "" {
				return chat.Message{}, badRequest(fmt.Sprintf("%s: message %s has no text", field, chat.Quote(id)))
			}
			return m, nil
		}
	}
	return chat.Message{}, badRequest(fmt.Sprintf("%s: no %s message %s among the conversation's recent messages", field, sender, chat.Quote(id)))
}

// chatEntryID is the stable ID of an entry made from a conversation's question.
func chatEntryID(conversationID, questionID string) string {
	sum := sha256.Sum256([]byte(conversationID + "\x00" + questionID))
	return "chat-" + hex.EncodeToString(sum[:8])
}
