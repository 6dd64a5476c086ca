// Package debugserver serves the Go runtime's profiles (net/http/pprof) to
// staff, on a listener of its own apart from the public API.
package debugserver

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/pprof"
	"strings"
	"time"

	"github.com/handoff-chat/handoff/internal/sidelistener"
	"github.com/handoff-chat/handoff/internal/staff"
)

// Handler serves every net/http/pprof handler under /debug/pprof/ to
// requests with an admin's API token (one of auth.tokens with the admin
// role) as "Authorization: Bearer <token>"; others get 401, other roles 403.
func Handler(directory *staff.Directory, logger *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	// Index also serves the named profiles: /debug/pprof/heap, goroutine,
	// allocs, block, mutex, threadcreate.
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		token = strings.TrimSpace(token)
		if !strings.EqualFold(scheme, "Bearer") || token == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="handoff"`)
			writeError(w, http.StatusUnauthorized, "the debug endpoints need a staff token as an Authorization: Bearer <token> header")
			return
		}
		member, ok := directory.ByToken(token)
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="handoff", error="invalid_token"`)
			writeError(w, http.StatusUnauthorized, "the bearer token is not one of the configured staff tokens")
			return
		}
		if !member.Role.MayAdminister() {
			writeError(w, http.StatusForbidden, "the debug endpoints are for admins; the token of "+member.Name+" has the role "+string(member.Role))
			return
		}
		logger.Info("debug request", "staff", member.Name, "method", r.Method, "path", r.URL.Path)
		mux.ServeHTTP(w, r)
	})
}

func writeError(w http.ResponseWriter, status int, message string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": message})
}

// Start listens on addr and serves Handler(directory) until Stop, which
// cuts off a profile in progress rather than hold the process's shutdown.
func Start(addr string, directory *staff.Directory, logger *slog.Logger) (*sidelistener.Server, error) {
	return sidelistener.Start("debug listener", "debug.addr", addr, &http.Server{
		Handler:           Handler(directory, logger),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		// No WriteTimeout: a CPU profile or trace takes as long as its
		// ?seconds= asks (30 s by default), and pprof refuses durations
		// beyond the server's WriteTimeout.
	})
}
