package child

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Memory is a process's resident memory, in bytes.
type Memory struct {
	// RSS is resident now (VmRSS); Peak the most it has been (VmHWM).
	RSS, Peak int64
}

// Memory reads the process's resident memory from /proc.
func (p *Process) Memory() (Memory, error) {
	return ReadMemory(fmt.Sprintf("/proc/%d/status", p.Pid()))
}

// ReadMemory reads VmRSS and VmHWM from a /proc/<pid>/status file.
func ReadMemory(statusFile string) (Memory, error) {
	f, err := os.Open(statusFile)
	if err != nil {
		return Memory{}, fmt.Errorf("read resident memory: %w", err)
	}
	defer f.Close()
	var m Memory
	found := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		key, value, ok := strings.Cut(sc.Text(), ":")
		if !ok || (key != "VmRSS" && key != "VmHWM") {
			continue
		}
		fields := strings.Fields(value)
		if len(fields) != 2 || fields[1] != "kB" {
			return Memory{}, fmt.Errorf("read resident memory: %s has %s %q, want a size in kB", statusFile, key, value)
		}
		kb, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			return Memory{}, fmt.Errorf("read resident memory: %s %s: %w", statusFile, key, err)
		}
		if key == "VmRSS" {
			m.RSS = kb << 10
		} else {
			m.Peak = kb << 10
		}
		found++
	}
	if err := sc.Err(); err != nil {
		return Memory{}, fmt.Errorf("read resident memory: %w", err)
	}
	if found != 2 {
		return Memory{}, fmt.Errorf("read resident memory: %s lacks VmRSS or VmHWM", statusFile)
	}
	return m, nil
}

// DiskUsage is the space the files under dir take on disk (allocated
// blocks, as du counts them), in bytes. Files that vanish while it walks are
// skipped.
func DiskUsage(dir string) (int64, error) {
	var total int64
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		info, err := d.Info()
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if st, ok := info.Sys().(*syscall.Stat_t); ok {
			total += st.Blocks * 512
		} else {
			total += info.Size()
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("disk use of %s: %w", dir, err)
	}
	return total, nil
}

// clockTicks is the unit of the CPU times in /proc/<pid>/stat (USER_HZ,
// 100 on Linux).
const clockTicks = 100

// CPU is the CPU time the process has used (user and system).
func (p *Process) CPU() (time.Duration, error) {
	return ReadCPU(fmt.Sprintf("/proc/%d/stat", p.Pid()))
}

// ReadCPU reads the user and system time from a /proc/<pid>/stat file.
func ReadCPU(statFile string) (time.Duration, error) {
	raw, err := os.ReadFile(statFile)
	if err != nil {
		return 0, fmt.Errorf("read CPU time: %w", err)
	}
	// The command name, in parentheses, may hold spaces: the fields that
	// follow it start with the state, field 3.
	end := strings.LastIndexByte(string(raw), ')')
	if end < 0 {
		return 0, fmt.Errorf("read CPU time: %s is not a stat file", statFile)
	}
	fields := strings.Fields(string(raw[end+1:]))
	if len(fields) < 13 {
		return 0, fmt.Errorf("read CPU time: %s has %d fields after the name, want at least 13", statFile, len(fields))
	}
	var ticks int64
	for _, f := range fields[11:13] { // utime and stime, fields 14 and 15
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("read CPU time: %s: %w", statFile, err)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / clockTicks, nil
}

// OwnCPU is the CPU time this process has used.
func OwnCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// MachineCPU is the time all the machine's CPUs were busy (anything but
// idle and waiting for I/O: every process, the kernel's interrupt work, and
// time a hypervisor gave to others) and their whole time, both since boot.
type MachineCPU struct {
	Busy, Total time.Duration
}

// ReadMachineCPU reads the first line of /proc/stat, the sum over all CPUs.
func ReadMachineCPU(statFile string) (MachineCPU, error) {
	f, err := os.Open(statFile)
	if err != nil {
		return MachineCPU{}, fmt.Errorf("read the machine's CPU time: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	if !sc.Scan() {
		return MachineCPU{}, fmt.Errorf("read the machine's CPU time: %s is empty", statFile)
	}
	fields := strings.Fields(sc.Text())
	// cpu user nice system idle iowait irq softirq steal [guest guest_nice]:
	// guest time is already counted in user and nice.
	if len(fields) < 9 || fields[0] != "cpu" {
		return MachineCPU{}, fmt.Errorf("read the machine's CPU time: %s starts with %q, want \"cpu\" and 8 counters", statFile, sc.Text())
	}
	var m MachineCPU
	for i, f := range fields[1:9] {
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return MachineCPU{}, fmt.Errorf("read the machine's CPU time: %s: %w", statFile, err)
		}
		d := time.Duration(n) * time.Second / clockTicks
		m.Total += d
		if i != 3 && i != 4 { // idle, iowait
			m.Busy += d
		}
	}
	return m, nil
}
