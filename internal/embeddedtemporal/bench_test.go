package embeddedtemporal

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// The benchmarks measure what the SQLite settings decide: how many
// workflow starts the embedded server persists per second. Each op starts a
// fresh no-op workflow on its own task queue, served by a worker in this
// process, from benchClients goroutines at once:
//
//	go test ./internal/embeddedtemporal -run '^$' -bench 'WithStartNoop' -benchtime 2000x -count 3
//
// Besides ns/op they report ops/s and the p50 and p99 latency of one call.

const (
	benchNamespace = "bench"
	benchTaskQueue = "bench-noop"
	benchClients   = 16
)

// noopSignalWorkflow takes the signal it was started with and ends.
func noopSignalWorkflow(ctx workflow.Context) error {
	workflow.GetSignalChannel(ctx, "go").Receive(ctx, nil)
	return nil
}

// noopUpdateWorkflow answers the update it was started with and ends.
func noopUpdateWorkflow(ctx workflow.Context) error {
	done := false
	if err := workflow.SetUpdateHandler(ctx, "go", func(workflow.Context) error {
		done = true
		return nil
	}); err != nil {
		return err
	}
	return workflow.Await(ctx, func() bool { return done })
}

// startBenchServer starts a server on a fresh database in a temporary
// directory with a worker for the no-op workflows, and returns a client.
func startBenchServer(b *testing.B) client.Client {
	b.Helper()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := Start(Options{
		DatabaseFile: filepath.Join(b.TempDir(), "temporal.db"),
		Namespace:    benchNamespace,
		Logger:       logger,
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		if err := srv.Stop(); err != nil {
			b.Error(err)
		}
	})
	c, err := client.Dial(client.Options{HostPort: srv.FrontendAddr(), Namespace: benchNamespace, Logger: logger})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(c.Close)
	w := worker.New(c, benchTaskQueue, worker.Options{})
	w.RegisterWorkflow(noopSignalWorkflow)
	w.RegisterWorkflow(noopUpdateWorkflow)
	if err := w.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(w.Stop)
	return c
}

// runClients runs op b.N times from benchClients goroutines, each call with
// a new workflow ID, and reports throughput and latency.
func runClients(b *testing.B, op func(ctx context.Context, workflowID string) error) {
	b.Helper()
	ctx, cancel := context.WithTimeout(b.Context(), 10*time.Minute)
	defer cancel()
	prefix := fmt.Sprintf("%s-%d-", b.Name(), time.Now().UnixNano())
	var (
		next      atomic.Int64
		mu        sync.Mutex
		latencies = make([]time.Duration, 0, b.N)
		firstErr  error
		wg        sync.WaitGroup
	)
	b.ResetTimer()
	start := time.Now()
	for range benchClients {
		wg.Go(func() {
			for {
				i := next.Add(1)
				if i > int64(b.N) {
					return
				}
				t := time.Now()
				err := op(ctx, prefix+fmt.Sprint(i))
				d := time.Since(t)
				mu.Lock()
				latencies = append(latencies, d)
				if err != nil && firstErr == nil {
					firstErr = err
					cancel()
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if firstErr != nil {
		b.Fatal(firstErr)
	}
	slices.Sort(latencies)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "ops/s")
	b.ReportMetric(float64(percentile(latencies, 0.50))/float64(time.Millisecond), "p50-ms")
	b.ReportMetric(float64(percentile(latencies, 0.99))/float64(time.Millisecond), "p99-ms")
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(p*float64(len(sorted))))]
}

func benchStartOptions(id string) client.StartWorkflowOptions {
	return client.StartWorkflowOptions{ID: id, TaskQueue: benchTaskQueue}
}

// BenchmarkSignalWithStartNoop measures signal-with-start: the call returns
// once the server has persisted the new workflow and its signal.
func BenchmarkSignalWithStartNoop(b *testing.B) {
	c := startBenchServer(b)
	runClients(b, func(ctx context.Context, id string) error {
		_, err := c.SignalWithStartWorkflow(ctx, id, "go", nil, benchStartOptions(id), noopSignalWorkflow)
		if err != nil {
			return fmt.Errorf("signal-with-start %s: %w", id, err)
		}
		return nil
	})
}

// BenchmarkUpdateWithStartNoop measures update-with-start waiting for the
// update's result, as the web chat does: the server persists the workflow,
// the worker runs its first task and the server persists the outcome.
func BenchmarkUpdateWithStartNoop(b *testing.B) {
	c := startBenchServer(b)
	runClients(b, func(ctx context.Context, id string) error {
		startOp := c.NewWithStartWorkflowOperation(client.StartWorkflowOptions{
			ID:                       id,
			TaskQueue:                benchTaskQueue,
			WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		}, noopUpdateWorkflow)
		handle, err := c.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
			StartWorkflowOperation: startOp,
			UpdateOptions:          client.UpdateWorkflowOptions{UpdateName: "go", WaitForStage: client.WorkflowUpdateStageCompleted},
		})
		if err == nil {
			err = handle.Get(ctx, nil)
		}
		if err != nil {
			return fmt.Errorf("update-with-start %s: %w", id, err)
		}
		return nil
	})
}
