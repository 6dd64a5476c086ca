package debugserver

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/handoff-chat/handoff/internal/staff"
)

func TestHandlerNeedsAStaffToken(t *testing.T) {
	directory, err := staff.NewDirectory(nil, []staff.Token{
		{Secret: "secret-0123456789", Member: staff.Member{Name: "alice", Role: staff.Admin}},
		{Secret: "agent-secret-0123", Member: staff.Member{Name: "bob", Role: staff.Agent}},
	})
	if err != nil {
		t.Fatal(err)
	}
	h := Handler(directory, slog.New(slog.DiscardHandler))
	for _, tt := range []struct {
		name, authorization string
		status              int
		challenge           string
	}{
		{"no header", "", http.StatusUnauthorized, `Bearer realm="handoff"`},
		{"another scheme", "Basic secret-0123456789", http.StatusUnauthorized, `Bearer realm="handoff"`},
		{"a wrong token", "Bearer secret-9876543210", http.StatusUnauthorized, `error="invalid_token"`},
		{"an admin's token", "Bearer secret-0123456789", http.StatusOK, ""},
		{"an agent's token", "Bearer agent-secret-0123", http.StatusForbidden, ""},
		{"a staff token, scheme in lower case", "bearer secret-0123456789", http.StatusOK, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", "/debug/pprof/heap?debug=1", nil)
			if tt.authorization != "" {
				req.Header.Set("Authorization", tt.authorization)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d; body %.200s", rec.Code, tt.status, rec.Body)
			}
			if got := rec.Header().Get("WWW-Authenticate"); !strings.Contains(got, tt.challenge) || (tt.challenge == "") != (got == "") {
				t.Errorf("WWW-Authenticate %q, want %q", got, tt.challenge)
			}
			if tt.status == http.StatusOK && !strings.Contains(rec.Body.String(), "heap profile:") {
				t.Errorf("body %.200s, want the heap profile", rec.Body)
			}
			if tt.status != http.StatusOK && !strings.Contains(rec.Body.String(), `"error"`) {
				t.Errorf("body %.200s, want a JSON error", rec.Body)
			}
		})
	}
}
