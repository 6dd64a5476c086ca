package api

import (
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.temporal.io/sdk/client"
)

// With Temporal unreachable the process is alive (healthz) but not ready
// (readyz), and readyz says why.
func TestReadyzReportsUnreachableTemporal(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadAddr := l.Addr().String()
	l.Close()
	c, err := client.NewLazyClient(client.Options{HostPort: deadAddr})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	h := NewHandler(Deps{Temporal: c, MaxBodyBytes: 1 << 20})

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
	if rec.Code != http.StatusOK {
		t.Errorf("healthz: %d", rec.Code)
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
	var body map[string]string
	_ = json.Unmarshal(rec.Body.Bytes(), &body)
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(body["error"], "Temporal is not reachable") {
		t.Errorf("readyz: %d %s, want 503 naming Temporal", rec.Code, rec.Body)
	}
}

func TestStaffEndpointsNeedAToken(t *testing.T) {
	h := NewHandler(Deps{MaxBodyBytes: 1 << 20, Staff: testDirectory()})
	for _, header := range []string{"", "Bearer", "Basic 0123456789abcdef", "Bearer wrong-token-000000"} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", "/api/v1/settings", nil)
		if header != "" {
			req.Header.Set("Authorization", header)
		}
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusUnauthorized || rec.Header().Get("WWW-Authenticate") == "" {
			t.Errorf("Authorization %q: %d, want 401 with WWW-Authenticate", header, rec.Code)
		}
	}
}
