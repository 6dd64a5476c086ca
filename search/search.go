// Package search makes every customer and staff message, and every
// conversation, findable by staff (keyword search within one conversation,
// customer search by name, in Bulgarian and English), and holds the AI's
// knowledge base for retrieval. One interface, two backends: Bleve
// (embedded, files under the data directory; the default) and Elasticsearch
// 8. The conformance suite in search/searchtest runs against both.
package search

import (
	"context"
	"errors"
	"time"

	"github.com/handoff-chat/handoff/internal/chat"
)

// ErrUnavailable wraps errors of a backend that cannot be reached; callers
// retry (activities) or answer 503 (API).
var ErrUnavailable = errors.New("search backend unavailable")

// Message is one indexed customer or staff message. ID is the channel's
// message ID (customer) or the ID staff gave it; with the conversation and
// the sender it makes the document's Key, so indexing the same message again
// replaces it.
type Message struct {
	ID             string    `json:"id"`
	ConversationID string    `json:"conversation_id"`
	Channel        string    `json:"channel"`
	CustomerID     string    `json:"customer_id"`
	Sender         string    `json:"sender"` // customer | staff
	Author         string    `json:"author,omitempty"`
	Text           string    `json:"text"`
	Links          []string  `json:"links,omitempty"`
	Attachments    []string  `json:"attachments,omitempty"`
	TemplateID     string    `json:"template_id,omitempty"`
	SentAt         time.Time `json:"sent_at"`
	// The AI marker of a customer message (chat.AIAnswer): the entry that
	// answered, its score, a decline and its reason, and what the customer
	// did next.
	AIEntryID       string  `json:"ai_entry_id,omitempty"`
	AIScore         float64 `json:"ai_score,omitempty"`
	AIDeclined      bool    `json:"ai_declined,omitempty"`
	AIReason        string  `json:"ai_reason,omitempty"`
	AIHelped        bool    `json:"ai_helped,omitempty"`
	AIAskedForHuman bool    `json:"ai_asked_for_human,omitempty"`
}

// Key is the message's document key: a customer's and a staff member's
// message with the same ID, or messages of two conversations with the same
// ID, are different documents.
func (m Message) Key() string { return m.ConversationID + "/" + m.Sender + "/" + m.ID }

// Sort orders message search results.
type Sort string

const (
	SortNewest    Sort = "newest"
	SortRelevance Sort = "relevance"
)

// MessageQuery searches the messages of one conversation.
type MessageQuery struct {
	ConversationID string
	Text           string
	Sort           Sort
	// Page counts from 1; Size is at most MaxPageSize.
	Page, Size int
}

// Page sizes.
const (
	// MaxPageSize caps one page of message results.
	MaxPageSize            = 100
	defaultMessagePageSize = 20
	maxConversations       = 1000
	defaultConversations   = 50
)

// Window is how many hits to return and how many to skip, with Size
// defaulting to 20 and capped at MaxPageSize, and Page counting from 1.
func (q MessageQuery) Window() (size, from int) {
	size = q.Size
	if size <= 0 {
		size = defaultMessagePageSize
	}
	size = min(size, MaxPageSize)
	return size, (max(q.Page, 1) - 1) * size
}

// MessageHit is one matching message with highlighted fragments of its text:
// matched words are wrapped in <mark></mark>, everything else is HTML-escaped.
type MessageHit struct {
	Message    Message  `json:"message"`
	Highlights []string `json:"highlights"`
	Score      float64  `json:"score"`
}

// MessageResults is one page of message hits.
type MessageResults struct {
	Total int          `json:"total"`
	Hits  []MessageHit `json:"hits"`
}

// ConversationQuery lists conversations, optionally by customer name.
type ConversationQuery struct {
	// Name matches customer names word by word, by prefix, ignoring case and
	// diacritics; Cyrillic names are also found by their Latin transliteration.
	Name string
	// OpenAt keeps conversations staff can still write to after it: whose
	// staff deadline (the window close, or the end of the HUMAN_AGENT period)
	// is later (zero = all).
	OpenAt time.Time
	Size   int
}

// Limit is Size, defaulting to 50 and capped at 1000.
func (q ConversationQuery) Limit() int {
	if q.Size <= 0 {
		return defaultConversations
	}
	return min(q.Size, maxConversations)
}

// Decline reasons that are no unanswered question: greetings and thanks, and
// a request for a person.
const (
	ReasonSmallTalk    = "out_of_scope:small_talk"
	ReasonHumanRequest = "out_of_scope:human_request"
)

// MaxChanged caps what ConversationsChangedSince returns at once.
const MaxChanged = 1000

// ChangedLimit is limit for ConversationsChangedSince: MaxChanged when not
// positive, and at most MaxChanged.
func ChangedLimit(limit int) int {
	if limit <= 0 {
		return MaxChanged
	}
	return min(limit, MaxChanged)
}

// MaxDeclined caps DeclinedQuery.Size.
const MaxDeclined = 1000

// DeclinedQuery lists customer messages the AI declined to answer, except
// small talk and requests for a human, newest first.
type DeclinedQuery struct {
	// Since keeps messages sent at or after it (zero = all).
	Since time.Time
	// Size defaults to and is capped at MaxDeclined.
	Size int
}

// Limit is Size, defaulting to and capped at MaxDeclined.
func (q DeclinedQuery) Limit() int {
	if q.Size <= 0 {
		return MaxDeclined
	}
	return min(q.Size, MaxDeclined)
}

// EntryStats counts, for one knowledge-base entry, the customer messages it
// answered, how many of them the customer marked as helped, and after how
// many the customer asked for a human.
type EntryStats struct {
	EntryID       string `json:"entry_id"`
	Answered      int    `json:"answered"`
	Helped        int    `json:"helped"`
	AskedForHuman int    `json:"asked_for_human"`
}

// TemplateSends is how many staff messages were made from one template.
type TemplateSends struct {
	TemplateID string `json:"template_id"`
	Sent       int    `json:"sent"`
}

// MaxStatsEntries caps how many entries EntryStats (and templates
// TemplateSends) reports.
const MaxStatsEntries = 10000

// Index is a search backend.
type Index interface {
	// IndexMessages stores messages; storing one again (the same Key)
	// replaces it. The messages are searchable within about a second.
	IndexMessages(ctx context.Context, msgs []Message) error
	// UpsertConversation stores the conversation document unless a newer one
	// (by UpdatedAt) is already stored.
	UpsertConversation(ctx context.Context, c chat.ConversationSummary) error
	SearchMessages(ctx context.Context, q MessageQuery) (MessageResults, error)
	// SearchConversations returns agent-requested conversations first (oldest
	// request first), then the rest by last message, newest first.
	SearchConversations(ctx context.Context, q ConversationQuery) ([]chat.ConversationSummary, error)
	// ConversationsChangedSince returns up to limit (capped at
	// MaxChanged) conversation documents whose IndexedAt is at or after
	// since, in IndexedAt order: what the change feed follows. A document
	// can become visible a little after its IndexedAt (Elasticsearch's
	// refresh, clocks of several writers), so a follower reads again from a
	// little before the last stamp it saw.
	ConversationsChangedSince(ctx context.Context, since time.Time, limit int) ([]chat.ConversationSummary, error)
	// DeclinedQuestions returns the customer messages the AI declined to
	// answer (AIDeclined), except small talk and requests for a human, newest
	// first.
	DeclinedQuestions(ctx context.Context, q DeclinedQuery) ([]Message, error)
	// EntryStats counts the answers of each entry (AIEntryID) that answered
	// a message and was not declined, ordered by entry ID; at most
	// MaxStatsEntries entries.
	EntryStats(ctx context.Context) ([]EntryStats, error)
	// TemplateSends counts the staff messages with each TemplateID (a
	// message indexed again counts once), ordered by template ID; at most
	// MaxStatsEntries templates.
	TemplateSends(ctx context.Context) ([]TemplateSends, error)
	KnowledgeIndex
	Close() error
}
