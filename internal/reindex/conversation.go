package reindex

import (
	"github.com/handoff-chat/handoff/activities"
	"github.com/handoff-chat/handoff/internal/chat"
	"github.com/handoff-chat/handoff/search"
	"github.com/handoff-chat/handoff/workflows"
)

// Conversation is one conversation as the index held it: every message the
// workflow indexed over all its runs, each as it was written last, and the
// newest conversation document.
type Conversation struct {
	ID       string
	Messages []search.Message
	// Document is the newest conversation document; nil when no run wrote
	// one (every run's replay failed, say).
	Document *chat.ConversationSummary
	// Carried counts the messages taken from the state a run started with
	// because the runs that indexed them are gone (see Carry).
	Carried int

	at map[string]int // message Key -> index in Messages
}

// NewConversation starts the rebuild of the conversation with workflow ID id.
func NewConversation(id string) *Conversation {
	return &Conversation{ID: id, at: map[string]int{}}
}

// Add applies one recorded write, as the index applied it: a message
// written again replaces itself (keeping its place), and a document
// replaces the one kept unless that one is newer. Writes are added in the
// order the runs made them.
func (c *Conversation) Add(req activities.IndexRequest) {
	c.addMessages(req.SearchMessages())
	if c.Document == nil || !req.Conversation.UpdatedAt.Before(c.Document.UpdatedAt) {
		doc := req.Conversation
		c.Document = &doc
	}
}

// Carry adds the customer and staff messages of the transcript a run
// started with, when the runs before it are no longer in Temporal (closed
// runs are deleted after the namespace's retention): the workflow carries
// its last messages across continue-as-new, so those come back even when
// the runs that indexed them are gone. Called before the run's own writes,
// which replace what it adds.
func (c *Conversation) Carry(state *workflows.ConversationState) {
	if state == nil {
		return
	}
	req := activities.IndexRequest{
		Conversation: chat.ConversationSummary{ID: c.ID, Channel: state.Channel, CustomerID: state.CustomerID},
		Messages:     state.Transcript,
	}
	before := len(c.Messages)
	c.addMessages(req.SearchMessages())
	c.Carried += len(c.Messages) - before
}

func (c *Conversation) addMessages(msgs []search.Message) {
	for _, m := range msgs {
		key := m.Key()
		if i, ok := c.at[key]; ok {
			c.Messages[i] = m
			continue
		}
		c.at[key] = len(c.Messages)
		c.Messages = append(c.Messages, m)
	}
}
