package reindex

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/handoff-chat/handoff/workflows"
)

// Temporal is what a rebuild reads from Temporal: the runs in the
// visibility store and their histories. A client.Client is one.
type Temporal interface {
	ListWorkflow(ctx context.Context, req *workflowservice.ListWorkflowExecutionsRequest) (*workflowservice.ListWorkflowExecutionsResponse, error)
	GetWorkflowHistory(ctx context.Context, workflowID, runID string, isLongPoll bool, filterType enumspb.HistoryEventFilterType) client.HistoryEventIterator
}

// Visibility queries of the runs a rebuild reads: every conversation run,
// open or closed (the runs before a continue-as-new and before a window
// closed hold messages of their own), and the running knowledge entry
// workflows (an entry's run carries the entry; deleted entries keep
// running, so their tombstones are written too).
const (
	conversationRuns = "WorkflowType = '" + workflows.ConversationWorkflowName + "'"
	knowledgeRuns    = "WorkflowType = '" + workflows.KnowledgeWorkflowName + "' AND ExecutionStatus = 'Running'"
)

// run is one workflow run as the visibility store lists it.
type run struct {
	WorkflowID string
	RunID      string
	Start      time.Time
}

func (r run) String() string { return r.WorkflowID + " run " + r.RunID }

// listRuns reads every run the query matches, a page at a time.
func listRuns(ctx context.Context, t Temporal, query string) ([]run, error) {
	var runs []run
	var token []byte
	for {
		resp, err := t.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Query: query, PageSize: 1000, NextPageToken: token,
		})
		if err != nil {
			return nil, fmt.Errorf("list workflows (%s): %w", query, err)
		}
		for _, ex := range resp.GetExecutions() {
			runs = append(runs, run{
				WorkflowID: ex.GetExecution().GetWorkflowId(),
				RunID:      ex.GetExecution().GetRunId(),
				Start:      ex.GetStartTime().AsTime(),
			})
		}
		token = resp.GetNextPageToken()
		if len(token) == 0 {
			return runs, nil
		}
	}
}

// byWorkflow groups runs by workflow ID, the workflows in ID order and each
// one's runs oldest first: the order in which they wrote to the index. A
// run listed twice (a page boundary moving under a listing) is kept once.
func byWorkflow(runs []run) [][]run {
	runs = slices.Clone(runs)
	slices.SortFunc(runs, func(a, b run) int {
		return cmp.Or(cmp.Compare(a.WorkflowID, b.WorkflowID), a.Start.Compare(b.Start), cmp.Compare(a.RunID, b.RunID))
	})
	runs = slices.CompactFunc(runs, func(a, b run) bool { return a.WorkflowID == b.WorkflowID && a.RunID == b.RunID })
	var groups [][]run
	for i := 0; i < len(runs); {
		j := i + 1
		for j < len(runs) && runs[j].WorkflowID == runs[i].WorkflowID {
			j++
		}
		groups = append(groups, runs[i:j:j])
		i = j
	}
	return groups
}

// errGone is a run whose history is no longer in Temporal: deleted after
// the retention since it was listed.
var errGone = errors.New("history no longer in Temporal")

// history reads one run's complete history.
func history(ctx context.Context, t Temporal, r run) (*historypb.History, error) {
	it := t.GetWorkflowHistory(ctx, r.WorkflowID, r.RunID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	h := &historypb.History{}
	for it.HasNext() {
		event, err := it.Next()
		if err != nil {
			var notFound *serviceerror.NotFound
			if errors.As(err, &notFound) {
				return nil, fmt.Errorf("read the history of %s: %w", r, errGone)
			}
			return nil, fmt.Errorf("read the history of %s: %w", r, err)
		}
		h.Events = append(h.Events, event)
	}
	if len(h.Events) == 0 {
		return nil, fmt.Errorf("read the history of %s: no events", r)
	}
	return h, nil
}
