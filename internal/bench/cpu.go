package bench

import (
	"time"

	"github.com/handoff-chat/handoff/internal/bench/child"
	"github.com/handoff-chat/handoff/internal/bench/stats"
)

// cpuMark is the CPU time used so far, by handoff and by the benchmark.
type cpuMark struct {
	at             time.Time
	handoff, bench time.Duration
}

func (r *runner) cpuNow() cpuMark {
	m := cpuMark{at: time.Now(), bench: child.OwnCPU()}
	if r.self != nil {
		m.handoff = r.self.cpu()
	}
	return m
}

// cpuSince is the CPU used since start, for messages handled.
func (r *runner) cpuSince(start cpuMark, messages int) CPU {
	end := r.cpuNow()
	wall := end.at.Sub(start.at).Seconds()
	per := func(d time.Duration) float64 {
		if messages == 0 {
			return 0
		}
		return stats.Round(float64(d)/float64(time.Millisecond)/float64(messages), 2)
	}
	cores := func(d time.Duration) float64 {
		if wall <= 0 {
			return 0
		}
		return stats.Round(d.Seconds()/wall, 2)
	}
	c := CPU{BenchMsPerMessage: per(end.bench - start.bench), BenchCores: cores(end.bench - start.bench)}
	if r.self != nil {
		c.HandoffMsPerMessage, c.HandoffCores = per(end.handoff-start.handoff), cores(end.handoff-start.handoff)
	}
	return c
}
