package bleveindex

import "time"

// SetPersisterNap sets how long Bleve's persister waits between rounds, for
// indexes opened afterwards.
func SetPersisterNap(d time.Duration) { persisterNap = d }
