package app_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/handoff-chat/handoff/internal/app"
)

func getDebug(t *testing.T, url, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

// With debug.addr set, pprof answers staff tokens only, on its own
// listener.
func TestDebugListenerServesPprofToStaff(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.Temporal.Address = sharedFrontend(t)
	cfg.Debug.Addr = "127.0.0.1:0"
	a := startApp(t, cfg, app.RoleAll)
	if a.DebugAddr() == "" || a.DebugAddr() == a.HTTPAddr() {
		t.Fatalf("debug listener at %q, API at %q: want a listener of its own", a.DebugAddr(), a.HTTPAddr())
	}
	index := "http://" + a.DebugAddr() + "/debug/pprof/"

	status, body := getDebug(t, index, "")
	if status != http.StatusUnauthorized {
		t.Fatalf("without a token: %d %.200s, want 401", status, body)
	}
	var e struct {
		Error string `json:"error"`
	}
	if err := json.Unmarshal([]byte(body), &e); err != nil || !strings.Contains(e.Error, "Bearer") {
		t.Errorf("without a token: body %q, want a JSON error naming the Bearer header", body)
	}
	if status, body := getDebug(t, index, "not-a-staff-token"); status != http.StatusUnauthorized {
		t.Errorf("with a wrong token: %d %.200s, want 401", status, body)
	}

	status, body = getDebug(t, index, staffToken)
	if status != http.StatusOK || !strings.Contains(body, "goroutine") {
		t.Errorf("with a staff token: %d %.200s, want 200 and the profile index", status, body)
	}
	if status, body := getDebug(t, index+"goroutine?debug=1", staffToken); status != http.StatusOK || !strings.Contains(body, "goroutine profile:") {
		t.Errorf("goroutine profile: %d %.200s", status, body)
	}
}

// With debug.addr empty (the default) there is no debug listener, and the
// public API does not serve pprof either.
func TestNoDebugListenerByDefault(t *testing.T) {
	if addr := shared.DebugAddr(); addr != "" {
		t.Fatalf("debug listener at %s with debug.addr unset", addr)
	}
	status, body := getDebug(t, "http://"+shared.HTTPAddr()+"/debug/pprof/", staffToken)
	if status != http.StatusNotFound {
		t.Errorf("the public API answers /debug/pprof/ with %d %.200s, want 404", status, body)
	}
}

// A worker process has no staff tokens of its own: debug.addr needs
// auth.tokens there, and start-up says so before connecting anywhere.
func TestDebugListenerOfAWorkerNeedsTokens(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.Temporal.Address = sharedFrontend(t)
	cfg.Auth.Tokens = nil
	cfg.Debug.Addr = "127.0.0.1:0"
	a, err := app.Start(context.Background(), cfg, app.RoleWorker, testLogger())
	if err == nil {
		a.Stop()
		t.Fatal("a worker with debug.addr and no auth.tokens started")
	}
	if !strings.Contains(err.Error(), "debug.addr") || !strings.Contains(err.Error(), "auth.tokens") {
		t.Errorf("error %q, want it to name debug.addr and auth.tokens", err)
	}
}
