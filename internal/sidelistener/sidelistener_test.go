package sidelistener

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestStartServeStop(t *testing.T) {
	entered := make(chan struct{})
	srv, err := Start("test listener", "test.addr", "127.0.0.1:0", &http.Server{
		ReadHeaderTimeout: time.Second,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/hang" {
				close(entered)
				<-r.Context().Done()
				return
			}
			_, _ = io.WriteString(w, "served")
		}),
	})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get("http://" + srv.Addr() + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "served" {
		t.Errorf("body %q", body)
	}

	if _, err := Start("second listener", "test.addr", srv.Addr(), &http.Server{ReadHeaderTimeout: time.Second}); err == nil ||
		!strings.Contains(err.Error(), "test.addr "+srv.Addr()) {
		t.Errorf("a second listener on the same address: %v, want an error naming the key and address", err)
	}

	go func() {
		if resp, err := http.Get("http://" + srv.Addr() + "/hang"); err == nil {
			resp.Body.Close()
		}
	}()
	<-entered
	start := time.Now()
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Stop waited %s for a request in progress", d)
	}
	if _, err := http.Get("http://" + srv.Addr() + "/"); err == nil {
		t.Error("the listener still answers after Stop")
	}
}
