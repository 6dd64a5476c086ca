package bleveindex

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// LockFile is the file in the index directory that the process using the
// directory holds locked (the lock, not the file, is what counts: a file
// left behind by a process that crashed does not stop the next one).
const LockFile = "handoff.lock"

// ErrInUse is the start-up error of a process whose index directory another
// process (or another Open in this process) already holds.
var ErrInUse = errors.New("the search index directory is in use")

// dirLock is the exclusive lock on an index directory, held until release.
type dirLock struct{ f *os.File }

// lockDir takes the directory's lock without waiting: two processes that
// both write one Bleve directory would corrupt it, and Bleve itself would
// make the second wait forever for its root file. The lock file names the
// holder's process ID, for the error the next one reports.
func lockDir(dir string) (*dirLock, error) {
	path := filepath.Join(dir, LockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return nil, fmt.Errorf("bleve: open the lock file %s: %w", path, err)
	}
	held, err := tryLock(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("bleve: lock %s: %w", path, err)
	}
	if held {
		holder := ""
		if raw, err := os.ReadFile(path); err == nil {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(raw))); err == nil && pid > 0 {
				holder = fmt.Sprintf(" by process %d", pid)
			}
		}
		f.Close()
		return nil, fmt.Errorf("bleve: %w: %s is held%s; only one process may own the embedded index: "+
			"stop the other process, give this one its own data_dir, or use the owner's index (search.backend: remote) or elasticsearch",
			ErrInUse, dir, holder)
	}
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &dirLock{f: f}, nil
}

// release gives the lock up; closing the file does, on every system.
func (l *dirLock) release() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}
