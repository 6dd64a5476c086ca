package bench

import (
	"context"
	"time"
)

const (
	// quietFor bounds the wait for handoff to finish the previous phase's
	// work before the next phase starts.
	quietFor = 3 * time.Minute
	// idleCores is how busy handoff may be and count as idle.
	idleCores = 0.25
)

// quiesce waits until no customer waits for a reply and (self-contained)
// handoff's CPU use over a second is below idleCores, so a phase does not
// measure the backlog the one before it left. It reports how long it
// waited and whether handoff became quiet.
func (r *runner) quiesce(ctx context.Context) (time.Duration, bool) {
	began := time.Now()
	for time.Since(began) < quietFor {
		waiting := 0
		for _, c := range r.pop.all() {
			waiting += c.waitingReplies()
		}
		busy := false
		if r.self != nil {
			mark := r.cpuNow()
			select {
			case <-ctx.Done():
				return time.Since(began), false
			case <-time.After(time.Second):
			}
			busy = r.cpuSince(mark, 0).HandoffCores > idleCores
		}
		if waiting == 0 && !busy {
			return time.Since(began), true
		}
		select {
		case <-ctx.Done():
			return time.Since(began), false
		case <-time.After(250 * time.Millisecond):
		}
	}
	return time.Since(began), false
}
