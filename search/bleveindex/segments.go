package bleveindex

import zapv17 "github.com/blevesearch/zapx/v17"

// Bleve's segment buffers are sized for large batches and large merges;
// here batches hold a message or a conversation and most merges join a few
// small segments, several times a second under load.
func init() {
	// Each batch becomes an in-memory segment whose buffer Bleve sizes as
	// the previous segment's bytes per document times the batch's
	// documents plus 100: some 0.8 MB for a one-document batch, a third of
	// all the process allocated under load. Sized from the batch alone,
	// the buffer still grows when a batch needs more.
	zapv17.NewSegmentBufferNumResultsBump = 0
	// Each merge writes its segment through a buffer of 1 MiB, allocated
	// anew: most of what the merges allocated. 64 KiB still writes a
	// large segment in few calls.
	zapv17.DefaultFileMergerBufferSize = 64 << 10
}
