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
	res := &BaselineResult{}
	var err error
	if res.SignalWithStart, res.SignalWithStartCPU, err = r.measureBaseline(ctx, baseline.SignalWithStart, "a"); err != nil {
		return err
	}
	if res.UpdateWithStart, res.UpdateWithStartCPU, err = r.measureBaseline(ctx, baseline.UpdateWithStart, "a"); err != nil {
		return err
	}
	r.report.Baseline = res
	return nil
}

// baselineAgain measures update-with-start once more after the pipeline's
// phases, so a machine whose speed changed during the run (other work on
// it) shows, and the ratios use the mean of both.
func (r *runner) baselineAgain(ctx context.Context) error {
	got, _, err := r.measureBaseline(ctx, baseline.UpdateWithStart, "b")
	if err != nil {
		return err
	}
	r.report.Baseline.UpdateWithStartAgain = &got
	return nil
}

func (r *runner) measureBaseline(ctx context.Context, op baseline.Op, round string) (baseline.Result, CPU, error) {
	w, err := baseline.StartWorker(r.temporal, app.WorkerOptions())
	if err != nil {
		return baseline.Result{}, CPU{}, err
	}
	defer w.Stop()
	prefix := "handoff-bench/" + r.pop.runTag + "/" + round
	opts := baseline.Options{
		Concurrency:         r.opts.BaselineConcurrency,
		Duration:            r.opts.BaselineDuration,
		IDPrefix:            prefix,
		WorkflowTaskTimeout: workflows.ConversationTaskTimeout,
	}
	cpu := r.cpuNow()
	got, err := baseline.Run(ctx, r.temporal, op, opts)
	if err != nil {
		return baseline.Result{}, CPU{}, err
	}
	used := r.cpuSince(cpu, got.Ops)
	r.log.Info("baseline", "op", op, "ops_per_s", got.OpsPerSecond, "p50_ms", got.Latency.P50, "p99_ms", got.Latency.P99, "errors", got.Errors)
	stopCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := baseline.Terminate(stopCtx, r.temporal, prefix, op, opts.Concurrency); err != nil {
		return baseline.Result{}, CPU{}, fmt.Errorf("end the baseline's workflows: %w", err)
	}
	return got, used, nil
}
