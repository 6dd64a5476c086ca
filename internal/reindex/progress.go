package reindex

import (
	"fmt"
	"time"
)

// reportProgress writes a progress line every ProgressEvery until the
// returned function is called.
func (r *rebuild) reportProgress() (stop func()) {
	if r.opts.Progress == nil {
		return func() {}
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(r.opts.ProgressEvery)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				_, _ = fmt.Fprintln(r.opts.Progress, r.progressLine(time.Now()))
			}
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}

// progressLine is where the rebuild stands: the workflows of the current
// phase done and listed, what was written and how fast, and the failures.
func (r *rebuild) progressLine(now time.Time) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	elapsed := now.Sub(r.started).Round(time.Second)
	if r.listing {
		return fmt.Sprintf("reindex: listing the %s, %s", r.phase, elapsed)
	}
	line := fmt.Sprintf("reindex: %s %d/%d", r.phase, r.done, r.total)
	if r.phase == "conversations" {
		rate := 0.0
		if d := now.Sub(r.phaseStart).Seconds(); d > 0 {
			rate = float64(r.sum.Messages) / d
		}
		line += fmt.Sprintf(", %d runs, %d messages (%.0f/s), %d documents", r.sum.Runs, r.sum.Messages, rate, r.sum.Documents)
	} else {
		line += fmt.Sprintf(", %d written", r.sum.Knowledge)
	}
	return line + fmt.Sprintf(", %d failed, %s", len(r.sum.Failures), elapsed)
}
