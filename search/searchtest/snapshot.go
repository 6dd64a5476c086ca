package searchtest

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/handoff-chat/handoff/search"
)

// ConversationDocuments describes every conversation document the index
// holds (up to limit), one JSON line each without the moment it was
// stored: two indexes built from the same conversations describe the same.
// For tests that compare an index with one rebuilt from Temporal.
func ConversationDocuments(t *testing.T, idx search.Index, limit int) string {
	t.Helper()
	docs, err := idx.SearchConversations(context.Background(), search.ConversationQuery{Size: limit})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, d := range docs {
		d.IndexedAt = time.Time{}
		raw, err := json.Marshal(d) // not %+v: the messages' markers are pointers
		if err != nil {
			t.Fatal(err)
		}
		b.Write(raw)
		b.WriteByte('\n')
	}
	return b.String()
}
