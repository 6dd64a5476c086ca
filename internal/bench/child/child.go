// Package child runs handoff as a child process of the benchmark and the
// fault test: configured only through HANDOFF_ environment variables, on
// local ports chosen up front so a restart after a kill comes back at the
// same addresses. Being a separate process lets the caller read its
// resident memory, kill it and restart it. The fault test runs the
// Temporal server with it too.
package child

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// readyTimeout bounds a start, until /readyz answers 200.
const readyTimeout = 3 * time.Minute

// Spec is how to start handoff.
type Spec struct {
	// Command is the executable and its arguments; handoff's default mode
	// takes none.
	Command []string
	// Dir is the working directory (the data directory, so that no
	// config.yaml of the caller's directory is read).
	Dir string
	// Env are the HANDOFF_ settings. The caller's own HANDOFF_ variables
	// are not passed on, so only these and the defaults apply.
	Env []string
	// HTTPAddr and FrontendAddr are where the API and the embedded Temporal
	// frontend listen.
	HTTPAddr, FrontendAddr string
	// LogFile receives the child's stdout and stderr, appended.
	LogFile string
	// Name is the process in messages ("handoff" when empty).
	Name string
	// Ready, when set, replaces the check that /readyz at HTTPAddr answers
	// 200 (a worker process, or a program other than handoff): it is
	// called with the process ID every 100 ms until it returns nil.
	Ready func(ctx context.Context, pid int) error
}

// Process is a running handoff.
type Process struct {
	spec    Spec
	cmd     *exec.Cmd
	done    chan struct{}
	waitErr error
	log     *os.File
	// Started is when the process was started; Ready when /readyz first
	// answered 200.
	Started, Ready time.Time
}

// FreeAddr returns a local address with a port that was free a moment ago.
func FreeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// Start starts handoff and waits until it is ready.
func Start(ctx context.Context, spec Spec) (*Process, error) {
	if len(spec.Command) == 0 {
		return nil, errors.New("start handoff: no command")
	}
	log, err := os.OpenFile(spec.LogFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("start handoff: open its log: %w", err)
	}
	cmd := exec.Command(spec.Command[0], spec.Command[1:]...)
	cmd.Dir = spec.Dir
	cmd.Env = append(withoutHandoffVars(os.Environ()), spec.Env...)
	if spec.HTTPAddr != "" {
		cmd.Env = append(cmd.Env, "HANDOFF_HTTP_ADDR="+spec.HTTPAddr)
	}
	if spec.FrontendAddr != "" {
		cmd.Env = append(cmd.Env, "HANDOFF_TEMPORAL_EMBEDDED_FRONTEND_ADDR="+spec.FrontendAddr)
	}
	cmd.Stdout, cmd.Stderr = log, log
	p := &Process{spec: spec, cmd: cmd, done: make(chan struct{}), log: log}
	p.Started = time.Now()
	if err := cmd.Start(); err != nil {
		log.Close()
		return nil, fmt.Errorf("start %s %s: %w", spec.name(), spec.Command[0], err)
	}
	go func() {
		p.waitErr = cmd.Wait()
		log.Close()
		close(p.done)
	}()
	if err := p.waitReady(ctx); err != nil {
		p.Kill()
		return nil, err
	}
	return p, nil
}

// Restart starts a new process with the same spec, ports and data.
func (p *Process) Restart(ctx context.Context) (*Process, error) {
	return Start(ctx, p.spec)
}

// RestartWith starts a new process like Restart with env added to the
// spec's (a variable given again overrides the earlier value); later
// restarts keep it.
func (p *Process) RestartWith(ctx context.Context, env ...string) (*Process, error) {
	spec := p.spec
	spec.Env = append(append([]string(nil), spec.Env...), env...)
	return Start(ctx, spec)
}

func (s Spec) name() string {
	if s.Name == "" {
		return "handoff"
	}
	return s.Name
}

func (p *Process) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	ready, what := p.spec.Ready, "its readiness check"
	if ready == nil {
		client := &http.Client{Timeout: 5 * time.Second}
		url := "http://" + p.spec.HTTPAddr + "/readyz"
		ready, what = func(ctx context.Context, _ int) error {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
			if err != nil {
				return err
			}
			resp, err := client.Do(req)
			if err != nil {
				return err
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("/readyz answered %d", resp.StatusCode)
			}
			return nil
		}, url
	}
	var last error
	for {
		err := ready(ctx, p.cmd.Process.Pid)
		if err == nil {
			p.Ready = time.Now()
			return nil
		}
		last = err
		select {
		case <-p.done:
			return fmt.Errorf("%s exited during start-up (%v); see %s", p.spec.name(), p.waitErr, p.spec.LogFile)
		case <-ctx.Done():
			return fmt.Errorf("%s was not ready at %s within %s (%v); see %s", p.spec.name(), what, readyTimeout, last, p.spec.LogFile)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Pid is the process ID.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Exited reports whether the process has ended.
func (p *Process) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Kill ends the process with SIGKILL and waits for it.
func (p *Process) Kill() {
	if !p.Exited() {
		_ = p.cmd.Process.Kill()
	}
	<-p.done
}

// Stop asks the process to shut down (SIGTERM) and kills it after timeout.
func (p *Process) Stop(timeout time.Duration) error {
	if p.Exited() {
		return nil
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return fmt.Errorf("stop %s: %w", p.spec.name(), err)
	}
	select {
	case <-p.done:
		if p.waitErr != nil {
			return fmt.Errorf("%s did not exit cleanly: %w; see %s", p.spec.name(), p.waitErr, p.spec.LogFile)
		}
		return nil
	case <-time.After(timeout):
		p.Kill()
		return fmt.Errorf("%s did not stop within %s of SIGTERM and was killed; see %s", p.spec.name(), timeout, p.spec.LogFile)
	}
}

func withoutHandoffVars(env []string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		if !strings.HasPrefix(kv, "HANDOFF_") {
			out = append(out, kv)
		}
	}
	return out
}

// Tail is the end of a log file (the last 4000 bytes), for error messages.
func Tail(path string) string {
	raw, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	const keep = 4000
	if len(raw) > keep {
		raw = raw[len(raw)-keep:]
	}
	return string(raw)
}
