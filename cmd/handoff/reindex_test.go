package main

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/handoff-chat/handoff/internal/reindex"
)

func TestReindexFlags(t *testing.T) {
	var out bytes.Buffer
	path, opts, err := parseReindexFlags(nil, &out)
	if err != nil || path != "" || opts == nil {
		t.Fatalf("no flags: %q %+v %v", path, opts, err)
	}
	if !slices.Equal(opts.Parts, reindex.AllParts) || opts.DryRun || opts.Concurrency != 4 || opts.ProgressEvery != 5*time.Second || opts.Attempts != 5 {
		t.Errorf("defaults %+v, want every part, 4 at once, progress every 5s, 5 attempts", opts)
	}

	path, opts, err = parseReindexFlags([]string{"--config", "h.yaml", "--only", "knowledge", "--dry-run", "--concurrency", "8", "--progress", "1s", "--attempts", "2"}, &out)
	if err != nil || path != "h.yaml" || !slices.Equal(opts.Parts, []reindex.Part{reindex.Knowledge}) || !opts.DryRun ||
		opts.Concurrency != 8 || opts.ProgressEvery != time.Second || opts.Attempts != 2 {
		t.Errorf("flags read as %q %+v %v", path, opts, err)
	}

	out.Reset()
	if _, opts, err := parseReindexFlags([]string{"--help"}, &out); err != nil || opts != nil {
		t.Errorf("--help: %+v %v, want the usage and nothing to run", opts, err)
	}
	if !strings.Contains(out.String(), "usage: handoff reindex") || !strings.Contains(out.String(), "--only") {
		t.Errorf("usage %q", out.String())
	}
}
