package workflows

import (
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/handoff-chat/handoff/internal/chat"
)

const (
	// transcriptKept is how many recent messages the workflow state keeps for
	// the web chat and the staff view; the full history stays in Temporal and
	// the search index.
	transcriptKept = 100
	// recentIDsKept is how many recent IDs (of every space, see ids.go) are
	// remembered to recognise retried and redelivered requests.
	recentIDsKept = 500
)

// ConversationState is everything a conversation carries across
// continue-as-new. It is serialized into the next run's input.
type ConversationState struct {
	Channel      string      `json:"channel"`
	CustomerID   string      `json:"customer_id"`
	CustomerName string      `json:"customer_name,omitempty"`
	Status       chat.Status `json:"status"`
	// Window is how long after the customer's last message staff may write.
	Window time.Duration `json:"window"`
	Deadlines
	// InactivityTimeout is the setting that was in force when the countdown last (re)started.
	InactivityTimeout time.Duration `json:"inactivity_timeout"`
	// AgentRequestedAt is when the customer asked for a human; zero when not flagged.
	AgentRequestedAt time.Time      `json:"agent_requested_at"`
	NextSeq          int64          `json:"next_seq"`
	Transcript       []chat.Message `json:"transcript"`
	RecentIDs        []seenID       `json:"recent_ids"`
	// LastMessageAt is the time of the last customer or staff message.
	LastMessageAt time.Time `json:"last_message_at"`
	// PageID is the Messenger page the customer last wrote to; replies go
	// out through it. (A PSID belongs to one page, so it does not change.)
	PageID string `json:"page_id,omitempty"`
	// Locale is the customer's language as the channel last reported it.
	Locale string `json:"locale,omitempty"`
	// Language is the customer's language as the conversation learned it
	// (see learnLanguage); empty while nothing says.
	Language string `json:"language,omitempty"`
	// CustomerWrote says a customer message was recorded in this
	// conversation: the next one is not its first.
	CustomerWrote bool `json:"customer_wrote,omitempty"`
	// LastAnswer is the customer message the AI last answered;
	// HumanOffered says the bot's last reply offered a human.
	LastAnswer   *answered `json:"last_answer,omitempty"`
	HumanOffered bool      `json:"human_offered,omitempty"`
	// ProfileFetched says the customer's name was asked of the channel.
	ProfileFetched bool `json:"profile_fetched,omitempty"`
	// LastAlertAt is when the business was last alerted (for the cooldown);
	// Notifications are the outcomes of the latest alerts.
	LastAlertAt   time.Time           `json:"last_alert_at,omitempty"`
	Notifications []chat.Notification `json:"notifications,omitempty"`

	// The queues' pending work, oldest first: customer events the bot has
	// not reacted to, messages and document changes not in the search index
	// yet, bot and staff messages not yet sent to the channel, the page to
	// fetch the customer's profile from, and requests for a human the
	// business has not been alerted about.
	PendingReplies  []botTask      `json:"pending_replies,omitempty"`
	PendingIndex    []indexTask    `json:"pending_index,omitempty"`
	PendingDelivery []chat.Message `json:"pending_delivery,omitempty"`
	PendingProfile  []string       `json:"pending_profile,omitempty"`
	PendingAlerts   []pendingAlert `json:"pending_alerts,omitempty"`
}

func newConversationState(start ConversationStart, now time.Time) ConversationState {
	window := start.Window
	if window <= 0 {
		window = chat.StandardWindow
	}
	return ConversationState{
		Channel:    start.Channel,
		CustomerID: start.CustomerID,
		Status:     chat.StatusBot,
		Window:     window,
		Deadlines:  Deadlines{WindowClosesAt: now.Add(window)},
		// Numbering starts at the run's start time in microseconds, so
		// sequence numbers keep rising across runs: a web chat client's
		// "after" cursor stays valid when the customer comes back.
		NextSeq: now.UnixMicro(),
	}
}

// recordOutgoing records a bot or staff message and, on channels that are
// sent to, queues it for delivery.
func (c *conversation) recordOutgoing(m chat.Message) chat.Message {
	sent := chat.SentToChannel(c.state.Channel)
	if sent {
		m.Delivery = &chat.Delivery{Status: chat.DeliveryPending}
	}
	m = c.record(m)
	if sent {
		c.delivery.push(m)
	}
	return m
}

// record appends a message to the transcript with the next sequence number;
// customer and staff messages are queued for the search index.
func (c *conversation) record(m chat.Message) chat.Message {
	m.Seq = c.state.NextSeq
	c.state.NextSeq++
	if m.Sender != chat.SenderBot {
		c.state.LastMessageAt = m.SentAt
		c.index.push(indexTask{Message: &m})
	} else {
		// Bot messages are not searchable, but the conversation document
		// records the transcript's latest sequence number, which the change
		// feed follows to the reply.
		c.index.ensurePending(indexTask{})
	}
	c.state.Transcript = append(c.state.Transcript, m)
	if n := len(c.state.Transcript); n > transcriptKept {
		// Drop the oldest by slicing: an append that outgrows the array
		// copies only what is kept, about once per transcriptKept
		// messages, instead of copying the window at every message.
		c.state.Transcript = c.state.Transcript[n-transcriptKept:]
	}
	return m
}

func (c *conversation) transcriptAfter(seq int64) []chat.Message {
	out := []chat.Message{}
	for _, m := range c.state.Transcript {
		if m.Seq > seq {
			out = append(out, m)
		}
	}
	return out
}

// aiEnabled says the bot and the AI answer the customer: live chat is off.
func (c *conversation) aiEnabled() bool { return c.state.Status != chat.StatusLiveChat }

// view is the conversation as staff see it.
func (c *conversation) view() chat.Conversation {
	s := c.state
	v := chat.Conversation{
		ID:                c.workflowID,
		Channel:           s.Channel,
		CustomerID:        s.CustomerID,
		CustomerName:      s.CustomerName,
		Status:            s.Status,
		AIEnabled:         c.aiEnabled(),
		WindowClosesAt:    s.WindowClosesAt,
		LiveChatExpiresAt: timeOrNil(s.LiveChatExpiresAt),
		AgentRequestedAt:  timeOrNil(s.AgentRequestedAt),
		PageID:            s.PageID,
		Locale:            s.Locale,
		Language:          s.Language,
		InactivityTimeout: s.InactivityTimeout,
		LastMessageSeq:    s.NextSeq - 1,
	}
	if len(s.Notifications) > 0 {
		v.Notifications = append([]chat.Notification(nil), s.Notifications...)
	}
	if s.HumanAgentUntil.After(s.WindowClosesAt) {
		v.HumanAgentUntil = timeOrNil(s.HumanAgentUntil)
	}
	return v
}

func timeOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// upsertSearchAttributes publishes the state for the Temporal UI and queues
// the conversation document for the staff list. Only the attributes whose
// value changed are written, so a message that changes nothing but the
// window close writes one.
func (c *conversation) upsertSearchAttributes(ctx workflow.Context) {
	s := c.state
	current := workflow.GetTypedSearchAttributes(ctx)
	var updates []temporal.SearchAttributeUpdate
	keyword := func(key temporal.SearchAttributeKeyKeyword, v string) {
		if old, ok := current.GetKeyword(key); !ok || old != v {
			updates = append(updates, key.ValueSet(v))
		}
	}
	instant := func(key temporal.SearchAttributeKeyTime, v time.Time) {
		old, ok := current.GetTime(key)
		switch {
		case v.IsZero() && ok:
			updates = append(updates, key.ValueUnset())
		case !v.IsZero() && (!ok || !old.Equal(v)):
			updates = append(updates, key.ValueSet(v))
		}
	}
	keyword(SAState, string(s.Status))
	keyword(SAChannel, s.Channel)
	keyword(SACustomerID, s.CustomerID)
	if old, ok := current.GetString(SACustomerName); s.CustomerName != "" && (!ok || old != s.CustomerName) {
		updates = append(updates, SACustomerName.ValueSet(s.CustomerName))
	}
	if old, ok := current.GetBool(SAAgentRequested); !ok || old != !s.AgentRequestedAt.IsZero() {
		updates = append(updates, SAAgentRequested.ValueSet(!s.AgentRequestedAt.IsZero()))
	}
	instant(SAWindowClosesAt, roundUpToStep(s.WindowClosesAt))
	instant(SALiveChatExpiresAt, roundUpToStep(s.LiveChatExpiresAt))
	instant(SAAgentRequestedAt, s.AgentRequestedAt)
	if len(updates) > 0 {
		if err := workflow.UpsertTypedSearchAttributes(ctx, updates...); err != nil {
			workflow.GetLogger(ctx).Error("upsert search attributes", "error", err)
		}
	}
	c.index.ensurePending(indexTask{})
}

// loadSettings reads the settings in force through a local activity, so the
// value is recorded in history and replays the same.
func loadSettings(ctx workflow.Context) (chat.Settings, error) {
	ctx = workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout:    5 * time.Second,
		ScheduleToCloseTimeout: time.Minute,
	})
	var s chat.Settings
	if err := workflow.ExecuteLocalActivity(ctx, settingsActivities.LoadSettings).Get(ctx, &s); err != nil {
		return chat.Settings{}, fmt.Errorf("load settings: %w", err)
	}
	if s.InactivityTimeout <= 0 {
		return chat.Settings{}, errors.New("load settings: inactivity timeout is not set")
	}
	return s, nil
}

func invalidInput(msg string) error {
	return temporal.NewNonRetryableApplicationError(msg, ErrTypeInvalidInput, nil)
}

func wrongState(msg string) error {
	return temporal.NewNonRetryableApplicationError(msg, ErrTypeWrongState, nil)
}

func duplicate(id string) error {
	return temporal.NewNonRetryableApplicationError(fmt.Sprintf("message %q was already received", id), ErrTypeDuplicateMessage, nil)
}

func reusedID(id string) error {
	return temporal.NewNonRetryableApplicationError(fmt.Sprintf("ID %q was already used for a different request", id), ErrTypeReusedID, nil)
}
