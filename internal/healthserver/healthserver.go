// Package healthserver answers an orchestrator's liveness and readiness
// checks on a listener of its own (health.addr), for a process that serves
// no HTTP API: the worker role. The paths and answers are the API's.
package healthserver

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/handoff-chat/handoff/internal/sidelistener"
)

// The paths answered, the same as the API's.
const (
	// LivenessPath answers 200 while the process serves requests.
	LivenessPath = "/healthz"
	// ReadinessPath answers 200 when Ready returns nil, else 503.
	ReadinessPath = "/readyz"
)

// Paths are every path the handler answers.
var Paths = []string{LivenessPath, ReadinessPath}

// readyTimeout bounds one readiness check, as the API's.
const readyTimeout = 3 * time.Second

// Ready reports why the process is not ready, or nil when it is.
type Ready func(ctx context.Context) error

// Handler answers GET (and HEAD) on LivenessPath and ReadinessPath with a
// JSON status, and 404 on every other path. Not being ready is logged with
// its reason and answered 503 with it: the reasons name parts, never
// secrets.
func Handler(ready Ready, logger *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+LivenessPath, func(w http.ResponseWriter, _ *http.Request) {
		write(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET "+ReadinessPath, func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
		defer cancel()
		if err := ready(ctx); err != nil {
			logger.Warn("readiness check: not ready", "error", err)
			write(w, http.StatusServiceUnavailable, map[string]string{"error": "not ready: " + err.Error()})
			return
		}
		write(w, http.StatusOK, map[string]string{"status": "ready"})
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if slices.Contains(Paths, r.URL.Path) {
			w.Header().Set("Allow", "GET, HEAD")
			write(w, http.StatusMethodNotAllowed, map[string]string{"error": "method " + r.Method + " is not allowed on " + r.URL.Path})
			return
		}
		write(w, http.StatusNotFound, map[string]string{"error": "no route for " + r.Method + " " + r.URL.Path + "; the health listener answers GET " + LivenessPath + " and " + ReadinessPath})
	})
	return mux
}

func write(w http.ResponseWriter, status int, body map[string]string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// Start listens on addr and serves Handler(ready) until Stop.
func Start(addr string, ready Ready, logger *slog.Logger) (*sidelistener.Server, error) {
	return sidelistener.Start("health listener", "health.addr", addr, &http.Server{
		Handler:           Handler(ready, logger),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      readyTimeout + 5*time.Second,
		IdleTimeout:       2 * time.Minute,
	})
}
