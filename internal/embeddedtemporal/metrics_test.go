package embeddedtemporal

import (
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The server records no metrics unless metrics_addr is given, and then
// serves them there for Prometheus. (Without it first: Temporal does not
// close its metrics listener when the server stops.)
func TestMetricsOnlyWhenAsked(t *testing.T) {
	free, err := freePorts("127.0.0.1", 1)
	if err != nil {
		t.Fatal(err)
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(free[0]))
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	db := filepath.Join(t.TempDir(), "temporal.db")
	client := &http.Client{Timeout: 5 * time.Second}

	srv, err := Start(Options{DatabaseFile: db, Namespace: "metrics", FrontendAddr: "127.0.0.1:0", Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.Get("http://" + addr + "/metrics"); err == nil {
		t.Errorf("metrics served at %s without metrics_addr", addr)
	}
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}

	srv, err = Start(Options{DatabaseFile: db, Namespace: "metrics", MetricsAddr: addr, FrontendAddr: "127.0.0.1:0", Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = srv.Stop() }()
	resp, err := client.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatalf("metrics at %s: %v", addr, err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "persistence_requests") {
		t.Errorf("GET /metrics: %d, %d bytes, want 200 with the server's persistence metrics", resp.StatusCode, len(body))
	}
}
