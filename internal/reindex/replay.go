package reindex

import (
	"fmt"
	"log/slog"

	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/interceptor"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/handoff-chat/handoff/activities"
	"github.com/handoff-chat/handoff/workflows"
)

// Writes is what one workflow run asked the search activities to write, in
// the order it asked: the conversation workflow's IndexConversation batches
// and the knowledge entry workflow's IndexKnowledgeEntry writes.
type Writes struct {
	Conversations []activities.IndexRequest
	Knowledge     []activities.KnowledgeIndexRequest
}

// Replay runs the workflow code over one run's history, as a worker does
// when it picks a conversation up again, and returns the index writes the
// code asks for on the way. Activities do not run in a replay: their
// recorded results are read from the history, and the writes are taken
// from the calls themselves. The local activity that indexes a
// conversation records only its completion in the history, never its
// input, so running the code is the only way to have the exact messages
// and documents it wrote. A history the workflow code cannot replay (code
// changed without versioning) is an error.
func Replay(history *historypb.History, workflowID, runID string) (Writes, error) {
	var w Writes
	replayer, err := worker.NewWorkflowReplayerWithOptions(worker.WorkflowReplayerOptions{
		Interceptors: []interceptor.WorkerInterceptor{&capture{into: &w}},
	})
	if err != nil {
		return Writes{}, fmt.Errorf("replayer: %w", err)
	}
	workflows.Register(replayer)
	err = replayer.ReplayWorkflowHistoryWithOptions(replayLogger, history, worker.ReplayWorkflowHistoryOptions{
		// The code reads its workflow ID: the conversation's ID in the
		// index is the workflow ID.
		OriginalExecution: workflow.Execution{ID: workflowID, RunID: runID},
	})
	if err != nil {
		return Writes{}, fmt.Errorf("replay %s run %s: %w", workflowID, runID, err)
	}
	return w, nil
}

// replayLogger drops what the workflow code logs: a replay is quiet.
var replayLogger = sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler))

// capture hands every workflow of a replay an outbound interceptor that
// records the search activities' inputs.
type capture struct {
	interceptor.WorkerInterceptorBase
	into *Writes
}

func (c *capture) InterceptWorkflow(_ workflow.Context, next interceptor.WorkflowInboundInterceptor) interceptor.WorkflowInboundInterceptor {
	return &captureInbound{WorkflowInboundInterceptorBase: interceptor.WorkflowInboundInterceptorBase{Next: next}, into: c.into}
}

type captureInbound struct {
	interceptor.WorkflowInboundInterceptorBase
	into *Writes
}

func (c *captureInbound) Init(outbound interceptor.WorkflowOutboundInterceptor) error {
	return c.Next.Init(&captureOutbound{WorkflowOutboundInterceptorBase: interceptor.WorkflowOutboundInterceptorBase{Next: outbound}, into: c.into})
}

type captureOutbound struct {
	interceptor.WorkflowOutboundInterceptorBase
	into *Writes
}

func (c *captureOutbound) ExecuteActivity(ctx workflow.Context, activityType string, args ...any) workflow.Future {
	c.into.record(args)
	return c.Next.ExecuteActivity(ctx, activityType, args...)
}

func (c *captureOutbound) ExecuteLocalActivity(ctx workflow.Context, activityType string, args ...any) workflow.Future {
	c.into.record(args)
	return c.Next.ExecuteLocalActivity(ctx, activityType, args...)
}

// record keeps the inputs of the search activities, told by their types
// (which the compiler checks against the activities' signatures).
func (w *Writes) record(args []any) {
	for _, arg := range args {
		switch req := arg.(type) {
		case activities.IndexRequest:
			w.Conversations = append(w.Conversations, req)
		case activities.KnowledgeIndexRequest:
			w.Knowledge = append(w.Knowledge, req)
		}
	}
}

// startInput decodes the input a run started with (its first event) into
// v: what continue-as-new carried over, or a new workflow's start.
func startInput(history *historypb.History, v any) error {
	events := history.GetEvents()
	if len(events) == 0 {
		return fmt.Errorf("empty history")
	}
	started := events[0].GetWorkflowExecutionStartedEventAttributes()
	if started == nil {
		return fmt.Errorf("history does not begin with the workflow's start")
	}
	if err := converter.GetDefaultDataConverter().FromPayloads(started.GetInput(), v); err != nil {
		return fmt.Errorf("decode the start input: %w", err)
	}
	return nil
}
