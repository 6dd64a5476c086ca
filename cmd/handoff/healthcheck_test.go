package main

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
)

// healthStub answers /readyz with status and /healthz with 200; paths
// returns the paths requested so far.
func healthStub(t *testing.T, status int) (addr string, paths func() []string) {
	t.Helper()
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.URL.Path)
		mu.Unlock()
		switch r.URL.Path {
		case "/readyz":
			w.WriteHeader(status)
			_, _ = io.WriteString(w, `{"status":"x"}`)
		case "/healthz":
			_, _ = io.WriteString(w, `{"status":"ok"}`)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://"), func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(seen)
	}
}

func TestHealthcheck(t *testing.T) {
	t.Run("ready on http.addr", func(t *testing.T) {
		isolate(t)
		addr, paths := healthStub(t, 200)
		t.Setenv("HANDOFF_HTTP_ADDR", addr)
		var out bytes.Buffer
		if err := runHealthcheck(nil, &out, io.Discard); err != nil {
			t.Fatal(err)
		}
		if got := paths(); !slices.Equal(got, []string{"/readyz"}) {
			t.Errorf("requests %v, want one to /readyz", got)
		}
		if !strings.Contains(out.String(), "/readyz: 200") {
			t.Errorf("output %q", out.String())
		}
	})
	t.Run("not ready", func(t *testing.T) {
		isolate(t)
		addr, _ := healthStub(t, 503)
		t.Setenv("HANDOFF_HTTP_ADDR", addr)
		err := runHealthcheck(nil, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "503") {
			t.Fatalf("error %v, want one naming the 503", err)
		}
	})
	t.Run("health.addr beats http.addr, liveness path", func(t *testing.T) {
		isolate(t)
		addr, paths := healthStub(t, 503)
		t.Setenv("HANDOFF_HTTP_ADDR", "127.0.0.1:1")
		t.Setenv("HANDOFF_HEALTH_ADDR", addr)
		if err := runHealthcheck([]string{"--path", "/healthz"}, io.Discard, io.Discard); err != nil {
			t.Fatal(err)
		}
		if got := paths(); !slices.Equal(got, []string{"/healthz"}) {
			t.Errorf("requests %v, want one to /healthz", got)
		}
	})
	t.Run("nothing listens", func(t *testing.T) {
		isolate(t)
		addr, _ := healthStub(t, 200)
		t.Setenv("HANDOFF_HTTP_ADDR", addr)
		t.Setenv("HANDOFF_HEALTH_ADDR", "127.0.0.1:1")
		if err := runHealthcheck(nil, io.Discard, io.Discard); err == nil {
			t.Fatal("a check of a port nothing listens on succeeded")
		}
	})
	t.Run("bad arguments", func(t *testing.T) {
		isolate(t)
		for _, args := range [][]string{{"--path", "/api/v1/me"}, {"extra"}, {"--timeout", "soon"}} {
			if err := runHealthcheck(args, io.Discard, io.Discard); err == nil {
				t.Errorf("%q: no error", args)
			}
		}
	})
}

func TestCheckURL(t *testing.T) {
	for addr, want := range map[string]string{
		":8080":          "http://127.0.0.1:8080/readyz",
		"0.0.0.0:8081":   "http://127.0.0.1:8081/readyz",
		"[::]:8080":      "http://[::1]:8080/readyz",
		"10.0.0.5:8080":  "http://10.0.0.5:8080/readyz",
		"localhost:9090": "http://localhost:9090/readyz",
	} {
		got, err := checkURL(addr, "/readyz")
		if err != nil || got != want {
			t.Errorf("checkURL(%q) = %q, %v; want %q", addr, got, err, want)
		}
	}
	if _, err := checkURL("8080", "/readyz"); err == nil {
		t.Error("checkURL accepted an address without a port")
	}
}
