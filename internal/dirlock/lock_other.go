//go:build !unix

package dirlock

import "os"

// lock is not enforced where there is no flock: the lock file is written,
// and keeping one process per data directory is up to the operator.
func lock(*os.File) (held bool, err error) { return true, nil }
