package faulttest

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// recorder prints what the test does as it happens, with the time since
// the start, and keeps the counts for the summary.
type recorder struct {
	t     *testing.T
	start time.Time

	mu       sync.Mutex
	counts   map[string]int
	faults   []string
	failures []string
}

func newRecorder(t *testing.T) *recorder {
	return &recorder{t: t, start: time.Now(), counts: map[string]int{}}
}

func (r *recorder) elapsed() string {
	return fmt.Sprintf("%6.1fs", time.Since(r.start).Seconds())
}

func (r *recorder) say(format string, args ...any) {
	r.t.Helper()
	r.t.Logf("%s  %s", r.elapsed(), fmt.Sprintf(format, args...))
}

// fault records and prints a fault the test caused.
func (r *recorder) fault(format string, args ...any) {
	r.t.Helper()
	line := r.elapsed() + "  " + fmt.Sprintf(format, args...)
	r.mu.Lock()
	r.faults = append(r.faults, line)
	r.mu.Unlock()
	r.t.Log(line)
}

func (r *recorder) count(name string, n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.counts[name] += n
}

// counted is what was counted under name so far.
func (r *recorder) counted(name string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.counts[name]
}

// fail reports a failed check and keeps it for the summary, which ends
// with every failure: a long log's tail then says what failed.
func (r *recorder) fail(format string, args ...any) {
	r.t.Helper()
	msg := fmt.Sprintf(format, args...)
	r.t.Error(msg)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failures = append(r.failures, msg)
}

// summary is the faults, every count in name order, and the failed checks.
func (r *recorder) summary() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var b strings.Builder
	b.WriteString("faults:\n")
	for _, f := range r.faults {
		b.WriteString("  " + f + "\n")
	}
	b.WriteString("counts:\n")
	for _, name := range slices.Sorted(maps.Keys(r.counts)) {
		fmt.Fprintf(&b, "  %-58s %d\n", name, r.counts[name])
	}
	if len(r.failures) > 0 {
		fmt.Fprintf(&b, "failed checks (%d):\n", len(r.failures))
		for _, f := range r.failures {
			b.WriteString("  " + f + "\n")
		}
	}
	return b.String()
}
