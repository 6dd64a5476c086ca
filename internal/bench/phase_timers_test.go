package bench

import (
	"testing"
	"time"
)

func TestDeadlinePace(t *testing.T) {
	tests := []struct {
		opened, closed, want float64
	}{
		{34.9, 25, 20},   // closing is slower: 80% of it
		{13.2, 40, 10.6}, // opening is slower: 80% of it
		{30, 0, 24},      // nothing closed: the opening rate alone
	}
	for _, tt := range tests {
		if got := DeadlinePace(tt.opened, tt.closed); got != tt.want {
			t.Errorf("DeadlinePace(%v, %v) = %v, want %v", tt.opened, tt.closed, got, tt.want)
		}
	}
}

func TestCloseRate(t *testing.T) {
	at := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	// Deadlines a second apart from at; the last run ends 4 s after the
	// first deadline, whichever order they were read in.
	runs := []closedRun{
		{deadline: at.Add(2 * time.Second), ended: at.Add(4 * time.Second)},
		{deadline: at, ended: at.Add(100 * time.Millisecond)},
		{deadline: at.Add(time.Second), ended: at.Add(3 * time.Second)},
		{deadline: at.Add(3 * time.Second), ended: at.Add(3500 * time.Millisecond)},
	}
	if got := closeRate(runs); got != 1 {
		t.Errorf("closeRate = %v, want 1 (4 runs in the 4 s from the first deadline to the last end)", got)
	}
	if got := closeRate(runs[:1]); got != 0 {
		t.Errorf("closeRate of one run = %v, want 0 (no span to measure)", got)
	}
	late := lateness(runs)
	if len(late) != 4 || late[0] != 2*time.Second || late[1] != 100*time.Millisecond {
		t.Errorf("lateness %v, want each run's end minus its deadline", late)
	}
}
