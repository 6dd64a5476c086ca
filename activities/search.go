package activities

import (
	"context"
	"fmt"

	"github.com/handoff-chat/handoff/search"
	"github.com/handoff-chat/handoff/workflows"
)

// Search writes conversations and their messages to the search index.
type Search struct {
	Index search.Index
}

// IndexConversation stores the messages (by their channel message IDs) and the
// conversation document. Both writes replace what a previous attempt wrote,
// and an older conversation document never replaces a newer one, so retries
// are harmless.
func (a *Search) IndexConversation(ctx context.Context, req workflows.IndexRequest) error {
	msgs := make([]search.Message, 0, len(req.Messages))
	for _, m := range req.Messages {
		if m.Sender == workflows.SenderBot {
			continue // staff do not see the bot's chatter in a conversation
		}
		msgs = append(msgs, search.Message{
			ID:             m.ID,
			ConversationID: req.Conversation.ID,
			Channel:        req.Conversation.Channel,
			CustomerID:     req.Conversation.CustomerID,
			Sender:         string(m.Sender),
			Author:         m.Author,
			Text:           m.Text,
			Attachments:    attachmentURLs(m.Attachments),
			SentAt:         m.SentAt,
		})
	}
	if err := a.Index.IndexMessages(ctx, msgs); err != nil {
		return fmt.Errorf("index %d messages of %s: %w", len(msgs), req.Conversation.ID, err)
	}
	d := req.Conversation
	err := a.Index.UpsertConversation(ctx, search.Conversation{
		ID:                d.ID,
		Channel:           d.Channel,
		CustomerID:        d.CustomerID,
		CustomerName:      d.CustomerName,
		State:             string(d.State),
		LastMessageAt:     d.LastMessageAt,
		WindowClosesAt:    d.WindowClosesAt,
		AgentRequestedAt:  d.AgentRequestedAt,
		LiveChatExpiresAt: d.LiveChatExpiresAt,
		UpdatedAt:         d.UpdatedAt,
	})
	if err != nil {
		return fmt.Errorf("index conversation %s: %w", d.ID, err)
	}
	return nil
}

func attachmentURLs(as []workflows.Attachment) []string {
	var urls []string
	for _, a := range as {
		urls = append(urls, a.URL)
	}
	return urls
}
