package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/handoff-chat/handoff/internal/app"
	"github.com/handoff-chat/handoff/internal/bench/baseline"
	"github.com/handoff-chat/handoff/workflows"
)

// baseline measures signal-with-start and update-with-start of the no-op
// workflow on handoff's Temporal server, with a worker in this process on
// its own task queue and handoff's worker options.
func (r *runner) baseline(ctx context.Context) error {
	w, err := baseline.StartWorker(r.temporal, app.WorkerOptions())
	if err != nil {
		return err
	}
	defer w.Stop()
	prefix := "handoff-bench/" + r.pop.runTag
	opts := baseline.Options{
		Concurrency:         r.opts.BaselineConcurrency,
		Duration:            r.opts.BaselineDuration,
		IDPrefix:            prefix,
		WorkflowTaskTimeout: workflows.ConversationTaskTimeout,
	}
	res := &BaselineResult{}
	for _, op := range []baseline.Op{baseline.SignalWithStart, baseline.UpdateWithStart} {
		cpu := r.cpuNow()
		got, err := baseline.Run(ctx, r.temporal, op, opts)
		if err != nil {
			return err
		}
		used := r.cpuSince(cpu, got.Ops)
		r.log.Info("baseline", "op", op, "ops_per_s", got.OpsPerSecond, "p50_ms", got.Latency.P50, "p99_ms", got.Latency.P99, "errors", got.Errors)
		if op == baseline.SignalWithStart {
			res.SignalWithStart, res.SignalWithStartCPU = got, used
		} else {
			res.UpdateWithStart, res.UpdateWithStartCPU = got, used
		}
		stopCtx, cancel := context.WithTimeout(ctx, time.Minute)
		err = baseline.Terminate(stopCtx, r.temporal, prefix, op, opts.Concurrency)
		cancel()
		if err != nil {
			return fmt.Errorf("end the baseline's workflows: %w", err)
		}
	}
	r.report.Baseline = res
	return nil
}
