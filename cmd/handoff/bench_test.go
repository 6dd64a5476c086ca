package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/handoff-chat/handoff/internal/bench"
	"github.com/handoff-chat/handoff/internal/bench/child"
)

// benchChildEnv makes this test binary, re-run by the bench, behave as the
// handoff command with no arguments.
const benchChildEnv = "HANDOFF_BENCH_TEST_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(benchChildEnv) != "" {
		if err := run(nil); err != nil {
			os.Stderr.WriteString("handoff: " + err.Error() + "\n")
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// The self-contained bench with tiny parameters runs every phase but the
// timers (whose window is at least a minute: TestBenchTimers) against a
// real handoff child process and reports every figure of the phases it ran.
func TestBenchSelfContained(t *testing.T) {
	if testing.Short() {
		t.Skip("starts handoff and drives it for half a minute")
	}
	isolate(t)
	// The child runs on a configuration file, the embedded database syncing
	// only at checkpoints: the report names the file.
	configFile := filepath.Join(t.TempDir(), "handoff.yaml")
	if err := os.WriteFile(configFile, []byte("temporal:\n  embedded:\n    synchronous: normal\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	opts, asJSON, err := parseBenchFlags([]string{
		"--phases", "recovery,baseline,sustained,load,staff", "--json", "--config", configFile,
		"--baseline-concurrency", "2", "--baseline-duration", "1s",
		"--start-concurrency", "2", "--max-concurrency", "4", "--step", "2s", "--settle", "10s",
		"--rate", "5", "--duration", "2s", "--customers", "4",
		"--staff-conversations", "2", "--staff-messages", "1",
		"--recovery-customers", "3", "--recovery-load", "2s", "--search-sample", "1",
	}, io.Discard)
	if err != nil || opts == nil || !asJSON {
		t.Fatalf("flags: %v, %v, json %t", opts, err, asJSON)
	}
	report, _ := benchReport(t, selfContained(opts))

	if b := report.Baseline; b == nil || b.SignalWithStart.Ops == 0 || b.UpdateWithStart.Ops == 0 || b.UpdateWithStart.Latency.Count == 0 {
		t.Errorf("baseline %+v, want both operations counted", b)
	}
	s := report.Sustained
	if s == nil || len(s.Steps) == 0 || s.Steps[0].Concurrency != 2 {
		t.Fatalf("sustained %+v, want steps from 2 customers", s)
	}
	for _, st := range s.Steps {
		if st.Sent == 0 || st.Ack.Count == 0 {
			t.Errorf("step %+v sent nothing", st)
		}
		if st.Sustained && (st.Completed != st.Sent || st.Reply.Count != st.Sent || st.Searchable.Count != st.Sent || st.Ratio == 0) {
			t.Errorf("sustained step %+v lacks a reply, a search hit or the ratio for each message", st)
		}
	}
	if s.BestStep() != nil && (s.MaxPerSecond <= 0 || s.Ratio <= 0) {
		t.Errorf("sustained maximum %v msg/s, ratio %v", s.MaxPerSecond, s.Ratio)
	}
	l := report.Load
	if l == nil || l.Sent != 10 || l.Acked+l.Failed != 10 || l.Ack.Count != l.Acked || l.Customers != 4 {
		t.Fatalf("load %+v, want 10 messages (5/s for 2s) over 4 customers, each acknowledged or failed", l)
	}
	if l.Reply.Count+l.NotAnswered != l.Acked || l.Searchable.Count+l.NotIndexed != l.Acked || l.Ratio <= 0 || l.CPU.HandoffCores <= 0 {
		t.Errorf("load %+v, want every acknowledged message answered or not, searchable or not, and CPU and ratio figures", l)
	}
	st := report.Staff
	if st == nil || st.Conversations != 2 || st.LiveChatOn.Count+st.Failed < 2 || st.Message.Count+st.Failed < 2 {
		t.Fatalf("staff %+v, want two conversations taken over", st)
	}
	if st.Failed == 0 && (st.AtCustomer.Count+st.NotDelivered != 2 || st.LiveChatOff.Count != 2 || st.RelayedAck.Count != 2) {
		t.Errorf("staff %+v, want each staff message delivered or counted, live chat off twice and two relayed messages", st)
	}
	rc := report.Recovery
	if rc == nil || rc.Customers != 3 || rc.AckedBeforeKill == 0 || rc.RestartToReady <= 0 || rc.TookMessages.Count+boolInt(rc.FirstError != "") < 3 {
		t.Fatalf("recovery %+v, want messages acknowledged before the kill, the restart timed and each customer back", rc)
	}
	if rc.Lost != 0 || rc.Duplicated != 0 {
		t.Errorf("recovery lost %d and duplicated %d acknowledged messages", rc.Lost, rc.Duplicated)
	}
	if res := report.Resources; res == nil || res.PeakResidentMiB <= 0 || res.DiskMiB <= 0 || res.HandoffCPUSeconds <= 0 {
		t.Errorf("resources %+v", res)
	}
	if report.Timers != nil || len(report.Skipped) != 0 {
		t.Errorf("timers %+v, skipped %+v: the timers phase was not selected and nothing was skipped", report.Timers, report.Skipped)
	}
	if len(report.Targets) != 8 {
		t.Errorf("%d targets, want all 8", len(report.Targets))
	}

	var js bytes.Buffer
	if err := report.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var decoded map[string]any
	if err := json.Unmarshal(js.Bytes(), &decoded); err != nil {
		t.Fatalf("--json output is not one JSON object: %v\n%s", err, js.String())
	}
	for _, key := range []string{"baseline", "sustained", "load", "staff", "recovery", "resources", "targets", "environment"} {
		if decoded[key] == nil {
			t.Errorf("JSON report lacks %q", key)
		}
	}
	var table bytes.Buffer
	if err := report.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	for _, section := range []string{"BASELINE", "SUSTAINED", "LOAD", "STAFF", "RECOVERY", "RESOURCES", "TARGETS", "× baseline", "handoff configured by " + configFile} {
		if !strings.Contains(table.String(), section) {
			t.Errorf("table lacks %q:\n%s", section, table.String())
		}
	}
	if strings.Contains(table.String(), "TIMERS") {
		t.Errorf("table shows the timers phase, which did not run")
	}
	t.Logf("tiny run took %s:\n%s", time.Duration(report.Seconds)*time.Second, table.String())
}

// The timers phase, fitted by its pilot, against a real handoff child: the
// pilot's conversations are opened and closed on the shortest window, and
// every measured conversation closes with its window. How late is reported,
// not asserted (speed is the benchmark's to measure).
func TestBenchTimers(t *testing.T) {
	if testing.Short() {
		t.Skip("starts handoff and waits for two one-minute windows")
	}
	isolate(t)
	opts, _, err := parseBenchFlags([]string{"--phases", "timers", "--conversations", "30"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	report, progress := benchReport(t, selfContained(opts))
	tm := report.Timers
	if tm == nil {
		t.Fatalf("no timers result\nprogress:\n%s", progress)
	}
	if tm.PilotOpenPerSecond <= 0 || tm.PilotClosePerSecond <= 0 || tm.PacePerSecond != bench.DeadlinePace(tm.PilotOpenPerSecond, tm.PilotClosePerSecond) {
		t.Errorf("timers %+v, want the pilot's opening and closing rates and the pace taken from them", tm)
	}
	if tm.WindowSeconds != bench.FitWindow(30, tm.PacePerSecond).Seconds() {
		t.Errorf("window %v s, want the one fitted to the pace %v/s", tm.WindowSeconds, tm.PacePerSecond)
	}
	if tm.Failed != 0 || tm.NotClosed != 0 || tm.Lateness.Count != 30 || !tm.AllOpenAtOnce {
		t.Errorf("timers %+v, want all 30 conversations open at once and each closed with its window", tm)
	}
	var table bytes.Buffer
	if err := report.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(table.String(), "closed a second") {
		t.Errorf("the table does not say what the window was fitted to:\n%s", table.String())
	}
	t.Logf("timers run took %s:\n%s", time.Duration(report.Seconds)*time.Second, table.String())
}

// selfContained has the bench start this test binary as its handoff child.
func selfContained(opts *bench.Options) *bench.Options {
	opts.Command = []string{os.Args[0]}
	opts.ChildEnv = []string{benchChildEnv + "=1"}
	return opts
}

// benchReport runs the bench and returns its report and its progress log,
// failing the test with the log when the bench fails.
func benchReport(t *testing.T, opts *bench.Options) (*bench.Report, string) {
	t.Helper()
	var progress bytes.Buffer
	report, err := bench.Run(context.Background(), *opts, slog.New(slog.NewTextHandler(&progress, nil)))
	if err != nil {
		t.Fatalf("bench: %v\nprogress:\n%s", err, progress.String())
	}
	return report, progress.String()
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestBenchFlagsAreChecked(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--phases", "warmup"}, "unknown phase"},
		{[]string{"--rate", "0"}, "--rate"},
		{[]string{"--window", "30s"}, "--window"},
		{[]string{"--staff-token", "0123456789abcdef0123"}, "give --api too"},
		{[]string{"--api", "http://127.0.0.1:8080"}, "--staff-token"},
		{[]string{"--api", "127.0.0.1:8080", "--staff-token", "0123456789abcdef0123"}, "http://"},
		{[]string{"--api", "http://h:1", "--staff-token", "0123456789abcdef0123", "--app-secret", "s"}, "--graph-listen"},
		{[]string{"--api", "http://h:1", "--staff-token", "0123456789abcdef0123", "--data-dir", "x"}, "self-contained"},
		{[]string{"extra"}, "unexpected argument"},
	} {
		_, _, err := parseBenchFlags(tc.args, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want an error mentioning %q", tc.args, err, tc.want)
		}
	}
	opts, _, err := parseBenchFlags([]string{"--phases", "load, baseline", "--api", "http://h:1", "--staff-token", "0123456789abcdef0123"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if len(opts.Phases) != 2 || opts.Phases[0] != bench.PhaseBaseline || opts.SelfContained() {
		t.Errorf("options %+v, want the two phases in running order against the deployment", opts)
	}
	if opts, _, err := parseBenchFlags([]string{"--help"}, io.Discard); opts != nil || err != nil {
		t.Errorf("--help: %v, %v, want neither options nor error", opts, err)
	}
}

// Against a running deployment (here a handoff child process started by
// the test, its messenger.graph_url pointing where the bench serves the
// Graph API stand-in), the bench drives the same HTTP path and skips the
// phases that need control of the process, saying why.
func TestBenchAgainstADeployment(t *testing.T) {
	if testing.Short() {
		t.Skip("starts handoff and drives it")
	}
	isolate(t)
	dir := t.TempDir()
	httpAddr, frontend, graph := freeAddr(t), freeAddr(t), freeAddr(t)
	const token, secret, page = "deployment-staff-token-0123", "deployment-app-secret", "1000000000000042"
	proc, err := child.Start(context.Background(), child.Spec{
		Command: []string{os.Args[0]}, Dir: dir, LogFile: filepath.Join(dir, "handoff.log"),
		HTTPAddr: httpAddr, FrontendAddr: frontend,
		Env: []string{
			benchChildEnv + "=1", "HANDOFF_DATA_DIR=" + dir, "HANDOFF_TEMPORAL_UI_ADDR=" + freeAddr(t),
			"HANDOFF_AUTH_TOKENS=ops:" + token, "HANDOFF_MESSENGER_APP_SECRET=" + secret,
			"HANDOFF_MESSENGER_VERIFY_TOKEN=verify", "HANDOFF_MESSENGER_PAGES=" + page + ":page-token",
			"HANDOFF_MESSENGER_GRAPH_URL=http://" + graph,
			"HANDOFF_WEBCHAT_LIMITS_VISITORS_PER_MINUTE=0", "HANDOFF_WEBCHAT_LIMITS_MESSAGES_PER_MINUTE=0",
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := proc.Stop(time.Minute); err != nil {
			t.Error(err)
		}
	}()
	opts, _, err := parseBenchFlags([]string{
		"--api", "http://" + httpAddr, "--temporal", frontend, "--staff-token", token,
		"--app-secret", secret, "--graph-listen", graph, "--page", page + ":page-token",
		"--phases", "baseline,load,staff,timers,recovery", "--search-sample", "1",
		"--baseline-concurrency", "2", "--baseline-duration", "1s",
		"--rate", "4", "--duration", "2s", "--customers", "4", "--staff-conversations", "2", "--staff-messages", "1",
	}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	report, _ := benchReport(t, opts)
	if report.Environment.Mode != "deployment" || report.Environment.API != "http://"+httpAddr {
		t.Errorf("environment %+v", report.Environment)
	}
	if report.Baseline == nil || report.Baseline.UpdateWithStart.Ops == 0 {
		t.Errorf("baseline %+v, want it measured through --temporal", report.Baseline)
	}
	l := report.Load
	if l == nil || l.Sent != 8 || l.Acked != 8 || l.Reply.Count+l.NotAnswered != 8 || l.CPU.HandoffCores != 0 {
		t.Errorf("load %+v, want 8 messages acknowledged and no CPU figure for a process the bench does not own", l)
	}
	if st := report.Staff; st == nil || st.Message.Count+st.Failed < 2 {
		t.Errorf("staff %+v", st)
	}
	if report.Overhead.SendAPICalls == 0 {
		t.Error("no Send API call reached the bench's stand-in: no Messenger customer was answered")
	}
	skipped := map[bench.Phase]string{}
	for _, s := range report.Skipped {
		skipped[s.Phase] = s.Reason
	}
	if len(skipped) != 2 || skipped[bench.PhaseTimers] == "" || skipped[bench.PhaseRecovery] == "" || report.Timers != nil || report.Recovery != nil {
		t.Errorf("skipped %v, want the timers and recovery phases skipped with their reasons", skipped)
	}
	if report.Resources != nil {
		t.Errorf("resources %+v of a process the bench does not own", report.Resources)
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	addr, err := child.FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	return addr
}
