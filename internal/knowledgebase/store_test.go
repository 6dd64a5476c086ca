package knowledgebase

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/serviceerror"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/handoff-chat/handoff/internal/knowledge"
	"github.com/handoff-chat/handoff/search"
	"github.com/handoff-chat/handoff/search/bleveindex"
	"github.com/handoff-chat/handoff/workflows"
)

// answer encodes v as Temporal's client decodes a query's answer.
func answer(v any) (converter.EncodedValue, error) {
	payloads, err := converter.GetDefaultDataConverter().ToPayloads(v)
	if err != nil {
		return nil, err
	}
	return client.NewValue(payloads), nil
}

// fakeTemporal lists entry workflows over two pages and answers each query
// after a pause, counting how many are in flight at once.
type fakeTemporal struct {
	client.Client
	views    map[string]workflows.KnowledgeView
	queryErr error

	mu                 sync.Mutex
	inFlight, maxFlows int
	listQueries        []string
}

func (f *fakeTemporal) ListWorkflow(_ context.Context, req *workflowservice.ListWorkflowExecutionsRequest) (*workflowservice.ListWorkflowExecutionsResponse, error) {
	f.mu.Lock()
	f.listQueries = append(f.listQueries, req.Query)
	f.mu.Unlock()
	var ids []string
	for id := range f.views {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	half := len(ids) / 2
	page, next := ids[:half], []byte("second")
	if string(req.NextPageToken) == "second" {
		page, next = ids[half:], nil
	}
	resp := &workflowservice.ListWorkflowExecutionsResponse{NextPageToken: next}
	for _, id := range page {
		resp.Executions = append(resp.Executions, &workflowpb.WorkflowExecutionInfo{Execution: &commonpb.WorkflowExecution{WorkflowId: id}})
	}
	return resp, nil
}

func (f *fakeTemporal) QueryWorkflow(ctx context.Context, id, _, query string, _ ...any) (converter.EncodedValue, error) {
	f.mu.Lock()
	f.inFlight++
	f.maxFlows = max(f.maxFlows, f.inFlight)
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.inFlight--
		f.mu.Unlock()
	}()
	time.Sleep(5 * time.Millisecond)
	if f.queryErr != nil {
		return nil, f.queryErr
	}
	view, ok := f.views[id]
	if !ok || query != workflows.QueryKnowledge {
		return nil, serviceerror.NewNotFound("workflow not found")
	}
	return answer(view)
}

func entryNamed(id string) *knowledge.Entry {
	return &knowledge.Entry{ID: id, Lang: "en", Question: "Question " + id + "?", Answer: "Answer."}
}

func TestListQueriesEveryEntryBoundedAndSorted(t *testing.T) {
	f := &fakeTemporal{views: map[string]workflows.KnowledgeView{}}
	for i := range 40 {
		id := fmt.Sprintf("kb-%02d", 39-i)
		f.views[workflows.KnowledgeWorkflowID(id)] = workflows.KnowledgeView{Entry: entryNamed(id)}
	}
	f.views[workflows.KnowledgeWorkflowID("deleted")] = workflows.KnowledgeView{}
	entries, err := NewStore(f).List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 40 || entries[0].ID != "kb-00" || entries[39].ID != "kb-39" {
		t.Errorf("%d entries from %v to %v, want kb-00..kb-39 without the deleted one", len(entries), entries[0].ID, entries[len(entries)-1].ID)
	}
	if f.maxFlows > Concurrency || f.maxFlows < 2 {
		t.Errorf("%d queries at once, want 2 to %d", f.maxFlows, Concurrency)
	}
	if len(f.listQueries) != 2 || !strings.Contains(f.listQueries[0], "WorkflowType = 'KnowledgeEntry'") || !strings.Contains(f.listQueries[0], "Running") {
		t.Errorf("visibility queries %q, want two pages of running KnowledgeEntry workflows", f.listQueries)
	}
}

func TestListStopsAtTheFirstFailure(t *testing.T) {
	f := &fakeTemporal{views: map[string]workflows.KnowledgeView{}, queryErr: serviceerror.NewUnavailable("down")}
	for i := range 40 {
		f.views[workflows.KnowledgeWorkflowID(fmt.Sprint(i))] = workflows.KnowledgeView{Entry: entryNamed(fmt.Sprint(i))}
	}
	_, err := NewStore(f).List(context.Background())
	if !errors.Is(err, ErrUnavailable) {
		t.Errorf("List with Temporal down: %v, want ErrUnavailable", err)
	}
}

func TestGetAndDeleteOfMissingEntries(t *testing.T) {
	f := &fakeTemporal{views: map[string]workflows.KnowledgeView{
		workflows.KnowledgeWorkflowID("deleted"): {Changes: []workflows.KnowledgeChange{{Action: workflows.KnowledgeDeleted}}},
	}}
	s := NewStore(f)
	for _, id := range []string{"deleted", "never"} {
		if _, err := s.Get(context.Background(), id); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), id) {
			t.Errorf("Get(%s): %v, want ErrNotFound naming it", id, err)
		}
	}
	var invalid *InvalidError
	if _, err := s.Get(context.Background(), "a b"); !errors.As(err, &invalid) {
		t.Errorf("Get of a malformed ID: %v, want an InvalidError", err)
	}
	if err := s.Delete(context.Background(), "alice", "", "-x"); !errors.As(err, &invalid) {
		t.Errorf("Delete of a malformed ID: %v, want an InvalidError", err)
	}
	if _, err := s.Put(context.Background(), "alice", "", knowledge.Entry{ID: "x", Lang: "en", Question: "Q?"}, 0); !errors.As(err, &invalid) || !strings.Contains(invalid.Reason, "answer") {
		t.Errorf("Put without an answer: %v, want an InvalidError naming answer", err)
	}
}

func TestImportRefusesInvalidEntriesBeforeTemporal(t *testing.T) {
	s := NewStore(&fakeTemporal{})
	_, err := s.Import(context.Background(), "alice", []knowledge.Entry{*entryNamed("a"), *entryNamed("a"), {ID: "b", Lang: "en", Question: "Q?"}})
	var invalid *InvalidError
	if !errors.As(err, &invalid) || !strings.Contains(invalid.Reason, `entry 2: id "a" is also entry 1's`) || !strings.Contains(invalid.Reason, `entry 3 ("b"): answer`) {
		t.Errorf("import: %v, want both problems named", err)
	}
}

// IndexAll writes every entry at its revision and a tombstone for a deleted
// one; a later revision already in the index stays.
func TestIndexAllRebuildsTheIndex(t *testing.T) {
	f := &fakeTemporal{views: map[string]workflows.KnowledgeView{}}
	for i := range 30 {
		id := fmt.Sprintf("kb-%02d", i)
		f.views[workflows.KnowledgeWorkflowID(id)] = workflows.KnowledgeView{ID: id, Entry: entryNamed(id), Revision: 2}
	}
	f.views[workflows.KnowledgeWorkflowID("deleted")] = workflows.KnowledgeView{ID: "deleted", Revision: 3}
	f.views[workflows.KnowledgeWorkflowID("refused")] = workflows.KnowledgeView{ID: "refused"} // never changed
	idx, err := bleveindex.OpenInMemory()
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	ctx := context.Background()
	newer := *entryNamed("kb-07")
	newer.Answer = "Changed while the index was rebuilt."
	if err := idx.UpsertKnowledge(ctx, search.KnowledgeDoc{Entry: newer, Revision: 5}); err != nil {
		t.Fatal(err)
	}
	n, err := NewStore(f).IndexAll(ctx, idx)
	if err != nil || n != 31 {
		t.Fatalf("IndexAll: %d, %v; want 31 written", n, err)
	}
	snap, err := idx.KnowledgeEntries(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Entries) != 30 || snap.Version != 29*2+5+3 {
		t.Errorf("%d entries at version %d, want 30 at %d", len(snap.Entries), snap.Version, 29*2+5+3)
	}
	if snap.Entries[7].Answer != newer.Answer {
		t.Errorf("kb-07 %+v: an older revision replaced the newer one", snap.Entries[7])
	}
}
