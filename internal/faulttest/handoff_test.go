package faulttest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/handoff-chat/handoff/internal/bench/child"
	"github.com/handoff-chat/handoff/workflows"
)

// buildHandoff builds the handoff command as operators run it, without the
// race detector: the four processes share two cores with the Temporal
// server and PostgreSQL, and in `make test` the build reuses the packages
// `go vet` compiled (the in-process tests run the same code with -race).
func buildHandoff(t *testing.T, r *recorder, dir string) string {
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatalf("go env GOMOD: %v", err)
	}
	bin := filepath.Join(dir, "handoff")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/handoff")
	cmd.Dir = filepath.Dir(strings.TrimSpace(string(gomod)))
	started := time.Now()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build handoff: %v\n%s", err, out)
	}
	r.say("built handoff in %s", time.Since(started).Round(100*time.Millisecond))
	return bin
}

// process is one handoff role as a separate process, restarted on the
// same data directory and ports.
type process struct {
	name     string
	httpAddr string
	spec     child.Spec

	mu   sync.Mutex
	proc *child.Process
	// restarts counts the starts after the first.
	restarts int
}

func (p *process) current() *child.Process {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.proc
}

func (p *process) start(ctx context.Context) error {
	proc, err := child.Start(ctx, p.spec)
	if err != nil {
		return fmt.Errorf("%s: %w\n%s", p.name, err, child.Tail(p.spec.LogFile))
	}
	p.mu.Lock()
	if p.proc != nil {
		p.restarts++
	}
	p.proc = proc
	p.mu.Unlock()
	return nil
}

// handoffEnv is the configuration every process shares.
type handoffEnv struct {
	frontend, namespace    string
	staffToken, shareToken string
	appSecret, page        string
	pageToken, graphURL    string
	shareAddr              string
}

func (e handoffEnv) common() []string {
	return []string{
		"HANDOFF_CONFIG=",
		"HANDOFF_LOG_LEVEL=info",
		"HANDOFF_TEMPORAL_ADDRESS=" + e.frontend,
		"HANDOFF_TEMPORAL_NAMESPACE=" + e.namespace,
		"HANDOFF_AUTH_TOKENS=fault:" + e.staffToken,
		"HANDOFF_AUTH_SESSION_SECRET=fault-test-session-secret-0123456789abcdef",
		"HANDOFF_WEBCHAT_SECRET=fault-test-web-chat-secret-0123456789",
		"HANDOFF_MESSENGER_APP_SECRET=" + e.appSecret,
		"HANDOFF_MESSENGER_VERIFY_TOKEN=fault-verify-token",
		"HANDOFF_MESSENGER_APP_ID=1234567890123",
		"HANDOFF_MESSENGER_PAGES=" + e.page + ":" + e.pageToken,
		"HANDOFF_MESSENGER_GRAPH_URL=" + e.graphURL,
		// The customers all write from 127.0.0.1, faster than the web
		// chat's abuse limits allow one address.
		"HANDOFF_WEBCHAT_LIMITS_VISITORS_PER_MINUTE=0",
		"HANDOFF_WEBCHAT_LIMITS_MESSAGES_PER_MINUTE=0",
		// A short window, so every conversation's window timer fires
		// within the test.
		"HANDOFF_CONVERSATION_WINDOW=" + window.String(),
		"HANDOFF_SEARCH_REMOTE_TOKEN=" + e.shareToken,
	}
}

// newProcess prepares a role: worker A owns the Bleve index and shares it,
// every other process uses the share.
func newProcess(root, name, role string, e handoffEnv, bin string, c client.Client) (*process, error) {
	dir := filepath.Join(root, name)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, err
	}
	env := append(e.common(), "HANDOFF_DATA_DIR="+dir)
	if name == "worker-a" {
		env = append(env, "HANDOFF_SEARCH_BACKEND=bleve", "HANDOFF_SEARCH_BLEVE_SERVE_ADDR="+e.shareAddr)
	} else {
		env = append(env, "HANDOFF_SEARCH_BACKEND=remote", "HANDOFF_SEARCH_REMOTE_URL=http://"+e.shareAddr)
	}
	p := &process{name: name}
	p.spec = child.Spec{
		Name:    name,
		Command: []string{bin, role},
		Dir:     dir,
		Env:     env,
		LogFile: filepath.Join(dir, "handoff.log"),
	}
	if role == "api" {
		addr, err := child.FreeAddr()
		if err != nil {
			return nil, err
		}
		p.httpAddr, p.spec.HTTPAddr = addr, addr
	} else {
		p.spec.Ready = pollingWorker(c)
	}
	return p, nil
}

// pollingWorker is a worker's readiness: Temporal lists it (by the SDK's
// identity, which starts with its process ID) among the pollers of
// handoff's workflow task queue.
func pollingWorker(c client.Client) func(ctx context.Context, pid int) error {
	return func(ctx context.Context, pid int) error {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		resp, err := c.WorkflowService().DescribeTaskQueue(ctx, &workflowservice.DescribeTaskQueueRequest{
			Namespace:     namespace,
			TaskQueue:     &taskqueuepb.TaskQueue{Name: workflows.TaskQueue, Kind: enumspb.TASK_QUEUE_KIND_NORMAL},
			TaskQueueType: enumspb.TASK_QUEUE_TYPE_WORKFLOW,
		})
		if err != nil {
			return err
		}
		for _, poller := range resp.GetPollers() {
			if strings.HasPrefix(poller.GetIdentity(), fmt.Sprintf("%d@", pid)) {
				return nil
			}
		}
		return fmt.Errorf("process %d is not among the %d pollers of task queue %s", pid, len(resp.GetPollers()), workflows.TaskQueue)
	}
}
