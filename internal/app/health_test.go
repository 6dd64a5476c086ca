package app_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/handoff-chat/handoff/internal/app"
	"github.com/handoff-chat/handoff/internal/config"
	"github.com/handoff-chat/handoff/search/elasticsearch"
)

// getHealth answers the status and the JSON body of a health check, or
// status 0 when nothing listens.
func getHealth(t *testing.T, url string) (int, map[string]string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		return 0, nil
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	body := map[string]string{}
	if err := json.Unmarshal(raw, &body); err != nil {
		t.Fatalf("GET %s: body %q is not a JSON object", url, raw)
	}
	return resp.StatusCode, body
}

// A worker process has no HTTP API; with health.addr it answers liveness
// and readiness on a listener of its own, and after a stop nothing answers.
func TestWorkerAnswersHealthChecks(t *testing.T) {
	owner := shareIndex(t)
	cfg := workerConfig(t, owner)
	cfg.Health.Addr = "127.0.0.1:0"
	worker := startApp(t, cfg, app.RoleWorker)
	if worker.HTTPAddr() != "" {
		t.Fatalf("the worker serves the API at %s", worker.HTTPAddr())
	}
	base := "http://" + worker.HealthAddr()
	if status, body := getHealth(t, base+"/healthz"); status != 200 || body["status"] != "ok" {
		t.Errorf("liveness: %d %v, want 200 ok", status, body)
	}
	if status, body := getHealth(t, base+"/readyz"); status != 200 || body["status"] != "ready" {
		t.Errorf("readiness: %d %v, want 200 ready", status, body)
	}
	if status, _ := getHealth(t, base+"/api/v1/conversations"); status != 404 {
		t.Errorf("the staff API on the health listener: %d, want 404", status)
	}
	worker.Stop()
	if status, _ := getHealth(t, base+"/healthz"); status != 0 {
		t.Errorf("liveness after the stop: %d, want no listener", status)
	}
}

// While a process starts (here: waiting for a Temporal that does not
// answer) it is alive and not ready; the failed start closes the listener.
func TestHealthWhileStarting(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.Temporal.Address = unusedAddr(t)
	cfg.Search.Backend = config.SearchRemote
	cfg.Search.Remote.URL = "http://" + unusedAddr(t)
	cfg.Search.Remote.Token = shareToken
	cfg.Health.Addr = unusedAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		a, err := app.Start(ctx, cfg, app.RoleWorker, testLogger())
		if err == nil {
			a.Stop()
		}
		done <- err
	}()
	base := "http://" + cfg.Health.Addr
	deadline := time.Now().Add(30 * time.Second)
	for {
		status, body := getHealth(t, base+"/healthz")
		if status == 200 && body["status"] == "ok" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("liveness while starting: %d %v, want 200 ok", status, body)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if status, body := getHealth(t, base+"/readyz"); status != 503 || body["error"] != "not ready: starting" {
		t.Errorf("readiness while starting: %d %v, want 503 starting", status, body)
	}
	cancel()
	if err := <-done; err == nil {
		t.Fatal("a worker started without Temporal")
	}
	if status, _ := getHealth(t, base+"/healthz"); status != 0 {
		t.Errorf("liveness after the failed start: %d, want no listener", status)
	}
}

// A worker that stops for good ends Wait with the reason, so the process
// exits and its supervisor starts it again.
func TestWaitEndsWhenTheWorkerFails(t *testing.T) {
	worker := startApp(t, workerConfig(t, shareIndex(t)), app.RoleWorker)
	waited := make(chan error, 1)
	go func() { waited <- worker.Wait(context.Background()) }()
	select {
	case err := <-waited:
		t.Fatalf("Wait returned %v before the worker failed", err)
	case <-time.After(100 * time.Millisecond):
	}
	worker.FailWorker(errors.New("namespace not found"))
	select {
	case err := <-waited:
		if err == nil || !strings.Contains(err.Error(), "worker stopped: namespace not found") {
			t.Errorf("Wait: %v, want the worker's error", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Wait did not return after the worker failed")
	}
}

func TestStopTimeout(t *testing.T) {
	for _, tt := range []struct {
		role    app.Role
		backend string
		want    time.Duration
	}{
		{app.RoleAPI, config.SearchElasticsearch, app.HTTPDrainTimeout + elasticsearch.CloseTimeout},
		{app.RoleWorker, config.SearchElasticsearch, app.WorkerStopTimeout + elasticsearch.CloseTimeout},
		{app.RoleWorker, config.SearchRemote, app.WorkerStopTimeout},
		{app.RoleAll, config.SearchBleve, app.HTTPDrainTimeout + app.WorkerStopTimeout},
	} {
		if got := app.StopTimeout(tt.role, tt.backend); got != tt.want {
			t.Errorf("StopTimeout(%s, %s) = %s, want %s", tt.role, tt.backend, got, tt.want)
		}
	}
	if app.WorkerOptions().WorkerStopTimeout != app.WorkerStopTimeout {
		t.Errorf("the worker's stop timeout is %s, not WorkerStopTimeout", app.WorkerOptions().WorkerStopTimeout)
	}
}

// shareIndex starts an all-in-one process that shares its embedded index,
// for worker processes of their own.
func shareIndex(t *testing.T) *app.App {
	t.Helper()
	cfg := testConfig(t.TempDir())
	cfg.Search.Bleve.ServeAddr = "127.0.0.1:0"
	cfg.Search.Remote.Token = shareToken
	return startApp(t, cfg, app.RoleAll)
}

// workerConfig configures a worker process against owner's Temporal server
// and shared index.
func workerConfig(t *testing.T, owner *app.App) *config.Config {
	t.Helper()
	cfg := testConfig(t.TempDir())
	cfg.Temporal.Address = owner.FrontendAddr()
	cfg.Search.Backend = config.SearchRemote
	cfg.Search.Remote.URL = "http://" + owner.SearchShareAddr()
	cfg.Search.Remote.Token = shareToken
	return cfg
}

// unusedAddr is a local address nothing listens on (a port the system
// just gave out and took back).
func unusedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}
