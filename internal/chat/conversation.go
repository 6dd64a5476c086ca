package chat

import (
	"strings"
	"time"
)

// Conversation is one customer's conversation on one channel as staff see
// it: who, where it stands, its deadlines and the alerts sent about it.
type Conversation struct {
	ID                string     `json:"id"`
	Channel           string     `json:"channel"`
	CustomerID        string     `json:"customer_id"`
	CustomerName      string     `json:"customer_name,omitempty"`
	Status            Status     `json:"state"`
	AIEnabled         bool       `json:"ai_enabled"`
	WindowClosesAt    time.Time  `json:"window_closes_at"`
	LiveChatExpiresAt *time.Time `json:"live_chat_expires_at,omitempty"`
	AgentRequestedAt  *time.Time `json:"agent_requested_at,omitempty"`
	// HumanAgentUntil is set while staff may still answer with the
	// HUMAN_AGENT tag after the window closed.
	HumanAgentUntil *time.Time `json:"human_agent_until,omitempty"`
	// PageID is the Messenger page the customer wrote to.
	PageID string `json:"page_id,omitempty"`
	// Locale is the customer's language as the channel last reported it.
	Locale string `json:"locale,omitempty"`
	// Language is the customer's language as the conversation remembers it
	// (a primary language code such as "bg"): from their text, the language
	// of a flow button they pressed, or the channel's locale. Bot replies,
	// acknowledgements and flow blocks staff send use it.
	Language string `json:"language,omitempty"`
	// Notifications are the latest alerts to the business about this
	// customer asking for a human, newest last, with how each fared.
	Notifications []Notification `json:"notifications,omitempty"`
	// InactivityTimeout is the live-chat timeout in force when the
	// countdown last (re)started.
	InactivityTimeout time.Duration `json:"-"`
	LastMessageSeq    int64         `json:"last_message_seq"`
}

// Summary is the conversation as the search index keeps it for the staff
// list and name search, as of updatedAt.
func (c Conversation) Summary(lastMessageAt, updatedAt time.Time) ConversationSummary {
	staffDeadline := c.WindowClosesAt
	if c.HumanAgentUntil != nil && c.HumanAgentUntil.After(staffDeadline) {
		staffDeadline = *c.HumanAgentUntil
	}
	return ConversationSummary{
		ID:                c.ID,
		Channel:           c.Channel,
		CustomerID:        c.CustomerID,
		CustomerName:      c.CustomerName,
		State:             c.Status,
		LastMessageAt:     lastMessageAt,
		WindowClosesAt:    c.WindowClosesAt,
		AgentRequestedAt:  c.AgentRequestedAt,
		LiveChatExpiresAt: c.LiveChatExpiresAt,
		HumanAgentUntil:   c.HumanAgentUntil,
		StaffDeadline:     staffDeadline,
		UpdatedAt:         updatedAt,
	}
}

// ConversationSummary is the per-conversation document of the search index,
// behind the staff list and name search.
type ConversationSummary struct {
	ID                string     `json:"id"`
	Channel           string     `json:"channel"`
	CustomerID        string     `json:"customer_id"`
	CustomerName      string     `json:"customer_name"`
	State             Status     `json:"state"`
	LastMessageAt     time.Time  `json:"last_message_at"`
	WindowClosesAt    time.Time  `json:"window_closes_at"`
	AgentRequestedAt  *time.Time `json:"agent_requested_at,omitempty"`
	LiveChatExpiresAt *time.Time `json:"live_chat_expires_at,omitempty"`
	// HumanAgentUntil is set while staff may still answer with the
	// HUMAN_AGENT tag after the window closed.
	HumanAgentUntil *time.Time `json:"human_agent_until,omitempty"`
	// StaffDeadline is when staff can no longer write: the window close, or
	// the end of the HUMAN_AGENT period when that is later. The staff list
	// shows conversations until then.
	StaffDeadline time.Time `json:"staff_deadline"`
	// UpdatedAt orders writes: a write older than the stored document is
	// ignored, so a retried or late activity never rolls the projection back.
	UpdatedAt time.Time `json:"updated_at"`
	// LastSeq is the sequence number of the transcript's latest message
	// (any sender): a change feed that sees it move reads the new messages.
	LastSeq int64 `json:"last_seq"`
	// LastCustomerSeq and LastStaffSeq are the sequence numbers of the
	// latest customer and staff messages (0: none among the recent ones):
	// customer messages after the last staff reply, or after what a staff
	// member last saw, are unread.
	LastCustomerSeq int64 `json:"last_customer_seq,omitempty"`
	LastStaffSeq    int64 `json:"last_staff_seq,omitempty"`
	// Preview is the start of the latest customer or staff message, for the
	// staff list, and PreviewSender who wrote it.
	Preview       string `json:"preview,omitempty"`
	PreviewSender Sender `json:"preview_sender,omitempty"`
	// IndexedAt is when the search backend stored this version of the
	// document; the change feed follows it. Set by the backend.
	IndexedAt time.Time `json:"indexed_at"`
	// Recent are the transcript's newest messages (at most RecentKept, of
	// every sender, with their delivery and AI markers as they stand), so
	// a change feed passes on what changed without reading the transcript
	// from the conversation. Stored, not searched; never shown in a list
	// (WithoutRecent).
	Recent []Message `json:"recent,omitempty"`
}

// RecentKept is how many of the newest messages a conversation document
// carries in Recent.
const RecentKept = 10

// WithoutRecent is the document as lists show it: without the messages.
func (c ConversationSummary) WithoutRecent() ConversationSummary {
	c.Recent = nil
	return c
}

// PreviewRunes caps ConversationSummary.Preview.
const PreviewRunes = 140

// PreviewOf is the start of text for the staff list: at most PreviewRunes
// characters, white space runs folded to one space, an ellipsis when cut.
func PreviewOf(text string) string {
	text = strings.Join(strings.Fields(text), " ")
	r := []rune(text)
	if len(r) <= PreviewRunes {
		return text
	}
	return string(r[:PreviewRunes-1]) + "…"
}

// NotificationMedium is how the business is alerted.
type NotificationMedium string

const (
	MediumEmail NotificationMedium = "email"
	MediumSMS   NotificationMedium = "sms"
)

// NotificationStatus is where one alert stands.
type NotificationStatus string

const (
	// NotificationSending: being sent, or retried after a temporary failure.
	NotificationSending NotificationStatus = "sending"
	NotificationSent    NotificationStatus = "sent"
	// NotificationFailed: failed for good; Reason says why.
	NotificationFailed NotificationStatus = "failed"
	// NotificationSkipped: not sent on purpose (cooldown, nothing
	// configured); Reason says why.
	NotificationSkipped NotificationStatus = "skipped"
)

// Notification is how one alert about a request for a human fared.
type Notification struct {
	// RequestID is the message or request with which the customer asked.
	RequestID   string    `json:"request_id"`
	RequestedAt time.Time `json:"requested_at"`
	// Medium is email or sms; empty when nothing was sent at all.
	Medium NotificationMedium `json:"medium,omitempty"`
	To     string             `json:"to,omitempty"`
	Status NotificationStatus `json:"status"`
	Reason string             `json:"reason,omitempty"`
	// At is when the status was last set.
	At time.Time `json:"at"`
}
