//go:build unix

package dirlock

import (
	"errors"
	"os"
	"syscall"
)

// lock takes an exclusive flock of f without waiting; held is false when
// another open file (of this or another process) has it.
func lock(f *os.File) (held bool, err error) {
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		switch {
		case err == nil:
			return true, nil
		case errors.Is(err, syscall.EINTR):
			continue
		case errors.Is(err, syscall.EWOULDBLOCK):
			return false, nil
		default:
			return false, err
		}
	}
}
