package activities

import (
	"context"
	"fmt"

	"github.com/handoff-chat/handoff/internal/chat"
	"github.com/handoff-chat/handoff/internal/knowledge"
	"github.com/handoff-chat/handoff/search"
)

// IndexRequest is the input of Search.IndexConversation: customer and staff messages not
// indexed yet, and the conversation as it stands.
type IndexRequest struct {
	Conversation chat.ConversationSummary `json:"conversation"`
	Messages     []chat.Message           `json:"messages"`
}

// Search writes conversations, their messages and the knowledge base to the
// search index.
type Search struct {
	Index search.Index
}

// IndexConversation stores the messages (by conversation, sender and message
// ID, search.Message.Key) and the conversation document. Both writes replace what a previous attempt wrote,
// and an older conversation document never replaces a newer one, so retries
// are harmless.
func (a *Search) IndexConversation(ctx context.Context, req IndexRequest) error {
	msgs := make([]search.Message, 0, len(req.Messages))
	for _, m := range req.Messages {
		if m.Sender == chat.SenderBot {
			continue // staff do not see the bot's chatter in a conversation
		}
		sm := search.Message{
			ID:             m.ID,
			ConversationID: req.Conversation.ID,
			Channel:        req.Conversation.Channel,
			CustomerID:     req.Conversation.CustomerID,
			Sender:         string(m.Sender),
			Author:         m.Author,
			Text:           m.Text,
			Attachments:    attachmentURLs(m.Attachments),
			TemplateID:     m.TemplateID,
			SentAt:         m.SentAt,
		}
		if ai := m.AI; ai != nil && m.Sender == chat.SenderCustomer {
			sm.AIEntryID = ai.EntryID
			sm.AIScore = ai.Score
			sm.AIDeclined = ai.Declined
			sm.AIReason = ai.Reason
			sm.AIHelped = ai.Helped
			sm.AIAskedForHuman = ai.AskedForHuman
		}
		msgs = append(msgs, sm)
	}
	if err := a.Index.IndexMessages(ctx, msgs); err != nil {
		return fmt.Errorf("index %d messages of %s: %w", len(msgs), req.Conversation.ID, err)
	}
	err := a.Index.UpsertConversation(ctx, req.Conversation)
	if err != nil {
		return fmt.Errorf("index conversation %s: %w", req.Conversation.ID, err)
	}
	return nil
}

func attachmentURLs(as []chat.Attachment) []string {
	var urls []string
	for _, a := range as {
		urls = append(urls, a.URL)
	}
	return urls
}

// KnowledgeIndexRequest is the input of Search.IndexKnowledgeEntry: an
// entry as its workflow holds it after its Revision-th change; a nil Entry
// is a deleted one.
type KnowledgeIndexRequest struct {
	ID       string           `json:"id"`
	Entry    *knowledge.Entry `json:"entry,omitempty"`
	Revision int64            `json:"revision"`
}

// IndexKnowledgeEntry writes the entry, or the tombstone of a deleted one,
// to the index the AI answers from. The index keeps the latest revision, so
// a retried or late write changes nothing.
func (a *Search) IndexKnowledgeEntry(ctx context.Context, req KnowledgeIndexRequest) error {
	doc := search.KnowledgeDoc{Entry: knowledge.Entry{ID: req.ID}, Revision: req.Revision, Deleted: req.Entry == nil}
	if req.Entry != nil {
		doc.Entry = *req.Entry
	}
	if err := a.Index.UpsertKnowledge(ctx, doc); err != nil {
		return fmt.Errorf("index knowledge entry %s revision %d: %w", req.ID, req.Revision, err)
	}
	return nil
}
