package bleveindex

import (
	"errors"
	"fmt"

	"github.com/handoff-chat/handoff/internal/dirlock"
)

// LockFile is the file in the index directory that the process using the
// directory holds locked (the lock, not the file, is what counts: a file
// left behind by a process that crashed does not stop the next one).
const LockFile = dirlock.FileName

// ErrInUse is the start-up error of a process whose index directory another
// process (or another Open in this process) already holds.
var ErrInUse = errors.New("the search index directory is in use")

// lockDir takes the index directory's lock without waiting (the data
// directory's kind of lock, see internal/dirlock): two processes that both
// write one Bleve directory would corrupt it, and Bleve itself would make
// the second wait forever for its root file.
func lockDir(dir string) (*dirlock.Lock, error) {
	lock, err := dirlock.Acquire(dir)
	var inUse *dirlock.InUseError
	if errors.As(err, &inUse) {
		holder := ""
		if inUse.PID > 0 {
			holder = fmt.Sprintf(" by process %d", inUse.PID)
		}
		return nil, fmt.Errorf("bleve: %w: %s is held%s; only one process may own the embedded index: "+
			"stop the other process, give this one its own data_dir, or use the owner's index (search.backend: remote) or elasticsearch",
			ErrInUse, dir, holder)
	}
	if err != nil {
		return nil, fmt.Errorf("bleve: %w", err)
	}
	return lock, nil
}
