// Package dirlock keeps a data directory to one handoff process at a time.
// The embedded Temporal server's SQLite file and the Bleve index under the
// data directory may each be used by one process only: a second all-in-one
// process, or `handoff reindex`, on a directory in use would corrupt the
// one or wait forever for the other. Whoever uses them takes the
// directory's lock first; the operating system releases it when the
// process ends, however it ends, so a crash leaves no stale lock.
package dirlock

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// FileName is the lock file under the data directory. It holds the process
// ID of the holder, for the error a second process gets.
const FileName = "handoff.lock"

// ErrInUse is matched by the error of Acquire when another process holds
// the lock.
var ErrInUse = errors.New("data directory in use")

// InUseError says which directory is in use and by which process.
type InUseError struct {
	Dir string
	// PID is the holder's process ID as it wrote it (0 when unreadable).
	PID int
}

func (e *InUseError) Error() string {
	if e.PID > 0 {
		return fmt.Sprintf("data directory %s is in use by another handoff process (pid %d)", e.Dir, e.PID)
	}
	return fmt.Sprintf("data directory %s is in use by another handoff process", e.Dir)
}

// Is makes an *InUseError match ErrInUse.
func (e *InUseError) Is(target error) bool { return target == ErrInUse }

// Lock is a held lock of a data directory.
type Lock struct {
	file *os.File
}

// Acquire takes the lock of dir (created if missing) without waiting: a
// directory another process holds is an *InUseError.
func Acquire(dir string) (*Lock, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("create data directory %s: %w", dir, err)
	}
	path := filepath.Join(dir, FileName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return nil, fmt.Errorf("open lock file %s: %w", path, err)
	}
	held, err := lock(f)
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if !held {
		pid := holder(f)
		_ = f.Close()
		return nil, &InUseError{Dir: dir, PID: pid}
	}
	// The process ID only informs the error of the next process; the lock
	// holds without it.
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &Lock{file: f}, nil
}

// Release gives the lock up. The file stays: removing it could let two
// processes hold locks of two different files of the same name.
func (l *Lock) Release() error {
	if l == nil || l.file == nil {
		return nil
	}
	err := l.file.Close() // closing the descriptor releases the lock
	l.file = nil
	if err != nil {
		return fmt.Errorf("release data directory lock: %w", err)
	}
	return nil
}

func holder(f *os.File) int {
	raw := make([]byte, 32)
	n, _ := f.ReadAt(raw, 0)
	pid, _ := strconv.Atoi(strings.TrimSpace(string(raw[:n])))
	return pid
}
