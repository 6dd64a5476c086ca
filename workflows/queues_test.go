package workflows_test

import (
	"strings"
	"testing"
	"time"

	"github.com/handoff-chat/handoff/workflows"
)

// A run that continues as new waits only for the item in flight: queued
// items travel in the state and the next run handles them.
func TestQueuedWorkTravelsAcrossContinueAsNew(t *testing.T) {
	h := newHarness(t)
	h.indexFailures = 4 // m1's batch is retried for about 15s of workflow time
	h.customer(0, "m1", "first")
	h.customer(time.Second, "m2", "second")
	h.staff(2*time.Second, "s1", "staff here")
	h.at(3*time.Second, func() { h.env.SetContinueAsNewSuggested(true) })
	next := h.runUntilContinueAsNew(workflows.ConversationStart{Channel: h.channel, CustomerID: "visitor-1", Window: 24 * time.Hour})
	if got := indexedIDs(h); got != "m1" {
		t.Errorf("indexed before continue-as-new: %q, want only m1, the batch in flight", got)
	}
	var carried []string
	for _, task := range next.State.PendingIndex {
		if task.Message != nil {
			carried = append(carried, task.Message.ID)
		}
	}
	if strings.Join(carried, ",") != "m2,s1" {
		t.Errorf("carried index work %v, want m2 and s1", carried)
	}

	h2 := newHarness(t)
	h2.env.SetStartTime(h.env.Now())
	h2.env.ExecuteWorkflow(workflows.ConversationWorkflowName, next)
	if err := h2.env.GetWorkflowError(); err != nil {
		t.Fatalf("next run failed: %v", err)
	}
	if got := indexedIDs(h2); got != "m2,s1" {
		t.Errorf("indexed by the next run: %q, want m2 and s1", got)
	}
}

func indexedIDs(h *harness) string {
	var ids []string
	for _, req := range h.indexed {
		for _, m := range req.Messages {
			ids = append(ids, m.ID)
		}
	}
	return strings.Join(ids, ",")
}
