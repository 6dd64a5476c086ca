// Package baseline measures what the Temporal server alone does for a
// workflow that does nothing: signal-with-start and update-with-start from
// concurrent callers, each caller feeding one long-lived workflow as a
// customer feeds one conversation. handoff's throughput is reported as a
// ratio to it, so results from different machines compare.
package baseline

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/handoff-chat/handoff/internal/bench/stats"
)

// The baseline's task queue, workflow, signal and update names.
const (
	TaskQueue    = "handoff-bench-baseline"
	WorkflowName = "HandoffBenchNoop"
	SignalName   = "noop"
	UpdateName   = "noop"
)

// NoopWorkflow takes signals and updates and does nothing with them; it
// continues as new when the server suggests it, and runs until terminated.
func NoopWorkflow(ctx workflow.Context) error {
	if err := workflow.SetUpdateHandler(ctx, UpdateName, func(workflow.Context) error { return nil }); err != nil {
		return fmt.Errorf("register the %s update: %w", UpdateName, err)
	}
	signals := workflow.GetSignalChannel(ctx, SignalName)
	workflow.Go(ctx, func(ctx workflow.Context) {
		for signals.Receive(ctx, nil) {
		}
	})
	if err := workflow.Await(ctx, func() bool { return workflow.GetInfo(ctx).GetContinueAsNewSuggested() }); err != nil {
		return err
	}
	for signals.ReceiveAsync(nil) {
	}
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return err
	}
	return workflow.NewContinueAsNewError(ctx, WorkflowName)
}

// StartWorker starts a worker for the baseline's task queue with opts (the
// options of handoff's own worker).
func StartWorker(c client.Client, opts worker.Options) (worker.Worker, error) {
	w := worker.New(c, TaskQueue, opts)
	w.RegisterWorkflowWithOptions(NoopWorkflow, workflow.RegisterOptions{Name: WorkflowName})
	if err := w.Start(); err != nil {
		return nil, fmt.Errorf("start the baseline worker: %w", err)
	}
	return w, nil
}

// Op is what each call does.
type Op string

const (
	// SignalWithStart returns once the server recorded the signal.
	SignalWithStart Op = "signal_with_start"
	// UpdateWithStart returns once the worker ran the update handler, as a
	// customer message is acknowledged once the conversation recorded it.
	UpdateWithStart Op = "update_with_start"
)

// Options shape one measurement.
type Options struct {
	// Concurrency is how many callers run at once, each on its own workflow.
	Concurrency int
	// Duration is how long the calls are counted, after each caller's first
	// call (which starts its workflow) succeeded.
	Duration time.Duration
	// IDPrefix makes this run's workflow IDs unique.
	IDPrefix string
	// WorkflowTaskTimeout is set on the start, as handoff sets it on
	// conversations.
	WorkflowTaskTimeout time.Duration
}

// Result is one measurement.
type Result struct {
	Op           Op            `json:"op"`
	Concurrency  int           `json:"concurrency"`
	Seconds      float64       `json:"seconds"`
	Ops          int           `json:"ops"`
	Errors       int           `json:"errors"`
	OpsPerSecond float64       `json:"ops_per_s"`
	Latency      stats.Summary `json:"latency"`
	// FirstError is the first failed call's error, if any failed.
	FirstError string `json:"first_error,omitempty"`
}

// WorkflowID is the workflow caller i of op uses.
func WorkflowID(prefix string, op Op, i int) string { return fmt.Sprintf("%s/%s/%d", prefix, op, i) }

// Run measures op. It fails when a caller's first call fails, which means
// the server or the worker is not there.
func Run(ctx context.Context, c client.Client, op Op, opts Options) (Result, error) {
	if opts.Concurrency < 1 || opts.Duration <= 0 {
		return Result{}, fmt.Errorf("baseline %s: concurrency %d and duration %s must be positive", op, opts.Concurrency, opts.Duration)
	}
	call := func(ctx context.Context, id string) error { return do(ctx, c, op, id, opts.WorkflowTaskTimeout) }

	warmCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	errs := make(chan error, opts.Concurrency)
	for i := range opts.Concurrency {
		go func() { errs <- call(warmCtx, WorkflowID(opts.IDPrefix, op, i)) }()
	}
	for range opts.Concurrency {
		if err := <-errs; err != nil {
			return Result{}, fmt.Errorf("baseline %s: first call: %w", op, err)
		}
	}

	var (
		latency  stats.Recorder
		failures atomic.Int64
		firstErr error
		errOnce  sync.Once
		wg       sync.WaitGroup
	)
	start := time.Now()
	end := start.Add(opts.Duration)
	for i := range opts.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := WorkflowID(opts.IDPrefix, op, i)
			for ctx.Err() == nil && time.Now().Before(end) {
				began := time.Now()
				if err := call(ctx, id); err != nil {
					failures.Add(1)
					errOnce.Do(func() { firstErr = err })
					time.Sleep(50 * time.Millisecond)
					continue
				}
				latency.Add(time.Since(began))
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return Result{}, fmt.Errorf("baseline %s: %w", op, err)
	}
	elapsed := time.Since(start)
	r := Result{
		Op: op, Concurrency: opts.Concurrency, Seconds: stats.Round(elapsed.Seconds(), 1),
		Ops: latency.Len(), Errors: int(failures.Load()),
		OpsPerSecond: stats.PerSecond(latency.Len(), elapsed), Latency: latency.Summary(),
	}
	if firstErr != nil {
		r.FirstError = firstErr.Error()
	}
	return r, nil
}

func do(ctx context.Context, c client.Client, op Op, id string, taskTimeout time.Duration) error {
	start := client.StartWorkflowOptions{
		ID:                       id,
		TaskQueue:                TaskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		WorkflowTaskTimeout:      taskTimeout,
	}
	switch op {
	case SignalWithStart:
		if _, err := c.SignalWithStartWorkflow(ctx, id, SignalName, nil, start, WorkflowName); err != nil {
			return fmt.Errorf("signal-with-start %s: %w", id, err)
		}
		return nil
	case UpdateWithStart:
		handle, err := c.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
			StartWorkflowOperation: c.NewWithStartWorkflowOperation(start, WorkflowName),
			UpdateOptions: client.UpdateWorkflowOptions{
				UpdateName:   UpdateName,
				WaitForStage: client.WorkflowUpdateStageCompleted,
			},
		})
		if err == nil {
			err = handle.Get(ctx, nil)
		}
		if err != nil {
			return fmt.Errorf("update-with-start %s: %w", id, err)
		}
		return nil
	default:
		return fmt.Errorf("unknown baseline operation %q", op)
	}
}

// Terminate ends the workflows Run started for op with concurrency callers.
func Terminate(ctx context.Context, c client.Client, prefix string, op Op, concurrency int) error {
	var errs []error
	for i := range concurrency {
		id := WorkflowID(prefix, op, i)
		if err := c.TerminateWorkflow(ctx, id, "", "benchmark baseline done"); err != nil {
			errs = append(errs, fmt.Errorf("terminate %s: %w", id, err))
		}
	}
	return errors.Join(errs...)
}
