package bench

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/handoff-chat/handoff/internal/bench/baseline"
	"github.com/handoff-chat/handoff/internal/bench/stats"
)

func targetByName(t *testing.T, r *Report, prefix string) Target {
	t.Helper()
	for _, tg := range r.Targets {
		if strings.HasPrefix(tg.Name, prefix) {
			return tg
		}
	}
	t.Fatalf("no target %q in %+v", prefix, r.Targets)
	return Target{}
}

// fullReport is a report of every phase with the figures the targets ask
// for; tests change one figure at a time.
func fullReport() *Report {
	r := newReport(Defaults())
	r.Baseline = &BaselineResult{
		SignalWithStart: baseline.Result{Op: baseline.SignalWithStart, OpsPerSecond: 300},
		UpdateWithStart: baseline.Result{Op: baseline.UpdateWithStart, OpsPerSecond: 200},
	}
	r.Sustained = &SustainedResult{Best: 1, MaxPerSecond: 130, Steps: []SustainedStep{
		{Concurrency: 4, PerSecond: 60, Sustained: true},
		{Concurrency: 8, PerSecond: 130, Sustained: true},
		{Concurrency: 16, PerSecond: 20, Why: "3 failed"},
	}}
	r.Load = &LoadResult{
		OfferedPerSecond: 100, Sent: 2000, Acked: 2000, AckedPerSecond: 100,
		Ack:        stats.Summary{Count: 2000, P50: 20, P95: 60, P99: 90, Max: 150},
		Reply:      stats.Summary{Count: 2000, P50: 300, P95: 600, P99: 900, Max: 1200},
		Searchable: stats.Summary{Count: 2000, P50: 400, P95: 900, P99: 1500, Max: 2500},
	}
	r.Staff = &StaffResult{Conversations: 20, Message: stats.Summary{Count: 60, P50: 30, P95: 50, P99: 70}}
	r.Timers = &TimersResult{Conversations: 10000, AllOpenAtOnce: true, WindowSeconds: 240,
		Lateness: stats.Summary{Count: 10000, P50: 100, P99: 600, Max: 900}}
	r.Recovery = &RecoveryResult{Customers: 30, Acked: 400, RestartToReady: 2500}
	r.Resources = &Resources{PeakResidentMiB: 900, ResidentMiB: 700, DiskMiB: 300}
	return r
}

func TestEveryTargetMetWithGoodFigures(t *testing.T) {
	r := fullReport()
	r.previous = []HistoryEntry{{SustainedPerSecond: 125, Conversations: 5000}}
	r.ConversationsStarted = 1000
	r.finish()
	if len(r.Targets) != 8 {
		t.Fatalf("%d targets, want 8", len(r.Targets))
	}
	for _, tg := range r.Targets {
		if tg.Status != Met {
			t.Errorf("target %q: %s (%s), want met", tg.Name, tg.Status, tg.Got)
		}
	}
	if r.Sustained.Ratio != 0.65 || r.Sustained.Steps[0].Ratio != 0.3 || r.Load.Ratio != 0.5 || r.Baseline.SignalRatio != 1.5 {
		t.Errorf("ratios: sustained %v (first step %v), load %v, signal %v", r.Sustained.Ratio, r.Sustained.Steps[0].Ratio, r.Load.Ratio, r.Baseline.SignalRatio)
	}
	h := r.History
	if h == nil || h.EarlierRuns != 1 || h.FirstSustained != 125 || h.ChangeFromFirst != 0.04 || h.ConversationsInData != 6000 {
		t.Errorf("history %+v, want +4%% on the first run and 6000 conversations", h)
	}
	if got := targetByName(t, r, "throughput vs").Got; got != "65% (130.0 msg/s vs 200.0 ops/s)" {
		t.Errorf("ratio target says %q", got)
	}
}

func TestTargetsMissedAndNotMeasured(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Report)
		target string
		want   TargetStatus
	}{
		{"slow pipeline", func(r *Report) { r.Sustained.MaxPerSecond = 100 }, "throughput vs", Missed},
		{"no baseline", func(r *Report) { r.Baseline = nil }, "throughput vs", NotMeasured},
		{"no earlier run", func(r *Report) { r.previous = nil }, "throughput flat", NotMeasured},
		{"slower than the first run", func(r *Report) { r.previous = []HistoryEntry{{SustainedPerSecond: 150}} }, "throughput flat", Missed},
		{"faster than the first run is not flat either", func(r *Report) { r.previous = []HistoryEntry{{SustainedPerSecond: 100}} }, "throughput flat", Missed},
		{"slow acks", func(r *Report) { r.Load.Ack.P99 = 101 }, "ack p99", Missed},
		{"another rate", func(r *Report) { r.Load.OfferedPerSecond = 50 }, "ack p99", NotMeasured},
		{"slow replies", func(r *Report) { r.Load.Reply.P99 = 1001 }, "reply at the customer", Missed},
		{"no replies", func(r *Report) { r.Load.Reply = stats.Summary{} }, "reply at the customer", Missed},
		{"slow index", func(r *Report) { r.Load.Searchable.P99 = 2001 }, "searchable", Missed},
		{"a failure", func(r *Report) { r.Load.Failed = 1 }, "no request fails", Missed},
		{"an unanswered message", func(r *Report) { r.Load.NotAnswered = 1 }, "no request fails", Missed},
		{"a late timer", func(r *Report) { r.Timers.Lateness.Max = 1001 }, "10,000 open", Missed},
		{"a timer that never fired", func(r *Report) { r.Timers.NotClosed = 1 }, "10,000 open", Missed},
		{"not all open at once", func(r *Report) { r.Timers.AllOpenAtOnce = false }, "10,000 open", Missed},
		{"fewer conversations", func(r *Report) { r.Timers.Conversations = 1000 }, "10,000 open", NotMeasured},
		{"fewer conversations, memory", func(r *Report) { r.Timers.Conversations = 1000 }, "resident memory", NotMeasured},
		{"too much memory", func(r *Report) { r.Resources.PeakResidentMiB = 1100 }, "resident memory", Missed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := fullReport()
			r.previous = []HistoryEntry{{SustainedPerSecond: 130}}
			tt.change(r)
			r.finish()
			if got := targetByName(t, r, tt.target); got.Status != tt.want {
				t.Errorf("target %q: %s (%s), want %s", got.Name, got.Status, got.Got, tt.want)
			}
		})
	}
}

func TestTableAndJSONShowWhatRan(t *testing.T) {
	r := fullReport()
	r.Staff, r.Recovery = nil, nil
	r.skip(PhaseRecovery, "kills and restarts handoff")
	r.note("Messenger customers are off")
	r.Overhead.FailedSearches, r.Overhead.LastSearchError = 2, "search: connection refused"
	r.finish()
	var table bytes.Buffer
	if err := r.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	out := table.String()
	for _, want := range []string{
		"BASELINE", "update-with-start", "200.0 ops/s", "1.50× baseline",
		"SUSTAINED", "max sustained", "130.0 msg/s", "0.65× baseline", "no: 3 failed",
		"LOAD", "p50 20  p95 60  p99 90 ms", "0.50× baseline",
		"TIMERS", "max 900 ms", "RESOURCES", "900 MiB peak",
		"SKIPPED recovery", "NOTE", "Messenger customers are off",
		"(2 failed)", "last failed search", "search: connection refused",
		"TARGETS", "MET", "NOT MEASURED", "handoff on its default configuration",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	for _, absent := range []string{"STAFF", "RECOVERY "} {
		if strings.Contains(out, absent) {
			t.Errorf("table shows %q, which did not run:\n%s", absent, out)
		}
	}

	var js bytes.Buffer
	if err := r.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if back.Load == nil || back.Load.Ack.P99 != 90 || back.Environment.ConfigFile != "" || back.Staff != nil || len(back.Skipped) != 1 || back.Sustained.Ratio != 0.65 {
		t.Errorf("JSON round trip: %s", js.String())
	}
	var raw map[string]any
	if err := json.Unmarshal(js.Bytes(), &raw); err != nil {
		t.Fatal(err)
	}
	if _, ok := raw["staff"]; ok {
		t.Error("JSON has a staff section for a phase that did not run")
	}
}

// A second update-with-start measurement makes the ratios divide by the
// mean, and a large change between the two is noted; CPU per message is
// compared with a no-op update-with-start's.
func TestBaselineMeasuredTwice(t *testing.T) {
	r := fullReport()
	again := baseline.Result{Op: baseline.UpdateWithStart, OpsPerSecond: 100}
	r.Baseline.UpdateWithStartAgain = &again
	r.Baseline.UpdateWithStartCPU = CPU{HandoffMsPerMessage: 8, BenchMsPerMessage: 2}
	r.Load.CPU = CPU{HandoffMsPerMessage: 45, HandoffCores: 0.5, MachineCores: 1.8}
	r.finish()
	if r.Baseline.Reference != 150 || r.Load.Ratio != 0.667 || r.Sustained.Ratio != 0.867 {
		t.Errorf("reference %v, load ratio %v, sustained ratio %v; want the mean 150", r.Baseline.Reference, r.Load.Ratio, r.Sustained.Ratio)
	}
	if len(r.Notes) != 1 || !strings.Contains(r.Notes[0], "speed changed") {
		t.Errorf("notes %q, want the change from 200 to 100 ops/s noted", r.Notes)
	}
	if r.Load.CPU.VsBaseline != 4.5 {
		t.Errorf("load CPU is %v no-op update-with-starts, want 45 ms / 10 ms", r.Load.CPU.VsBaseline)
	}
	var table bytes.Buffer
	if err := r.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(table.String(), "update-with-start again") || !strings.Contains(table.String(), "4.5 no-op update-with-starts") ||
		!strings.Contains(table.String(), "machine 1.80 cores busy") {
		t.Errorf("table lacks the second measurement, the CPU comparison or the machine's CPU:\n%s", table.String())
	}
}

// A run on a configuration file of its own says so at the top of the
// table and in the JSON, since settings such as the embedded database's
// synchronous mode change the figures.
func TestTableNamesTheConfigFile(t *testing.T) {
	r := newReport(Defaults())
	r.Environment.ConfigFile = "/etc/handoff/normal.yaml"
	r.finish()
	var table, js bytes.Buffer
	if err := r.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	if out := table.String(); !strings.Contains(out, "handoff configured by /etc/handoff/normal.yaml") || strings.Contains(out, "default configuration") {
		t.Errorf("table does not name the configuration file:\n%s", out)
	}
	if err := r.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(js.String(), `"config_file": "/etc/handoff/normal.yaml"`) {
		t.Errorf("JSON lacks the configuration file: %s", js.String())
	}
}
