// Package conversations is how the API talks to conversation workflows: it
// starts or feeds them with updates and reads them with queries. It turns Temporal's errors into the
// outcomes callers act on: not found, wrong state, invalid input, an ID
// already used for a different request, and Temporal unavailable (retry with
// the same ID).
package conversations

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/handoff-chat/handoff/internal/askhuman"
	"github.com/handoff-chat/handoff/internal/chat"
	"github.com/handoff-chat/handoff/internal/temporalclient"
	"github.com/handoff-chat/handoff/workflows"
)

// ErrNotFound means no conversation exists for that channel and customer.
var ErrNotFound = errors.New("conversation not found")

// StateError means the conversation is not in a state that allows the request.
type StateError struct{ Reason string }

func (e *StateError) Error() string { return e.Reason }

// InputError means the request itself is invalid.
type InputError struct{ Reason string }

func (e *InputError) Error() string { return e.Reason }

// Client reaches conversation workflows.
type Client struct {
	temporal         client.Client
	window           time.Duration
	maxHistoryEvents int
	agentPhrases     func(ctx context.Context) *askhuman.Phrases
}

// Options configure new conversations.
type Options struct {
	// Window is the messaging window of new conversations.
	Window time.Duration
	// MaxHistoryEvents continues a run as new at this history length (0 = server decides).
	MaxHistoryEvents int
	// AgentPhrases returns the phrases in force that recognise customers
	// asking for a human in their own words; nil recognises none.
	AgentPhrases func(ctx context.Context) *askhuman.Phrases
}

// NewClient returns a client for conversation workflows.
func NewClient(c client.Client, opts Options) *Client {
	return &Client{temporal: c, window: opts.Window, maxHistoryEvents: opts.MaxHistoryEvents, agentPhrases: opts.AgentPhrases}
}

// Conversation is one conversation as staff see it.
type Conversation struct {
	chat.Conversation
	Open     bool           `json:"open"`
	Messages []chat.Message `json:"messages"`
}

// asksForHuman reports whether msg's text has one of the agent phrases.
func (c *Client) asksForHuman(ctx context.Context, msg workflows.CustomerMessage) bool {
	return msg.Payload == "" && c.agentPhrases != nil && c.agentPhrases(ctx).Match(msg.Text)
}

// SignalCustomerMessage records a customer's message with
// signal-with-start, starting the conversation if needed: it returns once
// Temporal has durably recorded the message, without waiting for the
// conversation to run, so the answer does not queue behind the worker. The
// conversation applies the checks later: a message already received is
// dropped there, one whose ID came with other content is kept under an ID
// of its own, and one the checks refuse is logged and dropped (the API
// applies the same checks first). For callers that need durability, not a
// verdict: Messenger's webhook and the web chat.
func (c *Client) SignalCustomerMessage(ctx context.Context, channel, customerID string, msg workflows.CustomerMessage) error {
	msg.AsksForHuman = msg.AsksForHuman || c.asksForHuman(ctx, msg)
	id := workflows.ConversationWorkflowID(channel, customerID)
	opts := c.startOptions(id)
	// Signal-with-start signals a running conversation and starts one
	// otherwise; it takes no conflict policy.
	opts.WorkflowIDConflictPolicy = enumspb.WORKFLOW_ID_CONFLICT_POLICY_UNSPECIFIED
	_, err := c.temporal.SignalWithStartWorkflow(ctx, id, workflows.SignalCustomerMessage, msg, opts,
		workflows.ConversationWorkflowName, c.start(channel, customerID))
	if err != nil {
		return c.mapError(ctx, id, err)
	}
	return nil
}

// RequestAgent records that the customer asked for a human, starting the
// conversation if needed. A request ID already received changes nothing.
func (c *Client) RequestAgent(ctx context.Context, channel, customerID, requestID string) (chat.Conversation, error) {
	var view chat.Conversation
	err := c.updateWithStart(ctx, channel, customerID, workflows.UpdateRequestAgent,
		workflows.AgentRequest{ID: requestID}, &view)
	return view, err
}

// SetLiveChat switches live chat on or off.
func (c *Client) SetLiveChat(ctx context.Context, channel, customerID string, on bool, author string) (chat.Conversation, error) {
	var view chat.Conversation
	err := c.update(ctx, channel, customerID, workflows.UpdateSetLiveChat,
		workflows.LiveChatChange{On: on, Author: author}, &view)
	return view, err
}

// StaffMessage sends a staff message; it switches live chat on and restarts
// the inactivity countdown. A staff message ID already recorded with the same
// content (or an echo of a message handoff sent) reports duplicate = true and
// changes nothing; one recorded with other content is a *chat.ReusedIDError.
func (c *Client) StaffMessage(ctx context.Context, channel, customerID string, msg workflows.StaffMessage) (view chat.Conversation, duplicate bool, err error) {
	err = c.update(ctx, channel, customerID, workflows.UpdateStaffMessage, msg, &view)
	if isDuplicate(err) {
		view, err = c.view(ctx, workflows.ConversationWorkflowID(channel, customerID))
		return view, true, err
	}
	return view, false, err
}

// Get returns one conversation with its recent messages, open or closed.
func (c *Client) Get(ctx context.Context, channel, customerID string) (Conversation, error) {
	id := workflows.ConversationWorkflowID(channel, customerID)
	desc, err := c.temporal.DescribeWorkflowExecution(ctx, id, "")
	if err != nil {
		return Conversation{}, c.mapError(ctx, id, err)
	}
	view, err := c.view(ctx, id)
	if err != nil {
		return Conversation{}, err
	}
	messages, err := c.Transcript(ctx, channel, customerID, 0)
	if err != nil {
		return Conversation{}, err
	}
	open := desc.GetWorkflowExecutionInfo().GetStatus() == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING
	return Conversation{Conversation: view, Open: open, Messages: messages}, nil
}

// View returns the conversation's state without its messages.
func (c *Client) View(ctx context.Context, channel, customerID string) (chat.Conversation, error) {
	return c.view(ctx, workflows.ConversationWorkflowID(channel, customerID))
}

// Transcript returns the kept messages with a sequence number above afterSeq.
func (c *Client) Transcript(ctx context.Context, channel, customerID string, afterSeq int64) ([]chat.Message, error) {
	id := workflows.ConversationWorkflowID(channel, customerID)
	resp, err := c.temporal.QueryWorkflow(ctx, id, "", workflows.QueryTranscript, workflows.TranscriptRequest{AfterSeq: afterSeq})
	if err != nil {
		return nil, c.mapError(ctx, id, err)
	}
	var messages []chat.Message
	if err := resp.Get(&messages); err != nil {
		return nil, fmt.Errorf("decode transcript of %s: %w", id, err)
	}
	return messages, nil
}

func (c *Client) view(ctx context.Context, id string) (chat.Conversation, error) {
	resp, err := c.temporal.QueryWorkflow(ctx, id, "", workflows.QueryConversation)
	if err != nil {
		return chat.Conversation{}, c.mapError(ctx, id, err)
	}
	var view chat.Conversation
	if err := resp.Get(&view); err != nil {
		return chat.Conversation{}, fmt.Errorf("decode conversation %s: %w", id, err)
	}
	return view, nil
}

// Exists returns nil when the conversation has a workflow (open or closed)
// and ErrNotFound otherwise.
func (c *Client) Exists(ctx context.Context, channel, customerID string) error {
	id := workflows.ConversationWorkflowID(channel, customerID)
	if _, err := c.temporal.DescribeWorkflowExecution(ctx, id, ""); err != nil {
		var notFound *serviceerror.NotFound
		if errors.As(err, &notFound) {
			return ErrNotFound
		}
		return wrap(id, err)
	}
	return nil
}

// Updates get IDs from the SDK; duplicates are recognised by the workflow from
// the message IDs, which also holds across continue-as-new.
func (c *Client) updateWithStart(ctx context.Context, channel, customerID, update string, arg, result any) error {
	id := workflows.ConversationWorkflowID(channel, customerID)
	startOp := c.temporal.NewWithStartWorkflowOperation(c.startOptions(id), workflows.ConversationWorkflowName, c.start(channel, customerID))
	handle, err := c.temporal.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: startOp,
		UpdateOptions: client.UpdateWorkflowOptions{
			UpdateName:   update,
			Args:         []any{arg},
			WaitForStage: client.WorkflowUpdateStageCompleted,
		},
	})
	if err == nil {
		err = handle.Get(ctx, result)
	}
	if err != nil {
		return c.mapError(ctx, id, err)
	}
	return nil
}

// startOptions start a conversation's run unless one is running.
func (c *Client) startOptions(id string) client.StartWorkflowOptions {
	return client.StartWorkflowOptions{
		ID:                       id,
		TaskQueue:                workflows.TaskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		WorkflowTaskTimeout:      workflows.ConversationTaskTimeout,
	}
}

// start is the input of a new run.
func (c *Client) start(channel, customerID string) workflows.ConversationStart {
	return workflows.ConversationStart{
		Channel:          channel,
		CustomerID:       customerID,
		Window:           c.window,
		MaxHistoryEvents: c.maxHistoryEvents,
	}
}

func (c *Client) update(ctx context.Context, channel, customerID, update string, arg, result any) error {
	id := workflows.ConversationWorkflowID(channel, customerID)
	handle, err := c.temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID:   id,
		UpdateName:   update,
		Args:         []any{arg},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err == nil {
		err = handle.Get(ctx, result)
	}
	if err != nil {
		return c.mapError(ctx, id, err)
	}
	return nil
}

// mapError turns Temporal errors into ErrNotFound, *StateError, *InputError,
// *chat.ReusedIDError and *UnavailableError; anything else is returned
// wrapped.
func (c *Client) mapError(ctx context.Context, id string, err error) error {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		switch appErr.Type() {
		case workflows.ErrTypeWrongState:
			return &StateError{Reason: appErr.Message()}
		case workflows.ErrTypeInvalidInput:
			return &InputError{Reason: appErr.Message()}
		case workflows.ErrTypeReusedID:
			return &chat.ReusedIDError{Field: "id"}
		case workflows.ErrTypeDuplicateMessage:
			return err
		}
	}
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		// Either no such conversation, or its run ended with the window.
		desc, derr := c.temporal.DescribeWorkflowExecution(ctx, id, "")
		if derr != nil {
			if unavailable := temporalclient.Unavailable(derr); unavailable != nil {
				return wrap(id, unavailable)
			}
			return ErrNotFound
		}
		closes := ""
		if info := desc.GetWorkflowExecutionInfo(); info.GetCloseTime() != nil {
			closes = " at " + info.GetCloseTime().AsTime().UTC().Format(time.RFC3339)
		}
		reason := "the messaging window closed" + closes + "; staff can write again after the customer's next message"
		if strings.HasPrefix(id, workflows.ConversationWorkflowID(chat.ChannelMessenger, "")) {
			reason += " (with the messenger_human_agent setting on, Messenger replies stay possible for 7 days after it)"
		}
		return &StateError{Reason: reason}
	}
	return wrap(id, err)
}

// wrap names the conversation in err, marking Temporal being unavailable as
// an *UnavailableError.
func wrap(id string, err error) error {
	if unavailable := temporalclient.Unavailable(err); unavailable != nil {
		err = unavailable
	}
	return fmt.Errorf("conversation %s: %w", id, err)
}

func isDuplicate(err error) bool {
	var appErr *temporal.ApplicationError
	return errors.As(err, &appErr) && appErr.Type() == workflows.ErrTypeDuplicateMessage
}
