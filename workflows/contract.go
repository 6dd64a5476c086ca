package workflows

import (
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/handoff-chat/handoff/internal/chat"
)

// This file is the contract between the API, the worker and Temporal:
// workflow and message names, workflow IDs, search attributes, and the
// workflows' inputs and outputs. Names here are part of recorded histories;
// renaming one breaks replay. Each activity's input and output types live
// beside it in package activities.

// TaskQueue is the task queue every handoff worker polls.
const TaskQueue = "handoff"

// Workflow type names.
const (
	ConversationWorkflowName = "Conversation"
	SettingsWorkflowName     = "Settings"
)

// ConversationTaskTimeout bounds one workflow task of a conversation. A
// task handed to a worker that died is given to another after this long, so
// it bounds how long a conversation waits after a crash; a task takes
// milliseconds.
const ConversationTaskTimeout = 4 * time.Second

// Register registers every workflow under its name, on a worker, a
// replayer or a test environment.
func Register(r worker.WorkflowRegistry) {
	r.RegisterWorkflowWithOptions(ConversationWorkflow, workflow.RegisterOptions{Name: ConversationWorkflowName})
	r.RegisterWorkflowWithOptions(SettingsWorkflow, workflow.RegisterOptions{Name: SettingsWorkflowName})
	r.RegisterWorkflowWithOptions(KnowledgeWorkflow, workflow.RegisterOptions{Name: KnowledgeWorkflowName})
	r.RegisterWorkflowWithOptions(TemplatesWorkflow, workflow.RegisterOptions{Name: TemplatesWorkflowName})
}

// Conversation updates and queries.
const (
	// SignalCustomerMessage records a customer message (used with
	// signal-with-start): the channels need the message durable, not an
	// answer, and a signal is acknowledged without waiting for the worker.
	// A message already received is dropped; one whose ID came with other
	// content is kept under an ID of its own; one the checks refuse is
	// logged and dropped.
	SignalCustomerMessage = "customer-message"
	// UpdateCustomerMessage records a customer message and answers with
	// the verdict of the same checks, for a caller that needs one.
	UpdateCustomerMessage = "customer-message"
	// UpdateRequestAgent records that the customer asked for a human.
	UpdateRequestAgent = "request-agent"
	// UpdateSetLiveChat switches live chat on or off.
	UpdateSetLiveChat = "set-live-chat"
	// UpdateStaffMessage records a message from staff and restarts the countdown.
	UpdateStaffMessage = "staff-message"
	// QueryConversation returns a chat.Conversation.
	QueryConversation = "conversation"
	// QueryTranscript returns the messages after a sequence number.
	QueryTranscript = "transcript"
)

// Settings workflow updates and queries.
const (
	SettingsWorkflowID  = "settings"
	UpdateSettings      = "update-settings"
	QuerySettings       = "settings"
	QuerySettingsChange = "settings-history"
)

// Error types carried by the application errors of updates, so callers can
// tell them apart.
const (
	// ErrTypeDuplicateMessage: the ID was received before with the same
	// content; a retry, recorded once.
	ErrTypeDuplicateMessage = "DuplicateMessage"
	// ErrTypeReusedID: the ID was received before with different content.
	ErrTypeReusedID     = "ReusedID"
	ErrTypeWrongState   = "WrongState"
	ErrTypeInvalidInput = "InvalidInput"
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

// Custom search attributes set on conversation workflows, for auditors
// filtering in the Temporal UI. The two deadlines are rounded up to
// DeadlineAttributeStep: a customer or staff message moves its deadline,
// and writing the exact one every time would cost a visibility write per
// message; rounded, a conversation writes it about once a quarter hour.
// The exact deadlines are in the conversation's state and result.
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

// DeadlineAttributeStep is what SAWindowClosesAt and SALiveChatExpiresAt
// are rounded up to.
const DeadlineAttributeStep = 15 * time.Minute

// roundUpToStep is t rounded up to a multiple of DeadlineAttributeStep.
func roundUpToStep(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	r := t.Truncate(DeadlineAttributeStep)
	if r.Before(t) {
		r = r.Add(DeadlineAttributeStep)
	}
	return r
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
	Locale      string            `json:"locale,omitempty"`
	Text        string            `json:"text,omitempty"`
	Payload     string            `json:"payload,omitempty"`
	Attachments []chat.Attachment `json:"attachments,omitempty"`
	// AsksForHuman says the text contains one of the configured phrases
	// with which customers ask for a human ("оператор", "talk to a human").
	AsksForHuman bool `json:"asks_for_human,omitempty"`
}

// StaffMessage is the payload of UpdateStaffMessage.
type StaffMessage struct {
	ID     string `json:"id"`
	Author string `json:"author"`
	// DisplayName is the name the customer sees on the message.
	DisplayName string `json:"display_name,omitempty"`
	chat.Content
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
	// ID makes a repeated request idempotent (the channel's message or event
	// ID). Agent request IDs are a space of their own: one may equal a
	// message's ID.
	ID string `json:"id"`
}

// TranscriptRequest is the argument of QueryTranscript.
type TranscriptRequest struct {
	AfterSeq int64 `json:"after_seq"`
}

// SettingsChangeRequest is the payload of UpdateSettings.
type SettingsChangeRequest struct {
	Patch  chat.SettingsPatch `json:"patch"`
	Author string             `json:"author"`
	// RequestID makes a retried request idempotent; reused with a different
	// patch it is refused (ErrTypeReusedID).
	RequestID string `json:"request_id"`
}
