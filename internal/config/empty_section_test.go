package config

import (
	"os"
	"path/filepath"
	"testing"
)

func TestEmptySectionKeepsDefaults(t *testing.T) {
	dir := isolate(t)
	path := filepath.Join(dir, "c.yaml")
	if err := os.WriteFile(path, []byte("http:\ntemporal:\n  tls:\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(path)
	if err != nil {
		t.Fatalf("a file with empty sections: %v", err)
	}
	if cfg.HTTP.Addr != ":8080" || cfg.Temporal.Namespace != "default" {
		t.Errorf("empty sections lost the defaults: http.addr %q, temporal.namespace %q", cfg.HTTP.Addr, cfg.Temporal.Namespace)
	}
}
