package dirlock_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/handoff-chat/handoff/internal/dirlock"
)

func TestASecondHolderIsRefusedUntilTheFirstReleases(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	first, err := dirlock.Acquire(dir)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, dirlock.FileName))
	if err != nil || strings.TrimSpace(string(raw)) != strconv.Itoa(os.Getpid()) {
		t.Errorf("lock file holds %q (%v), want this process's ID", raw, err)
	}

	_, err = dirlock.Acquire(dir)
	var inUse *dirlock.InUseError
	if !errors.Is(err, dirlock.ErrInUse) || !errors.As(err, &inUse) || inUse.PID != os.Getpid() || inUse.Dir != dir {
		t.Fatalf("second acquire: %v, want in use by pid %d", err, os.Getpid())
	}
	if !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), strconv.Itoa(os.Getpid())) {
		t.Errorf("error %q names neither the directory nor the holder", err)
	}

	if err := first.Release(); err != nil {
		t.Fatal(err)
	}
	if err := first.Release(); err != nil {
		t.Errorf("second release: %v", err)
	}
	again, err := dirlock.Acquire(dir)
	if err != nil {
		t.Fatalf("acquire after release: %v", err)
	}
	if err := again.Release(); err != nil {
		t.Fatal(err)
	}
}

// The lock is the operating system's: another process is refused while
// this one holds it, and gets it once this one has let go.
func TestAnotherProcessIsRefused(t *testing.T) {
	if dir := os.Getenv("DIRLOCK_TEST_DIR"); dir != "" {
		_, err := dirlock.Acquire(dir)
		if errors.Is(err, dirlock.ErrInUse) {
			os.Exit(3)
		}
		if err != nil {
			os.Exit(4)
		}
		os.Exit(0)
	}
	dir := t.TempDir()
	held, err := dirlock.Acquire(dir)
	if err != nil {
		t.Fatal(err)
	}
	child := func() int {
		cmd := exec.Command(os.Args[0], "-test.run=^TestAnotherProcessIsRefused$")
		cmd.Env = append(os.Environ(), "DIRLOCK_TEST_DIR="+dir)
		err := cmd.Run()
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return exit.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0
	}
	if code := child(); code != 3 {
		t.Errorf("another process while held: exit %d, want 3 (in use)", code)
	}
	if err := held.Release(); err != nil {
		t.Fatal(err)
	}
	if code := child(); code != 0 {
		t.Errorf("another process after release: exit %d, want 0", code)
	}
}
