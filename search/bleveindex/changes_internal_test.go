package bleveindex

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/handoff-chat/handoff/internal/chat"
)

// changed is what a change feed reads: IDs and stamps, in order.
func changed(docs []chat.ConversationSummary) string {
	out := ""
	for _, d := range docs {
		out += fmt.Sprintf("%s@%s/%d/%d ", d.ID, d.IndexedAt.UTC().Format(time.RFC3339Nano), d.LastSeq, len(d.Recent))
	}
	return out
}

// upsertMany stores n documents over ids conversations, each a later
// version of its conversation, and returns the last one's UpdatedAt.
func upsertMany(t *testing.T, x *Index, from, n, ids int, at time.Time) time.Time {
	t.Helper()
	ctx := context.Background()
	for i := from; i < from+n; i++ {
		at = at.Add(time.Millisecond)
		c := chat.ConversationSummary{
			ID: fmt.Sprintf("webchat:c%d", i%ids), Channel: chat.ChannelWebChat, CustomerID: fmt.Sprintf("c%d", i%ids),
			UpdatedAt: at, LastSeq: int64(i),
			Recent: []chat.Message{{Seq: int64(i), ID: fmt.Sprintf("m%d", i), Sender: chat.SenderCustomer, Text: "hello"}},
		}
		if err := x.UpsertConversation(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	return at
}

// The recent changes answer as the search of the index does, at every
// stamp and between, with any limit, also after dropping the oldest to stay
// bounded; a reader further back than they reach is answered by the search.
func TestRecentChangesAnswerAsTheSearchDoes(t *testing.T) {
	x, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = x.Close() }()
	ctx := context.Background()
	opened := x.changes.floor
	const writes, ids = 3*recentChangesKept + 17, 40
	upsertMany(t, x, 0, writes, ids, time.Now())

	all, err := x.searchChangedSince(ctx, time.Time{}, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != ids {
		t.Fatalf("the search found %d conversations, want %d", len(all), ids)
	}
	// Read from the stamps of the current documents and of every 5th kept
	// change, most of them replaced since by later versions.
	var stamps []time.Time
	for _, d := range all {
		stamps = append(stamps, d.IndexedAt)
	}
	for i := 0; i < len(x.changes.kept); i += 5 {
		stamps = append(stamps, x.changes.kept[i].IndexedAt)
	}
	fromMemory := 0
	for _, at := range stamps {
		for _, since := range []time.Time{at, at.Add(-time.Nanosecond), at.Add(time.Nanosecond)} {
			for _, limit := range []int{1, 7, 1000} {
				want, err := x.searchChangedSince(ctx, since, limit)
				if err != nil {
					t.Fatal(err)
				}
				got, err := x.ConversationsChangedSince(ctx, since, limit)
				if err != nil {
					t.Fatal(err)
				}
				if changed(got) != changed(want) {
					t.Fatalf("since %s, limit %d:\n got %s\nwant %s", since.Format(time.RFC3339Nano), limit, changed(got), changed(want))
				}
				if _, ok := x.changes.since(since, limit); ok {
					fromMemory++
				}
			}
		}
	}
	if fromMemory == 0 {
		t.Error("no read was answered from the recent changes")
	}
	if !x.changes.floor.After(opened) {
		t.Errorf("after %d writes the recent changes still reach back to the opening", writes)
	}
	if _, ok := x.changes.since(x.changes.floor, 1000); ok {
		t.Error("a read from before the oldest kept change was answered from memory")
	}
	got, err := x.ConversationsChangedSince(ctx, time.Time{}, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if changed(got) != changed(all) {
		t.Errorf("since the start:\n got %s\nwant %s", changed(got), changed(all))
	}
	if n := len(x.changes.kept); n > 2*recentChangesKept {
		t.Errorf("%d changes kept, want at most %d", n, 2*recentChangesKept)
	}
}

// What earlier processes stored is only in the index: after a reopen, a
// read from before it is answered by the search, with those documents.
func TestRecentChangesStartWhereTheIndexWasOpened(t *testing.T) {
	dir := t.TempDir()
	x, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	at := upsertMany(t, x, 0, 10, 10, time.Now())
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}
	if x, err = Open(dir); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = x.Close() }()
	upsertMany(t, x, 10, 5, 20, at)
	ctx := context.Background()
	got, err := x.ConversationsChangedSince(ctx, time.Time{}, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 15 {
		t.Errorf("everything since the start: %d documents, want the 10 stored before the reopen and the 5 after", len(got))
	}
	since := got[10].IndexedAt
	want, err := x.searchChangedSince(ctx, since, 1000)
	if err != nil {
		t.Fatal(err)
	}
	got, err = x.ConversationsChangedSince(ctx, since, 1000)
	if err != nil {
		t.Fatal(err)
	}
	_, fromMemory := x.changes.since(since, 1000)
	if !fromMemory || changed(got) != changed(want) || len(got) != 5 {
		t.Errorf("since the first write after the reopen (from memory: %v):\n got %s\nwant %s", fromMemory, changed(got), changed(want))
	}
}
