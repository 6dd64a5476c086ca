package bench

import (
	"fmt"
	"math"
)

// TargetStatus says whether a run met a target.
type TargetStatus string

const (
	Met         TargetStatus = "met"
	Missed      TargetStatus = "missed"
	NotMeasured TargetStatus = "not measured"
)

// Target is one of the project's performance targets (2 cores, embedded
// default) and what this run made of it.
type Target struct {
	Name   string       `json:"name"`
	Want   string       `json:"want"`
	Got    string       `json:"got"`
	Status TargetStatus `json:"status"`
}

// The targets' figures.
const (
	targetRatio         = 0.60
	targetFlat          = 0.10
	targetRate          = 100.0
	targetAckP99        = 100.0  // ms
	targetReplyP99      = 1000.0 // ms
	targetSearchableP99 = 2000.0 // ms
	targetConversations = 10000
	targetLateness      = 1000.0 // ms
	targetResidentMiB   = 1024.0
)

func metIf(ok bool) TargetStatus {
	if ok {
		return Met
	}
	return Missed
}

func evaluateTargets(r *Report) []Target {
	var out []Target
	add := func(name, want string, measured bool, why string, got func() (string, bool)) {
		t := Target{Name: name, Want: want, Status: NotMeasured, Got: why}
		if measured {
			text, ok := got()
			t.Got, t.Status = text, metIf(ok)
		}
		out = append(out, t)
	}

	add("throughput vs the update-with-start baseline", fmt.Sprintf("≥ %.0f%%", targetRatio*100),
		r.Sustained != nil && r.Baseline != nil && r.uws() > 0, "needs the baseline and sustained phases",
		func() (string, bool) {
			return fmt.Sprintf("%.0f%% (%.1f msg/s vs %.1f ops/s)", r.Sustained.Ratio*100, r.Sustained.MaxPerSecond, r.uws()),
				r.Sustained.Ratio >= targetRatio
		})

	flatWhy := "needs an earlier run with the sustained phase on the same --data-dir"
	add("throughput flat as data accumulates", fmt.Sprintf("within %.0f%% of the first run on the data", targetFlat*100),
		r.History != nil && r.History.FirstSustained > 0, flatWhy,
		func() (string, bool) {
			h := r.History
			return fmt.Sprintf("%+.0f%% (run %d: %.1f msg/s, first: %.1f msg/s)", h.ChangeFromFirst*100, h.EarlierRuns+1, h.ThisSustained, h.FirstSustained),
				math.Abs(h.ChangeFromFirst) <= targetFlat
		})

	atRate := r.Load != nil && r.Load.OfferedPerSecond == targetRate
	rateWhy := fmt.Sprintf("needs the load phase at --rate %.0f", targetRate)
	if r.Load != nil && !atRate {
		rateWhy = fmt.Sprintf("the load phase offered %.0f msg/s; the target is at %.0f", r.Load.OfferedPerSecond, targetRate)
	}
	add("ack p99 at 100 msg/s offered", fmt.Sprintf("≤ %.0f ms", targetAckP99), atRate, rateWhy,
		func() (string, bool) {
			return fmt.Sprintf("%.1f ms", r.Load.Ack.P99), r.Load.Ack.Count > 0 && float64(r.Load.Ack.P99) <= targetAckP99
		})
	add("reply at the customer p99 at 100 msg/s", fmt.Sprintf("≤ %.0f ms", targetReplyP99), atRate, rateWhy,
		func() (string, bool) {
			return fmt.Sprintf("%.1f ms", r.Load.Reply.P99), r.Load.Reply.Count > 0 && float64(r.Load.Reply.P99) <= targetReplyP99
		})
	add("searchable p99 at 100 msg/s", fmt.Sprintf("≤ %.0f ms", targetSearchableP99), atRate, rateWhy,
		func() (string, bool) {
			return fmt.Sprintf("%.1f ms", r.Load.Searchable.P99), r.Load.Searchable.Count > 0 && float64(r.Load.Searchable.P99) <= targetSearchableP99
		})
	add("no request fails at 100 msg/s", "0 failed, every message answered and searchable", atRate, rateWhy,
		func() (string, bool) {
			l := r.Load
			return fmt.Sprintf("%d requests failed, %d not answered, %d not searchable of %d", l.FailedRequests, l.NotAnswered, l.NotIndexed, l.Sent),
				l.Sent > 0 && l.Failed == 0 && l.FailedRequests == 0 && l.NotAnswered == 0 && l.NotIndexed == 0
		})

	full := r.Timers != nil && r.Timers.Conversations >= targetConversations
	timersWhy := fmt.Sprintf("needs the timers phase with --conversations %d", targetConversations)
	if r.Timers != nil && !full {
		timersWhy = fmt.Sprintf("ran with %d conversations; the target is for %d", r.Timers.Conversations, targetConversations)
	}
	add("10,000 open conversations: every timer within 1 s", fmt.Sprintf("max lateness ≤ %.0f ms, all open at once", targetLateness), full, timersWhy,
		func() (string, bool) {
			t := r.Timers
			return fmt.Sprintf("max %.0f ms, p99 %.0f ms, %d not closed, all open at once: %t", t.Lateness.Max, t.Lateness.P99, t.NotClosed, t.AllOpenAtOnce),
				t.Failed == 0 && t.NotClosed == 0 && t.AllOpenAtOnce && float64(t.Lateness.Max) <= targetLateness
		})
	add("resident memory with 10,000 open conversations", fmt.Sprintf("≤ %.0f MiB for the whole process, whole run", targetResidentMiB),
		full && r.Resources != nil, timersWhy,
		func() (string, bool) {
			return fmt.Sprintf("peak %.0f MiB", r.Resources.PeakResidentMiB), r.Resources.PeakResidentMiB <= targetResidentMiB
		})
	return out
}
