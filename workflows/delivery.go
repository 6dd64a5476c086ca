package workflows

import (
	"errors"
	"time"

	"github.com/handoff-chat/handoff/activities"
	"github.com/handoff-chat/handoff/internal/chat"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// Sending to channels. Web chat needs none of this: the widget reads the
// transcript. Messenger messages go out through Messenger.DeliverMessage, one at a
// time and in order, and the outcome is written on the transcript message.

// deliveryGiveUp bounds the retries of one message: Messenger is retried
// for this long before the message is marked failed.
const deliveryGiveUp = time.Hour

// deliveryAttempt bounds one attempt to send a message (a few Send API
// calls); deliveryFirstBackoff and deliveryMaxBackoff space the attempts.
const (
	deliveryAttempt      = 30 * time.Second
	deliveryFirstBackoff = time.Second
	deliveryMaxBackoff   = time.Minute
)

// deliver sends one message and records the outcome on it.
//
// Each attempt is a local activity: it runs in the worker that runs the
// conversation, in the workflow task that queued the message, so a reply
// reaches Messenger without a round trip through a task queue and a
// workflow task of its own. The attempts are made here rather than by the
// SDK's retries so that each carries the parts earlier attempts sent
// (images first, then the text): a retry never sends those again.
func (c *conversation) deliver(ctx workflow.Context, m chat.Message) error {
	tag, refusal := c.deliveryTag(ctx, m)
	if refusal != "" {
		c.setDelivery(m.Seq, chat.Delivery{Status: chat.DeliveryFailed, Error: refusal, At: workflow.Now(ctx)})
		return nil
	}
	attemptCtx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout: deliveryAttempt,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 1},
	})
	giveUp := workflow.Now(ctx).Add(deliveryGiveUp)
	backoff := deliveryFirstBackoff
	var sent []string
	for {
		var result activities.DeliveryResult
		err := workflow.ExecuteLocalActivity(attemptCtx, messengerActivities.DeliverMessage, activities.DeliveryRequest{
			ConversationID: c.workflowID,
			Channel:        c.state.Channel,
			PageID:         c.state.PageID,
			CustomerID:     c.state.CustomerID,
			Message:        m,
			Tag:            tag,
			Sent:           sent,
		}).Get(attemptCtx, &result)
		if err == nil {
			sent = result.ChannelMessageIDs
		}
		c.rememberSent(sent)
		switch {
		case err == nil && result.Unfinished == "":
			c.setDelivery(m.Seq, chat.Delivery{Status: chat.DeliverySent, Tag: tag, ChannelMessageIDs: sent, At: workflow.Now(ctx)})
			return nil
		case isDeliveryRefusal(err):
			return c.deliveryFailed(ctx, m, tag, deliveryReason(err))
		}
		lastError := result.Unfinished
		if err != nil {
			lastError = lastCause(err)
		}
		if !workflow.Now(ctx).Add(backoff).Before(giveUp) {
			return c.deliveryFailed(ctx, m, tag, "not sent: Messenger could not be reached for an hour; the last error was: "+lastError)
		}
		if err := workflow.Sleep(ctx, backoff); err != nil {
			return err
		}
		backoff = min(2*backoff, deliveryMaxBackoff)
	}
}

// deliveryFailed records that a message could not be sent, and why.
func (c *conversation) deliveryFailed(ctx workflow.Context, m chat.Message, tag, reason string) error {
	workflow.GetLogger(ctx).Warn("message not delivered", "conversation", c.workflowID, "message", m.ID, "reason", reason)
	c.setDelivery(m.Seq, chat.Delivery{Status: chat.DeliveryFailed, Tag: tag, Error: reason, At: workflow.Now(ctx)})
	return nil
}

// rememberSent remembers the IDs the channel gave the parts sent, so their
// echoes are not recorded again.
func (c *conversation) rememberSent(ids []string) {
	for _, id := range ids {
		if _, ok := c.lookup(sentMessageIDs, id); !ok {
			c.remember(sentMessageIDs, id, "")
		}
	}
}

// deliveryTag applies Messenger's rules at the moment of sending: inside the
// 24-hour window anything goes as a response; after it only staff messages,
// tagged HUMAN_AGENT, while that period runs.
func (c *conversation) deliveryTag(ctx workflow.Context, m chat.Message) (tag, refusal string) {
	now := workflow.Now(ctx)
	switch {
	case now.Before(c.state.WindowClosesAt):
		return "", ""
	case m.Sender != chat.SenderStaff:
		return "", "not sent: the 24-hour messaging window had closed, and Messenger allows no automated messages after it"
	case now.Before(c.state.HumanAgentUntil):
		return chat.TagHumanAgent, ""
	default:
		return "", "not sent: the 24-hour messaging window had closed and the HUMAN_AGENT setting is off"
	}
}

// isDeliveryRefusal reports whether the channel refused a message for good.
func isDeliveryRefusal(err error) bool {
	var appErr *temporal.ApplicationError
	return errors.As(err, &appErr) && appErr.Type() == activities.ErrTypeDeliveryRefused
}

// deliveryReason is the text staff see for a message the channel refused.
func deliveryReason(err error) string {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return appErr.Message()
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
func (c *conversation) setDelivery(seq int64, d chat.Delivery) {
	for i := range c.state.Transcript {
		if c.state.Transcript[i].Seq == seq {
			c.state.Transcript[i].Delivery = &d
			if c.state.Transcript[i].Sender == chat.SenderStaff {
				// Staff see how their message fared through the change feed,
				// which follows the conversation document.
				c.index.ensurePending(indexTask{})
			}
			return
		}
	}
}

// fetchProfile asks the channel for the customer's name, once per run, as
// soon as the page they wrote to is known.
func (c *conversation) fetchProfile(ctx workflow.Context, pageID string) error {
	if c.state.ProfileFetched {
		return nil
	}
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    15 * time.Second,
		ScheduleToCloseTimeout: 10 * time.Minute,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:        time.Second,
			MaximumInterval:        time.Minute,
			NonRetryableErrorTypes: []string{activities.ErrTypeDeliveryRefused},
		},
	})
	var profile activities.CustomerProfile
	err := workflow.ExecuteActivity(ctx, messengerActivities.FetchCustomerProfile, activities.ProfileRequest{
		Channel: c.state.Channel, PageID: pageID, CustomerID: c.state.CustomerID,
	}).Get(ctx, &profile)
	c.state.ProfileFetched = true
	if err != nil {
		workflow.GetLogger(ctx).Warn("customer profile not fetched; the list shows the customer ID", "conversation", c.workflowID, "error", err)
		return nil
	}
	if profile.Name != "" && c.state.CustomerName == "" {
		c.state.CustomerName = profile.Name
		c.upsertSearchAttributes(ctx)
	}
	return nil
}
