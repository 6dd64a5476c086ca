package activities

import (
	"context"
	"fmt"

	"github.com/handoff-chat/handoff/internal/chat"
	"github.com/handoff-chat/handoff/search"
)

// IndexRequest is the input of Search.IndexConversation: customer and staff messages not
// indexed yet, and the conversation as it stands.
type IndexRequest struct {
	Conversation chat.ConversationSummary `json:"conversation"`
	Messages     []chat.Message           `json:"messages"`
}

// Search writes conversations and their messages to the search index.
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
