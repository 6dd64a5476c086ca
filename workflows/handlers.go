package workflows

import (
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/handoff-chat/handoff/activities"
	"github.com/handoff-chat/handoff/internal/chat"
)

// The conversation's update and query handlers: what customers and staff
// change, each checked by a validator before it is recorded.

func (c *conversation) registerHandlers(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, QueryConversation, func() (chat.Conversation, error) {
		return c.view(), nil
	}); err != nil {
		return fmt.Errorf("register %s query: %w", QueryConversation, err)
	}
	if err := workflow.SetQueryHandler(ctx, QueryTranscript, func(req TranscriptRequest) ([]chat.Message, error) {
		return c.transcriptAfter(req.AfterSeq), nil
	}); err != nil {
		return fmt.Errorf("register %s query: %w", QueryTranscript, err)
	}
	updates := []struct {
		name      string
		handler   any
		validator any
	}{
		{UpdateCustomerMessage, c.onCustomerMessageUpdate, c.validateCustomerMessage},
		{UpdateRequestAgent, c.onRequestAgent, c.validateRequestAgent},
		{UpdateSetLiveChat, c.onSetLiveChat, c.validateSetLiveChat},
		{UpdateStaffMessage, c.onStaffMessage, c.validateStaffMessage},
	}
	for _, u := range updates {
		if err := workflow.SetUpdateHandlerWithOptions(ctx, u.name, u.handler,
			workflow.UpdateHandlerOptions{Validator: u.validator}); err != nil {
			return fmt.Errorf("register %s update: %w", u.name, err)
		}
	}
	return nil
}

// --- customer side ---

func (c *conversation) validateCustomerMessage(msg CustomerMessage) error {
	if msg.ID == "" {
		return invalidInput("a customer message needs the channel's message ID")
	}
	if msg.Text == "" && msg.Payload == "" && len(msg.Attachments) == 0 {
		return invalidInput("a customer message needs text, a button payload or an attachment")
	}
	if err := checkCustomerFields(msg); err != nil {
		return invalidInput(err.Error())
	}
	return c.checkCustomerMessage(msg)
}

// checkCustomerFields applies the bounds of every string a customer message
// brings into the state; the API checks them first, this keeps any other
// caller to the same bounds.
func checkCustomerFields(msg CustomerMessage) error {
	checks := []struct {
		value string
		check func(field, s string) error
		field string
	}{
		{msg.ID, chat.CheckChannelMessageID, "id"},
		{msg.CustomerName, chat.CheckName, "customer_name"},
		{msg.PageID, chat.CheckPageID, "page_id"},
		{msg.Locale, chat.CheckLocale, "locale"},
		{msg.Text, chat.CheckText, "text"},
		{msg.Payload, chat.CheckPayload, "payload"},
	}
	for _, c := range checks {
		if c.value == "" {
			continue
		}
		if err := c.check(c.field, c.value); err != nil {
			return err
		}
	}
	if len(msg.Attachments) > chat.MaxCustomerAttachments {
		return fmt.Errorf("a customer message carries at most %d attachments, got %d", chat.MaxCustomerAttachments, len(msg.Attachments))
	}
	for i, a := range msg.Attachments {
		if err := chat.CheckAttachmentType(fmt.Sprintf("attachments[%d].type", i), a.Type); err != nil {
			return err
		}
		if err := chat.CheckURL(fmt.Sprintf("attachments[%d].url", i), a.URL); err != nil {
			return err
		}
	}
	return nil
}

// onCustomerMessageUpdate is onCustomerMessage for a message sent as an
// update, after the messages signalled before it.
func (c *conversation) onCustomerMessageUpdate(ctx workflow.Context, msg CustomerMessage) (chat.Conversation, error) {
	c.catchUpSignals(ctx)
	return c.onCustomerMessage(ctx, msg)
}

// onCustomerMessage records the message, reopens the window and hands the
// message to the bot, or flags the conversation when it asks for a human.
func (c *conversation) onCustomerMessage(ctx workflow.Context, msg CustomerMessage) (chat.Conversation, error) {
	if err := c.checkCustomerMessage(msg); err != nil {
		return c.view(), err
	}
	c.remember(customerMessageIDs, msg.ID, customerDigest(msg))
	now := workflow.Now(ctx)
	if msg.CustomerName != "" {
		c.state.CustomerName = msg.CustomerName
	}
	if msg.PageID != "" {
		if c.state.PageID == "" && !c.state.ProfileFetched && chat.SentToChannel(c.state.Channel) {
			c.profile.push(msg.PageID)
		}
		c.state.PageID = msg.PageID
	}
	if msg.Locale != "" {
		c.state.Locale = msg.Locale
	}
	c.learnLanguage(msg)
	first := !c.state.CustomerWrote
	c.state.CustomerWrote = true
	m := c.record(chat.Message{ID: msg.ID, Sender: chat.SenderCustomer, Text: msg.Text, Payload: msg.Payload, Attachments: msg.Attachments, SentAt: now})
	c.state.reopen(now, c.state.Window)
	offered := c.state.HumanOffered
	c.state.HumanOffered = false
	switch {
	case msg.Payload == chat.PayloadTalkToHuman || msg.AsksForHuman || c.acceptsHumanOffer(offered, msg):
		c.requestAgent(ctx, m, customerMessageIDs)
	case c.botAnswers(m):
		c.noteHelped(msg.Payload)
		c.replies.push(c.botTask(activities.BotEventMessage, m, first))
	}
	c.upsertSearchAttributes(ctx)
	return c.view(), nil
}

// receiveSignaledMessages records the customer messages sent as signals, in
// the order they came, through the same checks as the update. Nobody waits
// for a verdict on a signal, so a message whose ID was already used for
// other content is not refused but recorded under an ID of its own (see
// reusedIDMessage): it loses nothing, and a retry of it is still a retry.
//
// It waits for the channel to hold a message rather than blocking in
// Receive: a blocked receiver is handed a new signal at once, which leaves
// the channel looking empty until the receiver runs, and a run that checked
// for waiting signals before ending or continuing as new in the same
// workflow task would drop the message.
func (c *conversation) receiveSignaledMessages(ctx workflow.Context) {
	for {
		if err := workflow.Await(ctx, func() bool { return c.signaled.Len() > 0 }); err != nil {
			return
		}
		c.catchUpSignals(ctx)
	}
}

// catchUpSignals records the customer messages whose signals reached the
// run before the update being handled. Within one workflow task an update
// handler may run before the coroutine that receives signals, so without
// this a customer's message and their "talk to a human" tap, or a staff
// reply, could be applied in the opposite order to the one the server
// accepted them in.
func (c *conversation) catchUpSignals(ctx workflow.Context) {
	for {
		var msg CustomerMessage
		if !c.signaled.ReceiveAsync(&msg) {
			return
		}
		c.recordSignaled(ctx, msg)
	}
}

func (c *conversation) recordSignaled(ctx workflow.Context, msg CustomerMessage) {
	err := c.validateCustomerMessage(msg)
	if errorType(err) == ErrTypeReusedID {
		msg = reusedIDMessage(msg)
		err = c.validateCustomerMessage(msg)
	}
	switch {
	case errorType(err) == ErrTypeDuplicateMessage:
		return // a redelivery
	case err != nil:
		workflow.GetLogger(ctx).Warn("customer message refused", "conversation", c.workflowID, "id", msg.ID, "reason", err)
		return
	}
	_, _ = c.onCustomerMessage(ctx, msg)
}

// reusedIDMessage is msg under the ID it is recorded with when its channel
// ID came before with other content: the channel's ID, "~" and the start
// of the content's digest, so two different messages never share an ID in
// the transcript or the search index. An ID at the length limit gives up
// its end for the suffix.
func reusedIDMessage(msg CustomerMessage) CustomerMessage {
	suffix := "~" + customerDigest(msg)[:8]
	msg.ID = msg.ID[:min(len(msg.ID), chat.MaxChannelMessageIDBytes-len(suffix))] + suffix
	return msg
}

// errorType is the type of an application error, or "".
func errorType(err error) string {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return appErr.Type()
	}
	return ""
}

func (c *conversation) validateRequestAgent(req AgentRequest) error {
	if req.ID == "" {
		return invalidInput("an agent request needs an ID")
	}
	return nil
}

// onRequestAgent flags the conversation; a request already received changes
// nothing.
func (c *conversation) onRequestAgent(ctx workflow.Context, req AgentRequest) (chat.Conversation, error) {
	c.catchUpSignals(ctx)
	if _, seen := c.lookup(agentRequestIDs, req.ID); seen {
		return c.view(), nil
	}
	c.remember(agentRequestIDs, req.ID, "")
	if c.requestAgent(ctx, chat.Message{ID: req.ID}, agentRequestIDs) {
		c.upsertSearchAttributes(ctx)
	}
	return c.view(), nil
}

// requestAgent moves a bot conversation to agent_requested, has the bot
// acknowledge it and queues the alert to the business; it reports whether
// the state changed. trigger is the customer message (or request) that
// asked, and space the kind of its ID. Asking again while flagged is
// acknowledged again but alerts no one; asking during live chat changes
// nothing, as staff are already there.
func (c *conversation) requestAgent(ctx workflow.Context, trigger chat.Message, space idSpace) bool {
	c.noteAskedForHuman(workflow.Now(ctx))
	switch c.state.Status {
	case chat.StatusBot:
		c.state.Status = chat.StatusAgentRequested
		c.state.AgentRequestedAt = workflow.Now(ctx)
		c.replies.push(c.botTask(activities.BotEventAgentRequested, trigger, false))
		c.queueAlert(ctx, trigger.ID, space)
		return true
	case chat.StatusAgentRequested:
		c.replies.push(c.botTask(activities.BotEventAgentRequested, trigger, false))
	}
	return false
}

// --- staff side ---

func (c *conversation) validateSetLiveChat(ctx workflow.Context, change LiveChatChange) error {
	if !c.customerMessagesWaiting() {
		if err := c.requireWindowOpen(ctx); err != nil {
			return err
		}
	}
	return c.requireLiveChat(!change.On)
}

// customerMessagesWaiting reports whether customer messages signalled ahead
// of the update being validated are still to be recorded. A validator runs
// before them, and each can only move the window later, so the window is
// then checked by the handler, after it recorded them (catchUpSignals):
// staff are not refused at the instant the window closes by a check that
// has not seen the message that reopened it.
func (c *conversation) customerMessagesWaiting() bool {
	return c.signaled != nil && c.signaled.Len() > 0
}

// requireLiveChat rejects a switch to the state live chat is already in.
func (c *conversation) requireLiveChat(on bool) error {
	switch {
	case on && c.state.Status != chat.StatusLiveChat:
		return wrongState("live chat is already off for this customer")
	case !on && c.state.Status == chat.StatusLiveChat:
		return wrongState("live chat is already on for this customer")
	}
	return nil
}

func (c *conversation) onSetLiveChat(ctx workflow.Context, change LiveChatChange) (chat.Conversation, error) {
	c.catchUpSignals(ctx)
	if err := c.requireWindowOpen(ctx); err != nil {
		return c.view(), err
	}
	if !change.On {
		if err := c.requireLiveChat(true); err != nil {
			return c.view(), err
		}
		c.switchLiveChatOff(ctx)
		return c.view(), nil
	}
	settings, err := loadSettings(ctx)
	if err != nil {
		return c.view(), err
	}
	if err := c.requireLiveChat(false); err != nil {
		return c.view(), err
	}
	c.switchLiveChatOn(ctx, settings.InactivityTimeout)
	return c.view(), nil
}

func (c *conversation) validateStaffMessage(ctx workflow.Context, msg StaffMessage) error {
	if msg.ID == "" {
		return invalidInput("a staff message needs an ID")
	}
	if err := msg.Content.Validate(); err != nil {
		return invalidInput(err.Error())
	}
	if msg.DisplayName != "" {
		if err := chat.CheckName("display_name", msg.DisplayName); err != nil {
			return invalidInput(err.Error())
		}
	}
	if err := c.checkStaffMessage(msg); err != nil {
		return err
	}
	if c.customerMessagesWaiting() {
		return nil // the handler checks the window after recording them
	}
	return c.requireStaffWindow(ctx)
}

// onStaffMessage records the message and (re)starts the inactivity countdown,
// switching live chat on if it was off.
func (c *conversation) onStaffMessage(ctx workflow.Context, msg StaffMessage) (chat.Conversation, error) {
	c.catchUpSignals(ctx)
	settings, err := loadSettings(ctx)
	if err != nil {
		return c.view(), err
	}
	if err := c.checkStaffMessage(msg); err != nil {
		return c.view(), err
	}
	if err := c.requireStaffWindow(ctx); err != nil {
		return c.view(), err
	}
	c.remember(staffMessageIDs, msg.ID, staffDigest(msg))
	m := msg.Content.AsMessage(msg.ID, chat.SenderStaff, msg.Author, workflow.Now(ctx))
	m.DisplayName = msg.DisplayName
	if msg.Echo {
		c.record(m) // already on the channel: sent from Meta's inbox
	} else {
		c.recordOutgoing(m)
	}
	c.switchLiveChatOn(ctx, settings.InactivityTimeout)
	return c.view(), nil
}

// requireStaffWindow allows staff messages inside the window, and after it
// while the HUMAN_AGENT period runs.
func (c *conversation) requireStaffWindow(ctx workflow.Context) error {
	now := workflow.Now(ctx)
	if c.state.windowOpen(now) || c.state.humanAgentPeriod(now) {
		return nil
	}
	if chat.SentToChannel(c.state.Channel) && c.state.HumanAgentUntil.IsZero() {
		return wrongState(fmt.Sprintf("the 24-hour messaging window closed at %s; Messenger allows later replies only with the HUMAN_AGENT tag, "+
			"which is off (setting messenger_human_agent); staff can write again after the customer's next message",
			c.state.WindowClosesAt.UTC().Format(time.RFC3339)))
	}
	if !c.state.HumanAgentUntil.IsZero() {
		return wrongState(fmt.Sprintf("the 7-day HUMAN_AGENT period ended at %s; staff can write again after the customer's next message",
			c.state.HumanAgentUntil.UTC().Format(time.RFC3339)))
	}
	return c.requireWindowOpen(ctx)
}

func (c *conversation) requireWindowOpen(ctx workflow.Context) error {
	if !c.state.windowOpen(workflow.Now(ctx)) {
		return wrongState(fmt.Sprintf("the messaging window closed at %s; staff can write again after the customer's next message",
			c.state.WindowClosesAt.UTC().Format(time.RFC3339)))
	}
	return nil
}

// switchLiveChatOn turns the AI off and (re)starts the inactivity countdown
// with the timeout in force now.
func (c *conversation) switchLiveChatOn(ctx workflow.Context, timeout time.Duration) {
	c.state.Status = chat.StatusLiveChat
	c.state.AgentRequestedAt = time.Time{}
	c.state.InactivityTimeout = timeout
	c.state.LiveChatExpiresAt = workflow.Now(ctx).Add(timeout)
	c.upsertSearchAttributes(ctx)
}

// switchLiveChatOff hands the customer back to the bot and the AI.
func (c *conversation) switchLiveChatOff(ctx workflow.Context) {
	c.state.Status = chat.StatusBot
	c.state.LiveChatExpiresAt = time.Time{}
	c.upsertSearchAttributes(ctx)
}

// closeWindow acts on the end of the standard window: on Messenger with the
// HUMAN_AGENT setting on, staff may answer for up to 7 days after the
// customer's last message and the run lasts until then.
func (c *conversation) closeWindow(ctx workflow.Context) {
	c.state.WindowChecked = true
	if !chat.SentToChannel(c.state.Channel) {
		return
	}
	settings, err := loadSettings(ctx)
	if err != nil {
		workflow.GetLogger(ctx).Error("HUMAN_AGENT setting not read; staff replies end with the window", "conversation", c.workflowID, "error", err)
		return
	}
	if settings.MessengerHumanAgent {
		c.state.extendForHumanAgent(c.state.Window)
		c.index.ensurePending(indexTask{})
	}
}
