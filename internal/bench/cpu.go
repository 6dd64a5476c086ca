package bench

import (
	"time"

	"github.com/handoff-chat/handoff/internal/bench/child"
	"github.com/handoff-chat/handoff/internal/bench/stats"
)

// cpuMark is the CPU time used so far, by handoff, by the benchmark and by
// the whole machine (zero where /proc/stat cannot be read).
type cpuMark struct {
	at             time.Time
	handoff, bench time.Duration
	machine        time.Duration
}

func (r *runner) cpuNow() cpuMark {
	m := cpuMark{at: time.Now(), bench: child.OwnCPU()}
	if r.self != nil {
		m.handoff = r.self.cpu()
	}
	if machine, err := child.ReadMachineCPU("/proc/stat"); err == nil {
		m.machine = machine.Busy
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
	if start.machine > 0 && end.machine > start.machine {
		c.MachineCores = cores(end.machine - start.machine)
	}
	if r.self != nil {
		c.HandoffMsPerMessage, c.HandoffCores = per(end.handoff-start.handoff), cores(end.handoff-start.handoff)
	}
	return c
}
