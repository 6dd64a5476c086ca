package workflows_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"

	"github.com/handoff-chat/handoff/activities"
	"github.com/handoff-chat/handoff/internal/chat"
	"github.com/handoff-chat/handoff/workflows"
)

// stubAnswerer answers questions about delivery with kb-01 and declines
// everything else.
type stubAnswerer struct{}

func (stubAnswerer) Answer(_ context.Context, question, _ string) (activities.KnowledgeAnswer, error) {
	if strings.Contains(question, "delivery") {
		return activities.KnowledgeAnswer{EntryID: "kb-01", Score: 0.9, Confident: true, Text: "1-2 days"}, nil
	}
	return activities.KnowledgeAnswer{Score: 0.2, Reason: "low_confidence"}, nil
}

// withAI has the harness's bot answer free text with stubAnswerer.
func withAI(h *harness) *harness {
	bot := &activities.Bot{Reply: map[string]string{"en": "bot reply"}, AgentRequestedReply: map[string]string{"en": "staff alerted"},
		Answerer: stubAnswerer{}}
	h.env.OnActivity(botActivities.BotReply, mock.Anything, mock.Anything).Return(bot.BotReply)
	return h
}

func aiMarker(t *testing.T, msgs []chat.Message, id string) chat.AIAnswer {
	t.Helper()
	m := findMessage(t, msgs, id)
	if m.AI == nil {
		t.Fatalf("message %s has no AI marker: %+v", id, m)
	}
	return *m.AI
}

func TestAIAnswerIsMarkedWithHelpedAndAHumanRequestedAfterIt(t *testing.T) {
	h := withAI(newHarness(t))
	h.customer(0, "q1", "how long does delivery take?")
	answeredAt := h.transcriptAt(time.Minute)
	h.update(2*time.Minute, workflows.UpdateCustomerMessage, workflows.CustomerMessage{ID: "h1", Text: "That helped", Payload: chat.PayloadAIHelped + ":kb-01"})
	ask := h.update(5*time.Minute, workflows.UpdateCustomerMessage, workflows.CustomerMessage{ID: "r1", Text: "operator please", AsksForHuman: true})
	after := h.transcriptAt(6 * time.Minute)
	h.run()

	first := aiMarker(t, *answeredAt, "q1")
	if first.EntryID != "kb-01" || first.Score != 0.9 || first.Declined || first.Helped || first.AskedForHuman {
		t.Errorf("marker after the answer %+v, want kb-01 at 0.9", first)
	}
	var botTexts []string
	for _, m := range *answeredAt {
		if m.Sender == chat.SenderBot {
			botTexts = append(botTexts, m.Text)
		}
	}
	if len(botTexts) != 2 || botTexts[0] != "1-2 days" {
		t.Errorf("bot said %q, want the entry's answer and the did-it-help question", botTexts)
	}
	mustSucceed(t, "asking for a human", ask)
	final := aiMarker(t, *after, "q1")
	if !final.Helped || !final.AskedForHuman {
		t.Errorf("marker %+v, want helped and asked for a human within 10 minutes", final)
	}
	if ask.view.Status != chat.StatusAgentRequested {
		t.Errorf("state %s, want agent_requested", ask.view.Status)
	}
}

func TestYesToTheOfferOfAHumanRequestsOne(t *testing.T) {
	h := withAI(newHarness(t))
	h.customer(0, "q1", "can I pay with bitcoin?")
	yes := h.update(time.Minute, workflows.UpdateCustomerMessage, workflows.CustomerMessage{ID: "y1", Text: "Да!"})
	transcript := h.transcriptAt(2 * time.Minute)
	h.run()
	mustSucceed(t, "yes", yes)
	if yes.view.Status != chat.StatusAgentRequested {
		t.Errorf("after yes to the offer: %s, want agent_requested", yes.view.Status)
	}
	if m := aiMarker(t, *transcript, "q1"); !m.Declined || m.Reason != "low_confidence" || m.EntryID != "" {
		t.Errorf("marker %+v, want a decline", m)
	}
}

func TestTheOfferLastsOneMessageAndAnswersAgeOut(t *testing.T) {
	h := withAI(newHarness(t))
	h.customer(0, "q1", "can I pay with bitcoin?")
	h.customer(time.Minute, "q2", "and what about delivery?")
	yes := h.update(2*time.Minute, workflows.UpdateCustomerMessage, workflows.CustomerMessage{ID: "y1", Text: "yes"})
	late := h.update(20*time.Minute, workflows.UpdateCustomerMessage, workflows.CustomerMessage{ID: "r1", Text: "operator", AsksForHuman: true})
	transcript := h.transcriptAt(21 * time.Minute)
	h.run()
	mustSucceed(t, "yes after an answer", yes)
	if yes.view.Status != chat.StatusBot {
		t.Errorf("a yes after the answer (no offer pending): %s, want bot", yes.view.Status)
	}
	mustSucceed(t, "late request", late)
	if m := aiMarker(t, *transcript, "q2"); m.AskedForHuman {
		t.Errorf("marker %+v: a request 19 minutes after the answer does not count against it", m)
	}
}

// lastIndexed is the last version of a customer message the workflow sent
// to the search index.
func lastIndexed(h *harness, id string) *chat.Message {
	var last *chat.Message
	for _, req := range h.indexed {
		for i, m := range req.Messages {
			if m.ID == id && m.Sender == chat.SenderCustomer {
				last = &req.Messages[i]
			}
		}
	}
	return last
}

func TestAIMarkerChangesReachTheSearchIndex(t *testing.T) {
	h := withAI(newHarness(t))
	h.customer(0, "q1", "how long does delivery take?")
	h.customer(30*time.Second, "q2", "can I pay with bitcoin?")
	h.update(2*time.Minute, workflows.UpdateCustomerMessage, workflows.CustomerMessage{ID: "h1", Text: "That helped", Payload: chat.PayloadAIHelped + ":kb-01"})
	h.update(5*time.Minute, workflows.UpdateCustomerMessage, workflows.CustomerMessage{ID: "r1", Text: "operator please", AsksForHuman: true})
	h.transcriptAt(6 * time.Minute)
	h.run()

	q1 := lastIndexed(h, "q1")
	if q1 == nil || q1.AI == nil || q1.AI.EntryID != "kb-01" || !q1.AI.Helped {
		t.Fatalf("q1 as last indexed: %+v, want answered by kb-01 and helped", q1)
	}
	q2 := lastIndexed(h, "q2")
	if q2 == nil || q2.AI == nil || !q2.AI.Declined || q2.AI.Reason != "low_confidence" {
		t.Fatalf("q2 as last indexed: %+v, want declined", q2)
	}
	for _, req := range h.indexed {
		seen := map[string]bool{}
		for _, m := range req.Messages {
			if seen[m.ID] {
				t.Errorf("message %s twice in one batch", m.ID)
			}
			seen[m.ID] = true
		}
	}
}
