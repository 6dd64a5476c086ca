// Package workflows holds handoff's deterministic workflow code: the customer
// conversation state machine with its timers, and the settings entity. It does
// no I/O; everything with side effects runs as an activity.
package workflows

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

const (
	// transcriptKept is how many recent messages the workflow state keeps for
	// the web chat and the staff view; the full history stays in Temporal and
	// the search index.
	transcriptKept = 100
	// recentIDsKept is how many recent message IDs are remembered to drop
	// redelivered channel messages.
	recentIDsKept = 500
	// DefaultWindow is the Messenger standard messaging window.
	DefaultWindow = 24 * time.Hour
)

// ConversationState is everything a conversation carries across
// continue-as-new. It is serialized into the next run's input.
type ConversationState struct {
	Channel      string `json:"channel"`
	CustomerID   string `json:"customer_id"`
	CustomerName string `json:"customer_name,omitempty"`
	Status       Status `json:"status"`
	// Window is how long after the customer's last message staff may write.
	Window time.Duration `json:"window"`
	// WindowClosesAt is the last customer message + Window.
	WindowClosesAt time.Time `json:"window_closes_at"`
	// LiveChatExpiresAt is the last staff message (or live chat on) +
	// InactivityTimeout; zero while live chat is off.
	LiveChatExpiresAt time.Time `json:"live_chat_expires_at"`
	// InactivityTimeout is the setting that was in force when the countdown last (re)started.
	InactivityTimeout time.Duration `json:"inactivity_timeout"`
	// AgentRequestedAt is when the customer asked for a human; zero when not flagged.
	AgentRequestedAt time.Time `json:"agent_requested_at"`
	NextSeq          int64     `json:"next_seq"`
	Transcript       []Message `json:"transcript"`
	RecentIDs        []string  `json:"recent_ids"`
	// PendingBot holds customer events the bot has not reacted to yet.
	PendingBot []pendingBotEvent `json:"pending_bot"`
	// LastMessageAt is the time of the last customer or staff message.
	LastMessageAt time.Time `json:"last_message_at"`
	// PendingIndex holds customer and staff messages not in the search index
	// yet; IndexDirty says the conversation document changed since it was
	// last written there.
	PendingIndex []Message `json:"pending_index"`
	IndexDirty   bool      `json:"index_dirty"`
	// PageID is the Messenger page the customer last wrote to; replies go
	// out through it. (A PSID belongs to one page, so it does not change.)
	PageID string `json:"page_id,omitempty"`
	// Locale is the customer's language as the channel last reported it.
	Locale string `json:"locale,omitempty"`
	// PendingDelivery holds bot and staff messages not yet sent to the
	// channel, oldest first.
	PendingDelivery []Message `json:"pending_delivery,omitempty"`
	// ProfileFetched says the customer's name was asked of the channel.
	ProfileFetched bool `json:"profile_fetched,omitempty"`
	// HumanAgentChecked says the HUMAN_AGENT setting was read when the
	// window last closed; HumanAgentUntil is set when it was on.
	HumanAgentChecked bool      `json:"human_agent_checked,omitempty"`
	HumanAgentUntil   time.Time `json:"human_agent_until,omitempty"`
	// PendingAlerts are requests for a human the business has not been
	// alerted about yet; LastAlertAt is when it last was (for the cooldown);
	// Notifications are the outcomes of the latest alerts.
	PendingAlerts []pendingAlert `json:"pending_alerts,omitempty"`
	LastAlertAt   time.Time      `json:"last_alert_at,omitempty"`
	Notifications []Notification `json:"notifications,omitempty"`
}

type pendingBotEvent struct {
	Event   BotEvent `json:"event"`
	Message Message  `json:"message"`
}

// conversation is one run of the conversation workflow.
type conversation struct {
	state            ConversationState
	workflowID       string
	maxHistoryEvents int
	botBusy          bool
	// indexing is on for runs started by code that indexes (see runIndexer).
	indexing     bool
	indexingBusy bool
	// delivering is on for Messenger runs started by code that sends to the
	// channel (see startChannelWork).
	delivering   bool
	deliveryBusy bool
	profileBusy  bool
	// alerting is on for runs started by code that alerts the business
	// (see alertsVersion).
	alerting  bool
	alertBusy bool
}

// ConversationWorkflow is one customer's conversation on one channel. It starts
// with the customer's first message (update-with-start) and ends when the
// messaging window closes; a later message starts a new run.
func ConversationWorkflow(ctx workflow.Context, start ConversationStart) (ConversationView, error) {
	c := &conversation{
		workflowID:       workflow.GetInfo(ctx).WorkflowExecution.ID,
		maxHistoryEvents: start.MaxHistoryEvents,
	}
	if start.State != nil {
		c.state = *start.State
	} else {
		window := start.Window
		if window <= 0 {
			window = DefaultWindow
		}
		c.state = ConversationState{
			Channel:        start.Channel,
			CustomerID:     start.CustomerID,
			Status:         StatusBot,
			Window:         window,
			WindowClosesAt: workflow.Now(ctx).Add(window),
			// Numbering starts at the run's start time in microseconds, so
			// sequence numbers keep rising across runs: a web chat client's
			// "after" cursor stays valid when the customer comes back.
			NextSeq: workflow.Now(ctx).UnixMicro(),
		}
	}
	c.alertsVersion(ctx)
	if err := c.registerHandlers(ctx); err != nil {
		return ConversationView{}, err
	}
	c.upsertSearchAttributes(ctx)
	workflow.Go(ctx, c.runBot)
	workflow.Go(ctx, c.runIndexer)
	c.startChannelWork(ctx)
	c.startAlerter(ctx)
	return c.run(ctx, start)
}

func (c *conversation) registerHandlers(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, QueryConversation, func() (ConversationView, error) {
		return c.view(), nil
	}); err != nil {
		return fmt.Errorf("register %s query: %w", QueryConversation, err)
	}
	if err := workflow.SetQueryHandler(ctx, QueryTranscript, func(req TranscriptRequest) ([]Message, error) {
		return c.transcriptAfter(req.AfterSeq), nil
	}); err != nil {
		return fmt.Errorf("register %s query: %w", QueryTranscript, err)
	}
	updates := []struct {
		name      string
		handler   any
		validator any
	}{
		{UpdateCustomerMessage, c.onCustomerMessage, c.validateCustomerMessage},
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

// run arms one timer for the earliest deadline and reacts when it fires or
// when the deadline moves. It ends the run when the window closes and
// continues as new when the history grows long.
func (c *conversation) run(ctx workflow.Context, start ConversationStart) (ConversationView, error) {
	for {
		now := workflow.Now(ctx)
		if !c.state.LiveChatExpiresAt.IsZero() && !now.Before(c.state.LiveChatExpiresAt) {
			c.switchLiveChatOff(ctx)
			continue
		}
		if !now.Before(c.state.WindowClosesAt) && !c.state.HumanAgentChecked {
			c.state.HumanAgentChecked = true
			c.extendForHumanAgent(ctx)
			continue
		}
		if !now.Before(c.staffDeadline()) {
			if c.state.Status == StatusLiveChat {
				c.switchLiveChatOff(ctx)
			}
			if err := c.awaitIdle(ctx); err != nil {
				return c.view(), err
			}
			if workflow.Now(ctx).Before(c.state.WindowClosesAt) {
				continue // the customer wrote again while handlers finished
			}
			workflow.GetLogger(ctx).Info("messaging window closed", "conversation", c.workflowID)
			return c.view(), nil
		}

		deadline := c.nextDeadline()
		timerCtx, cancelTimer := workflow.WithCancel(ctx)
		timer := workflow.NewTimer(timerCtx, deadline.Sub(now))
		err := workflow.Await(ctx, func() bool {
			return timer.IsReady() || !c.nextDeadline().Equal(deadline) || c.shouldContinueAsNew(ctx)
		})
		if !timer.IsReady() {
			cancelTimer()
		}
		if err != nil {
			return c.view(), err
		}
		if c.shouldContinueAsNew(ctx) {
			if err := c.awaitIdle(ctx); err != nil {
				return c.view(), err
			}
			next := start
			state := c.state
			next.State = &state
			return ConversationView{}, workflow.NewContinueAsNewError(ctx, ConversationWorkflowName, next)
		}
	}
}

// awaitIdle waits until no update handler and no bot reply is in progress, so
// nothing is lost when the run ends or continues as new.
func (c *conversation) awaitIdle(ctx workflow.Context) error {
	return workflow.Await(ctx, func() bool {
		indexed := !c.indexing || (!c.indexingBusy && len(c.state.PendingIndex) == 0 && !c.state.IndexDirty)
		delivered := !c.deliveryBusy && !c.profileBusy && len(c.state.PendingDelivery) == 0
		alerted := !c.alerting || (!c.alertBusy && len(c.state.PendingAlerts) == 0)
		return workflow.AllHandlersFinished(ctx) && !c.botBusy && len(c.state.PendingBot) == 0 && indexed && delivered && alerted
	})
}

func (c *conversation) shouldContinueAsNew(ctx workflow.Context) bool {
	info := workflow.GetInfo(ctx)
	if info.GetContinueAsNewSuggested() {
		return true
	}
	return c.maxHistoryEvents > 0 && info.GetCurrentHistoryLength() >= c.maxHistoryEvents
}

// staffDeadline is when staff can no longer write: the window close, or the
// end of the HUMAN_AGENT period when that applies.
func (c *conversation) staffDeadline() time.Time {
	if c.state.HumanAgentUntil.After(c.state.WindowClosesAt) {
		return c.state.HumanAgentUntil
	}
	return c.state.WindowClosesAt
}

// nextDeadline is the earliest of the staff deadline and the live-chat expiry.
func (c *conversation) nextDeadline() time.Time {
	d := c.staffDeadline()
	if !c.state.HumanAgentChecked && c.state.WindowClosesAt.Before(d) {
		d = c.state.WindowClosesAt
	}
	if !c.state.LiveChatExpiresAt.IsZero() && c.state.LiveChatExpiresAt.Before(d) {
		d = c.state.LiveChatExpiresAt
	}
	return d
}

// --- customer side ---

func (c *conversation) validateCustomerMessage(msg CustomerMessage) error {
	if msg.ID == "" {
		return invalidInput("a customer message needs the channel's message ID")
	}
	if msg.Text == "" && msg.Payload == "" && len(msg.Attachments) == 0 {
		return invalidInput("a customer message needs text, a button payload or an attachment")
	}
	if c.seen(msg.ID) {
		return duplicate(msg.ID)
	}
	return nil
}

func (c *conversation) onCustomerMessage(ctx workflow.Context, msg CustomerMessage) (ConversationView, error) {
	if c.seen(msg.ID) {
		return c.view(), duplicate(msg.ID)
	}
	now := workflow.Now(ctx)
	if msg.CustomerName != "" {
		c.state.CustomerName = msg.CustomerName
	}
	if msg.PageID != "" {
		c.state.PageID = msg.PageID
	}
	if msg.Locale != "" {
		c.state.Locale = msg.Locale
	}
	m := c.record(Message{ID: msg.ID, Sender: SenderCustomer, Text: msg.Text, Payload: msg.Payload, Attachments: msg.Attachments, SentAt: now})
	c.state.WindowClosesAt = now.Add(c.state.Window)
	c.state.HumanAgentChecked = false
	c.state.HumanAgentUntil = time.Time{}
	switch {
	case msg.Payload == PayloadTalkToHuman || msg.AsksForHuman:
		c.requestAgent(ctx, m)
	case c.aiEnabled() || isNavigation(m):
		c.state.PendingBot = append(c.state.PendingBot, pendingBotEvent{Event: BotEventMessage, Message: m})
	}
	c.upsertSearchAttributes(ctx)
	return c.view(), nil
}

func (c *conversation) validateRequestAgent(req AgentRequest) error {
	if req.ID == "" {
		return invalidInput("an agent request needs an ID")
	}
	return nil
}

// onRequestAgent flags the conversation. Asking again while already flagged,
// or while staff are already chatting, changes nothing.
func (c *conversation) onRequestAgent(ctx workflow.Context, req AgentRequest) (ConversationView, error) {
	if c.seen(req.ID) {
		return c.view(), nil
	}
	c.remember(req.ID)
	if c.requestAgent(ctx, Message{ID: req.ID}) {
		c.upsertSearchAttributes(ctx)
	}
	return c.view(), nil
}

// requestAgent moves a bot conversation to agent_requested, has the bot
// acknowledge it and queues the alert to the business; it reports whether
// the state changed. trigger is the customer message (or request) that
// asked. Asking again while flagged is acknowledged again but alerts no one;
// asking during live chat changes nothing, as staff are already there.
func (c *conversation) requestAgent(ctx workflow.Context, trigger Message) bool {
	switch c.state.Status {
	case StatusBot:
		c.state.Status = StatusAgentRequested
		c.state.AgentRequestedAt = workflow.Now(ctx)
		c.state.PendingBot = append(c.state.PendingBot, pendingBotEvent{Event: BotEventAgentRequested, Message: trigger})
		if c.alerting {
			c.queueAlert(ctx, trigger.ID)
		}
		return true
	case StatusAgentRequested:
		if c.alerting {
			c.state.PendingBot = append(c.state.PendingBot, pendingBotEvent{Event: BotEventAgentRequested, Message: trigger})
		}
	}
	return false
}

// --- staff side ---

func (c *conversation) validateSetLiveChat(ctx workflow.Context, change LiveChatChange) error {
	if err := c.requireWindowOpen(ctx); err != nil {
		return err
	}
	if change.On && c.state.Status == StatusLiveChat {
		return wrongState("live chat is already on for this customer")
	}
	if !change.On && c.state.Status != StatusLiveChat {
		return wrongState("live chat is already off for this customer")
	}
	return nil
}

func (c *conversation) onSetLiveChat(ctx workflow.Context, change LiveChatChange) (ConversationView, error) {
	if !change.On {
		if c.state.Status != StatusLiveChat {
			return c.view(), wrongState("live chat is already off for this customer")
		}
		c.switchLiveChatOff(ctx)
		return c.view(), nil
	}
	settings, err := loadSettings(ctx)
	if err != nil {
		return c.view(), err
	}
	if c.state.Status == StatusLiveChat {
		return c.view(), wrongState("live chat is already on for this customer")
	}
	c.switchLiveChatOn(ctx, settings.InactivityTimeout)
	return c.view(), nil
}

func (c *conversation) validateStaffMessage(ctx workflow.Context, msg StaffMessage) error {
	if msg.ID == "" {
		return invalidInput("a staff message needs an ID")
	}
	if err := validateContent(msg.Text, msg.Attachments, msg.Buttons); err != nil {
		return err
	}
	if c.seen(msg.ID) {
		return duplicate(msg.ID)
	}
	return c.requireStaffWindow(ctx)
}

// validateContent checks what staff send: text or an image, and buttons that
// are either a payload or a web link.
func validateContent(text string, attachments []Attachment, buttons []Button) error {
	if text == "" && len(attachments) == 0 {
		return invalidInput("a staff message needs text or an image")
	}
	for i, a := range attachments {
		if a.Type != "image" {
			return invalidInput(fmt.Sprintf("attachment %d: only images can be sent, got type %q", i+1, a.Type))
		}
		if !isWebURL(a.URL) {
			return invalidInput(fmt.Sprintf("attachment %d: the image URL must start with http:// or https://, got %q", i+1, a.URL))
		}
	}
	for i, b := range buttons {
		switch {
		case b.Title == "":
			return invalidInput(fmt.Sprintf("button %d needs a title", i+1))
		case (b.Payload == "") == (b.URL == ""):
			return invalidInput(fmt.Sprintf("button %d (%q) needs either a payload or a URL", i+1, b.Title))
		case b.URL != "" && !isWebURL(b.URL):
			return invalidInput(fmt.Sprintf("button %d (%q): the URL must start with http:// or https://, got %q", i+1, b.Title, b.URL))
		}
	}
	return nil
}

func isWebURL(s string) bool {
	rest, ok := strings.CutPrefix(s, "https://")
	if !ok {
		rest, ok = strings.CutPrefix(s, "http://")
	}
	return ok && rest != "" && !strings.ContainsAny(s, " \t\n")
}

// onStaffMessage records the message and (re)starts the inactivity countdown,
// switching live chat on if it was off.
func (c *conversation) onStaffMessage(ctx workflow.Context, msg StaffMessage) (ConversationView, error) {
	settings, err := loadSettings(ctx)
	if err != nil {
		return c.view(), err
	}
	if c.seen(msg.ID) {
		return c.view(), duplicate(msg.ID)
	}
	if err := c.requireStaffWindow(ctx); err != nil {
		return c.view(), err
	}
	m := Message{
		ID: msg.ID, Sender: SenderStaff, Author: msg.Author, Text: msg.Text,
		Attachments: msg.Attachments, Buttons: msg.Buttons, Block: msg.Block, SentAt: workflow.Now(ctx),
	}
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
	if now.Before(c.state.WindowClosesAt) || now.Before(c.state.HumanAgentUntil) {
		return nil
	}
	if c.state.Channel == ChannelMessenger && c.delivering && c.state.HumanAgentUntil.IsZero() {
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
	if !workflow.Now(ctx).Before(c.state.WindowClosesAt) {
		return wrongState(fmt.Sprintf("the messaging window closed at %s; staff can write again after the customer's next message",
			c.state.WindowClosesAt.UTC().Format(time.RFC3339)))
	}
	return nil
}

// switchLiveChatOn turns the AI off and (re)starts the inactivity countdown
// with the timeout in force now.
func (c *conversation) switchLiveChatOn(ctx workflow.Context, timeout time.Duration) {
	now := workflow.Now(ctx)
	c.state.Status = StatusLiveChat
	c.state.AgentRequestedAt = time.Time{}
	c.state.InactivityTimeout = timeout
	c.state.LiveChatExpiresAt = now.Add(timeout)
	c.upsertSearchAttributes(ctx)
}

// switchLiveChatOff hands the customer back to the bot and the AI.
func (c *conversation) switchLiveChatOff(ctx workflow.Context) {
	c.state.Status = StatusBot
	c.state.LiveChatExpiresAt = time.Time{}
	c.upsertSearchAttributes(ctx)
}

// --- the bot ---

// runBot reacts to customer events one at a time, in the order they came, so
// replies never overtake each other.
func (c *conversation) runBot(ctx workflow.Context) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		// A reply that cannot be produced within minutes is no longer useful.
		ScheduleToCloseTimeout: 10 * time.Minute,
		RetryPolicy:            &temporal.RetryPolicy{InitialInterval: time.Second, MaximumInterval: 30 * time.Second},
	})
	for {
		if err := workflow.Await(ctx, func() bool { return len(c.state.PendingBot) > 0 }); err != nil {
			return
		}
		c.botBusy = true
		ev := c.state.PendingBot[0]
		c.state.PendingBot = c.state.PendingBot[1:]
		if ev.Event == BotEventMessage && !c.aiEnabled() && !isNavigation(ev.Message) {
			c.botBusy = false
			continue // staff took over before the bot got to it
		}
		var reply BotReply
		err := workflow.ExecuteActivity(ctx, BotReplyActivity, BotReplyRequest{
			ConversationID: c.workflowID,
			Channel:        c.state.Channel,
			CustomerID:     c.state.CustomerID,
			Event:          ev.Event,
			Message:        ev.Message,
			Locale:         c.state.Locale,
		}).Get(ctx, &reply)
		if err != nil {
			workflow.GetLogger(ctx).Error("bot reply failed", "conversation", c.workflowID, "error", err)
		} else if ev.Event != BotEventMessage || c.aiEnabled() || isNavigation(ev.Message) {
			for _, m := range reply.Messages {
				id := fmt.Sprintf("bot-%d", c.state.NextSeq)
				c.recordOutgoing(Message{ID: id, Sender: SenderBot, Text: m.Text, Attachments: m.Attachments,
					Buttons: m.Buttons, Block: m.Block, SentAt: workflow.Now(ctx)})
			}
		}
		c.botBusy = false
	}
}

// --- state helpers ---

// isNavigation reports whether a customer message is a flow button press.
func isNavigation(m Message) bool { return strings.HasPrefix(m.Payload, PayloadNavigationPrefix) }

func (c *conversation) aiEnabled() bool { return c.state.Status != StatusLiveChat }

// recordOutgoing records a bot or staff message and, on channels that are
// sent to, queues it for delivery.
func (c *conversation) recordOutgoing(m Message) Message {
	if c.delivering {
		m.Delivery = &Delivery{Status: DeliveryPending}
	}
	m = c.record(m)
	if c.delivering {
		c.state.PendingDelivery = append(c.state.PendingDelivery, m)
	}
	return m
}

// record appends a message to the transcript with the next sequence number.
func (c *conversation) record(m Message) Message {
	m.Seq = c.state.NextSeq
	c.state.NextSeq++
	c.remember(m.ID)
	if m.Sender != SenderBot {
		c.state.LastMessageAt = m.SentAt
		c.state.PendingIndex = append(c.state.PendingIndex, m)
		c.state.IndexDirty = true
	}
	c.state.Transcript = append(c.state.Transcript, m)
	if len(c.state.Transcript) > transcriptKept {
		c.state.Transcript = append([]Message(nil), c.state.Transcript[len(c.state.Transcript)-transcriptKept:]...)
	}
	return m
}

func (c *conversation) remember(id string) {
	c.state.RecentIDs = append(c.state.RecentIDs, id)
	if len(c.state.RecentIDs) > recentIDsKept {
		c.state.RecentIDs = append([]string(nil), c.state.RecentIDs[len(c.state.RecentIDs)-recentIDsKept:]...)
	}
}

func (c *conversation) seen(id string) bool {
	for _, seen := range c.state.RecentIDs {
		if seen == id {
			return true
		}
	}
	return false
}

func (c *conversation) transcriptAfter(seq int64) []Message {
	out := []Message{}
	for _, m := range c.state.Transcript {
		if m.Seq > seq {
			out = append(out, m)
		}
	}
	return out
}

func (c *conversation) view() ConversationView {
	s := c.state
	v := ConversationView{
		WorkflowID:        c.workflowID,
		Channel:           s.Channel,
		CustomerID:        s.CustomerID,
		CustomerName:      s.CustomerName,
		Status:            s.Status,
		AIEnabled:         c.aiEnabled(),
		WindowClosesAt:    s.WindowClosesAt,
		InactivityTimeout: s.InactivityTimeout,
		LastMessageSeq:    s.NextSeq - 1,
		PageID:            s.PageID,
		Locale:            s.Locale,
	}
	if len(s.Notifications) > 0 {
		v.Notifications = append([]Notification(nil), s.Notifications...)
	}
	if s.HumanAgentUntil.After(s.WindowClosesAt) {
		t := s.HumanAgentUntil
		v.HumanAgentUntil = &t
	}
	if !s.LiveChatExpiresAt.IsZero() {
		t := s.LiveChatExpiresAt
		v.LiveChatExpiresAt = &t
	}
	if !s.AgentRequestedAt.IsZero() {
		t := s.AgentRequestedAt
		v.AgentRequestedAt = &t
	}
	return v
}

// upsertSearchAttributes publishes the state for the Temporal UI and the staff list.
func (c *conversation) upsertSearchAttributes(ctx workflow.Context) {
	s := c.state
	updates := []temporal.SearchAttributeUpdate{
		SAState.ValueSet(string(s.Status)),
		SAChannel.ValueSet(s.Channel),
		SACustomerID.ValueSet(s.CustomerID),
		SAWindowClosesAt.ValueSet(s.WindowClosesAt),
		SAAgentRequested.ValueSet(!s.AgentRequestedAt.IsZero()),
	}
	if s.CustomerName != "" {
		updates = append(updates, SACustomerName.ValueSet(s.CustomerName))
	}
	if s.LiveChatExpiresAt.IsZero() {
		updates = append(updates, SALiveChatExpiresAt.ValueUnset())
	} else {
		updates = append(updates, SALiveChatExpiresAt.ValueSet(s.LiveChatExpiresAt))
	}
	if s.AgentRequestedAt.IsZero() {
		updates = append(updates, SAAgentRequestedAt.ValueUnset())
	} else {
		updates = append(updates, SAAgentRequestedAt.ValueSet(s.AgentRequestedAt))
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, updates...); err != nil {
		workflow.GetLogger(ctx).Error("upsert search attributes", "error", err)
	}
	c.state.IndexDirty = true
}

// runIndexer keeps the search index current: it writes the messages not yet
// indexed and the conversation document, one activity per batch. The activity
// is retried until the search backend takes it, so an outage delays indexing
// and loses nothing.
func (c *conversation) runIndexer(ctx workflow.Context) {
	// Runs recorded before indexing existed replay without it.
	if workflow.GetVersion(ctx, "search-index", workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return
	}
	c.indexing = true
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, MaximumInterval: time.Minute},
	})
	for {
		if err := workflow.Await(ctx, func() bool { return len(c.state.PendingIndex) > 0 || c.state.IndexDirty }); err != nil {
			return
		}
		c.indexingBusy = true
		batch := c.state.PendingIndex
		c.state.PendingIndex = nil
		c.state.IndexDirty = false
		err := workflow.ExecuteActivity(ctx, IndexActivity, IndexRequest{
			Conversation: c.document(workflow.Now(ctx)), Messages: batch,
		}).Get(ctx, nil)
		if err != nil {
			// Only cancellation ends the retries; keep the work for the next run.
			c.state.PendingIndex = append(batch, c.state.PendingIndex...)
			c.state.IndexDirty = true
			c.indexingBusy = false
			return
		}
		c.indexingBusy = false
	}
}

// document is the conversation as the search index keeps it.
func (c *conversation) document(now time.Time) ConversationDocument {
	v := c.view()
	return ConversationDocument{
		ID:                c.workflowID,
		Channel:           c.state.Channel,
		CustomerID:        c.state.CustomerID,
		CustomerName:      c.state.CustomerName,
		State:             c.state.Status,
		LastMessageAt:     c.state.LastMessageAt,
		WindowClosesAt:    c.state.WindowClosesAt,
		AgentRequestedAt:  v.AgentRequestedAt,
		LiveChatExpiresAt: v.LiveChatExpiresAt,
		UpdatedAt:         now,
	}
}

// loadSettings reads the settings in force through a local activity, so the
// value is recorded in history and replays the same.
func loadSettings(ctx workflow.Context) (Settings, error) {
	ctx = workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout:    5 * time.Second,
		ScheduleToCloseTimeout: time.Minute,
	})
	var s Settings
	if err := workflow.ExecuteLocalActivity(ctx, LoadSettingsActivity).Get(ctx, &s); err != nil {
		return Settings{}, fmt.Errorf("load settings: %w", err)
	}
	if s.InactivityTimeout <= 0 {
		return Settings{}, errors.New("load settings: inactivity timeout is not set")
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
