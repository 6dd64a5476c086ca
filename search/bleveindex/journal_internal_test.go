package bleveindex

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/handoff-chat/handoff/search"
)

// fakeEpochs stands in for an index's snapshot epochs.
type fakeEpochs struct{ now, saved uint64 }

func (e *fakeEpochs) current() uint64   { return e.now }
func (e *fakeEpochs) persisted() uint64 { return e.saved }

func journalFiles(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*"+journalExt))
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// Records come back in the order they were written, over several files; a
// record a crash cut short ends its file's records, and a file is deleted
// only once the index has persisted every batch written to it.
func TestJournalKeepsWhatIsNotPersisted(t *testing.T) {
	dir := t.TempDir()
	epoch := &fakeEpochs{}
	j, records, err := openJournal(dir, epoch)
	if err != nil || len(records) != 0 {
		t.Fatalf("a new journal: %v records, %v", len(records), err)
	}
	big := bytes.Repeat([]byte("x"), journalFileLimit/2)
	for i := range 4 {
		if err := j.append([][]byte{[]byte(fmt.Sprint("r", i)), big}); err != nil {
			t.Fatal(err)
		}
		epoch.now = uint64(10 * (i + 1))
		j.applied()
	}
	// Batches 1-2 filled the first file, 3-4 the second; nothing persisted.
	if files := journalFiles(t, dir); len(files) != 2 {
		t.Fatalf("journal files %v, want 2", files)
	}
	epoch.saved = 20 // the first file's batches are on disk
	j.applied()
	if files := journalFiles(t, dir); len(files) != 1 {
		t.Fatalf("journal files %v after the first file's batches were persisted, want 1", files)
	}
	if err := j.append([][]byte{[]byte("r4")}); err != nil {
		t.Fatal(err)
	}
	j.close()

	// A crash cut the next write short: its header is there, its body not.
	files := journalFiles(t, dir)
	last, err := os.OpenFile(files[len(files)-1], os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := last.Write([]byte{200, 0, 0, 0, 1, 2, 3, 4, 'p', 'a', 'r'}); err != nil {
		t.Fatal(err)
	}
	_ = last.Close()

	j, records, err = openJournal(dir, &fakeEpochs{now: 7})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range records {
		if !bytes.Equal(r, big) {
			got = append(got, string(r))
		}
	}
	if fmt.Sprint(got) != "[r2 r3 r4]" || len(records) != 5 {
		t.Errorf("records read again %v (%d in all), want r2, r3 and r4 with the two large ones", got, len(records))
	}
	// Written again into an index that persists them: the files go.
	j.epoch = &fakeEpochs{now: 7, saved: 7}
	j.replayed()
	if files := journalFiles(t, dir); len(files) != 0 {
		t.Errorf("journal files %v after what they held was persisted, want none", files)
	}
}

// A journal record that cannot be read is left out and counted; the
// records around it are written again.
func TestReplayCountsUnreadableRecords(t *testing.T) {
	x, err := OpenInMemory()
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	valid := []byte(`{"id":"m1","conversation_id":"c1","sender":"customer","text":"invoice please","sent_at":"2026-12-06T10:00:00Z"}`)
	skipped, err := x.replayMessages([][]byte{[]byte("{not json"), valid})
	if err != nil || skipped != 1 {
		t.Fatalf("replay: %d skipped, %v; want 1 skipped and no error", skipped, err)
	}
	res, err := x.SearchMessages(context.Background(), search.MessageQuery{ConversationID: "c1", Text: "invoice"})
	if err != nil || res.Total != 1 {
		t.Errorf("after the replay: %+v %v, want the readable message found", res, err)
	}
	skipped, err = x.replayConversations([][]byte{[]byte("[]"), []byte(`{"id":"conversation/webchat/v1","updated_at":"2026-12-06T10:00:00Z"}`)})
	if err != nil || skipped != 1 {
		t.Fatalf("conversations replay: %d skipped, %v; want 1 skipped and no error", skipped, err)
	}
}
