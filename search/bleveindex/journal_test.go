package bleveindex_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2"

	"github.com/handoff-chat/handoff/internal/chat"
	"github.com/handoff-chat/handoff/search"
	"github.com/handoff-chat/handoff/search/bleveindex"
)

// journalWriterEnv makes this test binary, re-run by
// TestAcknowledgedWritesSurviveACrash, write to the index directory it
// names with Bleve's persister held back, say when every write was
// acknowledged, and wait to be killed.
const journalWriterEnv = "HANDOFF_BLEVE_JOURNAL_WRITER"

// crashWrites is how many messages (each followed by its conversation's
// document) the writer process writes before it is killed.
const crashWrites = 40

var crashStart = time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)

func crashMessage(i int) search.Message {
	return search.Message{ID: fmt.Sprintf("m%d", i), ConversationID: "conversation/webchat/crash", Sender: "customer",
		Text: fmt.Sprintf("пратка номер %d закъснява", i), SentAt: crashStart.Add(time.Duration(i) * time.Second)}
}

func crashSummary(i int) chat.ConversationSummary {
	at := crashStart.Add(time.Duration(i) * time.Second)
	return chat.ConversationSummary{ID: "conversation/webchat/crash", Channel: "webchat", CustomerID: "crash",
		CustomerName: "Мария Петрова", State: chat.StatusBot, LastMessageAt: at, UpdatedAt: at, Preview: crashMessage(i).Text}
}

func writeThenWait(dir string) {
	bleveindex.SetPersisterNap(time.Hour)
	idx, err := bleveindex.Open(dir)
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	ctx := context.Background()
	for i := range crashWrites {
		if err := idx.IndexMessages(ctx, []search.Message{crashMessage(i)}); err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		if err := idx.UpsertConversation(ctx, crashSummary(i)); err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
	}
	fmt.Println("written")
	time.Sleep(time.Hour)
	os.Exit(0)
}

// Every write the index acknowledged is there after the process holding
// it is killed, although Bleve had persisted almost none of them: Open
// writes its journal again. A clean Close after that leaves the journal
// empty, and the next Open finds the same.
func TestAcknowledgedWritesSurviveACrash(t *testing.T) {
	dir := t.TempDir()
	writer := exec.Command(os.Args[0], "-test.run=^$")
	writer.Env = append(os.Environ(), journalWriterEnv+"="+dir)
	out, err := writer.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	writer.Stderr = os.Stderr
	if err := writer.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = writer.Process.Kill()
		_ = writer.Wait()
	}()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || line != "written\n" {
		t.Fatalf("the writer process said %q (%v), want written", line, err)
	}
	if err := writer.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = writer.Wait()

	// What Bleve alone kept: the test is only worth its name if the
	// journal is needed.
	raw, err := bleve.Open(filepath.Join(dir, "messages.bleve"))
	if err != nil {
		t.Fatal(err)
	}
	kept, err := raw.DocCount()
	if err != nil {
		t.Fatal(err)
	}
	if err := raw.Close(); err != nil {
		t.Fatal(err)
	}
	if kept >= crashWrites {
		t.Fatalf("Bleve persisted all %d messages before the kill; the crash tested nothing", kept)
	}
	t.Logf("Bleve had persisted %d of the %d acknowledged messages", kept, crashWrites)

	for round := range 2 {
		idx, err := bleveindex.Open(dir)
		if err != nil {
			t.Fatalf("open %d: %v", round+1, err)
		}
		res, err := idx.SearchMessages(context.Background(), search.MessageQuery{ConversationID: "conversation/webchat/crash", Text: "пратка", Size: search.MaxPageSize})
		if err != nil {
			t.Fatal(err)
		}
		if res.Total != crashWrites {
			t.Errorf("open %d: %d messages of the %d acknowledged", round+1, res.Total, crashWrites)
		}
		docs, err := idx.SearchConversations(context.Background(), search.ConversationQuery{Size: 10})
		if err != nil {
			t.Fatal(err)
		}
		if want := crashSummary(crashWrites - 1).UpdatedAt; len(docs) != 1 || !docs[0].UpdatedAt.Equal(want) {
			t.Errorf("open %d: conversation documents %+v, want the last one written (updated at %s)", round+1, docs, want)
		}
		if err := idx.Close(); err != nil {
			t.Fatal(err)
		}
		for _, journal := range []string{"messages.journal", "conversations.journal"} {
			if files, _ := filepath.Glob(filepath.Join(dir, journal, "*")); len(files) != 0 {
				t.Errorf("after a clean close %s holds %v, want nothing (everything was persisted)", journal, files)
			}
		}
	}
}
