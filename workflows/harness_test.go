package workflows_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/converter"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/handoff-chat/handoff/activities"
	"github.com/handoff-chat/handoff/internal/chat"
	"github.com/handoff-chat/handoff/workflows"
)

var start = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

// harness drives one conversation workflow in the SDK test environment with
// time skipping. Steps are scheduled at offsets from the start; their results
// are checked in later steps or after the run.
type harness struct {
	t        *testing.T
	env      *testsuite.TestWorkflowEnvironment
	settings chat.Settings
	loads    int
	// indexed records what the workflow sent to the search index; the first
	// indexFailures calls fail as if the backend were down.
	indexed       []activities.IndexRequest
	indexFailures int
	// channel is the conversation's channel (web chat unless a test sets it).
	channel string
	// delivered records what was sent to Messenger; deliver decides each
	// attempt's outcome (nil: success).
	delivered []activities.DeliveryRequest
	attempts  int
	deliver   func(attempt int, req activities.DeliveryRequest) error
	// unfinished, when it answers true, makes an attempt send one part
	// more than the request says were sent and report the rest unfinished.
	unfinished func(attempt int, req activities.DeliveryRequest) bool
	// profileName is what the profile activity answers, after failing
	// profileFailures times as if the Graph API were down.
	profileName     string
	profileFailures int
	profileRequests []activities.ProfileRequest
	// alerts records every attempt to alert the business; alert decides
	// each attempt's outcome (nil: success). The email and SMS activities
	// run at the same time, hence alertsMu.
	alertsMu sync.Mutex
	alerts   []alertAttempt
	alert    func(medium chat.NotificationMedium, attempt int) error
}

// alertAttempt is one call of a notify activity.
type alertAttempt struct {
	medium chat.NotificationMedium
	req    activities.AgentAlert
	err    error
}

// sentAlerts are the alerts that went out, by medium.
func (h *harness) sentAlerts(medium chat.NotificationMedium) []activities.AgentAlert {
	var out []activities.AgentAlert
	for _, a := range h.alerts {
		if a.medium == medium && a.err == nil {
			out = append(out, a.req)
		}
	}
	return out
}

// The activities' typed handles, as the workflows use them: the mocks below
// replace each by method reference.
var (
	settingsActivities  *activities.Settings
	botActivities       *activities.Bot
	searchActivities    *activities.Search
	messengerActivities *activities.Messenger
	alertActivities     *activities.Alerter
)

func newHarness(t *testing.T) *harness {
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler)))
	h := &harness{t: t, env: suite.NewTestWorkflowEnvironment()}
	h.settings = chat.Settings{InactivityTimeout: time.Hour}
	h.channel = chat.ChannelWebChat
	h.env.SetStartTime(start)
	workflows.Register(h.env)
	h.env.RegisterActivity(&activities.Bot{Reply: map[string]string{"en": "bot reply", "bg": "отговор на бота"}, AgentRequestedReply: map[string]string{"en": "staff alerted", "bg": "екипът е уведомен"}})
	h.env.OnActivity(settingsActivities.LoadSettings, mock.Anything).Return(func(context.Context) (chat.Settings, error) {
		h.loads++
		return h.settings, nil
	})
	h.env.OnActivity(searchActivities.IndexConversation, mock.Anything, mock.Anything).Return(func(_ context.Context, req activities.IndexRequest) error {
		if h.indexFailures > 0 {
			h.indexFailures--
			return errors.New("search backend unavailable")
		}
		h.indexed = append(h.indexed, req)
		return nil
	})
	h.env.OnActivity(messengerActivities.DeliverMessage, mock.Anything, mock.Anything).Return(
		func(_ context.Context, req activities.DeliveryRequest) (activities.DeliveryResult, error) {
			h.attempts++
			if h.unfinished != nil && h.unfinished(h.attempts, req) {
				sent := append(append([]string(nil), req.Sent...), fmt.Sprintf("mid.%s.%d", req.Message.ID, len(req.Sent)))
				return activities.DeliveryResult{ChannelMessageIDs: sent, Unfinished: "graph API answered 500"}, nil
			}
			if h.deliver != nil {
				if err := h.deliver(h.attempts, req); err != nil {
					return activities.DeliveryResult{}, err
				}
			}
			h.delivered = append(h.delivered, req)
			return activities.DeliveryResult{ChannelMessageIDs: append(append([]string(nil), req.Sent...), "mid."+req.Message.ID)}, nil
		})
	h.env.OnActivity(messengerActivities.FetchCustomerProfile, mock.Anything, mock.Anything).Return(
		func(_ context.Context, req activities.ProfileRequest) (activities.CustomerProfile, error) {
			h.profileRequests = append(h.profileRequests, req)
			if len(h.profileRequests) <= h.profileFailures {
				return activities.CustomerProfile{}, errors.New("graph API unavailable")
			}
			return activities.CustomerProfile{Name: h.profileName}, nil
		})
	h.env.OnActivity(alertActivities.NotifyByEmail, mock.Anything, mock.Anything).Return(h.notify(chat.MediumEmail))
	h.env.OnActivity(alertActivities.NotifyBySMS, mock.Anything, mock.Anything).Return(h.notify(chat.MediumSMS))
	return h
}

// notify is the fake of the alert activity of one medium.
func (h *harness) notify(medium chat.NotificationMedium) func(context.Context, activities.AgentAlert) (activities.AlertResult, error) {
	return func(_ context.Context, req activities.AgentAlert) (activities.AlertResult, error) {
		h.alertsMu.Lock()
		defer h.alertsMu.Unlock()
		attempt := 1
		for _, a := range h.alerts {
			if a.medium == medium && a.req.ID == req.ID {
				attempt++
			}
		}
		var err error
		if h.alert != nil {
			err = h.alert(medium, attempt)
		}
		h.alerts = append(h.alerts, alertAttempt{medium: medium, req: req, err: err})
		if err != nil {
			return activities.AlertResult{}, err
		}
		return activities.AlertResult{Receipt: "receipt-" + req.ID}, nil
	}
}

// outcome is what one update returned.
type outcome struct {
	done     bool
	rejected error
	err      error
	view     chat.Conversation
}

func (o *outcome) Accept()          {}
func (o *outcome) Reject(err error) { o.done, o.rejected = true, err }
func (o *outcome) Complete(result any, err error) {
	o.done, o.err = true, err
	if v, ok := result.(chat.Conversation); ok {
		o.view = v
	}
}

// at runs fn at offset d from the start.
func (h *harness) at(d time.Duration, fn func()) { h.env.RegisterDelayedCallback(fn, d) }

// update sends an update at offset d and returns where its outcome will be.
func (h *harness) update(d time.Duration, name string, arg any) *outcome {
	o := &outcome{}
	h.at(d, func() { h.env.UpdateWorkflow(name, "", o, arg) })
	return o
}

func (h *harness) customer(d time.Duration, id, text string) *outcome {
	return h.update(d, workflows.UpdateCustomerMessage, workflows.CustomerMessage{ID: id, Text: text, CustomerName: "Мария Петрова"})
}

func (h *harness) staff(d time.Duration, id, text string) *outcome {
	return h.update(d, workflows.UpdateStaffMessage, workflows.StaffMessage{ID: id, Author: "alice", Content: chat.Content{Text: text}})
}

func (h *harness) liveChat(d time.Duration, on bool) *outcome {
	return h.update(d, workflows.UpdateSetLiveChat, workflows.LiveChatChange{On: on, Author: "alice"})
}

// viewAt records the conversation as a query sees it at offset d.
func (h *harness) viewAt(d time.Duration) *chat.Conversation {
	v := &chat.Conversation{}
	h.at(d, func() {
		res, err := h.env.QueryWorkflow(workflows.QueryConversation)
		if err != nil {
			h.t.Errorf("query at %s: %v", d, err)
			return
		}
		if err := res.Get(v); err != nil {
			h.t.Errorf("decode query at %s: %v", d, err)
		}
	})
	return v
}

func (h *harness) transcriptAt(d time.Duration) *[]chat.Message {
	msgs := &[]chat.Message{}
	h.at(d, func() {
		res, err := h.env.QueryWorkflow(workflows.QueryTranscript, workflows.TranscriptRequest{})
		if err != nil {
			h.t.Errorf("transcript query at %s: %v", d, err)
			return
		}
		if err := res.Get(msgs); err != nil {
			h.t.Errorf("decode transcript at %s: %v", d, err)
		}
	})
	return msgs
}

// run executes the conversation until it ends and returns its final view.
func (h *harness) run() chat.Conversation {
	h.t.Helper()
	h.env.ExecuteWorkflow(workflows.ConversationWorkflowName, workflows.ConversationStart{
		Channel: h.channel, CustomerID: "visitor-1", Window: 24 * time.Hour,
	})
	if !h.env.IsWorkflowCompleted() {
		h.t.Fatal("workflow did not complete")
	}
	if err := h.env.GetWorkflowError(); err != nil {
		h.t.Fatalf("workflow failed: %v", err)
	}
	var final chat.Conversation
	if err := h.env.GetWorkflowResult(&final); err != nil {
		h.t.Fatalf("workflow result: %v", err)
	}
	return final
}

func mustSucceed(t *testing.T, name string, o *outcome) {
	t.Helper()
	if !o.done {
		t.Fatalf("%s: update never finished", name)
	}
	if o.rejected != nil || o.err != nil {
		t.Fatalf("%s: rejected=%v err=%v", name, o.rejected, o.err)
	}
}

func errorType(err error) string {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return appErr.Type()
	}
	return ""
}

// runUntilContinueAsNew executes the conversation from start until it
// continues as new and returns the next run's input.
func (h *harness) runUntilContinueAsNew(start workflows.ConversationStart) workflows.ConversationStart {
	h.t.Helper()
	h.env.ExecuteWorkflow(workflows.ConversationWorkflowName, start)
	var can *workflow.ContinueAsNewError
	if err := h.env.GetWorkflowError(); !errors.As(err, &can) {
		h.t.Fatalf("workflow ended with %v, want continue-as-new", err)
	}
	var next workflows.ConversationStart
	if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &next); err != nil {
		h.t.Fatalf("decode continue-as-new input: %v", err)
	}
	return next
}
