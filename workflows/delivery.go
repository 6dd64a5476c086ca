package workflows

import (
	"errors"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// Sending to channels. Web chat needs none of this: the widget reads the
// transcript. Messenger messages go out through DeliverActivity, one at a
// time and in order, and the outcome is written on the transcript message.

// deliveryGiveUp bounds the retries of one message: Messenger is retried
// for this long before the message is marked failed.
const deliveryGiveUp = time.Hour

// startChannelWork starts the coroutines that send to the channel and fetch
// the customer's profile. Runs recorded before they existed replay without
// them.
func (c *conversation) startChannelWork(ctx workflow.Context) {
	if c.state.Channel != ChannelMessenger {
		return
	}
	if workflow.GetVersion(ctx, "channel-delivery", workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return
	}
	c.delivering = true
	workflow.Go(ctx, c.runDelivery)
	workflow.Go(ctx, c.runProfile)
}

// runDelivery sends queued bot and staff messages in order.
func (c *conversation) runDelivery(ctx workflow.Context) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    30 * time.Second,
		ScheduleToCloseTimeout: deliveryGiveUp,
		HeartbeatTimeout:       20 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:        time.Second,
			MaximumInterval:        time.Minute,
			NonRetryableErrorTypes: []string{ErrTypeDeliveryRefused},
		},
	})
	for {
		if err := workflow.Await(ctx, func() bool { return len(c.state.PendingDelivery) > 0 }); err != nil {
			return
		}
		c.deliveryBusy = true
		m := c.state.PendingDelivery[0]
		c.state.PendingDelivery = c.state.PendingDelivery[1:]
		c.deliver(ctx, m)
		c.deliveryBusy = false
	}
}

// deliver sends one message and records the outcome on it.
func (c *conversation) deliver(ctx workflow.Context, m Message) {
	tag, refusal := c.deliveryTag(ctx, m)
	if refusal != "" {
		c.setDelivery(m.Seq, Delivery{Status: DeliveryFailed, Error: refusal, At: workflow.Now(ctx)})
		return
	}
	var result DeliveryResult
	err := workflow.ExecuteActivity(ctx, DeliverActivity, DeliveryRequest{
		ConversationID: c.workflowID,
		Channel:        c.state.Channel,
		PageID:         c.state.PageID,
		CustomerID:     c.state.CustomerID,
		Message:        m,
		Tag:            tag,
	}).Get(ctx, &result)
	now := workflow.Now(ctx)
	if err != nil {
		workflow.GetLogger(ctx).Warn("message not delivered", "conversation", c.workflowID, "message", m.ID, "error", err)
		c.setDelivery(m.Seq, Delivery{Status: DeliveryFailed, Tag: tag, Error: deliveryReason(err), At: now})
		return
	}
	for _, id := range result.ChannelMessageIDs {
		c.remember(id) // so the channel's echo of it is not recorded again
	}
	c.setDelivery(m.Seq, Delivery{Status: DeliverySent, Tag: tag, ChannelMessageIDs: result.ChannelMessageIDs, At: now})
}

// deliveryTag applies Messenger's rules at the moment of sending: inside the
// 24-hour window anything goes as a response; after it only staff messages,
// tagged HUMAN_AGENT, while that period runs.
func (c *conversation) deliveryTag(ctx workflow.Context, m Message) (tag, refusal string) {
	now := workflow.Now(ctx)
	switch {
	case now.Before(c.state.WindowClosesAt):
		return "", ""
	case m.Sender != SenderStaff:
		return "", "not sent: the 24-hour messaging window had closed, and Messenger allows no automated messages after it"
	case now.Before(c.state.HumanAgentUntil):
		return TagHumanAgent, ""
	default:
		return "", "not sent: the 24-hour messaging window had closed and the HUMAN_AGENT setting is off"
	}
}

// deliveryReason is the text staff see for a failed delivery.
func deliveryReason(err error) string {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) && appErr.Type() == ErrTypeDeliveryRefused {
		return appErr.Message()
	}
	var timeoutErr *temporal.TimeoutError
	if errors.As(err, &timeoutErr) {
		return "not sent: Messenger could not be reached for an hour; the last error was: " + lastCause(err)
	}
	return "not sent: " + lastCause(err)
}

// lastCause is the innermost error message of an activity failure.
func lastCause(err error) string {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err.Error()
		}
		err = next
	}
}

// setDelivery writes a delivery outcome on the transcript message.
func (c *conversation) setDelivery(seq int64, d Delivery) {
	for i := range c.state.Transcript {
		if c.state.Transcript[i].Seq == seq {
			c.state.Transcript[i].Delivery = &d
			return
		}
	}
}

// runProfile asks the channel for the customer's name once per
// conversation, as soon as the page they wrote to is known.
func (c *conversation) runProfile(ctx workflow.Context) {
	if err := workflow.Await(ctx, func() bool { return c.state.ProfileFetched || c.state.PageID != "" }); err != nil {
		return
	}
	if c.state.ProfileFetched {
		return
	}
	c.profileBusy = true
	defer func() { c.profileBusy = false }()
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    15 * time.Second,
		ScheduleToCloseTimeout: 10 * time.Minute,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:        time.Second,
			MaximumInterval:        time.Minute,
			NonRetryableErrorTypes: []string{ErrTypeDeliveryRefused},
		},
	})
	var profile CustomerProfile
	err := workflow.ExecuteActivity(ctx, ProfileActivity, ProfileRequest{
		Channel: c.state.Channel, PageID: c.state.PageID, CustomerID: c.state.CustomerID,
	}).Get(ctx, &profile)
	c.state.ProfileFetched = true
	if err != nil {
		workflow.GetLogger(ctx).Warn("customer profile not fetched; the list shows the customer ID", "conversation", c.workflowID, "error", err)
		return
	}
	if profile.Name != "" && c.state.CustomerName == "" {
		c.state.CustomerName = profile.Name
		c.upsertSearchAttributes(ctx)
	}
}

// extendForHumanAgent reads the HUMAN_AGENT setting when a Messenger window
// closes; when it is on, staff may answer for up to 7 days after the
// customer's last message and the run lasts until then.
func (c *conversation) extendForHumanAgent(ctx workflow.Context) {
	if !c.delivering {
		return
	}
	if workflow.GetVersion(ctx, "human-agent-window", workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return
	}
	settings, err := loadSettings(ctx)
	if err != nil {
		workflow.GetLogger(ctx).Error("HUMAN_AGENT setting not read; staff replies end with the window", "conversation", c.workflowID, "error", err)
		return
	}
	if !settings.MessengerHumanAgent {
		return
	}
	lastCustomerMessage := c.state.WindowClosesAt.Add(-c.state.Window)
	c.state.HumanAgentUntil = lastCustomerMessage.Add(HumanAgentWindow)
	c.state.IndexDirty = true
}
