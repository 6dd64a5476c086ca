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
	msgs := req.SearchMessages()
	if err := a.Index.IndexMessages(ctx, msgs); err != nil {
		return fmt.Errorf("index %d messages of %s: %w", len(msgs), req.Conversation.ID, err)
	}
	err := a.Index.UpsertConversation(ctx, req.Conversation)
	if err != nil {
		return fmt.Errorf("index conversation %s: %w", req.Conversation.ID, err)
	}
	return nil
}

// SearchMessages are the request's messages as the index stores them: the
// customer's and staff's, never the bot's, each with the conversation's
// identity and, on a customer message, the AI's marker. Rebuilding the
// index (internal/reindex) maps recorded requests with it too, so a rebuilt
// message is the one the activity wrote.
func (req IndexRequest) SearchMessages() []search.Message {
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
	return msgs
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
	if err := a.Index.UpsertKnowledge(ctx, req.Doc()); err != nil {
		return fmt.Errorf("index knowledge entry %s revision %d: %w", req.ID, req.Revision, err)
	}
	return nil
}

// Doc is the entry as the index stores it: the entry at its revision, or
// the tombstone of a deleted one.
func (req KnowledgeIndexRequest) Doc() search.KnowledgeDoc {
	doc := search.KnowledgeDoc{Entry: knowledge.Entry{ID: req.ID}, Revision: req.Revision, Deleted: req.Entry == nil}
	if req.Entry != nil {
		doc.Entry = *req.Entry
	}
	return doc
}
