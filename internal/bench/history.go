package bench

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/handoff-chat/handoff/internal/bench/stats"
)

// historyFile keeps, in a data directory that outlives its runs, one line
// per run, so a later run on the same data says how its throughput compares
// with the first.
const historyFile = "bench-history.jsonl"

// HistoryEntry is one earlier run on the data directory.
type HistoryEntry struct {
	At time.Time `json:"at"`
	// Conversations is how many conversations the data directory held
	// (started by all runs so far, this one included).
	Conversations int `json:"conversations"`
	// SustainedPerSecond is the maximum sustained throughput, 0 when the
	// sustained phase did not run.
	SustainedPerSecond float64 `json:"sustained_msgs_per_s,omitempty"`
	// LoadAckP99 is the ack p99 at the offered load.
	LoadAckP99 stats.Millis `json:"load_ack_p99_ms,omitempty"`
	// UpdateWithStartPerSecond is the baseline.
	UpdateWithStartPerSecond float64 `json:"update_with_start_ops_per_s,omitempty"`
}

func readHistory(path string) ([]HistoryEntry, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("bench: read the results history: %w", err)
	}
	defer f.Close()
	var out []HistoryEntry
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		if len(sc.Bytes()) == 0 {
			continue
		}
		var e HistoryEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			return nil, fmt.Errorf("bench: %s line %d: %w", path, line, err)
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("bench: read %s: %w", path, err)
	}
	return out, nil
}

func appendHistory(path string, e HistoryEntry) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("bench: write the results history: %w", err)
	}
	if err := json.NewEncoder(f).Encode(e); err != nil {
		f.Close()
		return fmt.Errorf("bench: write the results history: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("bench: write the results history: %w", err)
	}
	return nil
}

// recordHistory appends this run to the data directory's history when the
// directory is kept.
func (s *selfContained) recordHistory(r *Report) error {
	if !s.keepsData() {
		return nil
	}
	e := HistoryEntry{At: r.StartedAt, Conversations: r.conversationsSoFar()}
	if r.Sustained != nil {
		e.SustainedPerSecond = r.Sustained.MaxPerSecond
	}
	if r.Load != nil {
		e.LoadAckP99 = r.Load.Ack.P99
	}
	if r.Baseline != nil {
		e.UpdateWithStartPerSecond = r.Baseline.UpdateWithStart.OpsPerSecond
	}
	return appendHistory(filepath.Join(s.dataDir, historyFile), e)
}
