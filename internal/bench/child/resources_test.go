package child

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeProcFile writes content to a file of its own, standing in for one of
// /proc's, and returns its path.
func writeProcFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "proc")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestReadMemory(t *testing.T) {
	status := writeProcFile(t, "Name:\thandoff\nVmPeak:\t 2000000 kB\nVmHWM:\t  512000 kB\nVmRSS:\t  256000 kB\nThreads:\t12\n")
	m, err := ReadMemory(status)
	if err != nil {
		t.Fatal(err)
	}
	if m.RSS != 256000<<10 || m.Peak != 512000<<10 {
		t.Errorf("memory %+v, want VmRSS and VmHWM in bytes", m)
	}
	if _, err := ReadMemory(writeProcFile(t, "VmRSS:\t12 MB\nVmHWM:\t1 kB\n")); err == nil || !strings.Contains(err.Error(), "VmRSS") {
		t.Errorf("a size not in kB: %v", err)
	}
	if _, err := ReadMemory(filepath.Join(t.TempDir(), "none")); err == nil {
		t.Error("a missing status file gave no error")
	}
}

func TestOwnProcessMemory(t *testing.T) {
	m, err := ReadMemory("/proc/self/status")
	if err != nil {
		t.Skipf("no /proc here: %v", err)
	}
	if m.RSS <= 0 || m.Peak < m.RSS {
		t.Errorf("memory %+v, want a resident size and a peak at least as large", m)
	}
}

func TestDiskUsageCountsEveryFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "search", "store"), 0o750); err != nil {
		t.Fatal(err)
	}
	before, err := DiskUsage(dir)
	if err != nil {
		t.Fatal(err)
	}
	big := make([]byte, 1<<20)
	for i := range big {
		big[i] = byte(i)
	}
	for _, name := range []string{"temporal.db", filepath.Join("search", "store", "seg.zap")} {
		if err := os.WriteFile(filepath.Join(dir, name), big, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	after, err := DiskUsage(dir)
	if err != nil {
		t.Fatal(err)
	}
	if grew := after - before; grew < 2<<20 {
		t.Errorf("two 1 MiB files grew the use by %d bytes", grew)
	}
	if _, err := DiskUsage(filepath.Join(dir, "absent")); err != nil {
		t.Errorf("an absent directory: %v, want 0 and no error", err)
	}
}

func TestReadCPU(t *testing.T) {
	// A name with spaces and a parenthesis; utime 250 and stime 50 ticks.
	got, err := ReadCPU(writeProcFile(t, "4242 (my (odd) name) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 12 0 1000 2000000 5000\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got != 3*time.Second {
		t.Errorf("CPU %s, want 3s (300 ticks at 100 Hz)", got)
	}
	if _, err := ReadCPU(writeProcFile(t, "4242 (short) S 1 2\n")); err == nil {
		t.Error("a truncated stat file gave no error")
	}
	if _, err := os.Stat("/proc/self/stat"); err == nil {
		if _, err := ReadCPU("/proc/self/stat"); err != nil {
			t.Errorf("this process's stat file: %v", err)
		}
	}
	if OwnCPU() <= 0 {
		t.Error("OwnCPU reports no CPU time")
	}
}

func TestReadMachineCPU(t *testing.T) {
	// user 100, nice 10, system 40, idle 500, iowait 30, irq 5, softirq 15,
	// steal 30, then guest time, which user already holds.
	got, err := ReadMachineCPU(writeProcFile(t, "cpu  100 10 40 500 30 5 15 30 77 0\ncpu0 50 5 20 250 15 2 8 15 0 0\n"))
	if err != nil {
		t.Fatal(err)
	}
	if want := (MachineCPU{Busy: 2 * time.Second, Total: 7300 * time.Millisecond}); got != want {
		t.Errorf("got %+v, want %+v (busy 200 ticks of 730 at 100 Hz)", got, want)
	}
	for _, bad := range []string{"", "intr 1 2 3\n", "cpu 1 2 3\n", "cpu 1 2 x 4 5 6 7 8\n"} {
		if _, err := ReadMachineCPU(writeProcFile(t, bad)); err == nil {
			t.Errorf("%q gave no error", bad)
		}
	}
	if _, err := os.Stat("/proc/stat"); err == nil {
		m, err := ReadMachineCPU("/proc/stat")
		if err != nil {
			t.Fatalf("this machine's /proc/stat: %v", err)
		}
		if m.Busy <= 0 || m.Total < m.Busy {
			t.Errorf("this machine: %+v", m)
		}
	}
}
