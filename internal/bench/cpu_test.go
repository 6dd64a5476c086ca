package bench

import (
	"os"
	"testing"
	"time"
)

// A stretch of load reports the benchmark's own CPU and, where /proc/stat
// can be read, the cores the whole machine kept busy, which include it.
func TestCPUSinceCountsTheMachine(t *testing.T) {
	r := &runner{}
	start := r.cpuNow()
	spin := time.Now().Add(300 * time.Millisecond)
	for time.Now().Before(spin) {
	}
	c := r.cpuSince(start, 10)
	if c.BenchCores <= 0 || c.BenchMsPerMessage <= 0 {
		t.Errorf("the benchmark spun for 300 ms and reports %+v", c)
	}
	if c.HandoffCores != 0 {
		t.Errorf("no handoff process, yet handoff's CPU is %v cores", c.HandoffCores)
	}
	if _, err := os.Stat("/proc/stat"); err != nil {
		t.Skip("no /proc/stat here")
	}
	if c.MachineCores <= 0 {
		t.Errorf("machine cores %v, want the spinning at least", c.MachineCores)
	}
}
