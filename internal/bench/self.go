package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/handoff-chat/handoff/internal/bench/child"
	"github.com/handoff-chat/handoff/internal/bench/graphsink"
	"github.com/handoff-chat/handoff/internal/bench/stats"
)

// childLog is the child's log file in its data directory.
const childLog = "bench-handoff.log"

// selfContained is handoff run by the benchmark: a child process on a data
// directory, free ports and a Graph API stand-in served by the benchmark.
type selfContained struct {
	opts         Options
	log          *slog.Logger
	dataDir      string
	configFile   string // absolute; empty: handoff's defaults
	fresh        bool   // made by this run
	failed       bool   // keep a fresh directory for its log
	staffToken   string
	appSecret    string
	page         string
	sink         *graphsink.Sink
	httpAddr     string
	frontendAddr string
	history      []HistoryEntry

	mu   sync.Mutex
	proc *child.Process
	// peak is the most resident memory seen of any of the processes.
	peak int64
	// cpuBefore is the CPU time of the processes killed before this one.
	cpuBefore time.Duration
}

func startSelfContained(ctx context.Context, opts Options, log *slog.Logger, onDelivery func(graphsink.Delivery)) (*selfContained, error) {
	s := &selfContained{
		opts: opts, log: log, dataDir: opts.DataDir,
		staffToken: randomHex(24), appSecret: randomHex(16),
		page: "1" + randomDigits(15),
	}
	if opts.ConfigFile != "" {
		abs, err := filepath.Abs(opts.ConfigFile)
		if err != nil {
			return nil, fmt.Errorf("bench: --config: %w", err)
		}
		s.configFile = abs
	}
	if s.dataDir == "" {
		dir, err := os.MkdirTemp("", "handoff-bench-")
		if err != nil {
			return nil, fmt.Errorf("bench: fresh data directory: %w", err)
		}
		s.dataDir, s.fresh = dir, true
	} else {
		abs, err := filepath.Abs(s.dataDir)
		if err != nil {
			return nil, fmt.Errorf("bench: data directory: %w", err)
		}
		s.dataDir = abs
		if err := os.MkdirAll(abs, 0o750); err != nil {
			return nil, fmt.Errorf("bench: data directory: %w", err)
		}
	}
	history, err := readHistory(filepath.Join(s.dataDir, historyFile))
	if err != nil {
		return nil, err
	}
	s.history = history
	pageToken := "bench-page-token-" + randomHex(8)
	sink, err := graphsink.Start("127.0.0.1:0", map[string]string{s.page: pageToken}, onDelivery, log)
	if err != nil {
		s.failed = true
		_ = s.close()
		return nil, fmt.Errorf("bench: %w", err)
	}
	s.sink = sink
	spec, err := s.spec(pageToken)
	if err != nil {
		_ = s.close()
		return nil, err
	}
	log.Info("starting handoff", "data_dir", s.dataDir, "http", spec.HTTPAddr, "temporal", spec.FrontendAddr, "log", spec.LogFile)
	for attempt := 1; ; attempt++ {
		proc, err := child.Start(ctx, spec)
		if err == nil {
			s.proc = proc
			break
		}
		// A port found free can be taken before the child binds it.
		if attempt == 3 || !strings.Contains(child.Tail(spec.LogFile), "address already in use") {
			s.failed = true
			_ = s.close()
			return nil, fmt.Errorf("bench: %w\n%s", err, child.Tail(spec.LogFile))
		}
		if spec, err = s.spec(pageToken); err != nil {
			_ = s.close()
			return nil, err
		}
	}
	log.Info("handoff is ready", "pid", s.proc.Pid(), "took", s.proc.Ready.Sub(s.proc.Started).Round(time.Millisecond))
	return s, nil
}

// spec is the child's command and configuration, on new free ports.
func (s *selfContained) spec(pageToken string) (child.Spec, error) {
	var addrs [3]string
	for i := range addrs {
		addr, err := child.FreeAddr()
		if err != nil {
			return child.Spec{}, fmt.Errorf("bench: %w", err)
		}
		addrs[i] = addr
	}
	s.httpAddr, s.frontendAddr = addrs[0], addrs[1]
	command := s.opts.Command
	if len(command) == 0 {
		exe, err := os.Executable()
		if err != nil {
			return child.Spec{}, fmt.Errorf("bench: find the handoff executable: %w", err)
		}
		command = []string{exe}
	}
	env := []string{
		"HANDOFF_CONFIG=" + s.configFile,
		"HANDOFF_DATA_DIR=" + s.dataDir,
		"HANDOFF_TEMPORAL_UI_ADDR=" + addrs[2],
		"HANDOFF_LOG_LEVEL=warn",
		"HANDOFF_AUTH_TOKENS=bench:" + s.staffToken,
		"HANDOFF_MESSENGER_APP_SECRET=" + s.appSecret,
		"HANDOFF_MESSENGER_VERIFY_TOKEN=bench-verify-" + randomHex(8),
		"HANDOFF_MESSENGER_APP_ID=" + randomDigits(15),
		"HANDOFF_MESSENGER_PAGES=" + s.page + ":" + pageToken,
		"HANDOFF_MESSENGER_GRAPH_URL=" + s.sink.URL,
		// Thousands of visitors from one address writing as fast as they
		// can: the web chat's abuse limits would refuse them.
		"HANDOFF_WEBCHAT_LIMITS_VISITORS_PER_MINUTE=0",
		"HANDOFF_WEBCHAT_LIMITS_MESSAGES_PER_MINUTE=0",
	}
	if s.opts.Has(PhaseTimers) && s.opts.Window > 0 {
		env = append(env, "HANDOFF_CONVERSATION_WINDOW="+s.opts.Window.String())
	}
	return child.Spec{
		Command:      command,
		Dir:          s.dataDir,
		Env:          append(env, s.opts.ChildEnv...),
		HTTPAddr:     s.httpAddr,
		FrontendAddr: s.frontendAddr,
		LogFile:      filepath.Join(s.dataDir, childLog),
	}, nil
}

func (s *selfContained) process() *child.Process {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.proc
}

// kill ends the child with SIGKILL.
func (s *selfContained) kill() {
	p := s.process()
	s.observe(p)
	used, _ := p.CPU()
	p.Kill()
	s.mu.Lock()
	s.cpuBefore += used
	s.mu.Unlock()
}

// cpu is the CPU time handoff has used in this run, over all its processes.
func (s *selfContained) cpu() time.Duration {
	p := s.process()
	used, _ := p.CPU() // 0 once the process is gone
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cpuBefore + used
}

// restart starts the child again on the same data and ports.
func (s *selfContained) restart(ctx context.Context) (*child.Process, error) {
	p, err := s.process().Restart(ctx)
	if err != nil {
		return nil, fmt.Errorf("restart handoff: %w\n%s", err, child.Tail(filepath.Join(s.dataDir, childLog)))
	}
	s.mu.Lock()
	s.proc = p
	s.mu.Unlock()
	return p, nil
}

// restartWithWindow stops the child (SIGTERM) and starts it again with
// conversation.window set to window.
func (s *selfContained) restartWithWindow(ctx context.Context, window time.Duration) error {
	p := s.process()
	s.observe(p)
	used, _ := p.CPU()
	if err := p.Stop(time.Minute); err != nil {
		return fmt.Errorf("restart handoff with a %s window: %w", window, err)
	}
	s.mu.Lock()
	s.cpuBefore += used
	s.mu.Unlock()
	next, err := p.RestartWith(ctx, "HANDOFF_CONVERSATION_WINDOW="+window.String())
	if err != nil {
		return fmt.Errorf("restart handoff with a %s window: %w\n%s", window, err, child.Tail(filepath.Join(s.dataDir, childLog)))
	}
	s.mu.Lock()
	s.proc = next
	s.mu.Unlock()
	return nil
}

// memory reads the child's resident memory and keeps the peak.
func (s *selfContained) memory() (child.Memory, error) {
	p := s.process()
	m, err := p.Memory()
	if err != nil {
		return child.Memory{}, err
	}
	s.mu.Lock()
	s.peak = max(s.peak, m.Peak, m.RSS)
	s.mu.Unlock()
	return m, nil
}

func (s *selfContained) observe(p *child.Process) {
	if m, err := p.Memory(); err == nil {
		s.mu.Lock()
		s.peak = max(s.peak, m.Peak, m.RSS)
		s.mu.Unlock()
	}
}

// sampleMemory reads the memory every second, so the peak of a process
// that is later killed is kept.
func (s *selfContained) sampleMemory(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.observe(s.process())
		}
	}
}

func (s *selfContained) disk() (int64, error) { return child.DiskUsage(s.dataDir) }

// resources are the figures at the end of the run.
func (s *selfContained) resources() *Resources {
	res := &Resources{}
	if m, err := s.memory(); err == nil {
		res.ResidentMiB = mib(m.RSS)
	}
	s.mu.Lock()
	res.PeakResidentMiB = mib(s.peak)
	s.mu.Unlock()
	if d, err := s.disk(); err == nil {
		res.DiskMiB = mib(d)
	}
	res.HandoffCPUSeconds = stats.Round(s.cpu().Seconds(), 1)
	return res
}

// close stops the child and the stand-in and removes a fresh data
// directory unless it is to be kept.
func (s *selfContained) close() error {
	var errs []string
	if p := s.process(); p != nil {
		if err := p.Stop(time.Minute); err != nil {
			errs = append(errs, err.Error())
			s.failed = true
		}
	}
	if s.sink != nil {
		if err := s.sink.Close(); err != nil {
			errs = append(errs, err.Error())
		}
	}
	switch {
	case s.fresh && !s.opts.Keep && !s.failed:
		if err := os.RemoveAll(s.dataDir); err != nil {
			errs = append(errs, fmt.Sprintf("remove the data directory: %v", err))
		}
	case s.fresh:
		s.log.Info("data directory kept", "dir", s.dataDir)
	}
	if len(errs) > 0 {
		return fmt.Errorf("bench: %s", strings.Join(errs, "; "))
	}
	return nil
}

// keepsData reports whether the data directory outlives the run, so its
// history is worth writing.
func (s *selfContained) keepsData() bool { return !s.fresh || s.opts.Keep }

func randomHex(bytes int) string {
	b := make([]byte, bytes)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func randomDigits(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = '0' + b[i]%10
	}
	return string(b)
}

func mib(bytes int64) float64 { return float64(bytes*10/(1<<20)) / 10 }
