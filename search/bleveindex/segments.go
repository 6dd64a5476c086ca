package bleveindex

import zapv17 "github.com/blevesearch/zapx/v17"

// Bleve builds each batch into an in-memory segment whose buffer it sizes
// as the previous segment's bytes per document times the batch's documents
// plus 100. The batches here hold one or a few documents (a message, a
// conversation), so that reserved about a hundred segments' worth, some
// 0.8 MB a batch: a third of all the process allocated under load. Sized
// from the batch alone, the buffer still grows when a batch needs more.
func init() { zapv17.NewSegmentBufferNumResultsBump = 0 }
