package bleveindex_test

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/handoff-chat/handoff/search/bleveindex"
)

// holderEnv makes this test binary, re-run by
// TestSecondProcessIsRefusedUntilTheHolderDies, open the directory it names,
// say so and wait to be killed.
const holderEnv = "HANDOFF_BLEVE_LOCK_HOLDER"

func TestMain(m *testing.M) {
	if dir := os.Getenv(holderEnv); dir != "" {
		idx, err := bleveindex.Open(dir)
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		fmt.Println("open")
		time.Sleep(time.Hour)
		_ = idx.Close()
		os.Exit(0)
	}
	if dir := os.Getenv(journalWriterEnv); dir != "" {
		writeThenWait(dir)
	}
	os.Exit(m.Run())
}

// A second Open of a directory in use fails at once, naming the directory
// and what to do, instead of waiting for Bleve's own lock; after Close the
// directory opens again.
func TestSecondOpenIsRefusedAtOnce(t *testing.T) {
	dir := t.TempDir()
	first, err := bleveindex.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	second, err := openWithin(t, dir, 10*time.Second)
	if err == nil {
		_ = second.Close()
		t.Fatal("a second Open of a directory in use succeeded")
	}
	if !errors.Is(err, bleveindex.ErrInUse) || !strings.Contains(err.Error(), dir) ||
		!strings.Contains(err.Error(), "process "+strconv.Itoa(os.Getpid())) || !strings.Contains(err.Error(), "search.backend: remote") {
		t.Fatalf("error %q: want ErrInUse naming %s, this process and the remote backend", err, dir)
	}
	t.Logf("refused in %s: %v", time.Since(start).Round(time.Millisecond), err)
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	again, err := bleveindex.Open(dir)
	if err != nil {
		t.Fatalf("open after the holder closed it: %v", err)
	}
	if err := again.Close(); err != nil {
		t.Fatal(err)
	}
}

// Another OS process holding the directory makes Open fail with its process
// ID; once that process is killed (no Close, no clean exit), the directory
// opens.
func TestSecondProcessIsRefusedUntilTheHolderDies(t *testing.T) {
	dir := t.TempDir()
	holder := exec.Command(os.Args[0], "-test.run=^$")
	holder.Env = append(os.Environ(), holderEnv+"="+dir)
	out, err := holder.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	holder.Stderr = os.Stderr
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = holder.Process.Kill()
		_ = holder.Wait()
	}()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || line != "open\n" {
		t.Fatalf("the holder process said %q (%v), want open", line, err)
	}

	_, err = openWithin(t, dir, 10*time.Second)
	if !errors.Is(err, bleveindex.ErrInUse) || !strings.Contains(err.Error(), fmt.Sprintf("process %d", holder.Process.Pid)) {
		t.Fatalf("open while process %d holds the directory: %v; want ErrInUse naming it", holder.Process.Pid, err)
	}
	if err := holder.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = holder.Wait()
	idx, err := openWithin(t, dir, 30*time.Second)
	if err != nil {
		t.Fatalf("open after the holder was killed: %v", err)
	}
	if err := idx.Close(); err != nil {
		t.Fatal(err)
	}
}

// openWithin opens dir, failing the test if Open does not return within
// limit (Bleve's own lock waits forever).
func openWithin(t *testing.T, dir string, limit time.Duration) (*bleveindex.Index, error) {
	t.Helper()
	type result struct {
		idx *bleveindex.Index
		err error
	}
	done := make(chan result, 1)
	go func() {
		idx, err := bleveindex.Open(dir)
		done <- result{idx, err}
	}()
	select {
	case r := <-done:
		return r.idx, r.err
	case <-time.After(limit):
		t.Fatalf("Open(%s) did not return within %s", dir, limit)
		return nil, nil
	}
}
