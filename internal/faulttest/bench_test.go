package faulttest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/handoff-chat/handoff/internal/bench/child"
)

// defaultBenchArgs are the bench's phases and sizes when
// HANDOFF_BENCH_ARGS does not give them: the quick run the README's
// settings table was made with.
const defaultBenchArgs = "--phases baseline,sustained,load --duration 30s --step 15s --baseline-duration 20s"

// TestBenchOnPostgres runs `handoff bench` against handoff on a Temporal
// server that stores on PostgreSQL (the store of deploy/), on the same
// machine, so the pipeline and its no-op baseline can be compared with the
// embedded default's figures. One handoff process runs the worker and the
// API, as the embedded default does. It is a measurement, not a check: it
// asserts nothing about speed, and runs only with HANDOFF_BENCH_POSTGRES=1
// (README, "On PostgreSQL"). The report goes to the test log and, with
// HANDOFF_BENCH_REPORT, to that file; HANDOFF_BENCH_ARGS replaces the
// bench's phase flags.
func TestBenchOnPostgres(t *testing.T) {
	if os.Getenv("HANDOFF_BENCH_POSTGRES") == "" {
		t.Skip("a measurement; runs with HANDOFF_BENCH_POSTGRES=1")
	}
	r := newRecorder(t)
	root := t.TempDir()
	bin, ts, _ := startStack(t, r, root)

	e := handoffEnv{
		frontend: ts.frontend, namespace: namespace,
		staffToken: randomHex(16), appSecret: randomHex(16),
		page: "1000000000000042", pageToken: "bench-page-token-" + randomHex(8),
	}
	graph, err := child.FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	e.graphURL = "http://" + graph
	httpAddr, err := child.FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "data")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	proc, err := child.Start(context.Background(), child.Spec{
		Command: []string{bin}, Dir: dir, LogFile: filepath.Join(dir, "handoff.log"), HTTPAddr: httpAddr,
		// The conversation window of production (24 hours), not the fault
		// test's short one: the bench's conversations stay open.
		Env: append(e.common(), "HANDOFF_DATA_DIR="+dir, "HANDOFF_CONVERSATION_WINDOW=24h", "HANDOFF_SEARCH_BACKEND=bleve"),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := proc.Stop(time.Minute); err != nil {
			t.Errorf("stop handoff: %v", err)
		}
	})
	r.say("handoff started (pid %d) in %s", proc.Pid(), proc.Ready.Sub(proc.Started).Round(100*time.Millisecond))

	benchArgs := os.Getenv("HANDOFF_BENCH_ARGS")
	if benchArgs == "" {
		benchArgs = defaultBenchArgs
	}
	args := append([]string{"bench",
		"--api", "http://" + httpAddr, "--temporal", ts.frontend, "--namespace", namespace,
		"--staff-token", e.staffToken, "--app-secret", e.appSecret,
		"--graph-listen", graph, "--page", e.page + ":" + e.pageToken,
	}, strings.Fields(benchArgs)...)
	cmd := exec.Command(bin, args...)
	cmd.Dir = root
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("handoff bench: %v\n%s\n%s", err, out, stderr.String())
	}
	t.Logf("handoff bench %s\n%s", benchArgs, out)
	if file := os.Getenv("HANDOFF_BENCH_REPORT"); file != "" {
		if err := os.WriteFile(file, out, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
