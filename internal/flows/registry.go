package flows

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"
)

// defaultWatchInterval is used by Watch when given no positive interval.
const defaultWatchInterval = 5 * time.Second

// Registry holds the flow in force and reloads it from its file. A broken
// edit never replaces a working flow: it is logged and kept in Status until
// the file loads again. It is safe for concurrent use.
type Registry struct {
	path   string
	logger *slog.Logger

	// loading serialises reading and applying the file, so a slow load
	// cannot overwrite a newer one.
	loading sync.Mutex

	mu     sync.RWMutex
	flow   *Flow
	hash   [sha256.Size]byte // content of the flow in force
	failed [sha256.Size]byte // content that last failed to parse, if any
	status Status

	// lastSeen is what Watch's previous check found: the content's hash
	// or the read error. Guarded by loading.
	lastSeen string
}

// Status says which flow is in force and how the last load went.
type Status struct {
	// Path is the flows file.
	Path string `json:"path"`
	// LoadedAt is when the flow in force was loaded.
	LoadedAt time.Time `json:"loaded_at"`
	// Blocks is how many blocks the flow in force has.
	Blocks int `json:"blocks"`
	// SHA256 is the hex SHA-256 of the file content in force, to tell which
	// version each process runs.
	SHA256 string `json:"sha256"`
	// LastError says why the file's current content is not in force; empty
	// when the file is what is in force.
	LastError string `json:"last_error,omitempty"`
	// LastErrorAt is when LastError was found; zero when there is none.
	LastErrorAt time.Time `json:"last_error_at,omitzero"`
}

// NewRegistry loads the flows file at path. The first load must succeed. A
// nil logger logs to slog.Default().
func NewRegistry(path string, logger *slog.Logger) (*Registry, error) {
	if logger == nil {
		logger = slog.Default()
	}
	r := &Registry{path: path, logger: logger, status: Status{Path: path}}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read flows file: %w", err)
	}
	f, err := Parse(path, data)
	if err != nil {
		return nil, err
	}
	r.install(f, sha256.Sum256(data))
	return r, nil
}

// Current returns the flow in force.
func (r *Registry) Current() *Flow {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.flow
}

// Status says which flow is in force and how the last load went.
func (r *Registry) Status() Status {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.status
}

// Reload reads the file now. When it does not load, the flow in force stays;
// the error is logged, kept in Status and returned. Content equal to the flow
// in force changes nothing but clears a previous error.
func (r *Registry) Reload() error {
	r.loading.Lock()
	defer r.loading.Unlock()
	data, err := os.ReadFile(r.path)
	if err != nil {
		err = fmt.Errorf("read flows file: %w", err)
		r.fail(err, [sha256.Size]byte{})
		return err
	}
	return r.apply(data, sha256.Sum256(data))
}

// Watch checks the file every interval (5s when interval is not positive)
// until ctx is done, and reloads it when its content changed and stayed the
// same for two checks in a row, so a change takes effect within two
// intervals and a file caught half-written is ignored.
//
// It compares a SHA-256 of the content rather than the modification time,
// which is not reliable on network filesystems and does not change when a
// Kubernetes ConfigMap update swaps the symlink the file is read through.
// A broken edit or an unreadable file is logged once, not at every check;
// when the file is put back to the content in force, the error is cleared.
func (r *Registry) Watch(ctx context.Context, interval time.Duration) {
	if interval <= 0 {
		interval = defaultWatchInterval
	}
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
			r.check()
		}
	}
}

// check reloads the file once two checks in a row found the same content
// (or the same read error), so a file caught half-written is neither loaded
// nor reported; content in force or known to be broken is not parsed again.
func (r *Registry) check() {
	r.loading.Lock()
	defer r.loading.Unlock()
	data, err := os.ReadFile(r.path)
	sum := sha256.Sum256(data)
	seen := "content " + hex.EncodeToString(sum[:])
	if err != nil {
		err = fmt.Errorf("read flows file: %w", err)
		seen = "error " + err.Error()
	}
	settled := seen == r.lastSeen
	r.lastSeen = seen
	switch {
	case !settled:
	case err != nil:
		if r.Status().LastError != err.Error() {
			r.fail(err, [sha256.Size]byte{})
		}
	case r.inForce(sum) || r.knownBroken(sum):
	default:
		_ = r.apply(data, sum) // a failure is logged and kept in Status
	}
}

// knownBroken reports whether sum is the content that last failed to parse.
func (r *Registry) knownBroken(sum [sha256.Size]byte) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return sum == r.failed
}

// apply makes data the flow in force, unless it is so already or does not
// parse. Callers hold r.loading.
func (r *Registry) apply(data []byte, sum [sha256.Size]byte) error {
	if r.inForce(sum) {
		return nil
	}
	f, err := Parse(r.path, data)
	if err != nil {
		r.fail(err, sum)
		return err
	}
	r.install(f, sum)
	r.logReloaded(f, sum)
	return nil
}

func (r *Registry) logReloaded(f *Flow, sum [sha256.Size]byte) {
	r.logger.Info("flows reloaded", "file", r.path, "blocks", len(f.order), "sha256", hex.EncodeToString(sum[:]))
}

// inForce reports whether sum is the content in force; if so, a previous
// error no longer holds and is cleared.
func (r *Registry) inForce(sum [sha256.Size]byte) bool {
	r.mu.Lock()
	same := sum == r.hash
	hadError := same && r.status.LastError != ""
	if same {
		r.status.LastError, r.status.LastErrorAt = "", time.Time{}
		r.failed = [sha256.Size]byte{}
	}
	r.mu.Unlock()
	if hadError {
		r.logger.Info("flows file is back to the flows in force", "file", r.path)
	}
	return same
}

// install makes f the flow in force.
func (r *Registry) install(f *Flow, sum [sha256.Size]byte) {
	r.mu.Lock()
	r.flow, r.hash, r.failed = f, sum, [sha256.Size]byte{}
	r.status = Status{Path: r.path, LoadedAt: time.Now(), Blocks: len(f.order), SHA256: hex.EncodeToString(sum[:])}
	r.mu.Unlock()
}

// fail records why the file is not in force; sum is the content that failed
// to parse, zero when the file could not be read.
func (r *Registry) fail(err error, sum [sha256.Size]byte) {
	r.mu.Lock()
	r.failed = sum
	r.status.LastError, r.status.LastErrorAt = err.Error(), time.Now()
	r.mu.Unlock()
	r.logger.Error("flows file not loaded; the previous flows stay in force", "file", r.path, "error", err)
}
