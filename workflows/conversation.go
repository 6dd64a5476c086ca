// Package workflows holds handoff's deterministic workflow code: the customer
// conversation state machine with its timers, and the settings entity. It does
// no I/O; everything with side effects runs as an activity.
package workflows

import (
	"go.temporal.io/sdk/workflow"

	"github.com/handoff-chat/handoff/activities"
	"github.com/handoff-chat/handoff/internal/chat"
)

// The activities' typed handles. They are never called: their method values
// name the activity and make the compiler check every call's arguments.
var (
	settingsActivities  *activities.Settings
	botActivities       *activities.Bot
	searchActivities    *activities.Search
	messengerActivities *activities.Messenger
	alertActivities     *activities.Alerter
)

// conversation is one run of the conversation workflow.
type conversation struct {
	state            ConversationState
	workflowID       string
	maxHistoryEvents int
	// stopping pauses every queue while the run prepares to continue as new.
	stopping bool
	replies  *queue[botTask]
	index    *queue[indexTask]
	delivery *queue[chat.Message]
	profile  *queue[string]
	alerts   *queue[pendingAlert]
	queues   []queueState
	// alarm rings at the next deadline.
	alarm alarm
	// signaled holds customer messages sent as signals, not yet recorded.
	signaled workflow.ReceiveChannel
}

// ConversationWorkflow is one customer's conversation on one channel. It starts
// with the customer's first message (update-with-start) and ends when the
// messaging window closes; a later message starts a new run.
func ConversationWorkflow(ctx workflow.Context, start ConversationStart) (chat.Conversation, error) {
	c := newConversation(ctx, start)
	if err := c.setup(ctx); err != nil {
		return chat.Conversation{}, err
	}
	return c.run(ctx, start)
}

func newConversation(ctx workflow.Context, start ConversationStart) *conversation {
	c := &conversation{
		workflowID:       workflow.GetInfo(ctx).WorkflowExecution.ID,
		maxHistoryEvents: start.MaxHistoryEvents,
	}
	if start.State != nil {
		c.state = *start.State
	} else {
		c.state = newConversationState(start, workflow.Now(ctx))
	}
	c.replies = newQueue(&c.state.PendingReplies, &c.stopping)
	c.index = newQueue(&c.state.PendingIndex, &c.stopping)
	c.index.batch = true
	// A customer message is indexed once the bot answered it, so one write
	// carries the message and the conversation document with the reply
	// (which the change feed reads), not two.
	c.index.hold = func() bool { return !c.replies.idle() }
	c.delivery = newQueue(&c.state.PendingDelivery, &c.stopping)
	c.profile = newQueue(&c.state.PendingProfile, &c.stopping)
	c.alerts = newQueue(&c.state.PendingAlerts, &c.stopping)
	c.queues = []queueState{c.replies, c.index, c.delivery, c.profile, c.alerts}
	return c
}

// setup registers the handlers and starts the queues. An update that
// started the run is handled as soon as its handler is registered.
func (c *conversation) setup(ctx workflow.Context) error {
	c.signaled = workflow.GetSignalChannel(ctx, SignalCustomerMessage)
	if err := c.registerHandlers(ctx); err != nil {
		return err
	}
	c.upsertSearchAttributes(ctx)
	workflow.Go(ctx, c.receiveSignaledMessages)
	workflow.Go(ctx, func(ctx workflow.Context) { c.replies.run(ctx, eachOne(c.reply)) })
	workflow.Go(ctx, func(ctx workflow.Context) { c.index.run(ctx, c.indexBatch) })
	workflow.Go(ctx, func(ctx workflow.Context) { c.delivery.run(ctx, eachOne(c.deliver)) })
	workflow.Go(ctx, func(ctx workflow.Context) { c.profile.run(ctx, eachOne(c.fetchProfile)) })
	workflow.Go(ctx, func(ctx workflow.Context) { c.alerts.run(ctx, eachOne(c.alert)) })
	return nil
}

// run waits for the next deadline or a change, and acts on the deadline when
// it is reached. It ends the run when staff can no longer write and every
// queue is drained, and continues as new when the history grows long.
func (c *conversation) run(ctx workflow.Context, start ConversationStart) (chat.Conversation, error) {
	for {
		kind, at := c.state.next()
		if !workflow.Now(ctx).Before(at) {
			ended, err := c.reach(ctx, kind)
			if ended || err != nil {
				return c.view(), err
			}
			continue
		}
		c.alarm.set(ctx, at)
		if err := workflow.Await(ctx, func() bool {
			nextKind, nextAt := c.state.next()
			return c.alarm.rang() || nextKind != kind || !nextAt.Equal(at) || c.shouldContinueAsNew(ctx)
		}); err != nil {
			return c.view(), err
		}
		if c.shouldContinueAsNew(ctx) {
			return chat.Conversation{}, c.continueAsNew(ctx, start)
		}
	}
}

// reach acts on a deadline; it reports whether the run is over.
func (c *conversation) reach(ctx workflow.Context, kind deadline) (ended bool, err error) {
	switch kind {
	case liveChatExpiry:
		c.switchLiveChatOff(ctx)
	case windowClose:
		c.closeWindow(ctx)
	case staffDeadline:
		if c.state.Status == chat.StatusLiveChat {
			c.switchLiveChatOff(ctx)
		}
		if err := workflow.Await(ctx, func() bool { return c.drained(ctx) }); err != nil {
			return true, err
		}
		if c.state.windowOpen(workflow.Now(ctx)) {
			return false, nil // the customer wrote again while the queues drained
		}
		workflow.GetLogger(ctx).Info("messaging window closed", "conversation", c.workflowID)
		return true, nil
	}
	return false, nil
}

func (c *conversation) shouldContinueAsNew(ctx workflow.Context) bool {
	info := workflow.GetInfo(ctx)
	if info.GetContinueAsNewSuggested() {
		return true
	}
	return c.maxHistoryEvents > 0 && info.GetCurrentHistoryLength() >= c.maxHistoryEvents
}

// continueAsNew lets no new queued item start, waits for the items in
// flight and the update handlers, and carries the state, with whatever is
// still queued, into the next run.
func (c *conversation) continueAsNew(ctx workflow.Context, start ConversationStart) error {
	c.stopping = true
	if err := workflow.Await(ctx, func() bool { return c.settled(ctx) }); err != nil {
		return err
	}
	next := start
	state := c.state
	next.State = &state
	return workflow.NewContinueAsNewError(ctx, ConversationWorkflowName, next)
}

// settled reports that no handler runs, no signaled message waits and no
// queued item is in flight.
func (c *conversation) settled(ctx workflow.Context) bool {
	if c.signaled.Len() > 0 {
		return false
	}
	for _, q := range c.queues {
		if q.busy() {
			return false
		}
	}
	return workflow.AllHandlersFinished(ctx)
}

// drained reports that no handler runs, no signaled message waits and
// every queue is empty.
func (c *conversation) drained(ctx workflow.Context) bool {
	if c.signaled.Len() > 0 {
		return false
	}
	for _, q := range c.queues {
		if !q.idle() {
			return false
		}
	}
	return workflow.AllHandlersFinished(ctx)
}
