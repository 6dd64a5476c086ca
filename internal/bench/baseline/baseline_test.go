package baseline

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/handoff-chat/handoff/internal/embeddedtemporal"
)

// Both operations run against a real Temporal server on SQLite and the
// no-op worker; the result counts what happened and Terminate ends the
// workflows.
func TestRunBothOperations(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Temporal server")
	}
	srv, err := embeddedtemporal.Start(embeddedtemporal.Options{
		DatabaseFile: filepath.Join(t.TempDir(), "temporal.db"), FrontendAddr: "127.0.0.1:0", Namespace: "default", Retention: 24 * time.Hour, Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = srv.Stop() }()
	c, err := client.Dial(client.Options{HostPort: srv.FrontendAddr(), Namespace: "default"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	w, err := StartWorker(c, worker.Options{StickyScheduleToStartTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()

	ctx := context.Background()
	for _, op := range []Op{SignalWithStart, UpdateWithStart} {
		r, err := Run(ctx, c, op, Options{Concurrency: 2, Duration: time.Second, IDPrefix: "test", WorkflowTaskTimeout: 4 * time.Second})
		if err != nil {
			t.Fatalf("%s: %v", op, err)
		}
		if r.Op != op || r.Concurrency != 2 || r.Ops == 0 || r.Errors != 0 || r.OpsPerSecond <= 0 || r.Latency.Count != r.Ops || r.Latency.P50 <= 0 {
			t.Errorf("%s: result %+v, want calls counted without errors", op, r)
		}
		if err := Terminate(ctx, c, "test", op, 2); err != nil {
			t.Errorf("terminate after %s: %v", op, err)
		}
		for i := range 2 {
			desc, err := c.DescribeWorkflowExecution(ctx, WorkflowID("test", op, i), "")
			if err != nil {
				t.Fatal(err)
			}
			if s := desc.GetWorkflowExecutionInfo().GetStatus(); s != enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED {
				t.Errorf("%s workflow %d is %s after Terminate", op, i, s)
			}
		}
	}
	if _, err := Run(ctx, c, UpdateWithStart, Options{Concurrency: 0, Duration: time.Second}); err == nil || !strings.Contains(err.Error(), "concurrency") {
		t.Errorf("no callers: %v", err)
	}
}
