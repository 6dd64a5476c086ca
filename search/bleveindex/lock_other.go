//go:build !unix

package bleveindex

import "os"

// tryLock does not lock on systems without flock: there, keeping one
// process per index directory is the operator's task.
func tryLock(*os.File) (held bool, err error) { return false, nil }
