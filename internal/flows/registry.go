package flows

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"
)

// Registry holds the flows in force and reloads them from their file. It is
// safe for concurrent use.
type Registry struct {
	path   string
	logger *slog.Logger

	mu      sync.RWMutex
	current *Flow
	hash    [sha256.Size]byte
	status  Status
}

// Status says how the last load went.
type Status struct {
	Path        string     `json:"path"`
	LoadedAt    time.Time  `json:"loaded_at"`
	Blocks      int        `json:"blocks"`
	LastError   string     `json:"last_error,omitempty"`
	LastErrorAt *time.Time `json:"last_error_at,omitempty"`
}

// NewRegistry loads the flows file; the first load must succeed.
func NewRegistry(path string, logger *slog.Logger) (*Registry, error) {
	if logger == nil {
		logger = slog.Default()
	}
	r := &Registry{path: path, logger: logger, status: Status{Path: path}}
	if _, err := r.load(); err != nil {
		return nil, err
	}
	return r, nil
}

// Current returns the flows in force.
func (r *Registry) Current() *Flow {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.current
}

// Status returns how the last load went.
func (r *Registry) Status() Status {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.status
}

// Reload reads the file again. A broken file leaves the flows in force
// unchanged; the error is logged, kept in Status and returned.
func (r *Registry) Reload() error {
	changed, err := r.load()
	if err != nil {
		r.logger.Error("flows not reloaded; the previous flows stay in force", "file", r.path, "error", err)
		return err
	}
	if changed {
		r.logger.Info("flows reloaded", "file", r.path, "blocks", r.Status().Blocks)
	}
	return nil
}

// load reads and parses the file and reports whether its content changed.
func (r *Registry) load() (bool, error) {
	data, err := os.ReadFile(r.path)
	if err == nil {
		r.mu.RLock()
		same := r.current != nil && bytes.Equal(r.hash[:], hashOf(data))
		r.mu.RUnlock()
		if same {
			r.clearError()
			return false, nil
		}
	}
	var f *Flow
	if err == nil {
		f, err = Parse(r.path, data)
	} else {
		err = fmt.Errorf("read flows: %w", err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now()
	if err != nil {
		r.status.LastError = err.Error()
		r.status.LastErrorAt = &now
		return false, err
	}
	r.current = f
	copy(r.hash[:], hashOf(data))
	r.status = Status{Path: r.path, LoadedAt: now, Blocks: len(f.order)}
	return true, nil
}

func (r *Registry) clearError() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.status.LastError, r.status.LastErrorAt = "", nil
}

func hashOf(data []byte) []byte {
	h := sha256.Sum256(data)
	return h[:]
}

// Watch reloads the flows whenever the file's content changes, checking
// every interval until ctx is done. It compares content, not modification
// times, so it also notices changes on network filesystems and Kubernetes
// ConfigMap updates (which swap a symlink). A broken edit is reported once.
func (r *Registry) Watch(ctx context.Context, interval time.Duration) {
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	lastFailed := [sha256.Size]byte{}
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
		data, err := os.ReadFile(r.path)
		if err != nil {
			continue // a file being replaced; the next check sees it
		}
		h := sha256.Sum256(data)
		r.mu.RLock()
		unchanged := h == r.hash
		r.mu.RUnlock()
		if unchanged || h == lastFailed {
			continue
		}
		if err := r.Reload(); err != nil {
			lastFailed = h
		}
	}
}
