package workflows_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/converter"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/handoff-chat/handoff/activities"
	"github.com/handoff-chat/handoff/internal/knowledge"
	"github.com/handoff-chat/handoff/workflows"
)

// knowledgeOutcome is where one update's outcome lands.
type knowledgeOutcome struct {
	done     bool
	rejected error
	err      error
	result   workflows.KnowledgeResult
}

func (o *knowledgeOutcome) Accept()          {}
func (o *knowledgeOutcome) Reject(err error) { o.done, o.rejected = true, err }
func (o *knowledgeOutcome) Complete(result any, err error) {
	o.done, o.err = true, err
	if r, ok := result.(workflows.KnowledgeResult); ok {
		o.result = r
	}
}

func (o *knowledgeOutcome) mustBe(t *testing.T, name, outcome string) {
	t.Helper()
	if !o.done || o.rejected != nil || o.err != nil {
		t.Fatalf("%s: done=%v rejected=%v err=%v", name, o.done, o.rejected, o.err)
	}
	if o.result.Outcome != outcome {
		t.Errorf("%s: outcome %q, want %q", name, o.result.Outcome, outcome)
	}
}

func (o *knowledgeOutcome) mustBeRefused(t *testing.T, name, errType string) {
	t.Helper()
	if !o.done || errorType(o.rejected) != errType {
		t.Errorf("%s: rejected=%v err=%v, want a %s rejection", name, o.rejected, o.err, errType)
	}
}

type knowledgeHarness struct {
	env *testsuite.TestWorkflowEnvironment
	// indexed are the index writes that succeeded; the first indexFailures
	// attempts fail.
	indexed       []activities.KnowledgeIndexRequest
	indexFailures int
}

func newKnowledgeHarness() *knowledgeHarness {
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler)))
	env := suite.NewTestWorkflowEnvironment()
	env.SetStartTime(start)
	env.RegisterWorkflowWithOptions(workflows.KnowledgeWorkflow, workflow.RegisterOptions{Name: workflows.KnowledgeWorkflowName})
	h := &knowledgeHarness{env: env}
	env.RegisterActivity(&activities.Search{})
	env.OnActivity(searchActivities.IndexKnowledgeEntry, mock.Anything, mock.Anything).Return(
		func(_ context.Context, req activities.KnowledgeIndexRequest) error {
			if h.indexFailures > 0 {
				h.indexFailures--
				return errors.New("search backend unavailable")
			}
			h.indexed = append(h.indexed, req)
			return nil
		})
	return h
}

func (h *knowledgeHarness) update(d time.Duration, name string, arg any) *knowledgeOutcome {
	o := &knowledgeOutcome{}
	h.env.RegisterDelayedCallback(func() { h.env.UpdateWorkflow(name, "", o, arg) }, d)
	return o
}

func (h *knowledgeHarness) put(d time.Duration, author, requestID string, e knowledge.Entry) *knowledgeOutcome {
	return h.update(d, workflows.UpdateKnowledgePut, workflows.KnowledgePut{Entry: e, Author: author, RequestID: requestID})
}

func (h *knowledgeHarness) del(d time.Duration, author, requestID string) *knowledgeOutcome {
	return h.update(d, workflows.UpdateKnowledgeDelete, workflows.KnowledgeDelete{Author: author, RequestID: requestID})
}

func (h *knowledgeHarness) query(t *testing.T, d time.Duration, into *workflows.KnowledgeView) {
	h.env.RegisterDelayedCallback(func() {
		res, err := h.env.QueryWorkflow(workflows.QueryKnowledge)
		if err == nil {
			err = res.Get(into)
		}
		if err != nil {
			t.Errorf("query: %v", err)
		}
	}, d)
}

func deliveryEntry() knowledge.Entry {
	return knowledge.Entry{
		ID: "delivery-time", Lang: "bg",
		Question:   "Колко време отнема доставката?",
		Alternates: []string{"Кога ще пристигне пратката?"},
		Answer:     "Доставката отнема 1-2 работни дни.",
		Translations: map[string]knowledge.Translation{
			"en": {Question: "How long does delivery take?", Answer: "Delivery takes 1-2 working days."},
		},
	}
}

func TestKnowledgeEntryRecordsWhoChangedWhatAndWhen(t *testing.T) {
	h := newKnowledgeHarness()
	entry := deliveryEntry()
	edited := deliveryEntry()
	edited.Answer = "Доставката отнема 1-3 работни дни."
	edited.Translations = map[string]knowledge.Translation{
		"en": {Question: "How long does delivery take?", Answer: "Delivery takes 1-3 working days."},
	}
	invalid := deliveryEntry()
	invalid.Answer = " "
	otherID := deliveryEntry()
	otherID.ID = "returns"

	created := h.put(time.Minute, "alice", "r1", entry)
	retried := h.put(2*time.Minute, "alice", "r1", entry)
	refused := h.put(3*time.Minute, "mallory", "r2", invalid)
	misplaced := h.put(4*time.Minute, "mallory", "r3", otherID)
	edit := h.put(5*time.Minute, "bob", "r4", edited)
	same := h.put(6*time.Minute, "bob", "r5", edited)
	reused := h.put(7*time.Minute, "bob", "r4", entry)
	var before workflows.KnowledgeView
	h.query(t, 8*time.Minute, &before)
	deleted := h.del(9*time.Minute, "carol", "d1")
	deleteRetried := h.del(10*time.Minute, "carol", "d1")
	deletedAgain := h.del(11*time.Minute, "carol", "d2")
	var after workflows.KnowledgeView
	h.query(t, 12*time.Minute, &after)
	recreated := h.put(13*time.Minute, "alice", "r6", entry)
	var last workflows.KnowledgeView
	h.query(t, 14*time.Minute, &last)
	h.env.RegisterDelayedCallback(func() { h.env.SetContinueAsNewSuggested(true) }, 15*time.Minute)
	h.env.ExecuteWorkflow(workflows.KnowledgeWorkflowName, workflows.KnowledgeState{ID: entry.ID})

	created.mustBe(t, "create", workflows.KnowledgeCreated)
	retried.mustBe(t, "retried create", workflows.KnowledgeUnchanged)
	refused.mustBeRefused(t, "blank answer", workflows.ErrTypeInvalidInput)
	misplaced.mustBeRefused(t, "another entry's id", workflows.ErrTypeInvalidInput)
	edit.mustBe(t, "edit", workflows.KnowledgeEdited)
	same.mustBe(t, "the same content again", workflows.KnowledgeUnchanged)
	reused.mustBeRefused(t, "r4 with other content", workflows.ErrTypeReusedID)
	deleted.mustBe(t, "delete", workflows.KnowledgeDeleted)
	deleteRetried.mustBe(t, "retried delete", workflows.KnowledgeDeleted)
	deletedAgain.mustBeRefused(t, "delete of a deleted entry", workflows.ErrTypeNotFound)
	recreated.mustBe(t, "put after delete", workflows.KnowledgeCreated)

	if before.Entry == nil || before.Entry.Answer != edited.Answer {
		t.Errorf("entry before the delete %+v, want the edited one", before.Entry)
	}
	if len(before.Changes) != 2 {
		t.Fatalf("changes %+v, want alice's creation once (the retry and the unchanged put record nothing) and bob's edit", before.Changes)
	}
	if c := before.Changes[0]; c.Author != "alice" || c.Action != workflows.KnowledgeCreated || c.RequestID != "r1" || !c.At.Equal(start.Add(time.Minute)) {
		t.Errorf("creation %+v", c)
	}
	if c := before.Changes[1]; c.Author != "bob" || c.Action != workflows.KnowledgeEdited || !c.At.Equal(start.Add(5*time.Minute)) ||
		!slices.Equal(c.Fields, []string{"answer", "translations.en"}) {
		t.Errorf("edit %+v, want bob's edit of answer and translations.en", c)
	}
	if after.Entry != nil {
		t.Errorf("entry after the delete %+v, want none", after.Entry)
	}
	if n := len(after.Changes); n != 3 || after.Changes[2].Author != "carol" || after.Changes[2].Action != workflows.KnowledgeDeleted {
		t.Errorf("changes after the delete %+v, want carol's delete last", after.Changes)
	}
	if last.Entry == nil || last.Entry.Answer != entry.Answer || len(last.Changes) != 4 {
		t.Errorf("after the put that re-created it: %+v", last)
	}

	var can *workflow.ContinueAsNewError
	if err := h.env.GetWorkflowError(); !errors.As(err, &can) {
		t.Fatalf("knowledge workflow ended with %v, want continue-as-new", err)
	}
	var next workflows.KnowledgeState
	if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &next); err != nil {
		t.Fatal(err)
	}
	if next.ID != entry.ID || next.Entry == nil || len(next.Changes) != 4 || next.Requests["r4"] == "" ||
		next.Revision != 4 || next.Indexed != 4 {
		t.Errorf("carried state %+v, want the entry, its changes and request IDs, revision 4, indexed", next)
	}
	// Every change reached the index, in order, the delete as no entry.
	var got []string
	for _, req := range h.indexed {
		answer := "deleted"
		if req.Entry != nil {
			answer = req.Entry.Answer
		}
		got = append(got, fmt.Sprintf("%d:%s", req.Revision, answer))
	}
	want := []string{"1:" + entry.Answer, "2:" + edited.Answer, "3:deleted", "4:" + entry.Answer}
	if !slices.Equal(got, want) {
		t.Errorf("index writes %v, want %v", got, want)
	}
}

// A put with IfRevision applies only at that revision, so two staff
// members editing at once cannot overwrite each other; a retry of an
// applied put still answers. An index outage delays the index write and
// loses nothing: the write is retried, and changes made meanwhile follow.
func TestKnowledgeEntryCompareAndSetAndIndexRetries(t *testing.T) {
	h := newKnowledgeHarness()
	h.indexFailures = 3
	entry := deliveryEntry()
	first, second := deliveryEntry(), deliveryEntry()
	first.Alternates = append(first.Alternates, "first")
	second.Alternates = append(second.Alternates, "second")
	put := func(d time.Duration, requestID string, e knowledge.Entry, ifRevision int64) *knowledgeOutcome {
		return h.update(d, workflows.UpdateKnowledgePut, workflows.KnowledgePut{Entry: e, Author: "alice", RequestID: requestID, IfRevision: ifRevision})
	}
	created := put(time.Minute, "c", entry, 0)
	won := put(2*time.Minute, "a", first, 1)
	lost := put(3*time.Minute, "b", second, 1)
	retried := put(4*time.Minute, "a", first, 1)
	var view workflows.KnowledgeView
	h.query(t, 5*time.Minute, &view)
	h.env.RegisterDelayedCallback(func() { h.env.SetContinueAsNewSuggested(true) }, 10*time.Minute)
	h.env.ExecuteWorkflow(workflows.KnowledgeWorkflowName, workflows.KnowledgeState{ID: entry.ID})

	created.mustBe(t, "create", workflows.KnowledgeCreated)
	won.mustBe(t, "edit at revision 1", workflows.KnowledgeEdited)
	lost.mustBeRefused(t, "edit at revision 1 after another", workflows.ErrTypeRevisionMismatch)
	retried.mustBe(t, "retry of the applied edit", workflows.KnowledgeUnchanged)
	if view.Revision != 2 || view.Entry == nil || !slices.Contains(view.Entry.Alternates, "first") || slices.Contains(view.Entry.Alternates, "second") {
		t.Errorf("view %+v, want revision 2 with the first edit only", view)
	}
	if n := len(h.indexed); n == 0 || h.indexed[n-1].Revision != 2 || !slices.Contains(h.indexed[n-1].Entry.Alternates, "first") {
		t.Errorf("index writes %+v, want revision 2 last", h.indexed)
	}
}

// A delete of an entry that was never created is refused; the workflow then
// holds no entry.
func TestKnowledgeEntryDeleteBeforeCreateIsNotFound(t *testing.T) {
	h := newKnowledgeHarness()
	del := h.del(time.Minute, "alice", "")
	anonymous := h.put(2*time.Minute, "", "", deliveryEntry())
	var view workflows.KnowledgeView
	h.query(t, 3*time.Minute, &view)
	h.env.RegisterDelayedCallback(func() { h.env.SetContinueAsNewSuggested(true) }, 4*time.Minute)
	h.env.ExecuteWorkflow(workflows.KnowledgeWorkflowName, workflows.KnowledgeState{ID: "delivery-time"})
	del.mustBeRefused(t, "delete before create", workflows.ErrTypeNotFound)
	anonymous.mustBeRefused(t, "put without an author", workflows.ErrTypeInvalidInput)
	if view.Entry != nil || len(view.Changes) != 0 {
		t.Errorf("view %+v, want no entry and no changes", view)
	}
}
