package healthserver

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

func TestServerAnswersLivenessAndReadiness(t *testing.T) {
	var notReady atomic.Pointer[error]
	starting := errors.New("starting")
	notReady.Store(&starting)
	var deadline atomic.Bool
	ready := func(ctx context.Context) error {
		_, hasDeadline := ctx.Deadline()
		deadline.Store(hasDeadline)
		if err := notReady.Load(); err != nil {
			return *err
		}
		return nil
	}
	srv, err := Start("127.0.0.1:0", ready, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := srv.Stop(); err != nil {
			t.Error(err)
		}
	}()
	base := "http://" + srv.Addr()

	get := func(method, path string) (int, map[string]string) {
		t.Helper()
		req, err := http.NewRequest(method, base+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body := map[string]string{}
		if method != http.MethodHead {
			if ct := resp.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
				t.Errorf("%s %s: Content-Type %q", method, path, ct)
			}
			raw, _ := io.ReadAll(resp.Body)
			if err := json.Unmarshal(raw, &body); err != nil {
				t.Errorf("%s %s: body %q is not a JSON object: %v", method, path, raw, err)
			}
		}
		return resp.StatusCode, body
	}

	if status, body := get("GET", LivenessPath); status != 200 || body["status"] != "ok" {
		t.Errorf("liveness while starting: %d %v, want 200 ok", status, body)
	}
	if status, body := get("GET", ReadinessPath); status != 503 || body["error"] != "not ready: starting" {
		t.Errorf("readiness while starting: %d %v, want 503 with the reason", status, body)
	}
	if !deadline.Load() {
		t.Error("the readiness check ran without a deadline")
	}
	notReady.Store(nil)
	if status, body := get("GET", ReadinessPath); status != 200 || body["status"] != "ready" {
		t.Errorf("readiness when ready: %d %v, want 200 ready", status, body)
	}
	if status, _ := get("HEAD", ReadinessPath); status != 200 {
		t.Errorf("HEAD readiness: %d, want 200", status)
	}
	if status, body := get("GET", "/debug/pprof/"); status != 404 || body["error"] == "" {
		t.Errorf("another path: %d %v, want 404 with an error", status, body)
	}
	if status, _ := get("POST", LivenessPath); status != http.StatusMethodNotAllowed {
		t.Errorf("POST liveness: %d, want 405", status)
	}
}

func TestPathsAreAnswered(t *testing.T) {
	h := Handler(func(context.Context) error { return nil }, slog.New(slog.DiscardHandler))
	for _, path := range Paths {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		if rec.Code != 200 {
			t.Errorf("GET %s: %d, want 200", path, rec.Code)
		}
	}
}
