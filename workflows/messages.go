package workflows

import (
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
)

// This file is the contract between the API, the worker and Temporal: workflow
// and message names, workflow IDs, search attributes and payload types. Names
// here are part of recorded histories; renaming one breaks replay.

// TaskQueue is the task queue every handoff worker polls.
const TaskQueue = "handoff"

// Workflow type names.
const (
	ConversationWorkflowName = "Conversation"
	SettingsWorkflowName     = "Settings"
)

// Conversation updates and queries.
const (
	// UpdateCustomerMessage records a customer message (used with update-with-start).
	UpdateCustomerMessage = "customer-message"
	// UpdateRequestAgent records that the customer asked for a human.
	UpdateRequestAgent = "request-agent"
	// UpdateSetLiveChat switches live chat on or off.
	UpdateSetLiveChat = "set-live-chat"
	// UpdateStaffMessage records a message from staff and restarts the countdown.
	UpdateStaffMessage = "staff-message"
	// QueryConversation returns a ConversationView.
	QueryConversation = "conversation"
	// QueryTranscript returns the messages after a sequence number.
	QueryTranscript = "transcript"
)

// Activity names, so workflow code needs no import of the activities package.
const (
	// LoadSettingsActivity (local) returns the Settings in force.
	LoadSettingsActivity = "LoadSettings"
	// BotReplyActivity returns what the bot says to a customer event while the
	// AI is on: the seam for the navigation bot and the AI answerer.
	BotReplyActivity = "BotReply"
	// IndexActivity writes messages and the conversation document to the
	// search index.
	IndexActivity = "IndexConversation"
	// DeliverActivity sends a bot or staff message to a channel that is sent
	// to (Messenger).
	DeliverActivity = "DeliverMessage"
	// ProfileActivity fetches the customer's name from the channel.
	ProfileActivity = "FetchCustomerProfile"
	// NotifyEmailActivity emails the business that a customer asks for a human.
	NotifyEmailActivity = "NotifyByEmail"
	// NotifySMSActivity texts the business that a customer asks for a human.
	NotifySMSActivity = "NotifyBySMS"
)

// Settings workflow updates and queries.
const (
	SettingsWorkflowID  = "settings"
	UpdateSettings      = "update-settings"
	QuerySettings       = "settings"
	QuerySettingsChange = "settings-history"
)

// Error types carried by application errors, so callers can tell them apart.
const (
	ErrTypeDuplicateMessage = "DuplicateMessage"
	ErrTypeWrongState       = "WrongState"
	ErrTypeInvalidInput     = "InvalidInput"
	// ErrTypeDeliveryRefused means the channel refused a message for good;
	// the error message is the reason shown to staff.
	ErrTypeDeliveryRefused = "DeliveryRefused"
	// ErrTypeNotificationRefused means an email or SMS to the business
	// failed for good (bad address, rejected, not configured); the error
	// message is the reason shown to staff.
	ErrTypeNotificationRefused = "NotificationRefused"
)

// Messenger's rules for writing to a customer.
const (
	// TagHumanAgent is the Messenger message tag for staff replies after the
	// 24-hour window.
	TagHumanAgent = "HUMAN_AGENT"
	// HumanAgentWindow is how long after the customer's last message staff
	// may answer with TagHumanAgent.
	HumanAgentWindow = 7 * 24 * time.Hour
)

// PayloadTalkToHuman is the button payload with which a customer asks for a human.
const PayloadTalkToHuman = "HANDOFF_TALK_TO_HUMAN"

// PayloadNavigationPrefix starts the payload of a flow button. The bot
// answers such a choice even while staff have live chat on, so a customer can
// navigate on from a block staff sent.
const PayloadNavigationPrefix = "FLOW:"

// Channels.
const (
	ChannelWebChat   = "webchat"
	ChannelMessenger = "messenger"
)

// ConversationWorkflowID is the one workflow ID of a customer on a channel.
func ConversationWorkflowID(channel, customerID string) string {
	return "conversation/" + channel + "/" + customerID
}

// ParseConversationWorkflowID splits a workflow ID made by ConversationWorkflowID.
func ParseConversationWorkflowID(id string) (channel, customerID string, err error) {
	rest, ok := strings.CutPrefix(id, "conversation/")
	if !ok {
		return "", "", fmt.Errorf("workflow ID %q does not start with conversation/", id)
	}
	channel, customerID, ok = strings.Cut(rest, "/")
	if !ok || channel == "" || customerID == "" {
		return "", "", fmt.Errorf("workflow ID %q is not conversation/<channel>/<customer id>", id)
	}
	return channel, customerID, nil
}

// Status is where a conversation stands.
type Status string

const (
	StatusBot            Status = "bot"
	StatusAgentRequested Status = "agent_requested"
	StatusLiveChat       Status = "live_chat"
)

// Sender says who wrote a message.
type Sender string

const (
	SenderCustomer Sender = "customer"
	SenderStaff    Sender = "staff"
	SenderBot      Sender = "bot"
)

// Custom search attributes set on conversation workflows, for auditors
// filtering in the Temporal UI and for the staff list.
var (
	SAState             = temporal.NewSearchAttributeKeyKeyword("HandoffState")
	SAChannel           = temporal.NewSearchAttributeKeyKeyword("HandoffChannel")
	SACustomerID        = temporal.NewSearchAttributeKeyKeyword("HandoffCustomerID")
	SACustomerName      = temporal.NewSearchAttributeKeyString("HandoffCustomerName")
	SAWindowClosesAt    = temporal.NewSearchAttributeKeyTime("HandoffWindowClosesAt")
	SALiveChatExpiresAt = temporal.NewSearchAttributeKeyTime("HandoffLiveChatExpiresAt")
	SAAgentRequestedAt  = temporal.NewSearchAttributeKeyTime("HandoffAgentRequestedAt")
	SAAgentRequested    = temporal.NewSearchAttributeKeyBool("HandoffAgentRequested")
)

// Message is one entry of a conversation transcript.
type Message struct {
	// Seq orders a customer's messages on a channel. It rises with every
	// message, across continue-as-new and across runs (a new run starts
	// numbering at its start time in microseconds).
	Seq int64 `json:"seq"`
	// ID is the channel's message ID (customer) or the ID the API gave it (staff, bot).
	ID     string `json:"id"`
	Sender Sender `json:"sender"`
	Author string `json:"author,omitempty"` // staff member who wrote it
	Text   string `json:"text,omitempty"`
	// Payload is the value of a button or quick reply the customer chose.
	Payload string `json:"payload,omitempty"`
	// Attachments the customer sent (images, files, locations as links).
	Attachments []Attachment `json:"attachments,omitempty"`
	// Buttons offered with a bot or staff message.
	Buttons []Button  `json:"buttons,omitempty"`
	SentAt  time.Time `json:"sent_at"`
	// Block is the flow block a bot or staff message was made from.
	Block string `json:"block,omitempty"`
	// Delivery says how a message to the customer fared on channels that
	// are sent to (Messenger); nil on web chat, where the widget reads the
	// transcript.
	Delivery *Delivery `json:"delivery,omitempty"`
}

// Delivery is the outcome of sending a bot or staff message to the channel.
type Delivery struct {
	Status DeliveryStatus `json:"status"`
	// ChannelMessageIDs are the IDs the channel gave the sent messages.
	ChannelMessageIDs []string `json:"channel_message_ids,omitempty"`
	// Tag is the message tag it was sent with (HUMAN_AGENT), if any.
	Tag string `json:"tag,omitempty"`
	// Error says why the message did not reach the customer.
	Error string    `json:"error,omitempty"`
	At    time.Time `json:"at,omitempty"`
}

// DeliveryStatus is where sending a message stands.
type DeliveryStatus string

const (
	DeliveryPending DeliveryStatus = "pending"
	DeliverySent    DeliveryStatus = "sent"
	DeliveryFailed  DeliveryStatus = "failed"
)

// Attachment is a file or link a customer sent.
type Attachment struct {
	Type string `json:"type"` // image, video, audio, file, ...
	URL  string `json:"url"`
}

// Button is a choice offered to the customer: either a payload sent back when
// chosen (a quick reply or postback) or a link opened in the browser.
type Button struct {
	Title   string `json:"title"`
	Payload string `json:"payload,omitempty"`
	// URL makes the button a link.
	URL string `json:"url,omitempty"`
}

// ConversationStart is the workflow input. A new conversation has only the
// identity fields and Window; a continued run also carries State.
type ConversationStart struct {
	Channel    string        `json:"channel"`
	CustomerID string        `json:"customer_id"`
	Window     time.Duration `json:"window"`
	// MaxHistoryEvents continues the run as new once its history reaches this
	// length, in addition to whenever the server suggests it. Zero leaves it to
	// the server.
	MaxHistoryEvents int `json:"max_history_events,omitempty"`
	// State is carried across continue-as-new; nil for a new conversation.
	State *ConversationState `json:"state,omitempty"`
}

// CustomerMessage is the payload of UpdateCustomerMessage.
type CustomerMessage struct {
	ID           string `json:"id"`
	CustomerName string `json:"customer_name,omitempty"`
	// PageID is the Messenger page the customer wrote to.
	PageID string `json:"page_id,omitempty"`
	// Locale is the customer's language as the channel reports it (web chat:
	// the browser's language), e.g. "bg-BG".
	Locale      string       `json:"locale,omitempty"`
	Text        string       `json:"text,omitempty"`
	Payload     string       `json:"payload,omitempty"`
	Attachments []Attachment `json:"attachments,omitempty"`
	// AsksForHuman says the text contains one of the configured phrases
	// with which customers ask for a human ("оператор", "talk to a human").
	AsksForHuman bool `json:"asks_for_human,omitempty"`
}

// StaffMessage is the payload of UpdateStaffMessage.
type StaffMessage struct {
	ID     string `json:"id"`
	Author string `json:"author"`
	Text   string `json:"text"`
	// Attachments are images sent with the text.
	Attachments []Attachment `json:"attachments,omitempty"`
	// Buttons are links or (for a flow block) choices the customer can make.
	Buttons []Button `json:"buttons,omitempty"`
	// Block is the flow block the message was made from, if any.
	Block string `json:"block,omitempty"`
	// Echo marks a message staff sent outside handoff (Messenger's own
	// inbox): it is recorded but not sent again.
	Echo bool `json:"echo,omitempty"`
}

// LiveChatChange is the payload of UpdateSetLiveChat.
type LiveChatChange struct {
	On     bool   `json:"on"`
	Author string `json:"author"`
}

// AgentRequest is the payload of UpdateRequestAgent.
type AgentRequest struct {
	// ID makes a repeated request idempotent (the channel's message or event ID).
	ID string `json:"id"`
}

// BotEvent is what the bot is asked to react to.
type BotEvent string

const (
	// BotEventMessage is a customer message while the AI is on.
	BotEventMessage BotEvent = "message"
	// BotEventAgentRequested is a customer's request for a human.
	BotEventAgentRequested BotEvent = "agent_requested"
)

// BotReplyRequest is the input of BotReplyActivity.
type BotReplyRequest struct {
	ConversationID string   `json:"conversation_id"`
	Channel        string   `json:"channel"`
	CustomerID     string   `json:"customer_id"`
	Event          BotEvent `json:"event"`
	// Message is the customer message the bot reacts to: the message itself
	// (BotEventMessage), or the one with which the customer asked for a human
	// (BotEventAgentRequested; empty when the request came without one).
	Message Message `json:"message"`
	// Locale is the customer's language as last reported by the channel.
	Locale string `json:"locale,omitempty"`
}

// BotReply is what the bot says back; no messages means it stays silent.
type BotReply struct {
	Messages []BotMessage `json:"messages"`
}

// BotMessage is one message of a bot reply.
type BotMessage struct {
	Text        string       `json:"text"`
	Attachments []Attachment `json:"attachments,omitempty"`
	Buttons     []Button     `json:"buttons,omitempty"`
	// Block is the flow block the message was made from, if any.
	Block string `json:"block,omitempty"`
}

// IndexRequest is the input of IndexActivity: customer and staff messages not
// indexed yet, and the conversation as it stands.
type IndexRequest struct {
	Conversation ConversationDocument `json:"conversation"`
	Messages     []Message            `json:"messages"`
}

// ConversationDocument is the conversation as the staff list shows it.
type ConversationDocument struct {
	ID                string     `json:"id"`
	Channel           string     `json:"channel"`
	CustomerID        string     `json:"customer_id"`
	CustomerName      string     `json:"customer_name"`
	State             Status     `json:"state"`
	LastMessageAt     time.Time  `json:"last_message_at"`
	WindowClosesAt    time.Time  `json:"window_closes_at"`
	AgentRequestedAt  *time.Time `json:"agent_requested_at,omitempty"`
	LiveChatExpiresAt *time.Time `json:"live_chat_expires_at,omitempty"`
	// UpdatedAt orders writes of the same conversation.
	UpdatedAt time.Time `json:"updated_at"`
}

// DeliveryRequest is the input of DeliverActivity.
type DeliveryRequest struct {
	ConversationID string `json:"conversation_id"`
	Channel        string `json:"channel"`
	// PageID is the Messenger page the customer wrote to.
	PageID     string  `json:"page_id"`
	CustomerID string  `json:"customer_id"`
	Message    Message `json:"message"`
	// Tag is the message tag to send with; empty sends a standard response.
	Tag string `json:"tag,omitempty"`
}

// DeliveryResult is what DeliverActivity returns.
type DeliveryResult struct {
	ChannelMessageIDs []string `json:"channel_message_ids"`
}

// ProfileRequest is the input of ProfileActivity.
type ProfileRequest struct {
	Channel    string `json:"channel"`
	PageID     string `json:"page_id"`
	CustomerID string `json:"customer_id"`
}

// CustomerProfile is what ProfileActivity returns.
type CustomerProfile struct {
	Name string `json:"name"`
}

// TranscriptRequest is the argument of QueryTranscript.
type TranscriptRequest struct {
	AfterSeq int64 `json:"after_seq"`
}

// ConversationView is what queries and updates return: the state a caller may see.
type ConversationView struct {
	WorkflowID        string     `json:"id"`
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
	// Notifications are the latest alerts to the business about this
	// customer asking for a human, newest last, with how each fared.
	Notifications     []Notification `json:"notifications,omitempty"`
	InactivityTimeout time.Duration  `json:"-"`
	LastMessageSeq    int64          `json:"last_message_seq"`
}

// AgentAlert is the input of NotifyEmailActivity and NotifySMSActivity: who
// asked for a human, what they wrote, and whom to tell.
type AgentAlert struct {
	// ID identifies the alert: the conversation, the request and the
	// medium. It is the same on every retry, so receivers can recognise a
	// re-send (email Message-ID, Vonage client-ref).
	ID             string    `json:"id"`
	ConversationID string    `json:"conversation_id"`
	Channel        string    `json:"channel"`
	CustomerID     string    `json:"customer_id"`
	CustomerName   string    `json:"customer_name,omitempty"`
	RequestedAt    time.Time `json:"requested_at"`
	// Recent are the customer's last messages up to the request, oldest first.
	Recent []QuotedMessage `json:"recent,omitempty"`
	// To is the email address or phone number in settings at the request.
	To string `json:"to"`
}

// QuotedMessage is a customer message quoted in an alert.
type QuotedMessage struct {
	Text   string    `json:"text"`
	SentAt time.Time `json:"sent_at"`
}

// AlertResult is what the notify activities return.
type AlertResult struct {
	// Receipt is what the receiving server gave back: the email's
	// Message-ID, or Vonage's message ID.
	Receipt string `json:"receipt,omitempty"`
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

// Settings are the admin-tunable options. Every field has a default in config.yaml.
type Settings struct {
	InactivityTimeout time.Duration `json:"inactivity_timeout"`
	NotificationEmail string        `json:"notification_email"`
	NotificationPhone string        `json:"notification_phone"`
	// MessengerHumanAgent lets staff answer Messenger customers for up to 7
	// days after their last message, sent with the HUMAN_AGENT tag.
	MessengerHumanAgent bool `json:"messenger_human_agent"`
	// NotificationCooldown is how long after alerting the business about a
	// customer a new request from the same customer alerts no one again.
	NotificationCooldown time.Duration `json:"notification_cooldown"`
}

// SettingsPatch changes some settings; nil fields are left as they are.
type SettingsPatch struct {
	InactivityTimeout    *time.Duration `json:"inactivity_timeout,omitempty"`
	NotificationEmail    *string        `json:"notification_email,omitempty"`
	NotificationPhone    *string        `json:"notification_phone,omitempty"`
	MessengerHumanAgent  *bool          `json:"messenger_human_agent,omitempty"`
	NotificationCooldown *time.Duration `json:"notification_cooldown,omitempty"`
}

// SettingsChangeRequest is the payload of UpdateSettings.
type SettingsChangeRequest struct {
	Patch  SettingsPatch `json:"patch"`
	Author string        `json:"author"`
	// RequestID makes a retried request idempotent.
	RequestID string `json:"request_id"`
}

// SettingsChange is one entry of the settings audit trail.
type SettingsChange struct {
	RequestID string            `json:"request_id"`
	Author    string            `json:"author"`
	At        time.Time         `json:"at"`
	Changes   map[string]Change `json:"changes"`
}

// Change is the old and new value of one setting.
type Change struct {
	From string `json:"from"`
	To   string `json:"to"`
}
