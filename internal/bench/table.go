package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/handoff-chat/handoff/internal/bench/stats"
)

// WriteJSON writes the report as one JSON object.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("write the report: %w", err)
	}
	return nil
}

// WriteTable writes the report for people: one section per phase, figures
// with their units, throughputs also as a ratio to the update-with-start
// baseline, and the targets met or missed.
func (r *Report) WriteTable(out io.Writer) error {
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	p := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	e := r.Environment
	p("handoff bench: %s, %d CPUs (GOMAXPROCS %d) %s, %s, %s", e.Mode, e.CPUs, e.GOMAXPROCS, e.CPUModel, e.OS, e.GoVersion)
	where := e.DataDir
	if e.API != "" {
		where = e.API
	}
	p("%s, started %s, took %.0f s", where, r.StartedAt.Format("2006-01-02 15:04:05Z"), r.Seconds)
	switch {
	case e.ConfigFile != "":
		p("handoff configured by %s", e.ConfigFile)
	case e.API == "":
		p("handoff on its default configuration")
	}
	ratio := func(x float64) string {
		if r.uws() == 0 {
			return ""
		}
		return fmt.Sprintf("%.2f× baseline", stats.Ratio(x, r.uws()))
	}

	if b := r.Baseline; b != nil {
		p("\nBASELINE\tno-op workflow, %d callers, %.0f s each, handoff's worker options", b.UpdateWithStart.Concurrency, b.UpdateWithStart.Seconds)
		for _, res := range []struct {
			name string
			v    float64
			s    stats.Summary
			errs int
			cpu  CPU
		}{
			{"signal-with-start", b.SignalWithStart.OpsPerSecond, b.SignalWithStart.Latency, b.SignalWithStart.Errors, b.SignalWithStartCPU},
			{"update-with-start", b.UpdateWithStart.OpsPerSecond, b.UpdateWithStart.Latency, b.UpdateWithStart.Errors, b.UpdateWithStartCPU},
		} {
			p("  %s\t%.1f ops/s\t%s\t%s\t%d errors", res.name, res.v, three(res.s), ratio(res.v), res.errs)
			p("    CPU per operation\t%s", cpuText(res.cpu))
		}
		if again := b.UpdateWithStartAgain; again != nil {
			p("  update-with-start again\t%.1f ops/s\t%s\tafter the pipeline's phases; the ratios divide by the mean, %.1f ops/s", again.OpsPerSecond, three(again.Latency), b.Reference)
		}
	}

	if s := r.Sustained; s != nil {
		p("\nSUSTAINED\tclosed-loop customers, %.0f s steps; sustained = every message acked, answered and searchable within %.0f s, ack and reply p99 ≤ %.0f ms",
			r.Settings.StepSeconds, r.Settings.SettleSeconds, r.Settings.MaxP99Ms)
		p("  customers\tmsg/s\tratio\tsustained\tack\tack → reply\tack → searchable")
		for _, st := range s.Steps {
			sustained := "yes"
			if !st.Sustained {
				sustained = "no: " + st.Why
			}
			p("  %d\t%.1f\t%s\t%s\t%s\t%s\t%s", st.Concurrency, st.PerSecond, ratio(st.PerSecond), sustained, three(st.Ack), two(st.Reply), two(st.Searchable))
		}
		if best := s.BestStep(); best != nil {
			p("  max sustained\t%.1f msg/s\t%s\tat %d customers\tack %s", s.MaxPerSecond, ratio(s.MaxPerSecond), best.Concurrency, three(best.Ack))
			p("  CPU per message\t%s", cpuText(best.CPU))
		} else {
			p("  max sustained\tnone: no step was sustained")
		}
	}

	if l := r.Load; l != nil {
		p("\nLOAD\t%.0f msg/s offered open-loop for %.0f s over %d customers", l.OfferedPerSecond, l.Seconds, l.Customers)
		p("  acknowledged\t%.1f msg/s\t%s\t%d of %d sent, %d given up, %d requests failed", l.AckedPerSecond, ratio(l.AckedPerSecond), l.Acked, l.Sent, l.Failed, l.FailedRequests)
		p("  ack\t%s", three(l.Ack))
		p("  ack → reply at the customer\t%s", three(l.Reply))
		p("  ack → searchable\t%s", three(l.Searchable))
		p("  not answered / not searchable\t%d / %d", l.NotAnswered, l.NotIndexed)
		p("  CPU per message\t%s", cpuText(l.CPU))
		p("  arrivals sent late by the bench\t%d, by up to %.0f ms", l.Late, l.MaxLate)
		if l.FirstError != "" {
			p("  first error\t%s", l.FirstError)
		}
	}

	if s := r.Staff; s != nil {
		p("\nSTAFF\t%d conversations taken over, %d failed", s.Conversations, s.Failed)
		p("  live chat on\t%s", three(s.LiveChatOn))
		p("  staff message (API)\t%s", three(s.Message))
		p("  staff message → at the customer\t%s\t%d not delivered", three(s.AtCustomer), s.NotDelivered)
		p("  customer message in live chat: ack\t%s", three(s.RelayedAck))
		p("  ... ack → searchable\t%s", three(s.RelayedSearchable))
		p("  live chat off\t%s", three(s.LiveChatOff))
		if s.FirstError != "" {
			p("  first error\t%s", s.FirstError)
		}
	}

	if t := r.Timers; t != nil {
		p("\nTIMERS\t%d conversations, window %.0f s, opened in %.0f s (%.1f/s), all open at once: %t, %d failed",
			t.Conversations, t.WindowSeconds, t.OpenSeconds, t.OpenPerSecond, t.AllOpenAtOnce, t.Failed)
		if t.PacePerSecond > 0 {
			p("  window\tfitted to opening %.1f a second: %.0f%% of the slower of the pilot's %.1f opened and answered and %.1f closed a second; handoff restarted with it",
				t.PacePerSecond, paceHeadroom*100, t.PilotOpenPerSecond, t.PilotClosePerSecond)
		}
		p("  lateness (closed − deadline)\tp50 %.0f ms\tp99 %.0f ms\tmax %.0f ms\t%d not closed", t.Lateness.P50, t.Lateness.P99, t.Lateness.Max, t.NotClosed)
		p("  resident memory\t%.0f MiB before, %.0f MiB all open, %.0f MiB peak\t%.1f MiB per 1,000 conversations", t.ResidentBeforeMiB, t.ResidentOpenMiB, t.ResidentPeakMiB, t.ResidentPer1000)
		p("  disk\t%.0f MiB before, %.0f MiB all open\t%.1f MiB per 1,000 conversations", t.DiskBeforeMiB, t.DiskOpenMiB, t.DiskPer1000)
		if t.FirstError != "" {
			p("  first error\t%s", t.FirstError)
		}
	}

	if rc := r.Recovery; rc != nil {
		p("\nRECOVERY\tSIGKILL under load (%d customers), restart on the same data", rc.Customers)
		p("  restart → ready\t%.0f ms", rc.RestartToReady)
		p("  ready → each conversation takes messages\tp50 %.0f ms\tmax %.0f ms", rc.TookMessages.P50, rc.TookMessages.Max)
		p("  ready → every acked message answered\t%.0f ms", rc.AllAnswered)
		p("  acknowledged\t%d (%d before the kill), %d failed attempts retried", rc.Acked, rc.AckedBeforeKill, rc.FailedAttempts)
		p("  lost / duplicated / unanswered\t%d / %d / %d", rc.Lost, rc.Duplicated, rc.Unanswered)
		if rc.FirstError != "" {
			p("  first error\t%s", rc.FirstError)
		}
	}

	if res := r.Resources; res != nil {
		p("\nRESOURCES\thandoff at the end of the run")
		p("  resident memory\t%.0f MiB now, %.0f MiB peak over the run", res.ResidentMiB, res.PeakResidentMiB)
		p("  data directory\t%.0f MiB", res.DiskMiB)
		p("  CPU time\thandoff %.0f s, bench %.0f s", res.HandoffCPUSeconds, res.BenchCPUSeconds)
	}
	if h := r.History; h != nil {
		p("\nHISTORY\t%d earlier runs on this data directory, %d conversations in it", h.EarlierRuns, h.ConversationsInData)
		if h.FirstSustained > 0 {
			p("  sustained\t%.1f msg/s now, %.1f msg/s in the first run\t%+.0f%%", h.ThisSustained, h.FirstSustained, h.ChangeFromFirst*100)
		}
	}

	o := r.Overhead
	p("\nBENCH OVERHEAD\t%d searches (%d failed), %d Send API calls received, %d replies matched to no message", o.Searches, o.FailedSearches, o.SendAPICalls, o.UnexpectedReplies)
	if o.FailedSearches > 0 && o.LastSearchError != "" {
		p("  last failed search\t%s", o.LastSearchError)
	}
	for _, s := range r.Skipped {
		p("SKIPPED %s\t%s", s.Phase, s.Reason)
	}
	for _, n := range r.Notes {
		p("NOTE\t%s", n)
	}

	p("\nTARGETS (2 cores, embedded default)")
	for _, t := range r.Targets {
		p("  %s\t%s\t%s\t%s", strings.ToUpper(string(t.Status)), t.Name, t.Want, t.Got)
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("write the report: %w", err)
	}
	return nil
}

// three is a summary's p50, p95 and p99.
func three(s stats.Summary) string {
	if s.Count == 0 {
		return "-"
	}
	return fmt.Sprintf("p50 %s  p95 %s  p99 %s ms", num(s.P50), num(s.P95), num(s.P99))
}

// two is a summary's p50 and p99.
func two(s stats.Summary) string {
	if s.Count == 0 {
		return "-"
	}
	return fmt.Sprintf("p50 %s  p99 %s ms", num(s.P50), num(s.P99))
}

func num(m stats.Millis) string {
	if m < 10 {
		return fmt.Sprintf("%.1f", m)
	}
	return fmt.Sprintf("%.0f", m)
}

func cpuText(c CPU) string {
	bench := fmt.Sprintf("bench %.2f ms (%.2f cores)", c.BenchMsPerMessage, c.BenchCores)
	if c.MachineCores > 0 {
		bench += fmt.Sprintf(", machine %.2f cores busy", c.MachineCores)
	}
	if c.HandoffCores == 0 {
		return bench
	}
	text := fmt.Sprintf("handoff %.2f ms (%.2f cores), %s", c.HandoffMsPerMessage, c.HandoffCores, bench)
	if c.VsBaseline > 0 {
		text += fmt.Sprintf("; handoff's per message = %.1f no-op update-with-starts", c.VsBaseline)
	}
	return text
}
