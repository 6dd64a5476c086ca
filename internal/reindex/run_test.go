package reindex_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/serviceerror"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/handoff-chat/handoff/internal/chat"
	"github.com/handoff-chat/handoff/internal/reindex"
	"github.com/handoff-chat/handoff/search"
	"github.com/handoff-chat/handoff/search/bleveindex"
	"github.com/handoff-chat/handoff/search/searchtest"
	"github.com/handoff-chat/handoff/workflows"
)

// recordedTemporal answers the two calls a rebuild makes of Temporal from
// histories recorded from real runs: ListWorkflow lists the runs of the
// workflow type (and status) the query names, GetWorkflowHistory returns a
// run's history. The rebuild against the real server is tested end to end
// in internal/app (reindex_test.go).
type recordedTemporal struct {
	runs []recordedRun
	// gone are run IDs whose history is deleted after they were listed.
	gone map[string]bool
}

type recordedRun struct {
	workflowID, runID, workflowType string
	start                           time.Time
	running                         bool
	history                         *historypb.History
}

// recordedRunsOf lists the histories as runs: a conversation's workflow ID
// is its channel and customer, an entry's its ID, and a run's ID and start
// are those its first event recorded.
func recordedRunsOf(t *testing.T, running bool, histories ...*historypb.History) []recordedRun {
	t.Helper()
	var runs []recordedRun
	for _, h := range histories {
		started := h.GetEvents()[0]
		attrs := started.GetWorkflowExecutionStartedEventAttributes()
		r := recordedRun{
			runID: attrs.GetOriginalExecutionRunId(), workflowType: attrs.GetWorkflowType().GetName(),
			start: started.GetEventTime().AsTime(), running: running, history: h,
		}
		switch r.workflowType {
		case workflows.ConversationWorkflowName:
			r.workflowID = conversationOf(t, h)
		case workflows.KnowledgeWorkflowName:
			var state workflows.KnowledgeState
			decode(t, attrs.GetInput(), &state)
			r.workflowID = workflows.KnowledgeWorkflowID(state.ID)
		}
		runs = append(runs, r)
	}
	return runs
}

func (rt *recordedTemporal) ListWorkflow(_ context.Context, req *workflowservice.ListWorkflowExecutionsRequest) (*workflowservice.ListWorkflowExecutionsResponse, error) {
	// Two runs a page, so listing goes over pages.
	const pageSize = 2
	var matching []*workflowpb.WorkflowExecutionInfo
	for _, r := range rt.runs {
		if !strings.Contains(req.GetQuery(), "WorkflowType = '"+r.workflowType+"'") ||
			(strings.Contains(req.GetQuery(), "ExecutionStatus = 'Running'") && !r.running) {
			continue
		}
		matching = append(matching, &workflowpb.WorkflowExecutionInfo{
			Execution: &commonpb.WorkflowExecution{WorkflowId: r.workflowID, RunId: r.runID},
			StartTime: timestamppb.New(r.start),
		})
	}
	from := 0
	if len(req.GetNextPageToken()) > 0 {
		fmt.Sscan(string(req.GetNextPageToken()), &from)
	}
	resp := &workflowservice.ListWorkflowExecutionsResponse{Executions: matching[from:min(from+pageSize, len(matching))]}
	if from+pageSize < len(matching) {
		resp.NextPageToken = []byte(fmt.Sprint(from + pageSize))
	}
	return resp, nil
}

func (rt *recordedTemporal) GetWorkflowHistory(_ context.Context, workflowID, runID string, _ bool, _ enumspb.HistoryEventFilterType) client.HistoryEventIterator {
	for _, r := range rt.runs {
		if r.workflowID == workflowID && r.runID == runID && !rt.gone[runID] {
			// Fresh events, as a real call returns: a replay may change
			// the ones it is given.
			var fresh []*historypb.HistoryEvent
			for _, e := range r.history.GetEvents() {
				fresh = append(fresh, proto.Clone(e).(*historypb.HistoryEvent))
			}
			return &events{events: fresh}
		}
	}
	return &events{err: serviceerror.NewNotFound("workflow execution not found")}
}

type events struct {
	events []*historypb.HistoryEvent
	err    error
}

func (e *events) HasNext() bool { return len(e.events) > 0 || e.err != nil }

func (e *events) Next() (*historypb.HistoryEvent, error) {
	if e.err != nil {
		err := e.err
		e.err = nil
		return nil, err
	}
	next := e.events[0]
	e.events = e.events[1:]
	return next, nil
}

// theRecordedWorkflows are every recorded conversation and the knowledge
// entry, with the run before and the run after a continue-as-new as two
// runs of one conversation (the run between them was not recorded: a gap
// the carried state fills).
func theRecordedWorkflows(t *testing.T) *recordedTemporal {
	t.Helper()
	return &recordedTemporal{runs: slices.Concat(
		recordedRunsOf(t, false, recorded(t, "conversation-webchat.json"), recorded(t, "conversation-messenger.json"),
			recorded(t, "conversation-ai.json"), recorded(t, "conversation-continued-as-new.json")),
		recordedRunsOf(t, true, recorded(t, "conversation-after-continue-as-new.json"), recorded(t, "knowledge-entry.json")),
	)}
}

func newIndex(t *testing.T) *bleveindex.Index {
	t.Helper()
	idx, err := bleveindex.OpenInMemory()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = idx.Close() })
	return idx
}

// searchable fails the test unless every message is found in its
// conversation by its own words, as staff search for it.
func searchable(t *testing.T, idx search.Index, msgs []recordedMessage, conversationID string) {
	t.Helper()
	for _, m := range msgs {
		res, err := idx.SearchMessages(context.Background(), search.MessageQuery{ConversationID: conversationID, Text: m.Text, Size: search.MaxPageSize})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(res.Hits, func(h search.MessageHit) bool {
			return h.Message.ID == m.ID && h.Message.Sender == m.Sender && h.Message.Text == m.Text
		}) {
			t.Errorf("%s message %s %q not found in %s (%d hits)", m.Sender, m.ID, m.Text, conversationID, res.Total)
		}
	}
}

// lockedBuffer is a bytes.Buffer safe for the progress goroutine.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestRunRebuildsEveryPart(t *testing.T) {
	rt := theRecordedWorkflows(t)
	idx := newIndex(t)
	progress := &lockedBuffer{}
	sum, err := reindex.Run(context.Background(), rt, idx, reindex.Options{Progress: progress, ProgressEvery: time.Millisecond, Concurrency: 2})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Conversations != 4 || sum.Runs != 5 || sum.Documents != 4 || sum.Knowledge != 1 || sum.Deleted != 0 || len(sum.Failures) != 0 {
		t.Errorf("summary %+v, want 4 conversations of 5 runs, 4 documents, 1 entry, no failure", sum)
	}

	var all []recordedMessage
	for _, r := range rt.runs {
		if r.workflowType != workflows.ConversationWorkflowName {
			continue
		}
		msgs := messagesIn(t, r.history)
		searchable(t, idx, msgs, r.workflowID)
		all = append(all, msgs...)
	}
	// The long conversation's messages from both of its runs (what a
	// run's carried state stands in for when an earlier run is gone is
	// TestCarriedTranscriptStandsInForRunsThatAreGone's).
	long := conversationOf(t, recorded(t, "conversation-continued-as-new.json"))
	searchable(t, idx, []recordedMessage{{ID: "long-12", Sender: "customer", Text: "message 12"}, {ID: "long-16", Sender: "customer", Text: "message 16"}}, long)
	if sum.Messages < len(all) {
		t.Errorf("wrote %d messages, want the %d recorded at least", sum.Messages, len(all))
	}

	docs, err := idx.SearchConversations(context.Background(), search.ConversationQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range docs {
		names = append(names, d.CustomerName)
	}
	slices.Sort(names)
	if want := []string{"AI Replay", "Long Talker", "Replay Customer", "Мария Петрова"}; !slices.Equal(names, want) {
		t.Errorf("conversation documents of %q, want %q", names, want)
	}
	kb, err := idx.KnowledgeEntries(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(kb.Entries) != 1 || kb.Entries[0].ID != "delivery-price" || kb.Version < 4 {
		t.Errorf("knowledge base %+v, want delivery-price at its latest revision", kb)
	}
	stats, err := idx.EntryStats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(stats) != 1 || stats[0].EntryID != "delivery-price" || stats[0].Answered != 1 || stats[0].Helped != 1 {
		t.Errorf("entry stats %+v, want the one answer, helped, back", stats)
	}

	lines := strings.Split(strings.TrimSpace(progress.String()), "\n")
	if !slices.ContainsFunc(lines, func(l string) bool {
		return strings.HasPrefix(l, "reindex: conversations ") && strings.Contains(l, "/4,") && strings.Contains(l, "messages (")
	}) {
		t.Errorf("progress %q, want lines with the conversations done of 4 and the messages' rate", lines)
	}

	// Again: the same documents, no more.
	before := snapshot(t, idx, rt)
	again, err := reindex.Run(context.Background(), rt, idx, reindex.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if again.Messages != sum.Messages || again.Documents != sum.Documents || again.Knowledge != sum.Knowledge {
		t.Errorf("second run %+v, want the first's counts %+v", again, sum)
	}
	if after := snapshot(t, idx, rt); after != before {
		t.Errorf("after a second run the index holds\n%s\nwant as after the first\n%s", after, before)
	}
}

// snapshot describes what the index holds of the recorded workflows: how
// many messages each message's words find in its conversation, every
// conversation document but its IndexedAt stamp, the knowledge version.
func snapshot(t *testing.T, idx search.Index, rt *recordedTemporal) string {
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	for _, r := range rt.runs {
		for _, m := range messagesIn(t, r.history) {
			res, err := idx.SearchMessages(ctx, search.MessageQuery{ConversationID: r.workflowID, Text: m.Text})
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, "%s %s: %d\n", r.workflowID, m.ID, res.Total)
		}
	}
	b.WriteString(searchtest.ConversationDocuments(t, idx, 0))
	version, err := idx.KnowledgeVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&b, "knowledge version %d\n", version)
	return b.String()
}

// A dry run replays everything, writes nothing and counts what it would
// write.
func TestDryRunWritesNothing(t *testing.T) {
	rt := theRecordedWorkflows(t)
	real, err := reindex.Run(context.Background(), rt, newIndex(t), reindex.Options{})
	if err != nil {
		t.Fatal(err)
	}
	idx := newIndex(t)
	dry, err := reindex.Run(context.Background(), rt, nil, reindex.Options{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	real.Elapsed, dry.Elapsed, dry.DryRun = 0, 0, false
	if fmt.Sprint(dry) != fmt.Sprint(real) {
		t.Errorf("dry run counted %+v, want what the rebuild wrote %+v", dry, real)
	}
	if docs, _ := idx.SearchConversations(context.Background(), search.ConversationQuery{}); len(docs) != 0 {
		t.Errorf("a dry run wrote %d documents", len(docs))
	}
	if _, err := reindex.Run(context.Background(), rt, nil, reindex.Options{}); err == nil {
		t.Error("a rebuild with no index to write to ran")
	}
}

func TestOnlyThePartsAskedForAreWritten(t *testing.T) {
	rt := theRecordedWorkflows(t)
	idx := newIndex(t)
	sum, err := reindex.Run(context.Background(), rt, idx, reindex.Options{Parts: []reindex.Part{reindex.Knowledge}})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Knowledge != 1 || sum.Messages != 0 || sum.Documents != 0 || sum.Conversations != 0 {
		t.Errorf("knowledge only: %+v", sum)
	}
	sum, err = reindex.Run(context.Background(), rt, idx, reindex.Options{Parts: []reindex.Part{reindex.Conversations}})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Documents != 4 || sum.Messages != 0 || sum.Knowledge != 0 {
		t.Errorf("documents only: %+v", sum)
	}
	if res, _ := idx.SearchMessages(context.Background(), search.MessageQuery{ConversationID: rt.runs[0].workflowID, Text: "Здравейте"}); res.Total != 0 {
		t.Errorf("documents only wrote messages: %+v", res)
	}
}

func TestParseParts(t *testing.T) {
	for _, tc := range []struct {
		list string
		want []reindex.Part
		err  string
	}{
		{"", reindex.AllParts, ""},
		{"messages, knowledge,messages", []reindex.Part{reindex.Messages, reindex.Knowledge}, ""},
		{"conversations", []reindex.Part{reindex.Conversations}, ""},
		{"templates", nil, "their send counts come back with the messages"},
		{"messages,sms", nil, `unknown part "sms"`},
	} {
		got, err := reindex.ParseParts(tc.list)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: %v, want an error saying %q", tc.list, err, tc.err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("%q: %v %v, want %v", tc.list, got, err, tc.want)
		}
	}
}

// flakyIndex is a real index whose writes fail as told: the first
// failMessages message writes (unavailable), every write of messages of
// refusedMessages (refused), every write of the conversation document of
// refused, and with down every write (unavailable).
type flakyIndex struct {
	search.Index
	mu              sync.Mutex
	failMessages    int
	refusedMessages string
	refused         string
	down            bool
	writes          int
}

func (f *flakyIndex) IndexMessages(ctx context.Context, msgs []search.Message) error {
	f.mu.Lock()
	f.writes++
	fail := f.failMessages > 0 || f.down
	f.failMessages--
	f.mu.Unlock()
	if fail {
		return fmt.Errorf("bulk write: %w", search.ErrUnavailable)
	}
	if slices.ContainsFunc(msgs, func(m search.Message) bool { return m.ConversationID == f.refusedMessages }) {
		return errors.New("a message the mapping refuses")
	}
	return f.Index.IndexMessages(ctx, msgs)
}

func (f *flakyIndex) UpsertConversation(ctx context.Context, c chat.ConversationSummary) error {
	if c.ID == f.refused {
		return errors.New("mapping refused the document")
	}
	return f.Index.UpsertConversation(ctx, c)
}

// Failed writes are retried; a workflow whose writes keep failing, whose
// history does not replay or is gone is reported, and the rest are written.
func TestFailuresAreRetriedAndReported(t *testing.T) {
	rt := theRecordedWorkflows(t)
	webchat, messenger, ai := rt.runs[0], rt.runs[1], rt.runs[2]
	for _, e := range ai.history.GetEvents() {
		if a := e.GetMarkerRecordedEventAttributes(); a != nil {
			a.MarkerName = "NotTheRecordedMarker" // the code no longer matches the history
		}
	}
	rt.gone = map[string]bool{rt.runs[3].runID: true} // the first run of the long conversation
	idx := &flakyIndex{Index: newIndex(t), failMessages: 2, refused: messenger.workflowID}
	sum, err := reindex.Run(context.Background(), rt, idx, reindex.Options{RetryWait: time.Millisecond, Attempts: 3, Concurrency: 1})
	if !errors.Is(err, reindex.ErrIncomplete) {
		t.Fatalf("error %v, want the rebuild incomplete", err)
	}
	var failed []string
	for _, f := range sum.Failures {
		failed = append(failed, f.WorkflowID)
	}
	slices.Sort(failed)
	if want := []string{ai.workflowID, messenger.workflowID}; !slices.Equal(failed, slices.Sorted(slices.Values(want))) {
		t.Errorf("failed %v, want %v: %v", failed, want, sum.Failures)
	}
	for _, f := range sum.Failures {
		switch f.WorkflowID {
		case messenger.workflowID:
			if !strings.Contains(f.Error(), "gave up after 3 attempts") || !strings.Contains(f.Error(), "mapping refused") {
				t.Errorf("messenger failure %q, want the attempts and the backend's reason", f)
			}
		case ai.workflowID:
			if !strings.Contains(f.Error(), "replay") {
				t.Errorf("ai failure %q, want the replay's error", f)
			}
		}
	}
	if sum.Retries != 2+2 || sum.Gone != 1 || sum.Carried == 0 {
		t.Errorf("summary %+v, want 2 retried message writes and 2 retried document writes, 1 run gone, messages carried", sum)
	}
	if !strings.Contains(sum.String(), "2 failed") || !strings.Contains(sum.String(), "1 gone") {
		t.Errorf("summary line %q", sum)
	}
	// Everything else is there: the web chat conversation whose writes
	// were retried, the messenger messages (only their document was
	// refused), the long conversation from its carried state.
	searchable(t, idx, messagesIn(t, webchat.history), webchat.workflowID)
	searchable(t, idx, messagesIn(t, messenger.history), messenger.workflowID)
	searchable(t, idx, []recordedMessage{{ID: "long-0", Sender: "customer", Text: "message 0"}}, rt.runs[3].workflowID)
}

func TestACanceledRunStops(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := reindex.Run(ctx, theRecordedWorkflows(t), newIndex(t), reindex.Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled: %v", err)
	}
}

// A message the backend refuses fails its own conversation only, though it
// was written with others.
func TestARefusedConversationFailsAlone(t *testing.T) {
	rt := theRecordedWorkflows(t)
	webchat, messenger := rt.runs[0], rt.runs[1]
	idx := &flakyIndex{Index: newIndex(t), refusedMessages: messenger.workflowID}
	sum, err := reindex.Run(context.Background(), rt, idx, reindex.Options{RetryWait: time.Millisecond, Attempts: 2})
	if !errors.Is(err, reindex.ErrIncomplete) || len(sum.Failures) != 1 || sum.Failures[0].WorkflowID != messenger.workflowID ||
		!strings.Contains(sum.Failures[0].Reason, "the mapping refuses") {
		t.Fatalf("%v, failures %+v: want the messenger conversation alone failed, with the backend's reason", err, sum.Failures)
	}
	searchable(t, idx, messagesIn(t, webchat.history), webchat.workflowID)
	if sum.Documents != 3 {
		t.Errorf("%d documents written, want the 3 of the conversations whose messages were written", sum.Documents)
	}
}

// A backend that stops answering stops the rebuild, which says so, instead
// of failing every conversation after it in turn.
func TestAnUnavailableBackendStopsTheRebuild(t *testing.T) {
	rt := theRecordedWorkflows(t)
	idx := &flakyIndex{Index: newIndex(t), down: true}
	_, err := reindex.Run(context.Background(), rt, idx, reindex.Options{RetryWait: time.Millisecond, Attempts: 3})
	if !errors.Is(err, search.ErrUnavailable) || !strings.Contains(err.Error(), "stopped answering") {
		t.Fatalf("error %v, want the backend unavailable and the rebuild stopped", err)
	}
	if idx.writes != 3 {
		t.Errorf("%d message writes, want the 3 attempts of the first and no more", idx.writes)
	}
}
